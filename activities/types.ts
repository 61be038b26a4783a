// Shapes the workflow hands to activities. Kept apart from the implementations so the workflow
// imports only types, never the database or mail code.
import type { ClockState } from '../domain/sla-clock';
import type { Person, TicketEvent, TicketStatus } from '../domain/ticket-lifecycle';
import type { ResponseVia } from '../domain/plans';

export interface TicketSnapshot {
  version: number;
  status: TicketStatus;
  assignee: Person | null;
  respondedVia: ResponseVia | null;
  response: ClockState;
  resolution: ClockState;
  breached: boolean;
  resolvedAt: number | null;
  closedAt: number | null;
}

export interface RecordInput {
  ticketId: string;
  events: TicketEvent[];
  snapshot: TicketSnapshot;
}
