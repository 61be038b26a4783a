// Sends the e-mails queued in `mail_outbox` (migrations 008, 011 and 014), in the worker process:
// the ticket notifications the ticket record queued, the sign-in links the pages queued (a row per
// request, whoever asked: what to send, if anything, is the sender's to decide, off the request's
// path), and e-mails rendered when they were queued (mail/prepared-mail.ts: the answers to inbound
// mail). A row is leased while it is sent, deleted once its sender is done with it, and after a
// failure waits its back-off (the SMTP server may be down for long). Nothing retries forever: a
// message the mail server refuses for good (5xx), or one still unsent a day after it was queued, is
// set aside (due_at 'infinity', its last error kept) and counted; an operator sends it again with
// `UPDATE mail_outbox SET due_at = now() WHERE due_at = 'infinity'`. Several workers share the
// table: SKIP LOCKED hands each row to one of them, and the send log stops a repeat.
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from 'pino';
import type { Notification } from '../domain/notifications';
import type { OutgoingMail } from './mailer';
import { mailGivenUp, mailOutboxPending } from '../observability/metrics';
import { permanentFailure } from '../activities/failures';

export interface MailOutbox {
  /** Look for due rows now (a record just queued some). */
  kick(): void;
  start(): void;
  /** Stops claiming; resolves once the rows already claimed are sent or given back. */
  stop(): Promise<void>;
}

/** What the pages queue for a sign-in link: the address as typed (checked, lower case) and the page's language. */
export interface SignInLinkRequest {
  email: string;
  lang: string;
}

/** An e-mail written whole when it was queued (mail/prepared-mail.ts), sent as it is. */
export interface PreparedMail {
  /** What it is, for the send log and the metrics (`inbound_refusal`, …). */
  kind: string;
  /** The ticket it is about, if one (the send log's ticket). */
  ticketId: string | null;
  mail: Omit<OutgoingMail, 'kind'>;
}

/** What a row of each kind carries (the `notification` column). */
export interface OutboxPayloads {
  ticket_notification: Notification;
  sign_in_link: SignInLinkRequest;
  prepared_mail: PreparedMail;
}
export type OutboxKind = keyof OutboxPayloads;

export interface OutboxRow {
  key: string;
  createdAt: Date;
  attempts: number;
}

/** sent: false when nothing went out now (the send log says it did before, or the sender decided against it). */
export interface OutboxSendResult {
  sent: boolean;
  to?: string;
  number?: number;
}

/**
 * Renders (if it is not yet) and sends one row's e-mail once: activities/ticket-mail.ts,
 * services/sign-in-mail.ts, mail/prepared-mail.ts. `prepare`, if given, reads what the rows of one
 * batch need (their tickets, say) in one go; a failure there fails every row of the kind in it.
 */
export interface OutboxSender<P, B = unknown> {
  prepare?: (payloads: P[]) => Promise<B>;
  send: (payload: P, row: OutboxRow, batch: B) => Promise<OutboxSendResult>;
}
export type OutboxSenders = { [K in OutboxKind]: OutboxSender<OutboxPayloads[K], any> };

export interface MailOutboxOptions {
  sequelize: Sequelize;
  senders: OutboxSenders;
  log: Logger;
  /** Rows claimed and sent at a time. */
  batch?: number;
  /** How often due rows are looked for without a kick: retries, rows other processes queued. */
  pollMs?: number;
  /** How long a claimed row stays with this process: longer than a send takes, short enough that a killed worker's rows come back soon. */
  leaseMs?: number;
}

/** How long an e-mail is tried before it is set aside: as long as a ticket's e-mail activity (workflows/activity-options.ts MAIL). */
export const MAIL_GIVE_UP_AFTER_MS = 24 * 3600_000;

/** The wait after the n-th failed attempt: 2 s, doubling, at most 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(300_000, 2_000 * 2 ** Math.max(0, attempts - 1));
}

interface Claimed {
  key: string;
  kind: string;
  notification: unknown;
  attempts: number;
  created_at: Date;
}

export function createMailOutbox(o: MailOutboxOptions): MailOutbox {
  const { sequelize, log } = o;
  const batch = o.batch ?? 16;
  const leaseS = (o.leaseMs ?? 30_000) / 1000;
  let stopped = true;
  let draining: Promise<void> | null = null;
  let again = false;
  let poll: NodeJS.Timeout | undefined;

  const claim = () =>
    sequelize.query<Claimed>(
      `UPDATE mail_outbox o SET due_at = now() + make_interval(secs => :leaseS), attempts = o.attempts + 1
         FROM (SELECT key FROM mail_outbox WHERE due_at <= now() ORDER BY due_at LIMIT :batch FOR UPDATE SKIP LOCKED) due
        WHERE o.key = due.key
       RETURNING o.key, o.kind, o.notification, o.attempts, o.created_at`,
      { replacements: { leaseS, batch }, type: QueryTypes.SELECT },
    );

  /** What each kind's sender prepared for this batch, read once for all its rows. */
  function prepareBatch(rows: Claimed[]): Map<string, Promise<unknown>> {
    const prepared = new Map<string, Promise<unknown>>();
    for (const kind of new Set(rows.map((r) => r.kind))) {
      const sender = o.senders[kind as OutboxKind] as OutboxSender<unknown> | undefined;
      if (!sender?.prepare) continue;
      const p = sender.prepare(rows.filter((r) => r.kind === kind).map((r) => r.notification));
      // Awaited by each row's delivery, which fails with it.
      p.catch(() => {});
      prepared.set(kind, p);
    }
    return prepared;
  }

  /** True once sent (and in the send log); false after a failure, its back-off set. */
  async function deliver(row: Claimed, prepared: Map<string, Promise<unknown>>): Promise<boolean> {
    try {
      const sender = o.senders[row.kind as OutboxKind] as OutboxSender<unknown> | undefined;
      // A row of a kind this version does not know waits (with its back-off) for a worker that does.
      if (!sender) throw new Error(`no sender for e-mails of kind ${row.kind}`);
      const r = await sender.send(row.notification, { key: row.key, createdAt: new Date(row.created_at), attempts: row.attempts }, await prepared.get(row.kind));
      const kind = row.kind === 'ticket_notification' ? (row.notification as Notification).kind : row.kind === 'prepared_mail' ? (row.notification as PreparedMail).kind : row.kind;
      if (r.sent) log.info({ ticketNumber: r.number, key: row.key, to: r.to, kind }, 'notification sent');
      return true;
    } catch (err) {
      const refused = permanentFailure(err) !== null;
      const tooOld = Date.now() - new Date(row.created_at).getTime() >= MAIL_GIVE_UP_AFTER_MS;
      const error = String(err).slice(0, 1000);
      if (refused || tooOld) {
        log.error({ err, key: row.key, attempts: row.attempts, kind: row.kind }, refused ? 'e-mail refused for good by the mail server; set aside' : 'e-mail still not sent after a day; set aside');
        mailGivenUp.inc({ kind: row.kind, reason: refused ? 'refused' : 'expired' });
        await sequelize
          .query(`UPDATE mail_outbox SET due_at = 'infinity', last_error = :e WHERE key = :key`, { replacements: { e: `given up: ${error}`, key: row.key } })
          .catch(() => {});
        return false;
      }
      const waitMs = retryDelayMs(row.attempts);
      log.warn({ err, key: row.key, attempts: row.attempts, retryInMs: waitMs }, 'e-mail not sent; retrying later');
      // If this fails too, the lease runs out and the row comes back by itself.
      await sequelize
        .query('UPDATE mail_outbox SET due_at = now() + make_interval(secs => :s), last_error = :e WHERE key = :key', {
          replacements: { s: waitMs / 1000, e: error, key: row.key },
        })
        .catch(() => {});
      return false;
    }
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      while (!stopped) {
        const rows = await claim();
        if (rows.length === 0) break;
        const prepared = prepareBatch(rows);
        const done = await Promise.all(rows.map((row) => deliver(row, prepared)));
        const sent = rows.filter((_, i) => done[i]);
        // Done with (sent and in the send log, or not to be sent); were this delete lost, the rows'
        // next send finds them in the send log.
        if (sent.length) await sequelize.query('DELETE FROM mail_outbox WHERE key IN (:keys)', { replacements: { keys: sent.map((r) => r.key) } }).catch(() => {});
      }
    } while (again && !stopped);
  }

  function kick(): void {
    if (stopped) return;
    if (draining) {
      again = true;
      return;
    }
    draining = drain()
      .catch((err) => log.warn({ err }, 'mail outbox: could not claim e-mails; trying again shortly'))
      .finally(() => {
        draining = null;
      });
  }

  async function measure(): Promise<void> {
    const [row] = await sequelize.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE due_at <> 'infinity'`, { type: QueryTypes.SELECT });
    mailOutboxPending.set(row.n);
  }

  return {
    kick,
    start() {
      if (!stopped) return;
      stopped = false;
      let ticks = 0;
      poll = setInterval(() => {
        kick();
        // The backlog gauge every 15 polls: a count is cheap, but not every second.
        if (ticks++ % 15 === 0) measure().catch(() => {});
      }, o.pollMs ?? 1_000);
      poll.unref();
      kick();
    },
    async stop() {
      stopped = true;
      if (poll) clearInterval(poll);
      await draining;
    },
  };
}
