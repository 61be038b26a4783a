// Send an e-mail once per key, however often its activity is retried: the send log row is claimed
// before the SMTP call and marked sent after it; a failed send releases the claim for the retry.
import { NotificationRow } from '../db/models';
import type { Mailer, OutgoingMail } from '../mail/mailer';

export interface LoggedMail extends OutgoingMail {
  key: string;
  ticketId: string;
  kind: string;
}

export async function sendOnce(mailer: Mailer, m: LoggedMail): Promise<{ sent: boolean; to: string }> {
  const previous = await NotificationRow.findByPk(m.key);
  if (previous?.state === 'sent') return { sent: false, to: previous.recipient };
  if (!previous) {
    await NotificationRow.create({ key: m.key, ticketId: m.ticketId, kind: m.kind, recipient: m.to, subject: m.subject, messageId: m.messageId ?? null, sentAt: null });
  }
  const { key: _key, ticketId: _ticketId, kind: _kind, ...mail } = m;
  try {
    await mailer.send(mail);
  } catch (err) {
    await NotificationRow.destroy({ where: { key: m.key, state: 'sending' } });
    throw err;
  }
  await NotificationRow.update({ state: 'sent', sentAt: new Date() }, { where: { key: m.key } });
  return { sent: true, to: m.to };
}
