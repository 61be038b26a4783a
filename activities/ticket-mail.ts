// Ticket notifications rendered and sent once each (through the send log), for the outbox's sender
// (mail/outbox.ts): a batch's tickets, quoted texts and leads read in a query each.
import { Ticket } from '../db/models';
import type { Notification } from '../domain/notifications';
import type { Mailer } from '../mail/mailer';
import { renderNotification } from '../mail/templates';
import { leadRecipients, managerRecipients, type Mailboxes } from './recipients';
import { sendOnce } from '../mail/send-log';
import { withTexts } from '../services/ticket-texts';
import type { OutboxSender } from '../mail/outbox';

export interface TicketMailDeps {
  mailer: Mailer;
  boxes: Mailboxes;
  mailDomain: string;
  /** Builds the link to a ticket in mails, e.g. http://localhost:3000/tickets/<id> (its page). */
  ticketUrl?: (ticketId: string) => string;
}

/** What a batch of notifications needs, each read once: the tickets, the texts the events quote, the leads. */
export interface TicketMailBatch {
  tickets: Map<string, Ticket>;
  events: Map<string, Notification['event']>;
  leads: () => Promise<{ to: string; cc?: string }>;
}

export function createTicketMail(deps: TicketMailDeps): OutboxSender<Notification, TicketMailBatch> {
  return {
    async prepare(ns) {
      const [rows, events] = await Promise.all([
        Ticket.findAll({ where: { id: [...new Set(ns.map((n) => n.ticketId))] } }),
        // The event refers to what was written (a technician's answer, the customer's e-mail): the mail quotes it.
        withTexts(ns.map((n) => n.event)),
      ]);
      let leads: ReturnType<typeof leadRecipients> | undefined;
      return {
        tickets: new Map(rows.map((r) => [r.id, r])),
        events: new Map(ns.map((n, i) => [n.key, events[i]])),
        leads: () => (leads ??= leadRecipients(deps.boxes)),
      };
    },

    async send(n, _row, batch) {
      // Whether it went out already is the send log's to say (sendOnce), after the lookups: a repeat is rare.
      const row = batch.tickets.get(n.ticketId);
      if (!row) throw new Error(`ticket ${n.ticketId} for notification ${n.key} not found`);
      const event = batch.events.get(n.key);
      if (!event) throw new Error(`notification ${n.key} was not prepared with its batch`);
      const who =
        n.audience === 'requester'
          ? // The end user a ticket names (Advanced) hears what its requester hears.
            { to: row.requesterEmail, cc: row.endUser?.email }
          : n.audience === 'assignee_or_lead'
            ? row.assignee
              ? { to: row.assignee.email }
              : await batch.leads()
            : n.audience === 'lead'
              ? await batch.leads()
              : managerRecipients(deps.boxes);
      const number = Number(row.number);
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
    },
  };
}
