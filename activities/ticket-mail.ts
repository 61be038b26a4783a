// One ticket notification rendered and sent once (through the send log), for the outbox's sender
// (mail/outbox.ts).
import { Ticket } from '../db/models';
import type { Notification } from '../domain/notifications';
import type { Mailer } from '../mail/mailer';
import { renderNotification } from '../mail/templates';
import { leadRecipients, managerRecipients, type Mailboxes } from './recipients';
import { sendOnce } from '../mail/send-log';
import { withTexts } from '../services/ticket-texts';

export interface TicketMailDeps {
  mailer: Mailer;
  boxes: Mailboxes;
  mailDomain: string;
  /** Builds the link to a ticket in mails, e.g. http://localhost:3000/tickets/<id> (its page). */
  ticketUrl?: (ticketId: string) => string;
}

export type TicketMailResult = { sent: boolean; to?: string; number?: number };

export function createTicketMail(deps: TicketMailDeps) {
  return async function sendTicketMail(n: Notification): Promise<TicketMailResult> {
    // Whether it went out already is the send log's to say (sendOnce), after the lookups: a repeat is rare.
    const row = await Ticket.findByPk(n.ticketId);
    if (!row) throw new Error(`ticket ${n.ticketId} for notification ${n.key} not found`);
    const who =
      n.audience === 'requester'
        ? // The end user a ticket names (Advanced) hears what its requester hears.
          { to: row.requesterEmail, cc: row.endUser?.email }
        : n.audience === 'assignee_or_lead'
          ? row.assignee
            ? { to: row.assignee.email }
            : await leadRecipients(deps.boxes)
          : n.audience === 'lead'
            ? await leadRecipients(deps.boxes)
            : managerRecipients(deps.boxes);
    const number = Number(row.number);
    // The event refers to what was written (a technician's answer, the customer's e-mail): the mail quotes it.
    const [event] = await withTexts([n.event]);
    const mail = renderNotification(
      n.kind,
      {
        number,
        subject: row.subject,
        plan: row.plan,
        impact: row.impact,
        requesterName: row.requesterName,
        responseDueAt: row.responseDueAt,
        resolutionDueAt: row.resolutionDueAt,
        assignee: row.assignee?.email ?? null,
        ticketUrl: deps.ticketUrl?.(row.id),
      },
      event,
    );
    // A stable Message-ID lets replies thread back to the ticket.
    const messageId = `<ticket-${number}.${n.event.seq}.${n.kind}@${deps.mailDomain}>`;
    const result = await sendOnce(deps.mailer, {
      key: n.key,
      ticketId: row.id,
      kind: n.kind,
      ...who,
      subject: mail.subject,
      text: mail.text,
      messageId,
      // A ticket written by e-mail gets its answers in the customer's own thread.
      ...(row.sourceMessageId ? { inReplyTo: row.sourceMessageId, references: [row.sourceMessageId] } : {}),
      headers: { 'X-Ticket-Number': String(number) },
    });
    return { ...result, number };
  };
}
