// What an e-mail to support does: a new ticket from a known requester (channel e-mail, the plan's
// rules applied by the same intake as the API), the customer's reply on the ticket it names, or a
// refusal; machines' messages are dropped. Each message counts once (by its Message-ID).
// Only an authenticated From (mail/sender-auth.ts) is acted on: a message from a requester, or one
// naming a ticket, whose sender is not authenticated is held for a technician (services/held-mail.ts);
// any other is dropped unanswered. Refusals go to authenticated senders only and never repeat a word
// of theirs (a forged From must not turn this address into a spam relay); a refusal is queued in the
// mail outbox in the same transaction as the message's outcome (mail/prepared-mail.ts).
import { createHash } from 'node:crypto';
import { DatabaseError, Op, fn, col, where, UniqueConstraintError } from 'sequelize';
import type { Logger } from 'pino';
import { simpleParser, type ParsedMail } from 'mailparser';
import { HeldMail, InboundMessage, NotificationRow, Product, Ticket, TicketAttachment, User, type InboundOutcome } from '../db/models';
import { isKind, isRefusal } from '../domain/errors';
import { automatedReason } from '../mail/loop-guard';
import { NeverTaken, TryLater, type InboundEnvelope } from '../mail/inbound';
import type { VerifySender } from '../mail/sender-auth';
import { DEFAULT_MAIL_DOMAIN } from '../mail/mailer';
import type { PreparedMail } from '../mail/outbox';
import { queuePreparedMail } from '../mail/prepared-mail';
import { productSupportState } from '../domain/entitlements';
import { clip, hintsFromBody, personalText, ticketNumberOfOurMessageId, ticketNumbersInSubject } from '../domain/inbound-text';
import { UNSTORABLE_TEXT, unstorablePaths } from '../domain/storable-text';
import { principalForUser } from './access';
import type { TicketService } from './tickets';
import type { RateLimits } from './rate-limits';
import { en, es, refusalText, type Refusal } from '../i18n';
import { ticketWorkflowId } from '../workflows/definitions';

// The words of a refusal's frame come from the same tables as the pages.
const refusalWords = { en, es } as const;

export interface InboundMailDeps {
  tickets: TicketService;
  log: Logger;
  /** A refusal was queued in the outbox (the worker in this process, if any, sends it now). */
  mailQueued?: () => void;
  /** Our own addresses: a message from one is our own, come back. */
  supportAddresses: readonly string[];
  /** Whether a message's From is believed (mail/sender-auth.ts). */
  verifySender: VerifySender;
  mailDomain?: string;
  /** Attachments larger than this are not kept (the message itself still counts). */
  attachmentMaxBytes: number;
  /** Bounds what forged mail may put in the held queue (per sending server and per address). */
  limits?: Pick<RateLimits, 'mailHeld'>;
}

export interface InboundResult {
  outcome: InboundOutcome;
  reason?: string;
  ticketNumber?: number;
}

/** What was decided, and the answer it owes the sender, queued with the outcome. */
type Decision = InboundResult & { answer?: PreparedMail };

// Refusals to the same address are capped, so a misbehaving mailbox that answers every refusal
// without saying it is automatic still cannot make two systems write to each other for ever.
const REFUSAL_WINDOW_MS = 24 * 3600_000;
const MAX_REFUSALS_UNKNOWN = 1;
const MAX_REFUSALS_KNOWN = 10;

// What a held message keeps of the person's text for the console, and how many references of a
// thread are looked up (the most recent ones: a long thread's References header can be very long).
const HELD_PREVIEW_CHARS = 2_000;
const MAX_REFERENCES = 100;

/** A sender of ours is only ever acted on when authenticated; a technician's accept counts as that. */
type Trust = 'check' | 'accepted';

export { hintsFromBody };

export function createInboundMailService(deps: InboundMailDeps) {
  const mailDomain = deps.mailDomain ?? DEFAULT_MAIL_DOMAIN;

  const ours = new Set(deps.supportAddresses.map((a) => a.toLowerCase()));

  async function handle(m: InboundEnvelope): Promise<InboundResult> {
    const { parsed } = m;
    // Before anything is written: text no store can keep would fail every attempt (and a 4xx would
    // have the sender retry it for days). The sending server is told which parts, in the API's words.
    const unstorable = unstorableParts(m);
    if (unstorable.length) throw new NeverTaken(550, `5.6.0 not taken: ${unstorable.join(', ')} ${UNSTORABLE_TEXT}`);
    const from = parsed.from?.value[0]?.address?.toLowerCase() ?? null;
    const messageId = parsed.messageId ?? `<sha256.${createHash('sha256').update(m.raw).digest('hex')}@inbound.${mailDomain}>`;
    const subject = (parsed.subject ?? '').trim();

    // Claimed first, so a redelivered or concurrently delivered copy is recognised and dropped.
    let row: InboundMessage;
    try {
      row = await InboundMessage.create({ messageId, fromAddress: from, subject: clip(subject, 1000), size: m.raw.length, outcome: 'processing', reason: null, ticketId: null, replyMessageId: null });
    } catch (err) {
      if (err instanceof UniqueConstraintError) return { outcome: 'ignored', reason: 'duplicate Message-ID' };
      throw new TryLater('cannot record the message now');
    }

    try {
      const result = await settle(row, await decide(m, row, from, subject, 'check'));
      deps.log.info({ messageId, from, ...result, ...(result.ticketNumber ? { workflowId: ticketWorkflowId(result.ticketNumber) } : {}) }, 'inbound e-mail');
      return result;
    } catch (err) {
      // Nothing of it stays: the sending server's retry finds a clean slate.
      await TicketAttachment.destroy({ where: { inboundMessageId: row.id } }).catch(() => {});
      await row.destroy().catch(() => {});
      if (err instanceof TryLater || err instanceof NeverTaken) throw err;
      // A value Postgres refuses (SQLSTATE class 22, data exception) is refused again on every retry.
      if (isDataError(err)) {
        deps.log.warn({ err, messageId }, 'inbound e-mail cannot be stored');
        throw new NeverTaken(554, '5.6.0 the message cannot be stored; it will not be taken');
      }
      deps.log.error({ err, messageId }, 'inbound e-mail failed');
      throw new TryLater('temporary failure, try again later');
    }
  }

  /**
   * A held message a technician or lead accepted: processed now as an authenticated one would be
   * (intake with every plan rule, or the reply path). The caller holds the message (status
   * 'accepting'); on a failure nothing of it stays but the held message, to be accepted again.
   */
  async function processAccepted(held: HeldMail): Promise<InboundResult> {
    const raw = held.raw!;
    const parsed = await simpleParser(raw);
    const m: InboundEnvelope = { raw, parsed, envelopeFrom: held.envelope.from, rcptTo: held.envelope.rcptTo, remoteAddress: held.envelope.remoteAddress, helo: held.envelope.helo };
    const row = (await InboundMessage.findByPk(held.inboundMessageId))!;
    try {
      const result = await settle(row, await decide(m, row, held.fromAddress, (parsed.subject ?? '').trim(), 'accepted'));
      deps.log.info({ messageId: row.messageId, from: held.fromAddress, ...result, accepted: held.decidedBy }, 'held e-mail accepted');
      return result;
    } catch (err) {
      await TicketAttachment.destroy({ where: { inboundMessageId: row.id } }).catch(() => {});
      await row.update({ ticketId: null }).catch(() => {});
      throw err;
    }
  }

  /**
   * The message's outcome, and the answer it owes the sender, in one transaction: an answer is owed
   * exactly when the outcome says so, and the outbox sends it (its retries, its send log).
   */
  async function settle(row: InboundMessage, { answer, ...result }: Decision): Promise<InboundResult> {
    const sequelize = InboundMessage.sequelize!;
    await sequelize.transaction(async (transaction) => {
      await row.update({ outcome: result.outcome, reason: result.reason ? clip(result.reason, 500) : null, ...(answer ? { replyMessageId: answer.mail.messageId! } : {}) }, { transaction });
      if (answer) await queuePreparedMail(sequelize, `inbound:${row.id}:refusal`, answer, transaction);
    });
    if (answer) deps.mailQueued?.();
    return result;
  }

  async function decide(m: InboundEnvelope, row: InboundMessage, from: string | null, subject: string, trust: Trust): Promise<Decision> {
    const automated = automatedReason(m.parsed.headerLines, m.envelopeFrom, from);
    if (automated) return { outcome: 'ignored', reason: automated };
    if (!from) return { outcome: 'ignored', reason: 'no sender address' };
    if (ours.has(from)) return { outcome: 'ignored', reason: 'our own address' };

    const user = await User.findOne({ where: where(fn('lower', col('email')), from) });
    const threaded = await threadOf(m.parsed, subject);
    if (trust === 'check') {
      const verdict = await deps.verifySender(m, from);
      if (!verdict.authenticated) {
        // What would act on a ticket or a customer's quota waits for a person to vouch for it: mail
        // from a requester, or from the end user a ticket names about that ticket. Anyone else's
        // would be refused once vouched for, so it is not worth a person's look.
        if (user?.role === 'requester' || (threaded && threaded.endUser?.email?.toLowerCase() === from)) return hold(m, row, from, threaded, verdict);
        // A stranger's (or a forged staff) message: nobody is answered, or the answer would go to
        // whoever the forger named.
        return { outcome: 'refused', reason: `${user ? 'STAFF_SENDER' : 'UNKNOWN_SENDER'} (not answered: ${verdict.summary})` };
      }
    }
    if (threaded) return reply(m, row, from, subject, user, threaded);

    if (!user) return refuse(row, from, { code: 'UNKNOWN_SENDER', message: 'unknown sender' }, MAX_REFUSALS_UNKNOWN);
    if (user.role !== 'requester') return refuse(row, from, { code: 'STAFF_SENDER', message: 'staff address' }, MAX_REFUSALS_UNKNOWN);
    const auth = await principalForUser(user);
    if (!auth.ok) return refuse(row, from, { code: auth.code, message: auth.message }, MAX_REFUSALS_KNOWN);

    const text = bodyText(m.parsed);
    const hints = hintsFromBody(text);
    try {
      const { ticket } = await deps.tickets.intake(
        {
          type: hints.type,
          impact: hints.impact,
          subject: clip(subject || '(no subject)', 300),
          description: clip(text || subject || '(empty message)', 20_000),
          channel: 'email',
          productId: await onlyProductInForce(user.customerId!),
        },
        auth.principal,
        // The Message-ID is the idempotency key: the same message delivered twice is one ticket.
        { messageId: row.messageId, idempotencyKey: `mail:${createHash('sha256').update(row.messageId).digest('hex').slice(0, 40)}` },
      );
      const ticketRow = await Ticket.findByPk(ticket.id);
      await row.update({ ticketId: ticket.id });
      await keepAttachments(m.parsed, ticket.id, row.id);
      // The workflow's "received" e-mail is the answer: number and both deadlines, in this thread.
      return { outcome: 'ticket_created', ticketNumber: Number(ticketRow!.number) };
    } catch (err) {
      if (isRefusal(err)) return refuse(row, from, err, MAX_REFUSALS_KNOWN);
      throw err;
    }
  }

  /** The ticket a message answers: one of our e-mails in In-Reply-To/References, else a ticket number in the subject. */
  async function threadOf(parsed: ParsedMail, subject: string): Promise<Ticket | null> {
    const refs = [parsed.inReplyTo, ...[parsed.references ?? []].flat().slice(-MAX_REFERENCES)].filter((x): x is string => typeof x === 'string' && x.length > 0);
    if (refs.length) {
      // A reply to a report or reminder (no ticket) starts a new ticket, as a fresh message would.
      const sent = await NotificationRow.findOne({ where: { messageId: { [Op.in]: refs }, ticketId: { [Op.ne]: null } } });
      if (sent) return Ticket.findByPk(sent.ticketId!);
      const earlier = await InboundMessage.findOne({ where: { messageId: { [Op.in]: refs }, ticketId: { [Op.ne]: null } } });
      if (earlier) return Ticket.findByPk(earlier.ticketId!);
      for (const r of refs) {
        const n = ticketNumberOfOurMessageId(r);
        if (n) return Ticket.findOne({ where: { number: n } });
      }
    }
    for (const n of ticketNumbersInSubject(subject)) {
      const t = await Ticket.findOne({ where: { number: n } });
      // A number that is no ticket reads as part of a new message's subject.
      if (t) return t;
    }
    return null;
  }

  /**
   * The customer's reply on a ticket. Only someone who may see the ticket may add to it: a requester
   * it is visible to (the same visibility as the API) or the end user it names (they get its e-mails).
   */
  async function reply(m: InboundEnvelope, row: InboundMessage, from: string, subject: string, user: User | null, ticket: Ticket): Promise<Decision> {
    let allowed = ticket.endUser?.email?.toLowerCase() === from;
    if (!allowed && user?.role === 'requester') {
      const auth = await principalForUser(user);
      if (!auth.ok) return refuse(row, from, { code: auth.code, message: auth.message }, MAX_REFUSALS_KNOWN);
      allowed = await deps.tickets.findTicket(ticket.id, auth.principal).then(() => true, () => false);
    }
    if (!allowed) {
      if (!user) return refuse(row, from, { code: 'UNKNOWN_SENDER', message: 'unknown sender' }, MAX_REFUSALS_UNKNOWN);
      if (user.role !== 'requester') return refuse(row, from, { code: 'STAFF_SENDER', message: 'staff address' }, MAX_REFUSALS_UNKNOWN);
      // Never says whether the ticket exists.
      return refuse(row, from, { code: 'NOT_YOUR_TICKET', message: 'not a ticket of the sender' }, MAX_REFUSALS_KNOWN);
    }
    const number = Number(ticket.number);
    if (ticket.status === 'closed') return refuse(row, from, { code: 'TICKET_CLOSED_MAIL', message: 'ticket closed' }, MAX_REFUSALS_KNOWN, { number: String(number) });
    await row.update({ ticketId: ticket.id });
    const attachments = await keepAttachments(m.parsed, ticket.id, row.id);
    try {
      await deps.tickets.customerMessage(
        ticket,
        { via: 'email', subject: clip(subject, 300), message: clip(bodyText(m.parsed) || '(empty message)', 20_000), messageId: row.messageId, attachments },
        from,
        // The same message never lands twice, even if this call is retried after a timeout.
        `inbound:${createHash('sha256').update(row.messageId).digest('hex').slice(0, 32)}`,
      );
    } catch (err) {
      if (isKind(err, 'conflict') && (err.code === 'TICKET_CLOSED' || err.code === 'STEP_NOT_ALLOWED')) {
        return refuse(row, from, { code: 'TICKET_CLOSED_MAIL', message: err.message }, MAX_REFUSALS_KNOWN, { number: String(number) });
      }
      if (isKind(err, 'unavailable')) throw new TryLater(`ticket #${number} cannot take the message now`);
      throw err;
    }
    return { outcome: 'reply_added', ticketNumber: number };
  }

  /** A refusal, with its answer to the sender unless the address had its share of answers lately. */
  async function refuse(row: InboundMessage, to: string, why: Refusal, maxPerWindow: number, extra: Record<string, string> = {}): Promise<Decision> {
    const recent = await InboundMessage.count({
      where: { fromAddress: to, outcome: 'refused', replyMessageId: { [Op.ne]: null }, receivedAt: { [Op.gt]: new Date(Date.now() - REFUSAL_WINDOW_MS) } },
    });
    if (recent >= maxPerWindow) return { outcome: 'refused', reason: `${why.code} (not answered)` };
    const vars = { email: to, ...extra };
    // Both languages: an unknown sender's language is unknown; the program is Chilean, Spanish first.
    // Nothing the sender wrote is repeated (not even the subject): the answer carries only our words.
    const text = (['es', 'en'] as const)
      .map((lang) => `${refusalWords[lang]['mail.refusal.intro']}\n\n${refusalText(lang, why, undefined, vars)}\n\n${refusalWords[lang]['mail.refusal.outro']}`)
      .join('\n\n----\n\n');
    const answer: PreparedMail = {
      kind: 'inbound_refusal',
      ticketId: null,
      mail: {
        to,
        subject: `${refusalWords.es['mail.refusal.subject']} / ${refusalWords.en['mail.refusal.subject']}`,
        text,
        // Stable: a retried send goes out under the same Message-ID.
        messageId: `<inbound-${row.id}.refusal@${mailDomain}>`,
        inReplyTo: row.messageId,
        references: [row.messageId],
        // RFC 3834: an automatic answer says so, so the other side does not answer it in turn.
        headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
      },
    };
    return { outcome: 'refused', reason: why.code, answer };
  }

  async function keepAttachments(parsed: ParsedMail, ticketId: string, inboundMessageId: string) {
    const kept: Array<{ id: string; filename: string; size: number; kept: boolean }> = [];
    for (const a of parsed.attachments) {
      // Inline images of a signature or an HTML body are not attachments a person sent.
      if (a.related) continue;
      const filename = clip(a.filename ?? 'attachment', 255);
      if (a.size > deps.attachmentMaxBytes) {
        kept.push({ id: '', filename, size: a.size, kept: false });
        continue;
      }
      const r = await TicketAttachment.create({ ticketId, inboundMessageId, filename, contentType: a.contentType || 'application/octet-stream', size: a.size, content: a.content });
      kept.push({ id: r.id, filename, size: a.size, kept: true });
    }
    return kept;
  }

  /** An unauthenticated message that would have acted on a ticket or a quota: kept whole for a technician. */
  async function hold(m: InboundEnvelope, row: InboundMessage, from: string, threaded: Ticket | null, verdict: Awaited<ReturnType<VerifySender>>): Promise<InboundResult> {
    try {
      await deps.limits?.mailHeld(m.remoteAddress, from);
    } catch (err) {
      // Whoever forges a requester's address by the hundred fills nobody's queue; nobody is answered.
      if (isKind(err, 'rate_limited')) return { outcome: 'refused', reason: `RATE_LIMITED (not held, not answered: ${verdict.summary})` };
      throw err;
    }
    const name = m.parsed.from?.value[0]?.name;
    await HeldMail.create({
      inboundMessageId: row.id,
      raw: m.raw,
      envelope: { from: m.envelopeFrom, rcptTo: m.rcptTo, remoteAddress: m.remoteAddress, helo: m.helo ? clip(m.helo, 255) : null },
      fromAddress: from,
      fromName: name ? clip(name, 300) : null,
      subject: clip((m.parsed.subject ?? '').trim(), 1000),
      preview: clip(bodyText(m.parsed), HELD_PREVIEW_CHARS),
      ticketId: threaded?.id ?? null,
      authentication: { summary: verdict.summary, spf: verdict.spf, dkim: verdict.dkim, dmarc: verdict.dmarc, via: verdict.via },
      decidedBy: null,
      decidedByUserId: null,
      decidedAt: null,
    });
    return { outcome: 'held', reason: verdict.summary, ...(threaded ? { ticketNumber: Number(threaded.number) } : {}) };
  }

  return { handle, processAccepted };
}


/** The text a person wrote (domain/inbound-text.ts): plain text if there is one, else the HTML's text; quoted history trimmed. */
function bodyText(parsed: ParsedMail): string {
  return personalText(parsed.text, parsed.html);
}

/** Every part of a message that reaches Postgres or Temporal as text, and cannot be stored there. */
function unstorableParts(m: InboundEnvelope): string[] {
  const p = m.parsed;
  return unstorablePaths({
    subject: p.subject,
    text: p.text,
    html: typeof p.html === 'string' ? p.html : undefined,
    from: p.from?.value,
    messageId: p.messageId,
    inReplyTo: p.inReplyTo,
    references: p.references,
    attachments: p.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType })),
    // Header values reach the record's reason (an auto-responder's Auto-Submitted, say).
    header: p.headerLines.map((h) => h.line),
    envelopeFrom: m.envelopeFrom,
    helo: m.helo,
  });
}

function isDataError(err: unknown): boolean {
  const code = err instanceof DatabaseError ? (err.original as { code?: unknown } | undefined)?.code : undefined;
  return typeof code === 'string' && code.startsWith('22');
}

/** A customer with one product in force: an e-mail ticket is about it (sessions and brand meetings need one). */
async function onlyProductInForce(customerId: string): Promise<string | undefined> {
  const now = Date.now();
  const inForce = (await Product.findAll({ where: { customerId } })).filter((p) => productSupportState(p, now) === 'in_force');
  return inForce.length === 1 ? inForce[0].id : undefined;
}

export type InboundMailService = ReturnType<typeof createInboundMailService>;
