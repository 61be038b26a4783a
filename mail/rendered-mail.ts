// E-mails written whole by whoever decides them (the answer to an inbound message), queued in the
// outbox and sent from there: the outbox's retries and give-up, the send log's one record and
// send-once, like every other e-mail the engine sends. Queued inside the caller's transaction, so
// an e-mail is owed exactly when the decision that calls for it is committed.
import { QueryTypes, type Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize';
import { sendOnce } from '../activities/send-log';
import type { Mailer } from './mailer';
import type { OutboxRow, OutboxSendResult, RenderedMail } from './outbox';

/**
 * Queues a rendered e-mail under its send-log key. The same key queued again (a retried step)
 * is one row, and once sent the send log keeps it from going out twice.
 */
export async function queueRenderedMail(sequelize: Sequelize, key: string, m: RenderedMail, transaction?: Transaction): Promise<void> {
  await sequelize.query(
    `INSERT INTO mail_outbox (key, kind, ticket_id, notification) VALUES (:key, 'rendered_mail', :ticketId, CAST(:payload AS jsonb))
     ON CONFLICT (key) DO NOTHING`,
    { replacements: { key, ticketId: m.ticketId, payload: JSON.stringify(m) }, type: QueryTypes.INSERT, transaction },
  );
}

/** The outbox's sender of rendered e-mails: nothing left to decide, sent once under the row's key. */
export function createRenderedMailSender(mailer: Mailer) {
  return async function sendRendered(m: RenderedMail, row: OutboxRow): Promise<OutboxSendResult> {
    return sendOnce(mailer, { ...m.mail, key: row.key, ticketId: m.ticketId, kind: m.kind });
  };
}
