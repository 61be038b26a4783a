// The ticket workflow's contract: its input, its updates (technician steps) and its query.
// Shared by the workflow, the API and the tests so the names live in one place.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Impact, Plan, ResponseVia } from '../domain/plans';
import type { TicketTargets } from '../domain/sla-policy';
import type { Person, SlaView, StepKind, TicketStatus } from '../domain/ticket-lifecycle';

export const TICKET_TASK_QUEUE = 'tickets';

export const ticketWorkflowId = (number: number | string): string => `ticket-${number}`;

export interface TicketWorkflowInput {
  ticketId: string;
  number: number;
  customerId: string;
  customerName: string;
  plan: Plan;
  impact: Impact;
  subject: string;
  /** Epoch ms: deadlines count from here, not from when the workflow started. */
  receivedAt: number;
  targets: TicketTargets;
  actor: string;
  assignee?: Person | null;
}

export interface StepResult {
  status: TicketStatus;
  version: number;
  sla: SlaView;
  allowedSteps: StepKind[];
}

export interface TicketSnapshotView extends StepResult {
  number: number;
  assignee: Person | null;
  respondedVia: ResponseVia | null;
  breached: boolean;
  asOf: string;
}

/** Who performs a step; the API fills it from the caller. */
export interface Actor {
  actor: string;
}

export const assignUpdate = defineUpdate<StepResult, [Actor & { assignee: Person }]>('assign');
export const respondUpdate = defineUpdate<StepResult, [Actor & { via: ResponseVia; message: string }]>('respond');
export const waitForCustomerUpdate = defineUpdate<StepResult, [Actor & { message?: string }]>('waitForCustomer');
export const customerRepliedUpdate = defineUpdate<StepResult, [Actor & { message?: string }]>('customerReplied');
export const resolveUpdate = defineUpdate<StepResult, [Actor & { resolution: string }]>('resolve');
export const reopenUpdate = defineUpdate<StepResult, [Actor & { reason?: string }]>('reopen');
export const closeUpdate = defineUpdate<StepResult, [Actor & { reason?: string }]>('close');

export const STEP_UPDATES = {
  assign: assignUpdate,
  respond: respondUpdate,
  'wait-for-customer': waitForCustomerUpdate,
  'customer-replied': customerRepliedUpdate,
  resolve: resolveUpdate,
  reopen: reopenUpdate,
  close: closeUpdate,
} as const;

export const slaStateQuery = defineQuery<TicketSnapshotView>('slaState');

/** ApplicationFailure type for a step the ticket's state does not allow. */
export const STEP_NOT_ALLOWED = 'STEP_NOT_ALLOWED';
