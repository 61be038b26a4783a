// The ticket's state machine: which technician step is allowed in which state, what it does to the
// two SLA clocks, and which SLA alarms (warning, breach) are due. Pure and deterministic, so the
// workflow runs it inside the Temporal sandbox and the unit tests run it in milliseconds.
import * as clock from './sla-clock';
import type { ClockState, ClockView } from './sla-clock';
import type { Impact, Plan, ResponseVia } from './plans';
import type { TicketTargets } from './sla-policy';

export const TICKET_STATUSES = ['open', 'in_progress', 'waiting_on_customer', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export type ClockName = 'response' | 'resolution';

export interface Person {
  name?: string;
  email: string;
}

export type Step =
  | { kind: 'assign'; assignee: Person }
  | { kind: 'respond'; via: ResponseVia; message: string }
  | { kind: 'wait-for-customer'; message?: string }
  | { kind: 'customer-replied'; message?: string }
  | { kind: 'resolve'; resolution: string }
  | { kind: 'reopen'; reason?: string }
  | { kind: 'close'; reason?: string };

export type StepKind = Step['kind'];
export const STEP_KINDS: StepKind[] = ['assign', 'respond', 'wait-for-customer', 'customer-replied', 'resolve', 'reopen', 'close'];

export type EventType =
  | 'received'
  | 'assigned'
  | 'responded'
  | 'waiting_on_customer'
  | 'customer_replied'
  | 'resolved'
  | 'reopened'
  | 'closed'
  | 'sla_warning'
  | 'sla_breached'
  | 'sla_met';

export interface TicketEvent {
  /** Position in the ticket's history; makes recording idempotent across activity retries. */
  seq: number;
  type: EventType;
  at: number;
  actor: string;
  data: Record<string, unknown>;
}

export interface TicketState {
  ticketId: string;
  number: number;
  plan: Plan;
  impact: Impact;
  status: TicketStatus;
  assignee: Person | null;
  respondedVia: ResponseVia | null;
  response: ClockState;
  resolution: ClockState;
  autoCloseAfterMs: number;
  resolvedAt: number | null;
  closedAt: number | null;
  /** Bumped on every change; snapshots carry it so an older write never overwrites a newer one. */
  version: number;
  nextSeq: number;
}

export class StepNotAllowed extends Error {
  constructor(
    readonly step: StepKind,
    readonly status: TicketStatus,
    message: string,
  ) {
    super(message);
    this.name = 'StepNotAllowed';
  }
}

export interface OpenTicketInput {
  ticketId: string;
  number: number;
  plan: Plan;
  impact: Impact;
  receivedAt: number;
  targets: TicketTargets;
  assignee?: Person | null;
}

export function openTicket(input: OpenTicketInput): TicketState {
  const { targets, receivedAt } = input;
  return {
    ticketId: input.ticketId,
    number: input.number,
    plan: input.plan,
    impact: input.impact,
    status: 'open',
    assignee: input.assignee ?? null,
    respondedVia: null,
    response: clock.startClock(targets.responseMs, targets.warningThreshold, receivedAt),
    resolution: clock.startClock(targets.resolutionMs, targets.warningThreshold, receivedAt),
    autoCloseAfterMs: targets.autoCloseAfterMs,
    resolvedAt: null,
    closedAt: null,
    version: 0,
    nextSeq: 1,
  };
}

const ALLOWED_FROM: Record<StepKind, readonly TicketStatus[]> = {
  assign: ['open', 'in_progress', 'waiting_on_customer', 'resolved'],
  respond: ['open'],
  'wait-for-customer': ['in_progress'],
  'customer-replied': ['waiting_on_customer'],
  resolve: ['open', 'in_progress', 'waiting_on_customer'],
  reopen: ['resolved'],
  close: ['resolved'],
};

const WHY_NOT: Partial<Record<StepKind, string>> = {
  respond: 'the first response was already given',
  'wait-for-customer': 'only a ticket that has had its first response and is being worked can wait on the customer',
  'customer-replied': 'the ticket is not waiting on the customer',
  resolve: 'only an open ticket can be resolved',
  reopen: 'only a resolved ticket can be reopened',
  close: 'only a resolved ticket can be closed; resolve it first',
};

/** Throws StepNotAllowed when the step makes no sense in the ticket's current state. */
export function checkStep(state: TicketState, step: Step): void {
  if (state.status === 'closed') {
    throw new StepNotAllowed(step.kind, state.status, `ticket #${state.number} is closed; no step can change it`);
  }
  if (!ALLOWED_FROM[step.kind].includes(state.status)) {
    const why = WHY_NOT[step.kind] ?? `not allowed while the ticket is ${state.status}`;
    throw new StepNotAllowed(step.kind, state.status, `step "${step.kind}" is not allowed on ticket #${state.number}: ${why} (status: ${state.status})`);
  }
}

export function allowedSteps(state: Pick<TicketState, 'status'>): StepKind[] {
  return STEP_KINDS.filter((kind) => state.status !== 'closed' && ALLOWED_FROM[kind].includes(state.status));
}

export interface Transition {
  state: TicketState;
  events: TicketEvent[];
}

function emit(state: TicketState, events: TicketEvent[], type: EventType, at: number, actor: string, data: Record<string, unknown>): TicketState {
  events.push({ seq: state.nextSeq, type, at, actor, data });
  return { ...state, nextSeq: state.nextSeq + 1, version: state.version + 1 };
}

function metEvent(state: TicketState, events: TicketEvent[], name: ClockName, at: number): TicketState {
  const c = state[name];
  if (c.breachedAt !== null) return state;
  return emit(state, events, 'sla_met', at, 'system', { clock: name, dueAt: clock.dueAt(c), metAt: at });
}

export function receivedEvent(state: TicketState, receivedAt: number, actor: string, data: Record<string, unknown>): Transition {
  const events: TicketEvent[] = [];
  const next = emit(state, events, 'received', receivedAt, actor, {
    ...data,
    responseDueAt: clock.dueAt(state.response),
    resolutionDueAt: clock.dueAt(state.resolution),
  });
  return { state: next, events };
}

/** Apply a technician step at time `at`. Call checkStep first (the update validator does). */
export function applyStep(state: TicketState, step: Step, at: number, actor: string): Transition {
  checkStep(state, step);
  // Alarms that fell due before this step must be on record first, so a late step cannot
  // turn a missed target into a met one.
  const { state: caughtUp, events } = applyDueAlarms(state, at);
  let s = caughtUp;
  switch (step.kind) {
    case 'assign':
      s = emit({ ...s, assignee: step.assignee }, events, 'assigned', at, actor, { assignee: step.assignee });
      break;
    case 'respond':
      s = { ...s, status: 'in_progress', respondedVia: step.via, response: clock.stop(s.response, at) };
      s = emit(s, events, 'responded', at, actor, { via: step.via, message: step.message });
      s = metEvent(s, events, 'response', at);
      break;
    case 'wait-for-customer':
      s = { ...s, status: 'waiting_on_customer', resolution: clock.pause(s.resolution, at) };
      s = emit(s, events, 'waiting_on_customer', at, actor, { message: step.message ?? null });
      break;
    case 'customer-replied':
      s = { ...s, status: 'in_progress', resolution: clock.resume(s.resolution, at) };
      s = emit(s, events, 'customer_replied', at, actor, { message: step.message ?? null });
      break;
    case 'resolve': {
      // Resolving a ticket nobody answered yet delivers its first response too (the resolution e-mail).
      const firstResponse = s.status === 'open';
      if (firstResponse) s = { ...s, respondedVia: 'email', response: clock.stop(s.response, at) };
      s = { ...s, status: 'resolved', resolvedAt: at, resolution: clock.stop(s.resolution, at) };
      s = emit(s, events, 'resolved', at, actor, { resolution: step.resolution, firstResponse });
      if (firstResponse) s = metEvent(s, events, 'response', at);
      s = metEvent(s, events, 'resolution', at);
      break;
    }
    case 'reopen':
      s = { ...s, status: 'in_progress', resolvedAt: null, resolution: clock.restart(s.resolution, at) };
      s = emit(s, events, 'reopened', at, actor, { reason: step.reason ?? null });
      break;
    case 'close':
      s = { ...s, status: 'closed', closedAt: at };
      s = emit(s, events, 'closed', at, actor, { reason: step.reason ?? null, automatic: false });
      break;
  }
  return { state: s, events };
}

export interface Alarm {
  clock: ClockName;
  kind: 'warning' | 'breach';
  at: number;
}

/** Every future alarm of the ticket, soonest first. */
export function pendingAlarms(state: TicketState): Alarm[] {
  const alarms: Alarm[] = [];
  for (const name of ['response', 'resolution'] as const) {
    const c = state[name];
    if (!clock.isRunning(c) || c.breachedAt !== null) continue;
    const w = clock.warningAt(c);
    if (w !== null) alarms.push({ clock: name, kind: 'warning', at: w });
    alarms.push({ clock: name, kind: 'breach', at: clock.dueAt(c)! });
  }
  return alarms.sort((a, b) => a.at - b.at);
}

/** When a resolved ticket closes by itself, if nobody reopens or closes it first. */
export function autoCloseAt(state: TicketState): number | null {
  return state.status === 'resolved' && state.resolvedAt !== null ? state.resolvedAt + state.autoCloseAfterMs : null;
}

/** The next moment the workflow must wake up by itself, or null if only a step can move it. */
export function nextWakeUp(state: TicketState): number | null {
  const times = pendingAlarms(state).map((a) => a.at);
  const close = autoCloseAt(state);
  if (close !== null) times.push(close);
  return times.length ? Math.min(...times) : null;
}

/** Fire every alarm due at `now`. A warning whose breach is also due is skipped: the breach says more. */
export function applyDueAlarms(state: TicketState, now: number): Transition {
  const events: TicketEvent[] = [];
  let s = state;
  for (const alarm of pendingAlarms(state).filter((a) => a.at <= now)) {
    const c = s[alarm.clock];
    if (alarm.kind === 'breach') {
      s = { ...s, [alarm.clock]: clock.markBreached(c) };
      s = emit(s, events, 'sla_breached', now, 'system', { clock: alarm.clock, dueAt: alarm.at, lateByMs: now - alarm.at });
    } else if (clock.dueAt(c)! > now) {
      s = { ...s, [alarm.clock]: clock.markWarned(c, now) };
      s = emit(s, events, 'sla_warning', now, 'system', { clock: alarm.clock, dueAt: clock.dueAt(c), threshold: c.warningAfterMs / c.targetMs });
    } else {
      s = { ...s, [alarm.clock]: clock.markWarned(c, now) };
    }
  }
  return { state: s, events };
}

export function applyAutoClose(state: TicketState, now: number): Transition {
  const at = autoCloseAt(state);
  if (at === null || at > now) return { state, events: [] };
  const events: TicketEvent[] = [];
  const s = emit({ ...state, status: 'closed', closedAt: now }, events, 'closed', now, 'system', { reason: 'no reopen within the auto-close period', automatic: true });
  return { state: s, events };
}

export interface SlaView {
  response: ClockView;
  resolution: ClockView;
}

export function slaView(state: Pick<TicketState, 'response' | 'resolution'>, now: number): SlaView {
  return { response: clock.clockView(state.response, now), resolution: clock.clockView(state.resolution, now) };
}

export function isBreached(state: Pick<TicketState, 'response' | 'resolution'>): boolean {
  return state.response.breachedAt !== null || state.resolution.breachedAt !== null;
}
