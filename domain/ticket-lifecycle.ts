// The ticket's state machine: which technician step is allowed in which state, what it does to the
// SLA clocks (response, resolution, and the next reply where the policy sets one), which levels of
// the escalation chain (warnings, breach, escalations past it) are due, and how the ticket records
// its sessions. Pure and deterministic, so the workflow runs it inside the Temporal sandbox and the
// unit tests run it in milliseconds.
import * as clock from './sla-clock';
import type { ClockState, ClockView } from './sla-clock';
import type { Impact, Plan, ResponseVia } from './plans';
import { escalationChain, type EscalationAudience, type EscalationLevel } from './escalation';
import type { TicketTargets } from './sla-policy';
import type { TextRef, TicketText } from './ticket-texts';
import type { BusinessCalendar } from './business-calendar';
import { windowsMsBetween, type WorkingWindows } from './working-windows';
import { isFinalSession, sessionAllowed, SESSION_LABELS, type SessionEvent, type SessionKind, type SessionSummary } from './sessions';

export const TICKET_STATUSES = ['open', 'in_progress', 'waiting_on_customer', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export type ClockName = 'response' | 'resolution' | 'nextReply';
export const CLOCK_NAMES: readonly ClockName[] = ['response', 'resolution', 'nextReply'];

export interface Person {
  name?: string;
  email: string;
}

export type Step =
  | { kind: 'assign'; assignee: Person }
  | { kind: 'respond'; via: ResponseVia; message: TicketText }
  /** A later answer to the customer (the first is `respond`): it stops the next-reply clock. */
  | { kind: 'reply'; via: ResponseVia; message: TicketText }
  | { kind: 'wait-for-customer'; message?: TicketText }
  | { kind: 'customer-replied'; message?: TicketText }
  | { kind: 'resolve'; resolution: TicketText }
  | { kind: 'reopen'; reason?: string }
  | { kind: 'close'; reason?: string };

export type StepKind = Step['kind'];
export const STEP_KINDS: StepKind[] = ['assign', 'respond', 'reply', 'wait-for-customer', 'customer-replied', 'resolve', 'reopen', 'close'];

export type EventType =
  | 'received'
  | 'assigned'
  | 'responded'
  | 'replied'
  | 'waiting_on_customer'
  | 'customer_replied'
  | 'customer_message'
  | 'resolved'
  | 'reopened'
  | 'closed'
  | 'customer_reminded'
  | 'sla_warning'
  | 'sla_breached'
  | 'sla_escalated'
  | 'sla_met'
  | 'flagged_complex'
  | 'session_requested'
  | 'step_refused'
  | 'record_stuck'
  | 'record_resumed'
  | `session_${SessionEvent['type']}`;

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
  /**
   * The next reply: runs from the oldest customer message not yet answered while the ticket is
   * worked (in_progress), stops at the answer; a new cycle at the next message. Null before the
   * first cycle and on tickets whose policy sets no next-reply target (`nextReplyMs` null).
   * Optional only for states carried from before the clock existed.
   */
  nextReply?: ClockState | null;
  nextReplyMs?: number | null;
  /** An earlier next-reply cycle was missed: the ticket stays breached when a new cycle starts. */
  nextReplyMissed?: boolean;
  autoCloseAfterMs: number;
  customerReminderAfterMs: number;
  /** The start of the wait (the resolution clock's pause) the customer was last reminded of. */
  remindedForWaitSince: number | null;
  escalation: EscalationLevel[];
  /** Breach of these clocks flags the ticket as highly complex (a brand-engineer meeting starts by itself). */
  autoBrandMeetingOn: ClockName[];
  complex: boolean;
  sessions: SessionSummary[];
  resolvedAt: number | null;
  closedAt: number | null;
  /** Bumped on every change; snapshots carry it so an older write never overwrites a newer one. */
  version: number;
  nextSeq: number;
}

export class StepNotAllowed extends Error {
  constructor(
    /** A technician step, or another action such as asking for a session. */
    readonly step: string,
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

export class NotInPlan extends Error {
  constructor(
    readonly plan: Plan,
    readonly what: string,
  ) {
    super(`the ${plan} plan does not include ${what}`);
    this.name = 'NotInPlan';
  }
}

export function openTicket(input: OpenTicketInput): TicketState {
  const { targets, receivedAt } = input;
  const calendar = targets.calendar ?? null;
  return {
    ticketId: input.ticketId,
    number: input.number,
    plan: input.plan,
    impact: input.impact,
    status: 'open',
    assignee: input.assignee ?? null,
    respondedVia: null,
    response: clock.startClock(targets.responseMs, receivedAt, calendar),
    resolution: clock.startClock(targets.resolutionMs, receivedAt, calendar),
    nextReply: null,
    nextReplyMs: targets.nextReplyMs ?? null,
    autoCloseAfterMs: targets.autoCloseAfterMs,
    customerReminderAfterMs: targets.customerReminderAfterMs ?? DEFAULT_CUSTOMER_REMINDER_MS,
    remindedForWaitSince: null,
    escalation: escalationChain(targets),
    autoBrandMeetingOn: targets.autoBrandMeetingOn ?? [],
    complex: false,
    sessions: [],
    resolvedAt: null,
    closedAt: null,
    version: 0,
    nextSeq: 1,
  };
}

const ALLOWED_FROM: Record<StepKind, readonly TicketStatus[]> = {
  assign: ['open', 'in_progress', 'waiting_on_customer', 'resolved'],
  respond: ['open'],
  reply: ['in_progress', 'waiting_on_customer'],
  'wait-for-customer': ['in_progress'],
  'customer-replied': ['waiting_on_customer'],
  resolve: ['open', 'in_progress', 'waiting_on_customer'],
  reopen: ['resolved'],
  close: ['resolved'],
};

const WHY_NOT: Partial<Record<StepKind, string>> = {
  respond: 'the first response was already given; a later answer is a reply',
  reply: 'a reply follows the first response (respond) on a ticket being worked or waiting on the customer',
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
  if (!c || c.breachedAt !== null) return state;
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
    case 'reply':
      s = emit(s, events, 'replied', at, actor, { via: step.via, message: step.message });
      s = replyGiven(s, events, at);
      break;
    case 'wait-for-customer':
      // Asking the customer something answers them.
      s = { ...s, status: 'waiting_on_customer', resolution: clock.pause(s.resolution, at) };
      s = emit(s, events, 'waiting_on_customer', at, actor, { message: step.message ?? null });
      s = replyGiven(s, events, at);
      break;
    case 'customer-replied':
      s = { ...s, status: 'in_progress', resolution: clock.resume(s.resolution, at) };
      s = emit(s, events, 'customer_replied', at, actor, { message: step.message ?? null });
      s = replyOwed(s, at);
      break;
    case 'resolve': {
      // Resolving a ticket nobody answered yet delivers its first response too (the resolution e-mail).
      const firstResponse = s.status === 'open';
      if (firstResponse) s = { ...s, respondedVia: 'email', response: clock.stop(s.response, at) };
      s = { ...s, status: 'resolved', resolvedAt: at, resolution: clock.stop(s.resolution, at) };
      s = emit(s, events, 'resolved', at, actor, { resolution: step.resolution, firstResponse });
      if (firstResponse) s = metEvent(s, events, 'response', at);
      s = metEvent(s, events, 'resolution', at);
      // The resolution e-mail answers the customer's last message.
      s = replyGiven(s, events, at);
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

/**
 * A customer wrote to a ticket being worked: support owes an answer within the next-reply target,
 * counted from the oldest message not yet answered (a second message does not move the due time).
 * An open ticket owes its first response instead; a resolved or waiting one is not being worked.
 */
function replyOwed(s: TicketState, at: number): TicketState {
  const targetMs = s.nextReplyMs ?? null;
  if (targetMs === null || s.status !== 'in_progress' || (s.nextReply && clock.isRunning(s.nextReply))) return s;
  const started = clock.startClock(targetMs, at, s.response.calendar ?? null);
  const missed = s.nextReplyMissed === true || (s.nextReply?.breachedAt ?? null) !== null;
  // The ticket's clocks share one calendar, and so its recorded working time.
  return { ...s, nextReply: s.response.windows ? { ...started, windows: s.response.windows } : started, ...(missed ? { nextReplyMissed: true } : {}) };
}

/** Support answered: a running next-reply clock stops, met unless it was breached. */
function replyGiven(s: TicketState, events: TicketEvent[], at: number): TicketState {
  if (!s.nextReply || !clock.isRunning(s.nextReply)) return s;
  return metEvent({ ...s, nextReply: clock.stop(s.nextReply, at) }, events, 'nextReply', at);
}

/** A step sent where no answer can go back (an ops signal) and refused: why, for the history. */
export interface StepRefusal {
  /** A technician step, or another ops action (retry-record). */
  step: StepKind | 'retry-record';
  /** How it came in, e.g. the signal's name. */
  via: string;
  reason: string;
  issues?: string[];
}

/**
 * Put a refused step on record. Only the history grows: status, clocks and assignee stay as they
 * were, and no alarm is caught up (the refusal is not a step).
 */
export function applyStepRefused(state: TicketState, refusal: StepRefusal, at: number, actor: string): Transition {
  const events: TicketEvent[] = [];
  const s = emit(state, events, 'step_refused', at, actor, { step: refusal.step, via: refusal.via, reason: refusal.reason, issues: refusal.issues ?? [], status: state.status });
  return { state: s, events };
}

// ---- The record's own troubles ---------------------------------------------------------------

/** Why the ticket's record could not be written, as the workflow was told (the activity's failure). */
export interface RecordFailure {
  /** A stable failure type (activities/failure-types.ts), or TIMEOUT when the retries ran out. */
  type: string;
  reason: string;
  /** Records that could not be written (waiting, in order): the one that failed, and any tried with it. */
  records: number;
}

/**
 * The record failed for good: the ticket goes on (its clocks and steps are the workflow's), and
 * its history says so in its place, written with everything else once a lead retries the record.
 */
export function applyRecordStuck(state: TicketState, failure: RecordFailure, at: number): Transition {
  const events: TicketEvent[] = [];
  const s = emit(state, events, 'record_stuck', at, 'system', { type: failure.type, reason: failure.reason, records: failure.records });
  return { state: s, events };
}

/** What was owed to the record was written after a retry (`actor`): since when it was stuck, how many records it wrote. */
export function applyRecordResumed(state: TicketState, resumed: { stuckSince: number; records: number }, at: number, actor: string): Transition {
  const events: TicketEvent[] = [];
  const s = emit(state, events, 'record_resumed', at, actor, { stuckSince: resumed.stuckSince, records: resumed.records });
  return { state: s, events };
}

/** What the customer wrote to a ticket (an e-mail reply): recorded by the ticket, not a technician step. */
export interface CustomerMessage {
  via: 'email' | 'web';
  /** What the customer wrote, kept in Postgres (ticket_texts). */
  message: TextRef;
  subject?: string | null;
  /** The e-mail's Message-ID, so the history points at the message itself. */
  messageId?: string | null;
  attachments?: Array<{ id: string; filename: string; size: number }>;
}

export function checkCustomerMessage(state: TicketState): void {
  if (state.status === 'closed') {
    throw new StepNotAllowed('customer message', state.status, `ticket #${state.number} is closed; a new message opens a new ticket`);
  }
}

/**
 * A customer's message is on record whatever the ticket's state; on a ticket that waits on the
 * customer it is the reply that resumes the resolution clock (the same transition as the
 * technician's customer-replied step, by the customer). A resolved ticket stays resolved: whether
 * the message reopens it is the technician's call.
 */
export function applyCustomerMessage(state: TicketState, msg: CustomerMessage, at: number, actor: string): Transition {
  checkCustomerMessage(state);
  const { state: caughtUp, events } = applyDueAlarms(state, at);
  let s = emit(caughtUp, events, 'customer_message', at, actor, {
    via: msg.via,
    subject: msg.subject ?? null,
    message: msg.message,
    messageId: msg.messageId ?? null,
    attachments: msg.attachments ?? [],
    status: caughtUp.status,
  });
  if (s.status === 'waiting_on_customer') {
    s = { ...s, status: 'in_progress', resolution: clock.resume(s.resolution, at) };
    s = emit(s, events, 'customer_replied', at, actor, { message: null, via: msg.via });
  }
  s = replyOwed(s, at);
  return { state: s, events };
}

export interface Alarm {
  clock: ClockName;
  kind: 'warning' | 'breach' | 'escalation';
  /** Index in the ticket's escalation chain. */
  level: number;
  notify: EscalationAudience;
  /** The level's fraction of the target (0.75, 1, 1.5, …). */
  fraction: number;
  at: number;
}

const levelKind = (at: number): Alarm['kind'] => (at < 1 ? 'warning' : at === 1 ? 'breach' : 'escalation');

/** The next level of the chain a clock can still reach. A clock that breached (say, stopped late) never warns or breaches again. */
function nextAlarm(state: TicketState, name: ClockName): Alarm | null {
  const c = state[name];
  if (!c || !clock.isRunning(c)) return null;
  for (let i = c.level; i < state.escalation.length; i++) {
    const l = state.escalation[i];
    if (c.breachedAt !== null && l.at <= 1) continue;
    return { clock: name, kind: levelKind(l.at), level: i, notify: l.notify, fraction: l.at, at: clock.reachesAt(c, l.at)! };
  }
  return null;
}

/** The next alarm of each running clock, soonest first (in the order of CLOCK_NAMES on a tie). */
export function pendingAlarms(state: TicketState): Alarm[] {
  const alarms = CLOCK_NAMES.map((n) => nextAlarm(state, n)).filter((a): a is Alarm => a !== null);
  return alarms.sort((a, b) => a.at - b.at);
}

/** When a resolved ticket closes by itself, if nobody reopens or closes it first. */
export function autoCloseAt(state: TicketState): number | null {
  return state.status === 'resolved' && state.resolvedAt !== null ? state.resolvedAt + state.autoCloseAfterMs : null;
}

/**
 * The next moment the workflow must wake up by itself, or null if only a step can move it.
 * `reminders`: count the customer's reminder too (the workflow does); without, the next moment of
 * the SLA clocks and the auto-close alone.
 */
export function nextWakeUp(state: TicketState, reminders = false): number | null {
  const times = pendingAlarms(state).map((a) => a.at);
  const close = autoCloseAt(state);
  if (close !== null) times.push(close);
  const remind = reminders ? customerReminderAt(state) : null;
  if (remind !== null) times.push(remind);
  return times.length ? Math.min(...times) : null;
}

/**
 * Fire every level of the chain that is due at `now`, each at most once. A warning whose next
 * level is also due is passed silently: the later e-mail says more. A breach and the escalations
 * past it always fire, even when several fall due together (a worker that was down catches up).
 */
export function applyDueAlarms(state: TicketState, now: number): Transition {
  const events: TicketEvent[] = [];
  let s = state;
  for (;;) {
    const alarm = pendingAlarms(s).find((a) => a.at <= now);
    if (!alarm) break;
    const c = s[alarm.clock]!;
    const skipTo = (level: number): ClockState => ({ ...c, level });
    if (alarm.kind === 'breach') {
      s = { ...s, [alarm.clock]: { ...clock.markBreached(c, now), level: alarm.level + 1 } };
      s = emit(s, events, 'sla_breached', now, 'system', { clock: alarm.clock, dueAt: alarm.at, lateByMs: now - alarm.at, level: alarm.level, notify: alarm.notify });
    } else if (alarm.kind === 'escalation') {
      s = { ...s, [alarm.clock]: skipTo(alarm.level + 1) };
      s = emit(s, events, 'sla_escalated', now, 'system', {
        clock: alarm.clock,
        level: alarm.level,
        fraction: alarm.fraction,
        notify: alarm.notify,
        dueAt: clock.dueAt(c),
        escalatedAt: alarm.at,
      });
    } else {
      // A warning passed over because a later level is due too leaves no warnedAt: none was sent.
      const passed = { ...s, [alarm.clock]: skipTo(alarm.level + 1) };
      const later = nextAlarm(passed, alarm.clock);
      s = passed;
      if (!later || later.at > now) {
        s = { ...s, [alarm.clock]: { ...clock.passLevel(c, now, true), level: alarm.level + 1 } };
        s = emit(s, events, 'sla_warning', now, 'system', { clock: alarm.clock, dueAt: clock.dueAt(c), threshold: alarm.fraction, level: alarm.level, notify: alarm.notify });
      }
    }
  }
  return { state: s, events };
}

/** Tickets received before reminders existed remind their customers after two days. */
export const DEFAULT_CUSTOMER_REMINDER_MS = 2 * 24 * 3_600_000;

/** When a ticket waiting on the customer reminds them, once per wait; null when it will not. */
export function customerReminderAt(state: TicketState): number | null {
  const since = state.resolution.pausedSince;
  if (state.status !== 'waiting_on_customer' || since === null || state.remindedForWaitSince === since) return null;
  return since + state.customerReminderAfterMs;
}

export function applyCustomerReminder(state: TicketState, now: number): Transition {
  const at = customerReminderAt(state);
  if (at === null || at > now) return { state, events: [] };
  const events: TicketEvent[] = [];
  const s = emit({ ...state, remindedForWaitSince: state.resolution.pausedSince }, events, 'customer_reminded', now, 'system', {
    waitingSince: state.resolution.pausedSince,
  });
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
  /** The current (or last) next-reply cycle; null before the first and without a next-reply target. */
  nextReply: ClockView | null;
}

type Clocks = Pick<TicketState, 'response' | 'resolution' | 'nextReply' | 'nextReplyMissed'>;

export function slaView(state: Clocks, now: number): SlaView {
  return {
    response: clock.clockView(state.response, now),
    resolution: clock.clockView(state.resolution, now),
    nextReply: state.nextReply ? clock.clockView(state.nextReply, now) : null,
  };
}

/** Any target of the ticket missed, a next-reply cycle's included: a breach is never undone. */
export function isBreached(state: Clocks): boolean {
  return state.response.breachedAt !== null || state.resolution.breachedAt !== null || (state.nextReply?.breachedAt ?? null) !== null || state.nextReplyMissed === true;
}

// ---- Sessions and brand meetings ------------------------------------------------------------

export interface SessionRequest {
  kind: SessionKind;
  sessionId: string;
  /** Brand meetings: why the incident is highly complex. */
  reason?: string;
}

/** Throws NotInPlan or StepNotAllowed when the ticket cannot ask for this kind of session now. */
export function checkSessionRequest(state: TicketState, kind: SessionKind): void {
  if (!sessionAllowed(state.plan, kind)) throw new NotInPlan(state.plan, `${SESSION_LABELS[kind]}s`);
  const step = `request ${SESSION_LABELS[kind]}`;
  if (state.status === 'closed' || state.status === 'resolved') {
    throw new StepNotAllowed(step, state.status, `ticket #${state.number} is ${state.status}; reopen it before asking for a ${SESSION_LABELS[kind]} (status: ${state.status})`);
  }
  const active = state.sessions.find((x) => x.kind === kind && !isFinalSession(x.status));
  if (active) {
    throw new StepNotAllowed(step, state.status, `ticket #${state.number} already has a ${SESSION_LABELS[kind]} under way (${active.id}, ${active.status})`);
  }
}

/** How many sessions of a kind the ticket has had: numbers the next one. */
export const sessionCount = (state: TicketState, kind: SessionKind) => state.sessions.filter((x) => x.kind === kind).length;

export function applySessionRequested(state: TicketState, req: SessionRequest, at: number, actor: string): Transition {
  checkSessionRequest(state, req.kind);
  const events: TicketEvent[] = [];
  let s: TicketState = state;
  if (req.kind === 'brand' && !s.complex) {
    s = emit({ ...s, complex: true }, events, 'flagged_complex', at, actor, { reason: req.reason ?? null });
  }
  const summary: SessionSummary = { id: req.sessionId, kind: req.kind, status: 'waiting', attempt: 0, startsAt: null, host: null, requestedAt: at, requestedBy: actor };
  s = emit({ ...s, sessions: [...s.sessions, summary] }, events, 'session_requested', at, actor, { sessionId: req.sessionId, kind: req.kind, reason: req.reason ?? null });
  return { state: s, events };
}

/**
 * Record what a session workflow reported. A held session is support delivered by remote session:
 * when the ticket had no first response yet, it is its first response.
 */
export function applySessionEvent(state: TicketState, ev: SessionEvent): Transition {
  if (!state.sessions.some((x) => x.id === ev.sessionId)) return { state, events: [] };
  const sessions = state.sessions.map((x) => (x.id === ev.sessionId ? { ...x, status: ev.status, attempt: ev.attempt, startsAt: ev.startsAt, host: ev.host } : x));
  const events: TicketEvent[] = [];
  let s = emit({ ...state, sessions }, events, `session_${ev.type}`, ev.at, ev.actor, {
    sessionId: ev.sessionId,
    kind: ev.kind,
    attempt: ev.attempt,
    startsAt: ev.startsAt,
    host: ev.host,
    ...ev.data,
  });
  if (ev.type === 'held' && s.status === 'open') {
    const r = applyStep(s, { kind: 'respond', via: 'remote_session', message: `${SESSION_LABELS[ev.kind]} held` }, ev.at, ev.actor);
    s = r.state;
    events.push(...r.events);
  }
  return { state: s, events };
}

/** Sessions not over yet: the workflow cancels them when the ticket is resolved or closed. */
export function activeSessions(state: TicketState): SessionSummary[] {
  return state.sessions.filter((x) => !isFinalSession(x.status));
}

/** The clock whose breach, just recorded in `events`, flags the ticket for a brand meeting by policy. */
export function autoBrandMeetingDue(state: TicketState, events: TicketEvent[]): ClockName | null {
  if (state.complex || !sessionAllowed(state.plan, 'brand') || state.status === 'resolved' || state.status === 'closed') return null;
  const hit = events.find((e) => e.type === 'sla_breached' && state.autoBrandMeetingOn.includes(e.data.clock as ClockName));
  return hit ? (hit.data.clock as ClockName) : null;
}

// ---- Working time recorded, not recomputed ---------------------------------------------------------

/** What a ticket's calendar clocks need recorded (an activity computes it) before the workflow decides at `now`. */
export interface WindowsNeeded {
  calendar: BusinessCalendar;
  /** The earliest instant a decision reads working time from: the start of a running stretch, or now. */
  from: number;
  /** Working time past `from` that the last level of the escalation chain can reach. */
  workingMs: number;
  until: number;
}

const WINDOW_MARGIN_MS = 24 * 60 * 60 * 1000;

/**
 * Null when the clocks' recorded windows cover every answer a decision at `now` needs (elapsed
 * time, the due time of each level of the chain); else what to compute. Both clocks share the
 * ticket's calendar, so they share its windows.
 */
export function windowsNeeded(state: TicketState, now: number): WindowsNeeded | null {
  const clocks = [state.response, state.resolution, state.nextReply].filter((c): c is ClockState => Boolean(c?.calendar));
  if (clocks.length === 0) return null;
  const from = Math.min(now, ...clocks.map((c) => c.runningSince ?? now));
  const lastLevel = Math.max(1, ...state.escalation.map((l) => l.at));
  const workingMs = Math.ceil(lastLevel * Math.max(...clocks.map((c) => c.targetMs)));
  const w = clocks[0].windows;
  if (w && w.from <= from && w.to >= now + 60_000 && (windowsMsBetween(w, from, w.to) ?? 0) >= workingMs) return null;
  return { calendar: clocks[0].calendar!, from, workingMs, until: now + WINDOW_MARGIN_MS };
}

/** The ticket with its calendar clocks' windows recorded (no event: nothing happened to the ticket). */
export function withWindows(state: TicketState, windows: WorkingWindows): TicketState {
  const set = (c: clock.ClockState) => (c.calendar ? { ...c, windows } : c);
  return { ...state, response: set(state.response), resolution: set(state.resolution), ...(state.nextReply ? { nextReply: set(state.nextReply) } : {}) };
}
