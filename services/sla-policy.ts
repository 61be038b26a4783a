// Reading and replacing the SLA policy in force. New tickets take their targets from the newest
// row; tickets already open keep the targets they were opened under.
import { DEFAULT_SLA_POLICY, slaPolicySchema, type SlaPolicy } from '../domain/sla-policy';
import { SlaPolicyRow } from '../db/models';
import type { Principal } from './access';
import { audit } from './audit';

export interface PolicyInForce {
  id: number | null;
  policy: SlaPolicy;
  isDefault: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** The newest row as last parsed: a row never changes (a new policy is a new row), so its parse is kept. */
let lastParsed: { key: string; policy: SlaPolicy } | null = null;

export async function currentPolicy(): Promise<PolicyInForce> {
  const row = await SlaPolicyRow.findOne({ order: [['id', 'DESC']] });
  if (!row) return { id: null, policy: DEFAULT_SLA_POLICY, isDefault: true, updatedAt: null, updatedBy: null };
  // Rows stored by older versions lack newer sections; parsing fills them in with their defaults.
  const key = `${row.id}@${row.createdAt.getTime()}`;
  if (lastParsed?.key !== key) lastParsed = { key, policy: slaPolicySchema.parse(row.policy) };
  return { id: row.id, policy: lastParsed.policy, isDefault: false, updatedAt: row.createdAt.toISOString(), updatedBy: row.createdBy };
}

/** Validates (throws a ZodError on bad input) and stores a new policy version. */
export async function replacePolicy(input: unknown, actor: Principal): Promise<PolicyInForce> {
  const policy: SlaPolicy = slaPolicySchema.parse(input);
  await SlaPolicyRow.sequelize!.transaction(async (transaction) => {
    const row = await SlaPolicyRow.create({ policy, createdBy: actor.label }, { transaction });
    await audit(actor, 'sla_policy.replace', { type: 'sla_policy', id: row.id }, { policy }, transaction);
  });
  return currentPolicy();
}
