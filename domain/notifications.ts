// Which e-mail each ticket event sends, and to whom. Pure, so the rule lives in one place and the
// workflow only has to hand the result to its record (queued in the mail outbox with the events).
import { ESCALATION_AUDIENCES, type EscalationAudience } from './escalation';
import type { EventType, TicketEvent } from './ticket-lifecycle';

export type Audience = 'requester' | EscalationAudience;

export interface Notification {
  /** Stable per ticket and event: the send log uses it so a retry never sends twice. */
  key: string;
  ticketId: string;
  kind: EventType;
  audience: Audience;
  event: TicketEvent;
}

const AUDIENCE: Partial<Record<EventType, Audience>> = {
  received: 'requester',
  responded: 'requester',
  replied: 'requester',
  resolved: 'requester',
  customer_reminded: 'requester',
  // The customer wrote: whoever works the ticket hears of it (the lead while nobody does).
  customer_message: 'assignee_or_lead',
  // Defaults for events recorded before the escalation chain named its audience on each level.
  sla_warning: 'assignee_or_lead',
  sla_breached: 'lead',
  sla_escalated: 'manager',
};

/** A level of the escalation chain names its own audience; everything else follows the table. */
function audienceOf(event: TicketEvent): Audience | undefined {
  const named = event.data.notify as EscalationAudience | undefined;
  if (named && ESCALATION_AUDIENCES.includes(named) && event.type.startsWith('sla_')) return named;
  return AUDIENCE[event.type];
}

export function notificationsFor(ticketId: string, events: TicketEvent[]): Notification[] {
  return events.flatMap((event) => {
    const audience = audienceOf(event);
    return audience ? [{ key: `${ticketId}:${event.seq}:${event.type}`, ticketId, kind: event.type, audience, event }] : [];
  });
}

/**
 * The support lead hears that a ticket's record is stuck (its `record_stuck` event): sent at once
 * through the mail outbox by the activity that marks it, not with the record, which is what fails.
 */
export function stuckRecordNotice(ticketId: string, event: TicketEvent): Notification {
  return { key: `${ticketId}:${event.seq}:${event.type}`, ticketId, kind: event.type, audience: 'lead', event };
}
