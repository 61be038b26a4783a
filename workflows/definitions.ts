// The ticket workflow's contract: its input, its updates (technician steps) and its query.
// Shared by the workflow, the API and the tests so the names live in one place.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { Channel, Impact, Plan, ResponseVia, TicketType } from '../domain/plans';
import type { SessionTimingsMs, TicketTargets } from '../domain/sla-policy';
import type { SessionAction, SessionEvent, SessionKind, SessionOutcome, SessionParty, SessionStatus, SessionSummary } from '../domain/sessions';
import type { CustomerMessage, Person, SlaView, StepKind, TicketState, TicketStatus } from '../domain/ticket-lifecycle';
import type { CarriedRun } from './run-boundary';
import type { TextRef } from '../domain/ticket-texts';

export const TICKET_TASK_QUEUE = 'tickets';

export const ticketWorkflowId = (number: number | string): string => `ticket-${number}`;

export interface TicketWorkflowInput {
  ticketId: string;
  number: number;
  customerId: string;
  customerName: string;
  channel: Channel;
  type: TicketType;
  plan: Plan;
  impact: Impact;
  subject: string;
  /** Epoch ms: deadlines count from here, not from when the workflow started. */
  receivedAt: number;
  targets: TicketTargets;
  actor: string;
  assignee: Person | null;
  /** For sessions the ticket starts by itself (a brand meeting on breach). */
  requester: SessionParty;
  endUser: SessionParty | null;
  product: { brand: string; technology: string } | null;
  sessionTimings: SessionTimingsMs;
  /** Continue as new past this many history events (the server's own suggestion counts too); unset: only when suggested. */
  historyLimit?: number;
  /** Set by the run before (continue-as-new): the ticket as decided so far. */
  carried?: CarriedTicket;
}

/** What a ticket's run hands to the next: everything it decided (clocks, levels, sessions, assignee, version). */
export interface CarriedTicket extends CarriedRun {
  state: TicketState;
}

export interface StepResult {
  status: TicketStatus;
  version: number;
  sla: SlaView;
  allowedSteps: StepKind[];
}

export interface TicketSnapshotView extends StepResult {
  number: number;
  complex: boolean;
  sessions: SessionSummary[];
  assignee: Person | null;
  respondedVia: ResponseVia | null;
  breached: boolean;
  /** Set while the ticket's record cannot be written (see retryRecordUpdate). */
  recordStuck: RecordStuckView | null;
  asOf: string;
}

/** A ticket whose record failed for good: since when, why, and how many records wait to be written. */
export interface RecordStuckView {
  since: string;
  type: string;
  reason: string;
  records: number;
}

/** Who performs a step; the API fills it from the caller. */
export interface Actor {
  actor: string;
}

export const assignUpdate = defineUpdate<StepResult, [Actor & { assignee: Person }]>('assign');
// Long texts arrive as references to what the API stored (domain/ticket-texts.ts), never as text.
export const respondUpdate = defineUpdate<StepResult, [Actor & { via: ResponseVia; message: TextRef }]>('respond');
export const replyUpdate = defineUpdate<StepResult, [Actor & { via: ResponseVia; message: TextRef }]>('reply');
export const waitForCustomerUpdate = defineUpdate<StepResult, [Actor & { message?: TextRef }]>('waitForCustomer');
export const customerRepliedUpdate = defineUpdate<StepResult, [Actor & { message?: TextRef }]>('customerReplied');
export const resolveUpdate = defineUpdate<StepResult, [Actor & { resolution: TextRef }]>('resolve');
export const reopenUpdate = defineUpdate<StepResult, [Actor & { reason?: string }]>('reopen');
export const closeUpdate = defineUpdate<StepResult, [Actor & { reason?: string }]>('close');

export const STEP_UPDATES = {
  assign: assignUpdate,
  respond: respondUpdate,
  reply: replyUpdate,
  'wait-for-customer': waitForCustomerUpdate,
  'customer-replied': customerRepliedUpdate,
  resolve: resolveUpdate,
  reopen: reopenUpdate,
  close: closeUpdate,
} as const;

// ---- Ops: technician steps sent from the Temporal UI or CLI -------------------------------------

/**
 * One name per step, as a Signal (the UI's "Send a Signal": no answer, a refusal is recorded as a
 * `step_refused` event) and as an Update of the same name (an answer, or the refusal as an error).
 * The payload is the API's request body plus `actor`, the staff member's e-mail.
 */
export const OPS_STEP_NAMES: Record<StepKind, string> = {
  assign: 'ops.assign',
  respond: 'ops.respond',
  reply: 'ops.reply',
  'wait-for-customer': 'ops.wait-for-customer',
  'customer-replied': 'ops.customer-replied',
  resolve: 'ops.resolve',
  reopen: 'ops.reopen',
  close: 'ops.close',
};

/** Loose on purpose: the workflow checks the payload with the API's own schemas (domain/step-bodies). */
export type OpsStepPayload = Record<string, unknown>;

export const OPS_STEP_SIGNALS = Object.fromEntries(
  Object.entries(OPS_STEP_NAMES).map(([kind, name]) => [kind, defineSignal<[OpsStepPayload]>(name)]),
) as Record<StepKind, SignalDefinition<[OpsStepPayload]>>;

export const OPS_STEP_UPDATES = Object.fromEntries(
  Object.entries(OPS_STEP_NAMES).map(([kind, name]) => [kind, defineUpdate<StepResult, [OpsStepPayload]>(name)]),
) as Record<StepKind, UpdateDefinition<StepResult, [OpsStepPayload]>>;

// ---- A stuck record: written again once the fault is fixed ----------------------------------------

/** What a retry of the record did: how many waiting records it wrote (0: nothing was owed). */
export interface RetryRecordResult extends StepResult {
  written: number;
}

/** The API's retry (a lead's button in the console): the caller was authenticated there. */
export const retryRecordUpdate = defineUpdate<RetryRecordResult, [Actor]>('retryRecord');

/** The same from the Temporal UI or CLI, as a Signal or an Update; the payload names the lead: {"actor": "<e-mail>"}. */
export const OPS_RETRY_RECORD = 'ops.retry-record';
export const opsRetryRecordSignal = defineSignal<[OpsStepPayload]>(OPS_RETRY_RECORD);
export const opsRetryRecordUpdate = defineUpdate<RetryRecordResult, [OpsStepPayload]>(OPS_RETRY_RECORD);

/** The customer wrote to the ticket (inbound e-mail); not a technician step, so not in STEP_UPDATES. */
export const customerMessageUpdate = defineUpdate<StepResult, [Actor & CustomerMessage]>('customerMessage');

export const slaStateQuery = defineQuery<TicketSnapshotView>('slaState');

/** What a technician asks for; the API fills in the ticket's people and the policy's timings. */
export interface SessionRequestArgs extends Actor {
  kind: SessionKind;
  /** Brand meetings: why the incident is highly complex. */
  reason?: string | null;
  technology?: string | null;
  brand?: string | null;
  /** Remote sessions: the technician who holds it. */
  host?: SessionParty | null;
  preferredStartsAt?: number | null;
  agenda?: string | null;
  requester: SessionParty;
  endUser?: SessionParty | null;
  timings: SessionTimingsMs;
}

export interface SessionRequestResult extends StepResult {
  sessionId: string;
}

export const requestSessionUpdate = defineUpdate<SessionRequestResult, [SessionRequestArgs]>('requestSession');
/** A session workflow tells its ticket what happened; the ticket records it in its history. */
export const sessionEventSignal = defineSignal<[SessionEvent]>('sessionEvent');

// ---- The session workflows (specialist session, remote session, brand-engineer meeting) ----------

export const SESSION_WORKFLOW_TYPES: Record<SessionKind, string> = {
  specialist: 'specialistSessionWorkflow',
  remote: 'remoteSessionWorkflow',
  brand: 'brandMeetingWorkflow',
};

export interface SessionWorkflowInput extends Omit<SessionRequestArgs, 'actor'> {
  sessionId: string;
  ticketWorkflowId: string;
  ticketId: string;
  number: number;
  customerId: string;
  subject: string;
  plan: Plan;
  impact: Impact;
  requestedBy: string;
  assignee: SessionParty | null;
  /** As the ticket's: continue as new past this many history events. */
  historyLimit?: number;
  /** Set by the run before (continue-as-new): a session that waits for someone to serve it. */
  carried?: CarriedSession;
}

/** A waiting session's progress, handed to its next run (see workflows/session.ts). */
export interface CarriedSession extends CarriedRun {
  attempt: number;
  /** Specialists who declined or let a proposal lapse: asked last. */
  excluded: string[];
  preferredStartsAt: number | null;
  keepHost: boolean;
  host: SessionParty | null;
  failures: number;
  mailSeq: number;
  /** The lead was told nobody can serve it (once per wait). */
  told: boolean;
}

export interface SessionView {
  sessionId: string;
  kind: SessionKind;
  status: SessionStatus;
  attempt: number;
  startsAt: string | null;
  endsAt: string | null;
  host: SessionParty | null;
  attendees: SessionParty[];
  notes: string | null;
  allowedActions: readonly SessionAction[];
}


export const confirmSessionUpdate = defineUpdate<SessionView, [Actor]>('confirm');
export const declineSessionUpdate = defineUpdate<SessionView, [Actor & { reason?: string }]>('decline');
export const sessionOutcomeUpdate = defineUpdate<SessionView, [Actor & { outcome: SessionOutcome; notes?: string; startsAt?: number | null }]>('outcome');
/** Someone who can serve a waiting request was added (a specialist of the technology, a brand engineer). */
export const participantsAvailableSignal = defineSignal('participantsAvailable');
export const sessionStateQuery = defineQuery<SessionView>('sessionState');

/** ApplicationFailure type for a request the ticket's plan does not include. */
export const NOT_IN_PLAN = 'NOT_IN_PLAN';

/** ApplicationFailure type for a payload the step's schema refuses (an ops update). */
export const VALIDATION_FAILED = 'VALIDATION_FAILED';

/** ApplicationFailure type for an assignee who is not an enabled technician or lead (an ops update). */
export const UNKNOWN_TECHNICIAN = 'UNKNOWN_TECHNICIAN';

/** ApplicationFailure type for an ops actor who is not an enabled member of staff allowed to do it (an ops update). */
export const UNKNOWN_ACTOR = 'UNKNOWN_ACTOR';

/** ApplicationFailure type for an ops step refused because the directory could not be read (its retries ran out). */
export const DIRECTORY_UNAVAILABLE = 'DIRECTORY_UNAVAILABLE';

/** ApplicationFailure type for a retry of a stuck record that failed again: the ticket stays stuck. */
export const RECORD_STILL_FAILING = 'RECORD_STILL_FAILING';

/** ApplicationFailure type for a step the ticket's state does not allow. */
export const STEP_NOT_ALLOWED = 'STEP_NOT_ALLOWED';
