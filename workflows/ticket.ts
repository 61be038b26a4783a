// One support ticket as a durable workflow: two SLA clocks (response, resolution), technician
// steps as validated Updates, warning/breach alarms as timers. All decisions come from the pure
// lifecycle in domain/; all I/O (database, e-mail) happens in activities.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { TicketActivities } from '../activities';
import { notificationsFor } from '../domain/notifications';
import { IMPACT_LABELS } from '../domain/plans';
import { dueAt } from '../domain/sla-clock';
import { SESSION_LABELS, sessionWorkflowId } from '../domain/sessions';
import {
  activeSessions,
  allowedSteps,
  applyCustomerMessage,
  checkCustomerMessage,
  applySessionEvent,
  applySessionRequested,
  autoBrandMeetingDue,
  checkSessionRequest,
  NotInPlan,
  sessionCount,
  applyAutoClose,
  autoCloseAt,
  applyCustomerReminder,
  customerReminderAt,
  applyDueAlarms,
  applyStep,
  applyStepRefused,
  checkStep,
  isBreached,
  nextWakeUp,
  openTicket,
  pendingAlarms,
  receivedEvent,
  slaView,
  StepNotAllowed,
  type Step,
  type StepKind,
  type TicketEvent,
  type TicketState,
  type Transition,
} from '../domain/ticket-lifecycle';
import type { TicketSnapshot } from '../activities/types';
import {
  NOT_IN_PLAN,
  OPS_STEP_NAMES,
  OPS_STEP_SIGNALS,
  OPS_STEP_UPDATES,
  SESSION_WORKFLOW_TYPES,
  UNKNOWN_TECHNICIAN,
  VALIDATION_FAILED,
  STEP_NOT_ALLOWED,
  STEP_UPDATES,
  WAIT_FOR_HANDLERS,
  customerMessageUpdate,
  requestSessionUpdate,
  sessionEventSignal,
  slaStateQuery,
  ticketWorkflowId,
  type Actor,
  type OpsStepPayload,
  type SessionRequestArgs,
  type SessionWorkflowInput,
  type StepResult,
  type TicketSnapshotView,
  type TicketWorkflowInput,
} from './definitions';
import { SA, STARTED_TICKET_STATE } from '../temporal/search-attributes';
import type { AssigneeRef } from '../domain/step-bodies';
import type { Notification } from '../domain/notifications';
import { refuseUnstorable } from './payload-checks';

// Activities are called through executeWithOptions only to add a summary (user metadata, outside
// the determinism check); their timeouts and retries stay those of the proxy.
// The record's timeouts and retries, whether it runs as an activity (histories from before
// RECORD_LOCALLY_PATCH) or locally.
const RECORD_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
} as const;
const { recordTicket, findAssignee } = proxyActivities<TicketActivities>(RECORD_OPTIONS);

// The same record as a local activity: it runs inside the workflow task that decided it, so an
// alarm costs one workflow task and no activity task (a timer's workflow task, the record, the next
// timer), and the history it adds is a marker instead of an activity's three events and a second
// workflow task. Histories from before RECORD_LOCALLY_PATCH recorded it as an activity and replay so.
const { recordTicket: recordTicketLocally } = proxyLocalActivities<TicketActivities>(RECORD_OPTIONS);

// E-mail may be down for a long time; it retries on its own without holding up the SLA clocks.
const { notify } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes' },
});

// The step schemas, and zod with them, load on a ticket's first step check rather than with the
// workflow: every run evaluates the modules it imports (again after each eviction from the worker's
// cache) and most runs check no step (see worker/workflow-bundle.ts).
const stepChecks = (): typeof import('../domain/step-bodies') => require('../domain/step-bodies');

/** Marks histories that know customer reminders (see remindersOn). */
export const CUSTOMER_REMINDERS_PATCH = 'customer-reminders-v1';
/** Marks histories in which a step waited for the ticket's "received" event (see receivedFirst). */
export const RECEIVED_FIRST_PATCH = 'received-first-v1';
/** Marks histories whose e-mails go to the mail outbox with the record (see commit). */
export const MAIL_OUTBOX_PATCH = 'mail-outbox-v1';
/** Marks histories that upsert only the search attributes a change moved (see publish). */
export const PUBLISH_CHANGES_PATCH = 'publish-changes-only-v1';
/**
 * Marks histories whose ticket records run as local activities (see recordTicketLocally). A first
 * attempt (record-locally-v1) was withdrawn before the mail outbox; its name is not reused.
 */
export const RECORD_LOCALLY_PATCH = 'record-locally-v2';
/**
 * Marks histories begun by code that has every patch above: such a ticket takes each patched path
 * without asking for its marker, and leaves alone the search attributes its start set (see the
 * start). Each patch a ticket asks for records a marker, and the SDK upserts TemporalChangeVersion
 * beside it: an event and a visibility write each, four of them in a new ticket's first task and
 * one at its end. Histories begun before it ask for each patch as they did.
 */
export const GENERATION_PATCH = 'ticket-generation-v1';

export interface TicketOutcome {
  number: number;
  status: TicketState['status'];
  breached: boolean;
  responseBreachedAt: number | null;
  resolutionBreachedAt: number | null;
}

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketOutcome> {
  // First, in the first task: every later question about a patch depends on it.
  const current = patched(GENERATION_PATCH);
  const has = (patch: string) => current || patched(patch);
  let state = openTicket({ ...input, assignee: input.assignee ?? null });
  const emails: Promise<unknown>[] = [];

  const snapshot = (): TicketSnapshot => ({
    version: state.version,
    status: state.status,
    assignee: state.assignee,
    respondedVia: state.respondedVia,
    response: state.response,
    resolution: state.resolution,
    breached: isBreached(state),
    resolvedAt: state.resolvedAt,
    closedAt: state.closedAt,
  });

  const view = (): StepResult => ({
    status: state.status,
    version: state.version,
    sla: slaView(state, Date.now()),
    allowedSteps: allowedSteps(state),
  });

  // Record the transition, tell the people concerned, and refresh what ops see in the UI.
  // The e-mails are queued in the same transaction as the events (the worker's mail outbox sends
  // them): one record per change instead of one more activity per e-mail. Histories from before
  // sent each e-mail by its own notify activity.
  async function commit(t: Transition): Promise<void> {
    state = t.state;
    if (t.events.length === 0) return;
    publish();
    const mails = notificationsFor(state.ticketId, t.events);
    const queued = mails.length > 0 && has(MAIL_OUTBOX_PATCH);
    if (!queued) {
      for (const n of mails) {
        emails.push(
          notify
            .executeWithOptions({ summary: notifySummary(state.number, n) }, [n])
            .catch((err) => log.error('notification failed for good', { key: n.key, err: String(err) })),
        );
      }
    }
    const record = has(RECORD_LOCALLY_PATCH) ? recordTicketLocally : recordTicket;
    await record.executeWithOptions({ summary: recordSummary(state.number, t.events, queued ? mails : []) }, [
      // decidedIn: a local record runs before its workflow task is committed; if that task is lost,
      // its retry may decide otherwise under the same event numbers, and its record must win.
      { ticketId: state.ticketId, events: t.events, snapshot: snapshot(), ...(queued ? { notifications: mails } : {}), decidedIn: workflowInfo().historyLength },
    ]);
  }

  /** The last step refused without an answer to its sender (an ops signal), shown in the details. */
  let lastRefusal: string | null = null;

  /** The search attributes as last upserted, to compare against (Dates as epoch ms). */
  const published = new Map<string, unknown>();

  // A warning or an escalation moves none of the attributes ops filter on: since
  // PUBLISH_CHANGES_PATCH only what changed is upserted, and nothing when nothing did (each upsert
  // is a history event and a write to the visibility store). Older histories upserted all of them.
  function publish(): void {
    const responseDue = state.response.runningSince !== null ? dueAt(state.response) : null;
    const resolutionDue = state.resolution.runningSince !== null ? dueAt(state.resolution) : null;
    const attributes = [
      { key: SA.status, value: state.status },
      { key: SA.breached, value: isBreached(state) },
      { key: SA.assignee, value: state.assignee ? state.assignee.email : null },
      { key: SA.responseDueAt, value: responseDue !== null ? new Date(responseDue) : null },
      { key: SA.resolutionDueAt, value: resolutionDue !== null ? new Date(resolutionDue) : null },
    ];
    const comparable = (v: unknown) => (v instanceof Date ? v.getTime() : v);
    const changed = attributes.filter(({ key, value }) => !published.has(key.name) || published.get(key.name) !== comparable(value));
    for (const { key, value } of attributes) published.set(key.name, comparable(value));
    const upsert = has(PUBLISH_CHANGES_PATCH) ? changed : attributes;
    if (upsert.length > 0) upsertSearchAttributes(upsert);
    setCurrentDetails(currentDetails(state, lastRefusal));
  }

  // A step that reaches a workflow before its first task ran (a busy server) is handled before the
  // workflow body; it must still come after "received" in the history. Histories that never met
  // that race carry no marker and replay as they ran.
  let received = false;
  async function receivedFirst(): Promise<void> {
    if (!received && has(RECEIVED_FIRST_PATCH)) await condition(() => received);
  }

  function registerStep<A extends Actor>(def: UpdateDefinition<StepResult, [A]>, toStep: (args: NoInfer<A>) => Step): void {
    setHandler(
      def,
      async (args: A) => {
        await receivedFirst();
        await commit(applyStep(state, toStep(args), Date.now(), args.actor));
        return view();
      },
      {
        // The API checked the body already; a caller straight from the Temporal CLI or UI has not.
        // Validators do not run on replay, so this refuses nothing a running ticket already took.
        validator: (args: A) => {
          const kind = (Object.keys(STEP_UPDATES) as StepKind[]).find((k) => STEP_UPDATES[k].name === def.name)!;
          const issues = stepChecks().stepUpdateIssues(kind, args);
          if (issues) throw invalidPayload(kind, issues);
          refuse(() => checkStep(state, toStep(args)));
        },
      },
    );
  }

  // ---- Ops steps from the Temporal UI or CLI: the API's schema and the same checkStep/applyStep.
  // They run one at a time, in arrival order: an assign waits for the directory, and the step after
  // it must see its result.
  let opsQueue: Promise<unknown> = Promise.resolve();
  function serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = opsQueue.then(fn);
    opsQueue = run.catch(() => undefined);
    return run;
  }

  type OpsOutcome = { ok: true; result: StepResult } | { ok: false; type: string; actor: string; reason: string; issues: string[] };

  async function opsStep(kind: StepKind, payload: OpsStepPayload): Promise<OpsOutcome> {
    await receivedFirst();
    return serialised(async () => {
      const parsed = stepChecks().parseOpsStep(kind, payload);
      if (!parsed.ok) return { ok: false, type: VALIDATION_FAILED, actor: parsed.actor, reason: parsed.reason, issues: parsed.issues };
      let step = parsed.step;
      try {
        checkStep(state, step);
      } catch (err) {
        if (err instanceof StepNotAllowed) return { ok: false, type: STEP_NOT_ALLOWED, actor: parsed.actor, reason: err.message, issues: [] };
        throw err;
      }
      if (parsed.assignee) {
        const person = await findAssignee.executeWithOptions({ summary: `#${state.number} look up assignee ${assigneeLabel(parsed.assignee)}` }, [parsed.assignee]);
        if (!person) return { ok: false, type: UNKNOWN_TECHNICIAN, actor: parsed.actor, reason: `${assigneeLabel(parsed.assignee)} is not an active technician or lead`, issues: [] };
        step = { kind: 'assign', assignee: person };
      }
      // The state may have moved while the directory answered.
      try {
        checkStep(state, step);
      } catch (err) {
        if (err instanceof StepNotAllowed) return { ok: false, type: STEP_NOT_ALLOWED, actor: parsed.actor, reason: err.message, issues: [] };
        throw err;
      }
      await commit(applyStep(state, step, Date.now(), parsed.actor));
      return { ok: true, result: view() };
    });
  }

  for (const kind of Object.keys(OPS_STEP_NAMES) as StepKind[]) {
    // A signal has nobody to answer: a refusal goes on the ticket's record, in its details and in the log.
    setHandler(OPS_STEP_SIGNALS[kind], async (payload) => {
      const outcome = await opsStep(kind, payload);
      if (outcome.ok) return;
      const via = `signal ${OPS_STEP_NAMES[kind]}`;
      log.warn('ops step refused', { ticket: state.number, via, actor: outcome.actor, reason: outcome.reason });
      lastRefusal = `${new Date(Date.now()).toISOString()} ${OPS_STEP_NAMES[kind]} by ${outcome.actor}: ${outcome.reason}`;
      await commit(applyStepRefused(state, { step: kind, via, reason: outcome.reason, issues: outcome.issues }, Date.now(), outcome.actor));
    });
    // The Update of the same name answers its caller, like the API: refused before it is accepted
    // when the payload or the state says no, so nothing is recorded then.
    setHandler(
      OPS_STEP_UPDATES[kind],
      async (payload) => {
        const outcome = await opsStep(kind, payload);
        if (outcome.ok) return outcome.result;
        throw ApplicationFailure.create({ type: outcome.type, message: outcome.reason, nonRetryable: true, details: [{ step: kind, status: state.status, issues: outcome.issues }] });
      },
      {
        validator: (payload) => {
          const parsed = stepChecks().parseOpsStep(kind, payload);
          if (!parsed.ok) throw invalidPayload(kind, parsed.issues);
          refuse(() => checkStep(state, parsed.step));
        },
      },
    );
  }

  // ---- Sessions: each runs as a child workflow; its events come back by signal and are recorded here.
  const sessionScopes = new Map<string, CancellationScope>();
  const sessionRuns: Promise<unknown>[] = [];

  async function startSession(args: SessionRequestArgs): Promise<string> {
    // From the ticket number, not workflowInfo(): the id must be the same when a history is replayed elsewhere.
    const sessionId = sessionWorkflowId(ticketWorkflowId(state.number), args.kind, sessionCount(state, args.kind) + 1);
    await commit(applySessionRequested(state, { kind: args.kind, sessionId, reason: args.reason ?? undefined }, Date.now(), args.actor));
    const { actor, ...request } = args;
    const child: SessionWorkflowInput = {
      ...request,
      sessionId,
      ticketWorkflowId: ticketWorkflowId(state.number),
      ticketId: state.ticketId,
      number: state.number,
      customerId: input.customerId,
      subject: input.subject,
      plan: state.plan,
      impact: state.impact,
      requestedBy: actor,
      assignee: state.assignee,
    };
    // Its own scope, so resolving or closing the ticket can cancel just this session.
    const scope = new CancellationScope();
    sessionScopes.set(sessionId, scope);
    const handle = await scope.run(() =>
      startChild(SESSION_WORKFLOW_TYPES[args.kind], {
        workflowId: sessionId,
        args: [child],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        staticSummary: `#${state.number} ${SESSION_LABELS[args.kind]}${args.technology ? ` (${args.technology})` : ''}${args.brand ? ` with ${args.brand}` : ''}`,
        staticDetails: `Ticket #${state.number}: ${input.subject}\n\nRequested by ${actor}${args.reason ? `\n\nWhy: ${args.reason}` : ''}`,
        typedSearchAttributes: [
          { key: SA.number, value: state.number },
          { key: SA.customer, value: input.customerId },
          { key: SA.sessionKind, value: args.kind },
        ],
      }),
    );
    sessionRuns.push(
      scope
        .run(() => handle.result())
        .catch((err) => log.warn('session ended with an error', { sessionId, err: String(err) }))
        .finally(() => sessionScopes.delete(sessionId)),
    );
    return sessionId;
  }

  function cancelSessions(): void {
    for (const x of activeSessions(state)) {
      const scope = sessionScopes.get(x.id);
      if (scope) {
        sessionScopes.delete(x.id);
        scope.cancel();
      }
    }
  }

  setHandler(
    requestSessionUpdate,
    async (args) => {
      await receivedFirst();
      const sessionId = await startSession(args);
      return { ...view(), sessionId };
    },
    {
      validator: (args) => {
        refuseUnstorable(args);
        refuse(() => checkSessionRequest(state, args.kind));
      },
    },
  );

  setHandler(sessionEventSignal, async (ev) => {
    await commit(applySessionEvent(state, ev));
  });

  registerStep(STEP_UPDATES.assign, (a) => ({ kind: 'assign', assignee: a.assignee }));
  registerStep(STEP_UPDATES.respond, (a) => ({ kind: 'respond', via: a.via, message: a.message }));
  registerStep(STEP_UPDATES['wait-for-customer'], (a) => ({ kind: 'wait-for-customer', message: a.message }));
  registerStep(STEP_UPDATES['customer-replied'], (a) => ({ kind: 'customer-replied', message: a.message }));
  registerStep(STEP_UPDATES.resolve, (a) => ({ kind: 'resolve', resolution: a.resolution }));
  registerStep(STEP_UPDATES.reopen, (a) => ({ kind: 'reopen', reason: a.reason }));
  registerStep(STEP_UPDATES.close, (a) => ({ kind: 'close', reason: a.reason }));

  setHandler(
    customerMessageUpdate,
    async ({ actor, ...msg }) => {
      await receivedFirst();
      await commit(applyCustomerMessage(state, msg, Date.now(), actor));
      return view();
    },
    {
      validator: (args) => {
        refuseUnstorable(args);
        refuse(() => checkCustomerMessage(state));
      },
    },
  );

  setHandler(slaStateQuery, (): TicketSnapshotView => ({
    ...view(),
    number: state.number,
    complex: state.complex,
    sessions: state.sessions,
    assignee: state.assignee,
    respondedVia: state.respondedVia,
    breached: isBreached(state),
    asOf: new Date(Date.now()).toISOString(),
  }));

  /**
   * Customer reminders came after tickets were already running: a ticket that waited on its
   * customer before them must replay without the reminder timer, so the change is patched in.
   */
  function remindersOn(): boolean {
    return state.status === 'waiting_on_customer' && has(CUSTOMER_REMINDERS_PATCH);
  }

  /** The policy flags a ticket as highly complex when some targets breach: a brand meeting starts by itself. */
  async function autoEscalate(events: TicketEvent[]): Promise<void> {
    const clockName = autoBrandMeetingDue(state, events);
    if (!clockName || !input.product || !input.requester || !input.sessionTimings) return;
    await startSession({
      actor: 'system',
      kind: 'brand',
      reason: `${clockName} target of an ${state.plan} impact ${state.impact} ticket breached`,
      brand: input.product.brand,
      technology: input.product.technology,
      requester: input.requester,
      endUser: input.endUser ?? null,
      timings: input.sessionTimings,
    });
  }

  // The start (services/workflow-starter.ts) sets the ticket's fixed attributes, its status and
  // breached flag; upserting them again cost each ticket an event and a visibility write at intake.
  // Since GENERATION_PATCH the first publish upserts only what the start could not know (the due
  // times, an assignee). Older histories upserted the fixed ones here and replay so.
  if (current) {
    published.set(SA.status.name, STARTED_TICKET_STATE.status);
    published.set(SA.breached.name, STARTED_TICKET_STATE.breached);
    published.set(SA.assignee.name, STARTED_TICKET_STATE.assignee);
  } else {
    upsertSearchAttributes([
      { key: SA.plan, value: input.plan },
      { key: SA.impact, value: input.impact },
      { key: SA.customer, value: input.customerId },
      { key: SA.number, value: input.number },
      { key: SA.customerName, value: input.customerName },
      ...(input.channel ? [{ key: SA.channel, value: input.channel }] : []),
      ...(input.type ? [{ key: SA.type, value: input.type }] : []),
    ]);
  }
  const receiving = commit(receivedEvent(state, input.receivedAt, input.actor, { subject: input.subject, customerName: input.customerName }));
  received = true;
  await receiving;

  for (;;) {
    // Alarms first: a workflow started late (worker or server was down) catches up at once.
    const alarms = applyDueAlarms(state, Date.now());
    await commit(alarms);
    await autoEscalate(alarms.events);
    await commit(applyAutoClose(state, Date.now()));
    const reminders = remindersOn();
    if (reminders) await commit(applyCustomerReminder(state, Date.now()));
    // A resolved or closed ticket needs no session any more; their invitations are withdrawn.
    if (state.status === 'resolved' || state.status === 'closed') cancelSessions();
    if (state.status === 'closed') break;
    const wakeAt = nextWakeUp(state, reminders);
    const seen = state.version;
    if (wakeAt === null) {
      await condition(() => state.version !== seen);
    } else if (wakeAt > Date.now()) {
      await condition(() => state.version !== seen, wakeAt - Date.now(), { summary: timerSummary(state, wakeAt) });
    }
  }

  await Promise.all(sessionRuns);
  // allHandlersFinished() is a test, not a wait: a step still recording (close) used to be cut off
  // by the workflow's end (a 502 to the caller, the row left "resolved"). Tickets that ended
  // before this patch replay as they ran.
  if (has(WAIT_FOR_HANDLERS)) await condition(allHandlersFinished);
  await Promise.all(emails);
  return {
    number: state.number,
    status: state.status,
    breached: isBreached(state),
    responseBreachedAt: state.response.breachedAt,
    resolutionBreachedAt: state.resolution.breachedAt,
  };
}

/** A validator's refusal, in the failure types the API maps to its error codes. */
function refuse(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof StepNotAllowed) {
      throw ApplicationFailure.create({ type: STEP_NOT_ALLOWED, message: err.message, nonRetryable: true, details: [{ step: err.step, status: err.status }] });
    }
    if (err instanceof NotInPlan) {
      throw ApplicationFailure.create({ type: NOT_IN_PLAN, message: err.message, nonRetryable: true, details: [{ plan: err.plan }] });
    }
    throw err;
  }
}

/** An Update's argument the step's schema refuses, in the failure type the API maps to 400. */
function invalidPayload(kind: StepKind, issues: string[]): ApplicationFailure {
  return ApplicationFailure.create({ type: VALIDATION_FAILED, message: `invalid payload for "${kind}": ${issues.join('; ')}`, nonRetryable: true, details: issues.map((message) => ({ message })) });
}

const assigneeLabel = (ref: AssigneeRef) => ('assigneeId' in ref ? ref.assigneeId : ref.assigneeEmail);

/** The activity summaries a person reads in the ticket's history. */
function recordSummary(number: number, events: TicketEvent[], mails: Notification[]): string {
  return [`#${number} record: ${events.map((e) => e.type).join(', ')}`, ...mails.map(mailLabel)].join(' · ').slice(0, 200);
}

function notifySummary(number: number, n: Notification): string {
  return `#${number} ${mailLabel(n)}`;
}

const mailLabel = (n: Notification) => `e-mail ${n.kind} to ${n.audience}`;

/** What ops read on the workflow's page: its state, who has it, what falls due next. */
function currentDetails(state: TicketState, lastRefusal: string | null): string {
  const sla = slaView(state, Date.now());
  const [next] = pendingAlarms(state);
  const close = autoCloseAt(state);
  const nextLine = next
    ? `Next: ${next.clock} ${next.kind} at ${new Date(next.at).toISOString()}`
    : close !== null
      ? `Next: closes by itself at ${new Date(close).toISOString()}`
      : state.status === 'waiting_on_customer'
        ? 'Next: the customer\'s reply (resolution clock paused)'
        : 'Next: nothing due';
  return [
    `**Ticket #${state.number}** · ${state.plan} · impact ${state.impact} (${IMPACT_LABELS[state.impact]}) · **${state.status}**`,
    `Assignee: ${state.assignee ? state.assignee.email : 'unassigned'}`,
    `Response: ${sla.response.status}${sla.response.dueAt ? ` · due ${sla.response.dueAt}` : ''}`,
    `Resolution: ${sla.resolution.status}${sla.resolution.dueAt ? ` · due ${sla.resolution.dueAt}` : ''}`,
    nextLine,
    ...(lastRefusal ? [`Last refused step: ${lastRefusal}`] : []),
  ].join('\n\n');
}

/** What the pending timer waits for, as ops read it in the Temporal UI. */
function timerSummary(state: TicketState, wakeAt: number): string {
  const [next] = pendingAlarms(state);
  if (next && next.at === wakeAt) return `#${state.number} ${next.clock} ${next.kind} at ${new Date(next.at).toISOString()}`;
  if (customerReminderAt(state) === wakeAt) return `#${state.number} reminder to the customer at ${new Date(wakeAt).toISOString()}`;
  return `auto-close of resolved ticket #${state.number}`;
}
