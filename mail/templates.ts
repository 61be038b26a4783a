// The words of every e-mail the engine sends. Pure: (kind, ticket facts, event) -> message.
import { IMPACT_LABELS, type Impact, type Plan } from '../domain/plans';
import type { EventType, TicketEvent } from '../domain/ticket-lifecycle';

export interface TicketFacts {
  number: number;
  subject: string;
  plan: Plan;
  impact: Impact;
  requesterName: string | null;
  responseDueAt: Date | null;
  resolutionDueAt: Date | null;
  assignee?: string | null;
  ticketUrl?: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
}

const when = (ms: unknown): string => (typeof ms === 'number' ? new Date(ms).toISOString() : 'n/a');
const tag = (t: TicketFacts) => `[Ticket #${t.number}]`;
const clockName = (c: unknown) => (c === 'response' ? 'first response' : c === 'nextReply' ? 'next reply' : 'resolution');

export function renderNotification(kind: EventType, t: TicketFacts, e: TicketEvent): RenderedMail {
  const hello = `Hello${t.requesterName ? ` ${t.requesterName}` : ''},`;
  const footer = `\n\n--\nLast Call Support · ticket #${t.number} · ${t.plan} plan, impact ${t.impact} (${IMPACT_LABELS[t.impact]})${t.ticketUrl ? `\n${t.ticketUrl}` : ''}`;
  switch (kind) {
    case 'received':
      return {
        subject: `${tag(t)} Received: ${t.subject}`,
        text:
          `${hello}\n\nWe received your ticket #${t.number} "${t.subject}".\n\n` +
          `First response due by: ${when(e.data.responseDueAt)}\n` +
          `Resolution due by:     ${when(e.data.resolutionDueAt)}\n\n` +
          `Reply to this e-mail to add information; keep the ticket number in the subject.` +
          footer,
      };
    case 'responded':
    case 'replied':
      return {
        subject: `${tag(t)} ${kind === 'replied' ? 'Reply' : 'Response'}: ${t.subject}`,
        text: `${hello}\n\nA technician answered your ticket #${t.number} (via ${String(e.data.via)}):\n\n${String(e.data.message ?? '')}` + footer,
      };
    case 'resolved':
      return {
        subject: `${tag(t)} Resolved: ${t.subject}`,
        text:
          `${hello}\n\nYour ticket #${t.number} was resolved:\n\n${String(e.data.resolution ?? '')}\n\n` +
          `If the problem is not fixed, reply to this e-mail and we will reopen it.` +
          footer,
      };
    case 'customer_reminded':
      return {
        subject: `${tag(t)} Waiting for your reply: ${t.subject}`,
        text:
          `${hello}\n\nWe are waiting for your reply on ticket #${t.number} "${t.subject}" to go on working on it ` +
          `(waiting since ${when(e.data.waitingSince)}).\n\nReply to this e-mail; keep the ticket number in the subject.` +
          footer,
      };
    case 'customer_message':
      return {
        subject: `${tag(t)} Customer wrote: ${t.subject}`,
        text:
          `${t.requesterName ?? 'The customer'} wrote to ticket #${t.number} "${t.subject}"` +
          `${e.data.status === 'waiting_on_customer' ? ' (it was waiting on the customer: the resolution clock runs again)' : ''}:\n\n` +
          `${String(e.data.message ?? '')}` +
          footer,
      };
    case 'sla_warning':
      return {
        subject: `${tag(t)} SLA warning: ${clockName(e.data.clock)} due ${when(e.data.dueAt)}`,
        text:
          `Ticket #${t.number} "${t.subject}" has used ${Math.round(Number(e.data.threshold) * 100)} % of its ${clockName(e.data.clock)} target.\n\n` +
          `Due: ${when(e.data.dueAt)}. Act now to keep the promise.` +
          footer,
      };
    case 'sla_breached':
      return {
        subject: `${tag(t)} SLA BREACHED: ${clockName(e.data.clock)} target missed`,
        text:
          `Ticket #${t.number} "${t.subject}" missed its ${clockName(e.data.clock)} target.\n\n` +
          `It was due at ${when(e.data.dueAt)}. The ticket is marked breached for this target.` +
          footer,
      };
    case 'sla_escalated':
      return {
        subject: `${tag(t)} SLA ESCALATION: ${clockName(e.data.clock)} overdue by ${Math.round((Number(e.data.fraction) - 1) * 100)} % of its target`,
        text:
          `Ticket #${t.number} "${t.subject}" missed its ${clockName(e.data.clock)} target at ${when(e.data.dueAt)} and is still not ` +
          `${e.data.clock === 'response' ? 'answered' : 'resolved'}: it has now run ${Math.round(Number(e.data.fraction) * 100)} % of the target.\n\n` +
          `Assigned to: ${t.assignee ?? 'nobody'}. This is escalation level ${Number(e.data.level) + 1} of the policy's chain.` +
          footer,
      };
    case 'record_stuck':
      return {
        subject: `${tag(t)} RECORD STUCK: what happens to the ticket is not being written`,
        text:
          `Ticket #${t.number} "${t.subject}" could not write its record to the database, and retrying did not help ` +
          `(${String(e.data.type)}: ${String(e.data.reason ?? '')}).\n\n` +
          `The ticket goes on: its clocks and steps keep running in its workflow, which holds ${Number(e.data.records)} record(s) ` +
          `waiting, in order. The console and the API show the ticket as it was last written until then.\n\n` +
          `Fix the cause, then retry the record: the button on the ticket's console page, or the ops.retry-record ` +
          `Update or Signal (payload {"actor": "<your e-mail>"}) from the Temporal UI.` +
          footer,
      };
    default:
      return { subject: `${tag(t)} ${kind}`, text: `Ticket #${t.number}: ${kind}` + footer };
  }
}
