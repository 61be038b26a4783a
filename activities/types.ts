// Shapes the workflow hands to activities. Kept apart from the implementations so the workflow
// imports only types, never the database or mail code.
import type { ClockState } from '../domain/sla-clock';
import type { Person, TicketEvent, TicketStatus } from '../domain/ticket-lifecycle';
import type { ResponseVia } from '../domain/plans';
import type { Notification } from '../domain/notifications';

export interface TicketSnapshot {
  version: number;
  status: TicketStatus;
  assignee: Person | null;
  respondedVia: ResponseVia | null;
  response: ClockState;
  resolution: ClockState;
  /** The next-reply clock, once a cycle started (absent on tickets without one). */
  nextReply?: ClockState;
  breached: boolean;
  resolvedAt: number | null;
  closedAt: number | null;
}

export interface RecordInput {
  ticketId: string;
  events: TicketEvent[];
  snapshot: TicketSnapshot;
  /** The e-mails these events call for, queued in the mail outbox with them. */
  notifications: Notification[];
  /**
   * The workflow task that decided these events (its history length). A record from a later task
   * replaces what an abandoned attempt of an earlier one wrote (migration 009).
   */
  decidedIn: number;
}
