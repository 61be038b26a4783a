// Send an e-mail once per key, however often its activity is retried: the send log row is claimed
// before the SMTP call and marked sent after it; a failed send releases the claim for the retry.
// When the database fails right after the SMTP server took the message, the retry must not send it
// again: this process remembers what it sent and keeps marking it sent until the log says so, so
// that another process that claims the e-mail after its outbox lease (30 s) finds it sent. Only a
// process that dies in that gap, or a database away for longer than the lease, sends again, and
// then under the same Message-ID, which mail clients show once.
//
// The outbox sends a batch of e-mails at once: their claims, and their marks that come back
// together, go to Postgres as one statement each (DataLoader gathers the calls made in one turn of
// the event loop), since a round trip costs the worker more than the rows it carries.
import DataLoader from 'dataloader';
import { QueryTypes } from 'sequelize';
import { NotificationRow } from '../db/models';
import type { Mailer, OutgoingMail } from './mailer';

export interface LoggedMail extends OutgoingMail {
  key: string;
  /** Null for mail about no single ticket (reports, term reminders, digests). */
  ticketId: string | null;
  kind: string;
}

/** Keys sent by this process whose log row may not say so yet (bounded: oldest dropped first). */
const sentHere = new Map<string, number>();
const SENT_HERE_MAX = 100_000;

/**
 * How long a sent e-mail's log row that could not be marked (the database away) is marked again in
 * the background: longer than a database restart takes, bounded like every retry here.
 */
export const MARK_SENT_RETRY_FOR_MS = 10 * 60_000;

function rememberSent(key: string): void {
  sentHere.set(key, Date.now());
  if (sentHere.size > SENT_HERE_MAX) sentHere.delete(sentHere.keys().next().value!);
}

export async function sendOnce(mailer: Mailer, m: LoggedMail): Promise<{ sent: boolean; to: string }> {
  if (sentHere.has(m.key)) {
    await markSent(m.key);
    return { sent: false, to: m.to };
  }
  const previous = await claim(m);
  if (!previous) throw new Error(`e-mail ${m.key} is being logged by another sender; trying again later`);
  if (previous.state === 'sent') return { sent: false, to: previous.recipient };
  const { key: _key, ticketId: _ticketId, ...mail } = m;
  try {
    await mailer.send(mail);
  } catch (err) {
    await NotificationRow.destroy({ where: { key: m.key, state: 'sending' } });
    throw err;
  }
  rememberSent(m.key);
  // Sent: what is left is the log's to catch up with. Returning the mark's failure would read as
  // "not sent" to the caller.
  await markSent(m.key).catch(() => markLater(m.key, Date.now(), 250));
  return { sent: true, to: m.to };
}

function markLater(key: string, since: number, waitMs: number): void {
  setTimeout(() => {
    if (!sentHere.has(key)) return;
    markSent(key).catch(() => {
      if (Date.now() + waitMs - since < MARK_SENT_RETRY_FOR_MS) markLater(key, since, Math.min(2 * waitMs, 2_000));
    });
  }, waitMs).unref();
}

type Claim = { state: 'sending' | 'sent'; recipient: string } | undefined;

/**
 * Each key's log row: inserted as 'sending', or the one already there ('sent', or 'sending' left by
 * an attempt that died before the SMTP call finished). None when another sender inserted it after
 * this statement began, or when the same key is claimed twice in one batch: the caller's retry
 * reads it then.
 */
async function claimAll(mails: readonly LoggedMail[]): Promise<Claim[]> {
  const rows = await NotificationRow.sequelize!.query<{ key: string; state: 'sending' | 'sent'; recipient: string }>(
    `WITH m AS (
       SELECT * FROM jsonb_to_recordset(CAST(:mails AS jsonb))
           AS m(key text, ticket_id uuid, kind text, recipient text, subject text, message_id text)),
     ins AS (
       INSERT INTO notifications (key, ticket_id, kind, recipient, subject, message_id, state)
       SELECT key, ticket_id, kind, recipient, subject, message_id, 'sending' FROM m
       ON CONFLICT (key) DO NOTHING
       RETURNING key, state, recipient)
     SELECT key, state, recipient FROM ins
     UNION ALL
     SELECT n.key, n.state, n.recipient FROM notifications n
      WHERE n.key IN (SELECT key FROM m) AND n.key NOT IN (SELECT key FROM ins)`,
    {
      replacements: {
        mails: JSON.stringify(mails.map((m) => ({ key: m.key, ticket_id: m.ticketId, kind: m.kind, recipient: m.to, subject: m.subject, message_id: m.messageId ?? null }))),
      },
      type: QueryTypes.SELECT,
    },
  );
  const byKey = new Map(rows.map((r) => [r.key, { state: r.state, recipient: r.recipient }]));
  const first = new Set<string>();
  return mails.map((m) => {
    if (first.has(m.key)) return undefined;
    first.add(m.key);
    return byKey.get(m.key);
  });
}

async function markAll(keys: readonly string[]): Promise<void[]> {
  await NotificationRow.sequelize!.query(`UPDATE notifications SET state = 'sent', sent_at = :at WHERE key IN (:keys)`, { replacements: { keys: [...new Set(keys)], at: new Date() } });
  for (const key of keys) sentHere.delete(key);
  return keys.map(() => undefined);
}

// No cache: a claim or a mark is asked again on purpose (a retry), and must reach Postgres again.
const claims = new DataLoader(claimAll, { cache: false, maxBatchSize: 100 });
const marks = new DataLoader(markAll, { cache: false, maxBatchSize: 100 });

const claim = (m: LoggedMail): Promise<Claim> => claims.load(m);

function markSent(key: string): Promise<void> {
  return marks.load(key);
}
