// Tickets whose record is stuck (migration 012): marked and cleared by the ticket workflow's own
// activities, read by the API, the console and the metric. A row exists exactly while the
// workflow holds records it could not write.
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Notification } from '../domain/notifications';

export interface StuckRecord {
  ticketId: string;
  number: number;
  subject: string;
  since: string;
  type: string;
  reason: string;
  /** Records waiting in the workflow to be written, in order. */
  records: number;
}

export interface StuckMark {
  ticketId: string;
  /** Epoch ms: when the episode began (kept by later marks of the same episode). */
  since: number;
  type: string;
  reason: string;
  records: number;
  /** The lead's e-mail, queued in the mail outbox with the mark (the first mark of an episode only). */
  notice?: Notification;
}

/**
 * Mark the ticket stuck (or update why), and queue the lead's e-mail, in one statement. Nothing here
 * touches the ticket's own rows, which may be what fails. `marked`: the ticket was not stuck before.
 */
export async function markStuck(sequelize: Sequelize, m: StuckMark): Promise<{ marked: boolean; queued: boolean }> {
  const [row] = await sequelize.query<{ marked: boolean; queued: number }>(
    `WITH mark AS (
       INSERT INTO ticket_records_stuck AS s (ticket_id, since, failure_type, reason, records, updated_at)
       VALUES (CAST(:ticketId AS uuid), :since, :type, :reason, :records, now())
       ON CONFLICT (ticket_id) DO UPDATE SET failure_type = excluded.failure_type, reason = excluded.reason, records = excluded.records, updated_at = now()
       RETURNING (xmax = 0) AS marked
     ), mail AS (
       INSERT INTO mail_outbox (key, ticket_id, notification)
       SELECT :key, CAST(:ticketId AS uuid), CAST(:notification AS jsonb) WHERE CAST(:key AS text) IS NOT NULL
       ON CONFLICT (key) DO NOTHING
       RETURNING key
     )
     SELECT (SELECT marked FROM mark) AS marked, (SELECT count(*) FROM mail)::int AS queued`,
    {
      replacements: {
        ticketId: m.ticketId,
        since: new Date(m.since),
        type: m.type,
        reason: m.reason.slice(0, 2000),
        records: m.records,
        key: m.notice?.key ?? null,
        notification: m.notice ? JSON.stringify(m.notice) : null,
      },
      type: QueryTypes.SELECT,
    },
  );
  return { marked: row.marked, queued: row.queued > 0 };
}

/** The ticket wrote everything it owed: no longer stuck. */
export async function clearStuck(sequelize: Sequelize, ticketId: string): Promise<boolean> {
  const rows = await sequelize.query<{ ticket_id: string }>('DELETE FROM ticket_records_stuck WHERE ticket_id = CAST(:ticketId AS uuid) RETURNING ticket_id', {
    replacements: { ticketId },
    type: QueryTypes.SELECT,
  });
  return rows.length > 0;
}

export async function countStuck(sequelize: Sequelize): Promise<number> {
  const [row] = await sequelize.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket_records_stuck', { type: QueryTypes.SELECT });
  return row.n;
}

/** The stuck tickets among `ticketIds` (all of them when omitted), oldest episode first. */
export async function stuckRecords(sequelize: Sequelize, ticketIds?: string[], transaction?: Transaction): Promise<StuckRecord[]> {
  if (ticketIds && ticketIds.length === 0) return [];
  const rows = await sequelize.query<{ ticket_id: string; number: string; subject: string; since: Date; failure_type: string; reason: string; records: number }>(
    `SELECT s.ticket_id, t.number, t.subject, s.since, s.failure_type, s.reason, s.records
       FROM ticket_records_stuck s JOIN tickets t ON t.id = s.ticket_id
      ${ticketIds ? 'WHERE s.ticket_id IN (:ticketIds)' : ''}
      ORDER BY s.since, t.number`,
    { replacements: { ticketIds: ticketIds ?? [] }, type: QueryTypes.SELECT, transaction },
  );
  return rows.map((r) => ({ ticketId: r.ticket_id, number: Number(r.number), subject: r.subject, since: new Date(r.since).toISOString(), type: r.failure_type, reason: r.reason, records: r.records }));
}
