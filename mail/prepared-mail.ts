// E-mails written whole by whoever decides them (the answer to an inbound message, the scheduled
// reports, reminders and digests, the sessions' invitations), queued in the outbox and sent from
// there: the outbox's retries and give-up, the send log's one record and send-once, like every
// other e-mail the engine sends. Queued inside the caller's transaction when it has one, so an
// e-mail is owed exactly when the decision that calls for it is committed.
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { sendOnce, type LoggedMail } from './send-log';
import type { Mailer } from './mailer';
import type { OutboxSender, PreparedMail } from './outbox';

/**
 * Queues a rendered e-mail under its send-log key. True when it is owed now; false when that key
 * is already queued or already sent (a schedule run twice, an activity or a step retried).
 */
export async function queuePreparedMail(sequelize: Sequelize, key: string, m: PreparedMail, transaction?: Transaction): Promise<boolean> {
  const rows = await sequelize.query(
    `INSERT INTO mail_outbox (key, kind, ticket_id, notification)
     SELECT :key, 'prepared_mail', :ticketId, CAST(:payload AS jsonb)
      WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE key = :key AND state = 'sent')
     ON CONFLICT (key) DO NOTHING
     RETURNING key`,
    { replacements: { key, ticketId: m.ticketId, payload: JSON.stringify(m) }, type: QueryTypes.SELECT, transaction },
  );
  return rows.length > 0;
}

/** The same, for an e-mail written as the send log keeps it (its key, ticket and kind beside it). */
export function queueMail(sequelize: Sequelize, { key, ticketId, kind, ...mail }: LoggedMail, transaction?: Transaction): Promise<boolean> {
  return queuePreparedMail(sequelize, key, { kind, ticketId, mail }, transaction);
}

/** The outbox's sender of rendered e-mails: nothing left to decide, sent once under the row's key. */
export function createPreparedMailSender(mailer: Mailer): OutboxSender<PreparedMail> {
  return { send: (m, row) => sendOnce(mailer, { ...m.mail, key: row.key, ticketId: m.ticketId, kind: m.kind }) };
}
