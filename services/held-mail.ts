// The held-mail queue: messages from a requester (or naming a ticket) whose sender could not be
// authenticated. A technician or lead looks at each and accepts it (it then goes through intake or
// the reply path as an authenticated message would: services/inbound-mail.ts processAccepted) or
// rejects it (dropped). Nobody is told either way; who decided is kept on the message and in the
// audit log. The console and the JSON API both go through here.
import { ConnectionError, Op, TimeoutError } from 'sequelize';
import type { Logger } from 'pino';
import { HeldMail, InboundMessage, Ticket, type HeldMailStatus } from '../db/models';
import { DomainError, isKind, notFound } from '../domain/errors';
import { may } from '../domain/roles';
import { TryLater } from '../mail/inbound';
import { audit } from './audit';
import { isUuid } from './ids';
import type { Principal } from './access';
import type { InboundMailService, InboundResult } from './inbound-mail';

// A decision cut short (the process stopped while accepting) is open again after this: accepting
// runs intake and the reply path with the message's own idempotency keys, so running it again is safe.
const STALE_ACCEPT_MS = 5 * 60_000;
const LIST_LIMIT = 200;

export interface HeldMailView {
  id: string;
  receivedAt: string;
  from: { address: string; name: string | null };
  subject: string;
  preview: string;
  /** The ticket it names (a reply), or the one accepting it made. */
  ticketNumber: number | null;
  authentication: HeldMail['authentication'];
  status: Exclude<HeldMailStatus, 'accepting'>;
  decidedBy: string | null;
  decidedAt: string | null;
  /** What accepting it led to (ticket_created, reply_added, refused…), or why it was dropped. */
  outcome: string | null;
  reason: string | null;
}

export function createHeldMailService(deps: { inbound: Pick<InboundMailService, 'processAccepted'>; log: Logger }) {
  function mayReview(p: Principal) {
    if (!may(p.role, 'reviewHeldMail')) throw new DomainError('forbidden', 'FORBIDDEN', `a ${p.role} may not review held mail; technicians and leads do`, { role: p.role, permission: 'reviewHeldMail' });
  }

  const open = () => ({ [Op.or]: [{ status: 'held' }, { status: 'accepting', decidedAt: { [Op.lt]: new Date(Date.now() - STALE_ACCEPT_MS) } }] });

  async function list(p: Principal, status: 'held' | 'decided' = 'held'): Promise<{ total: number; messages: HeldMailView[] }> {
    mayReview(p);
    const where = status === 'held' ? { status: { [Op.in]: ['held', 'accepting'] } } : { status: { [Op.in]: ['accepted', 'rejected'] } };
    const { rows, count } = await HeldMail.findAndCountAll({
      where,
      attributes: { exclude: ['raw'] },
      // Oldest first while waiting (first come, first judged); the latest decisions first after.
      order: status === 'held' ? [['createdAt', 'ASC']] : [['decidedAt', 'DESC']],
      limit: LIST_LIMIT,
    });
    return { total: count, messages: await views(rows) };
  }

  async function accept(id: string, p: Principal): Promise<HeldMailView> {
    const held = await claim(id, p, 'accepting');
    let result: InboundResult;
    try {
      result = await deps.inbound.processAccepted(held);
    } catch (err) {
      await held.update({ status: 'held', decidedBy: null, decidedByUserId: null, decidedAt: null }).catch(() => {});
      if (err instanceof TryLater || isKind(err, 'unavailable') || err instanceof ConnectionError || err instanceof TimeoutError) {
        throw new DomainError('unavailable', 'MAIL_NOT_PROCESSED', 'the message could not be processed now (the database or the ticket engine is unreachable); it is still held: accept it again shortly');
      }
      throw err;
    }
    // Processed: the raw message is no longer needed (the ticket keeps what it keeps).
    await held.update({ status: 'accepted', raw: null });
    await audit(p, 'held_mail.accept', { type: 'held_mail', id: held.id }, { from: held.fromAddress, outcome: result.outcome, reason: result.reason ?? null, ticketNumber: result.ticketNumber ?? null });
    return (await views([held]))[0];
  }

  async function reject(id: string, p: Principal): Promise<HeldMailView> {
    const held = await claim(id, p, 'rejected');
    await held.update({ raw: null });
    await InboundMessage.update({ outcome: 'ignored', reason: `held mail rejected by ${p.label}` }, { where: { id: held.inboundMessageId } });
    await audit(p, 'held_mail.reject', { type: 'held_mail', id: held.id }, { from: held.fromAddress });
    return (await views([held]))[0];
  }

  /** The message, taken from the queue for this decision; not_found when unknown, conflict (HELD_MAIL_DECIDED) when already decided. */
  async function claim(id: string, p: Principal, status: 'accepting' | 'rejected'): Promise<HeldMail> {
    mayReview(p);
    if (!isUuid(id)) throw notFound('held message');
    const [n] = await HeldMail.update({ status, decidedBy: p.label, decidedByUserId: p.userId, decidedAt: new Date() }, { where: { id, ...open() } });
    const held = await HeldMail.findByPk(id);
    if (!held) throw notFound('held message');
    if (n === 0) {
      throw new DomainError('conflict', 'HELD_MAIL_DECIDED', `this message was already ${held.status === 'accepting' ? 'being accepted' : held.status}${held.decidedBy ? ` by ${held.decidedBy}` : ''}`, {
        status: held.status,
        decidedBy: held.decidedBy,
      });
    }
    return held;
  }

  async function views(rows: HeldMail[]): Promise<HeldMailView[]> {
    const inbound = await InboundMessage.findAll({ where: { id: { [Op.in]: rows.map((r) => r.inboundMessageId) } }, attributes: ['id', 'outcome', 'reason', 'ticketId'] });
    const inboundOf = new Map(inbound.map((m) => [m.id, m]));
    // The ticket it names (a reply), or the one accepting it made.
    const ticketOf = (r: HeldMail) => r.ticketId ?? inboundOf.get(r.inboundMessageId)?.ticketId ?? null;
    const ticketIds = rows.map(ticketOf).filter((x): x is string => x !== null);
    const tickets = ticketIds.length ? await Ticket.findAll({ where: { id: { [Op.in]: ticketIds } }, attributes: ['id', 'number'] }) : [];
    const numberOf = new Map(tickets.map((t) => [t.id, Number(t.number)]));
    return rows.map((r) => {
      const m = inboundOf.get(r.inboundMessageId);
      const ticketId = ticketOf(r);
      const decided = r.status === 'accepted' || r.status === 'rejected';
      return {
        id: r.id,
        receivedAt: r.createdAt.toISOString(),
        from: { address: r.fromAddress, name: r.fromName },
        subject: r.subject,
        preview: r.preview,
        ticketNumber: ticketId ? (numberOf.get(ticketId) ?? null) : null,
        authentication: r.authentication,
        status: decided ? r.status : 'held',
        decidedBy: decided ? r.decidedBy : null,
        decidedAt: decided && r.decidedAt ? r.decidedAt.toISOString() : null,
        outcome: decided ? (m?.outcome ?? null) : null,
        reason: decided ? (m?.reason ?? null) : null,
      } as HeldMailView;
    });
  }

  return { list, accept, reject };
}

export type HeldMailService = ReturnType<typeof createHeldMailService>;
