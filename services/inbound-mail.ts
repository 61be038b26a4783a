// What an e-mail to support does: a new ticket from a known requester (channel e-mail, the plan's
// rules applied by the same intake as the API), the customer's reply on the ticket it names, or a
// polite refusal; machines' messages are dropped. Each message counts once (by its Message-ID).
import { createHash } from 'node:crypto';
import { Op, fn, col, where, UniqueConstraintError } from 'sequelize';
import type { Logger } from 'pino';
import type { ParsedMail } from 'mailparser';
import { InboundMessage, NotificationRow, Product, Ticket, TicketAttachment, User, type InboundOutcome } from '../db/models';
import { ApiError } from '../api/errors';
import { automatedReason } from '../mail/loop-guard';
import { TryLater, type InboundEnvelope } from '../mail/inbound';
import { DEFAULT_MAIL_DOMAIN, type Mailer } from '../mail/mailer';
import { productSupportState } from '../domain/entitlements';
import { IMPACTS, TICKET_TYPES, type Impact, type TicketType } from '../domain/plans';
import { principalForUser } from './access';
import type { TicketService } from './tickets';
import { en, es, refusalText, type Refusal } from '../web/i18n';
import { ticketWorkflowId } from '../workflows/definitions';

// The words of a refusal's frame come from the same tables as the pages.
const refusalWords = { en, es } as const;

export interface InboundMailDeps {
  tickets: TicketService;
  mailer?: Mailer;
  log: Logger;
  /** Our own address: a message from it is our own, come back. */
  supportAddress: string;
  mailDomain?: string;
  /** Attachments larger than this are not kept (the message itself still counts). */
  attachmentMaxBytes: number;
}

export interface InboundResult {
  outcome: InboundOutcome;
  reason?: string;
  ticketNumber?: number;
}

// Refusals to the same address are capped, so a misbehaving mailbox that answers every refusal
// without saying it is automatic still cannot make two systems write to each other for ever.
const REFUSAL_WINDOW_MS = 24 * 3600_000;
const MAX_REFUSALS_UNKNOWN = 1;
const MAX_REFUSALS_KNOWN = 10;

const SUBJECT_TICKET = [/\[(?:ticket|caso)\s*#\s*(\d{1,15})\]/i, /\b(?:ticket|caso)\s*#\s*(\d{1,15})\b/i];
const OUR_MESSAGE_ID = /^<ticket-(\d{1,15})\./;

/** "Impact: A" / "Impacto: B" and "Type: query" / "Tipo: consulta" lines set what an e-mail cannot otherwise say. */
export function hintsFromBody(text: string): { impact: Impact; type: TicketType } {
  const impact = /^\s*impact[oe]?\s*:\s*([abc])\b/im.exec(text)?.[1]?.toUpperCase() as Impact | undefined;
  const rawType = /^\s*(?:type|tipo)\s*:\s*([\p{L} -]+)$/imu.exec(text)?.[1]?.trim().toLowerCase();
  const TYPE_WORDS: Record<string, TicketType> = {
    problem: 'problem', problema: 'problem', query: 'query', consulta: 'query', question: 'query',
    request: 'request', 'service request': 'request', solicitud: 'request', 'solicitud de servicio': 'request',
  };
  return {
    // Moderate unless told: an e-mail cannot say more, and the technician sees it at once.
    impact: impact && (IMPACTS as readonly string[]).includes(impact) ? impact : 'B',
    type: (rawType && TYPE_WORDS[rawType]) || (TICKET_TYPES[0] as TicketType),
  };
}

export function createInboundMailService(deps: InboundMailDeps) {
  const mailDomain = deps.mailDomain ?? DEFAULT_MAIL_DOMAIN;

  async function handle(m: InboundEnvelope): Promise<InboundResult> {
    const { parsed } = m;
    const from = parsed.from?.value[0]?.address?.toLowerCase() ?? null;
    const messageId = parsed.messageId ?? `<sha256.${createHash('sha256').update(m.raw).digest('hex')}@inbound.${mailDomain}>`;
    const subject = (parsed.subject ?? '').trim();

    // Claimed first, so a redelivered or concurrently delivered copy is recognised and dropped.
    let row: InboundMessage;
    try {
      row = await InboundMessage.create({ messageId, fromAddress: from, subject: subject.slice(0, 1000), size: m.raw.length, outcome: 'processing', reason: null, ticketId: null, replyMessageId: null });
    } catch (err) {
      if (err instanceof UniqueConstraintError) return { outcome: 'ignored', reason: 'duplicate Message-ID' };
      throw new TryLater('cannot record the message now');
    }

    try {
      const result = await decide(m, row, from, subject);
      await row.update({ outcome: result.outcome, reason: result.reason ?? null });
      deps.log.info({ messageId, from, ...result, ...(result.ticketNumber ? { workflowId: ticketWorkflowId(result.ticketNumber) } : {}) }, 'inbound e-mail');
      return result;
    } catch (err) {
      // Nothing of it stays: the sending server's retry finds a clean slate.
      await TicketAttachment.destroy({ where: { inboundMessageId: row.id } }).catch(() => {});
      await row.destroy().catch(() => {});
      if (err instanceof TryLater) throw err;
      deps.log.error({ err, messageId }, 'inbound e-mail failed');
      throw new TryLater('temporary failure, try again later');
    }
  }

  async function decide(m: InboundEnvelope, row: InboundMessage, from: string | null, subject: string): Promise<InboundResult> {
    const automated = automatedReason(m.parsed.headerLines, m.envelopeFrom, from);
    if (automated) return { outcome: 'ignored', reason: automated };
    if (!from) return { outcome: 'ignored', reason: 'no sender address' };
    if (from === deps.supportAddress.toLowerCase()) return { outcome: 'ignored', reason: 'our own address' };

    const user = await User.findOne({ where: where(fn('lower', col('email')), from) });
    const threaded = await threadOf(m.parsed, subject);
    if (threaded) return reply(m, row, from, subject, user, threaded);

    if (!user) return refuse(row, from, subject, { code: 'UNKNOWN_SENDER', message: 'unknown sender' }, MAX_REFUSALS_UNKNOWN);
    if (user.role !== 'requester') return refuse(row, from, subject, { code: 'STAFF_SENDER', message: 'staff address' }, MAX_REFUSALS_UNKNOWN);
    const auth = await principalForUser(user);
    if (!auth.ok) return refuse(row, from, subject, { code: auth.code, message: auth.message }, MAX_REFUSALS_KNOWN);

    const text = bodyText(m.parsed);
    const hints = hintsFromBody(text);
    try {
      const { ticket } = await deps.tickets.intake(
        {
          type: hints.type,
          impact: hints.impact,
          subject: (subject || '(no subject)').slice(0, 300),
          description: (text || subject || '(empty message)').slice(0, 20_000),
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
      if (err instanceof ApiError && err.status < 500) return refuse(row, from, subject, err, MAX_REFUSALS_KNOWN);
      throw err;
    }
  }

  /** The ticket a message answers: one of our e-mails in In-Reply-To/References, else a ticket number in the subject. */
  async function threadOf(parsed: ParsedMail, subject: string): Promise<Ticket | null> {
    const refs = [parsed.inReplyTo, ...[parsed.references ?? []].flat()].filter((x): x is string => typeof x === 'string' && x.length > 0);
    if (refs.length) {
      // A reply to a report or reminder (no ticket) starts a new ticket, as a fresh message would.
      const sent = await NotificationRow.findOne({ where: { messageId: { [Op.in]: refs }, ticketId: { [Op.ne]: null } } });
      if (sent) return Ticket.findByPk(sent.ticketId!);
      const earlier = await InboundMessage.findOne({ where: { messageId: { [Op.in]: refs }, ticketId: { [Op.ne]: null } } });
      if (earlier) return Ticket.findByPk(earlier.ticketId!);
      for (const r of refs) {
        const n = OUR_MESSAGE_ID.exec(r)?.[1];
        if (n) return Ticket.findOne({ where: { number: n } });
      }
    }
    for (const re of SUBJECT_TICKET) {
      const n = re.exec(subject)?.[1];
      if (n) {
        const t = await Ticket.findOne({ where: { number: n } });
        // A number that is no ticket reads as part of a new message's subject.
        if (t) return t;
      }
    }
    return null;
  }

  /**
   * The customer's reply on a ticket. Only someone who may see the ticket may add to it: a requester
   * it is visible to (the same visibility as the API) or the end user it names (they get its e-mails).
   */
  async function reply(m: InboundEnvelope, row: InboundMessage, from: string, subject: string, user: User | null, ticket: Ticket): Promise<InboundResult> {
    let allowed = ticket.endUser?.email?.toLowerCase() === from;
    if (!allowed && user?.role === 'requester') {
      const auth = await principalForUser(user);
      if (!auth.ok) return refuse(row, from, subject, { code: auth.code, message: auth.message }, MAX_REFUSALS_KNOWN);
      allowed = await deps.tickets.findTicket(ticket.id, auth.principal).then(() => true, () => false);
    }
    if (!allowed) {
      if (!user) return refuse(row, from, subject, { code: 'UNKNOWN_SENDER', message: 'unknown sender' }, MAX_REFUSALS_UNKNOWN);
      if (user.role !== 'requester') return refuse(row, from, subject, { code: 'STAFF_SENDER', message: 'staff address' }, MAX_REFUSALS_UNKNOWN);
      // Never says whether the ticket exists.
      return refuse(row, from, subject, { code: 'NOT_YOUR_TICKET', message: 'not a ticket of the sender' }, MAX_REFUSALS_KNOWN);
    }
    const number = Number(ticket.number);
    if (ticket.status === 'closed') return refuse(row, from, subject, { code: 'TICKET_CLOSED_MAIL', message: 'ticket closed' }, MAX_REFUSALS_KNOWN, { number: String(number) });
    await row.update({ ticketId: ticket.id });
    const attachments = await keepAttachments(m.parsed, ticket.id, row.id);
    try {
      await deps.tickets.customerMessage(
        ticket,
        { via: 'email', subject, message: (bodyText(m.parsed) || '(empty message)').slice(0, 20_000), messageId: row.messageId, attachments },
        from,
        // The same message never lands twice, even if this call is retried after a timeout.
        `inbound:${createHash('sha256').update(row.messageId).digest('hex').slice(0, 32)}`,
      );
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'TICKET_CLOSED' || err.code === 'STEP_NOT_ALLOWED')) {
        return refuse(row, from, subject, { code: 'TICKET_CLOSED_MAIL', message: err.message }, MAX_REFUSALS_KNOWN, { number: String(number) });
      }
      if (err instanceof ApiError && err.status === 503) throw new TryLater(`ticket #${number} cannot take the message now`);
      throw err;
    }
    return { outcome: 'reply_added', ticketNumber: number };
  }

  async function refuse(row: InboundMessage, to: string, subject: string, why: Refusal, maxPerWindow: number, extra: Record<string, string> = {}): Promise<InboundResult> {
    const recent = await InboundMessage.count({
      where: { fromAddress: to, outcome: 'refused', replyMessageId: { [Op.ne]: null }, receivedAt: { [Op.gt]: new Date(Date.now() - REFUSAL_WINDOW_MS) } },
    });
    if (recent >= maxPerWindow || !deps.mailer) return { outcome: 'refused', reason: `${why.code} (not answered)` };
    const vars = { email: to, ...extra };
    const shown = subject || '(no subject)';
    // Both languages: an unknown sender's language is unknown; the program is Chilean, Spanish first.
    const text = (['es', 'en'] as const)
      .map((lang) => {
        const t = (k: 'mail.refusal.intro' | 'mail.refusal.outro') => refusalWords[lang][k].replace('{subject}', shown);
        return `${t('mail.refusal.intro')}\n\n${refusalText(lang, why, undefined, vars)}\n\n${t('mail.refusal.outro')}`;
      })
      .join('\n\n----\n\n');
    const replyId = `<inbound-${row.id}.refusal@${mailDomain}>`;
    try {
      await deps.mailer.send({
        kind: 'inbound_refusal',
        to,
        subject: `${refusalWords.es['mail.refusal.subject'].replace('{subject}', shown)} / ${refusalWords.en['mail.refusal.subject'].replace('{subject}', shown)}`.slice(0, 400),
        text,
        messageId: replyId,
        inReplyTo: row.messageId,
        references: [row.messageId],
        // RFC 3834: an automatic answer says so, so the other side does not answer it in turn.
        headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
      });
      await row.update({ replyMessageId: replyId });
    } catch (err) {
      deps.log.warn({ err, to }, 'could not send the refusal');
    }
    return { outcome: 'refused', reason: why.code };
  }

  async function keepAttachments(parsed: ParsedMail, ticketId: string, inboundMessageId: string) {
    const kept: Array<{ id: string; filename: string; size: number; kept: boolean }> = [];
    for (const a of parsed.attachments) {
      // Inline images of a signature or an HTML body are not attachments a person sent.
      if (a.related) continue;
      const filename = (a.filename ?? 'attachment').slice(0, 255);
      if (a.size > deps.attachmentMaxBytes) {
        kept.push({ id: '', filename, size: a.size, kept: false });
        continue;
      }
      const r = await TicketAttachment.create({ ticketId, inboundMessageId, filename, contentType: a.contentType || 'application/octet-stream', size: a.size, content: a.content });
      kept.push({ id: r.id, filename, size: a.size, kept: true });
    }
    return kept;
  }

  return { handle };
}


/** The text a person wrote: plain text if there is one, else the HTML's text; quoted history trimmed. */
function bodyText(parsed: ParsedMail): string {
  const text = (parsed.text ?? (typeof parsed.html === 'string' ? parsed.html.replace(/<[^>]+>/g, ' ') : '')).replace(/\r\n/g, '\n');
  const lines = text.split('\n');
  const cut = lines.findIndex((l) => /^On .+wrote:\s*$/.test(l) || /^El .+escribió:\s*$/.test(l) || /^-{2,}\s*Original Message\s*-{2,}/i.test(l));
  return (cut >= 0 ? lines.slice(0, cut) : lines).filter((l) => !l.startsWith('>')).join('\n').trim();
}

/** A customer with one product in force: an e-mail ticket is about it (sessions and brand meetings need one). */
async function onlyProductInForce(customerId: string): Promise<string | undefined> {
  const now = Date.now();
  const inForce = (await Product.findAll({ where: { customerId } })).filter((p) => productSupportState(p, now) === 'in_force');
  return inForce.length === 1 ? inForce[0].id : undefined;
}

export type InboundMailService = ReturnType<typeof createInboundMailService>;
