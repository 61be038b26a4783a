// Which e-mail each ticket event sends, and to whom. Pure, so the rule lives in one place and the
// workflow only has to hand the result to the notify activity.
import type { EventType, TicketEvent } from './ticket-lifecycle';

export type Audience = 'requester' | 'assignee_or_lead' | 'lead';

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
  resolved: 'requester',
  sla_warning: 'assignee_or_lead',
  sla_breached: 'lead',
};

export function notificationsFor(ticketId: string, events: TicketEvent[]): Notification[] {
  return events.flatMap((event) => {
    const audience = AUDIENCE[event.type];
    return audience ? [{ key: `${ticketId}:${event.seq}:${event.type}`, ticketId, kind: event.type, audience, event }] : [];
  });
}
