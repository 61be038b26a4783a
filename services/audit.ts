// The admin audit log: who changed what, and when. Written in the same transaction as the change.
import type { Transaction } from 'sequelize';
import { AuditEntry } from '../db/models';
import type { Principal } from './access';

export async function audit(
  actor: Principal,
  action: string,
  target: { type: string; id?: string | number | null },
  data: Record<string, unknown> = {},
  transaction?: Transaction,
): Promise<void> {
  await AuditEntry.create(
    { actor: actor.label, actorUserId: actor.userId, action, targetType: target.type, targetId: target.id == null ? null : String(target.id), data },
    { transaction },
  );
}

export async function auditLog(q: { limit: number; offset: number; targetType?: string; targetId?: string }) {
  const where: Record<string, string> = {};
  if (q.targetType) where.targetType = q.targetType;
  if (q.targetId) where.targetId = q.targetId;
  const { rows, count } = await AuditEntry.findAndCountAll({ where, order: [['id', 'DESC']], limit: q.limit, offset: q.offset });
  return {
    total: count,
    entries: rows.map((e) => ({ id: Number(e.id), at: e.at.toISOString(), actor: e.actor, actorUserId: e.actorUserId, action: e.action, target: { type: e.targetType, id: e.targetId }, data: e.data })),
  };
}
