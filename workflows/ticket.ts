// One support ticket as a durable workflow: two SLA clocks (response, resolution), technician
// steps as validated Updates, warning/breach alarms as timers. All decisions come from the pure
// lifecycle in domain/; all I/O (database, e-mail) happens in activities.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  type TemporalFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  log,
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
import { notificationsFor, stuckRecordNotice, type Notification } from '../domain/notifications';
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
  applyRecordResumed,
  applyRecordStuck,
  checkStep,
  isBreached,
  nextWakeUp,
  openTicket,
  pendingAlarms,
  receivedEvent,
  slaView,
  StepNotAllowed,
  type Person,
  type Step,
  type StepKind,
  type TicketEvent,
  type TicketState,
  type Transition,
} from '../domain/ticket-lifecycle';
import type { RecordInput, TicketSnapshot } from '../activities/types';
import {
  DIRECTORY_UNAVAILABLE,
  NOT_IN_PLAN,
  OPS_RETRY_RECORD,
  OPS_STEP_NAMES,
  OPS_STEP_SIGNALS,
  OPS_STEP_UPDATES,
  SESSION_WORKFLOW_TYPES,
  RECORD_STILL_FAILING,
  UNKNOWN_ACTOR,
  UNKNOWN_TECHNICIAN,
  VALIDATION_FAILED,
  STEP_NOT_ALLOWED,
  STEP_UPDATES,
  customerMessageUpdate,
  opsRetryRecordSignal,
  opsRetryRecordUpdate,
  requestSessionUpdate,
  retryRecordUpdate,
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
import { refuseUnstorable } from './payload-checks';
import { unstorableIssues } from '../domain/storable-text';
import { LOOKUP, WRITE, failedForGood, failureOf } from './activity-options';

// Activities are called through executeWithOptions only to add a summary (user metadata, outside
// the determinism check); their timeouts and retries stay those of the proxy, all bounded
// (workflows/activity-options.ts). When the record's (WRITE) run out, the ticket is stuck.
const { markRecordStuck, clearRecordStuck } = proxyActivities<TicketActivities>(WRITE);
const { findAssignee, findActor } = proxyActivities<TicketActivities>(LOOKUP);

// The record is a local activity: it runs inside the workflow task that decided it, so an alarm
// costs one workflow task and no activity task (a timer's workflow task, the record, the next
// timer), and the history it adds is a marker instead of an activity's three events and a second
// workflow task.
const { recordTicket } = proxyLocalActivities<TicketActivities>(WRITE);

// The step schemas, and zod with them, load on a ticket's first step check rather than with the
// workflow: every run evaluates the modules it imports (again after each eviction from the worker's
// cache) and most runs check no step (see worker/workflow-bundle.ts).
const stepChecks = (): typeof import('../domain/step-bodies') => require('../domain/step-bodies');

export interface TicketOutcome {
  number: number;
  status: TicketState['status'];
  breached: boolean;
  responseBreachedAt: number | null;
  resolutionBreachedAt: number | null;
}

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketOutcome> {
  let state = openTicket(input);

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
  // The e-mails are queued in the same statement as the events (the worker's mail outbox sends
  // them): one record per change, no activity per e-mail.
  async function commit(t: Transition): Promise<void> {
    state = t.state;
    if (t.events.length === 0) return;
    publish();
    // decidedIn: a local record runs before its workflow task is committed; if that task is lost,
    // its retry may decide otherwise under the same event numbers, and its record must win.
    const input: RecordInput = { ticketId: state.ticketId, events: t.events, snapshot: snapshot(), notifications: notificationsFor(state.ticketId, t.events), decidedIn: workflowInfo().historyLength };
    // A stuck ticket writes nothing until a lead retries: what it decides waits behind what failed.
    if (stuck) {
      owe(input);
      void remark();
      return;
    }
    try {
      await write(input);
    } catch (err) {
      if (!failedForGood(err)) throw err;
      await recordFailed(input, err);
    }
  }

  function write(input: RecordInput): Promise<void> {
    return recordTicket.executeWithOptions({ summary: recordSummary(state.number, input.events, input.notifications) }, [input]);
  }

  // ---- A record that failed for good (Postgres refused it, or its retries ran out): the ticket is
  // stuck. It goes on deciding (its clocks fire, steps apply), keeps every record it could not write
  // in order, says so where the ticket's own rows are not needed (a mark of its own, the lead's
  // e-mail, a search attribute, its details), and writes them all once a lead retries.

  /** Records not written yet, oldest first; only while stuck. */
  const owed: RecordInput[] = [];
  let stuck: { since: number; type: string; reason: string } | null = null;
  let retrying: Promise<unknown> = Promise.resolve();

  /** In event order: records tried at the same time may fail in any order. */
  function owe(input: RecordInput): void {
    const first = (r: RecordInput) => r.events[0]?.seq ?? 0;
    const at = owed.findIndex((r) => first(r) > first(input));
    owed.splice(at < 0 ? owed.length : at, 0, input);
    setCurrentDetails(currentDetails(state, lastRefusal, stuckDetails()));
  }

  async function recordFailed(input: RecordInput, err: TemporalFailure): Promise<void> {
    owe(input);
    const failure = failureOf(err);
    if (stuck) {
      // Another record failed first (they were tried together): one episode, one mark, counting this one.
      void remark();
      return;
    }
    stuck = { since: Date.now(), ...failure };
    upsertSearchAttributes([{ key: SA.recordStuck, value: true }]);
    // The history says so in its place (written with the rest): its commit only adds to what is owed,
    // and starts the mark, which carries the lead's e-mail.
    const marked = applyRecordStuck(state, { ...failure, records: owed.length }, stuck.since);
    notice = stuckRecordNotice(state.ticketId, marked.events[0]);
    await commit(marked);
    log.error('ticket record failed for good: the ticket is stuck until a lead retries it', { ticket: state.number, type: failure.type, reason: failure.reason });
    // Visible before the step or the timer that failed goes on.
    await (marking ?? remark());
  }

  // The stuck mark follows what is owed (one write at a time, the latest state when it runs), so a
  // database that is down holds up no step or timer: only the first mark of an episode is awaited.
  let marking: Promise<void> | null = null;
  let remarkDue = false;
  let notice: Notification | undefined;

  /** The stuck mark and, on an episode's first, the lead's e-mail; if even that fails, the workflow's details and search attribute still say it. */
  function remark(): Promise<void> {
    remarkDue = true;
    // Started after this returns (a later microtask), so `marking` is set before the run can clear it.
    marking ??= Promise.resolve().then(async () => {
      while (remarkDue && stuck) {
        remarkDue = false;
        const tell = notice;
        notice = undefined;
        try {
          await markRecordStuck.executeWithOptions({ summary: `#${state.number} record stuck: ${owed.length} waiting` }, [
            { ticketId: state.ticketId, since: stuck.since, type: stuck.type, reason: stuck.reason, records: owed.length, ...(tell ? { notice: tell } : {}) },
          ]);
        } catch (err) {
          // The lead's e-mail goes with the next mark that can be written (the next record owed, a retry);
          // nothing here may end the loop early (it would leave `marking` set for good).
          notice ??= tell;
          log.error('could not mark the ticket stuck', { ticket: state.number, err: String(err) });
        }
      }
      // In the same synchronous step as the loop's last test: a remark from now on starts a new run.
      marking = null;
    });
    return marking;
  }

  const stuckDetails = () => (stuck ? { since: stuck.since, type: stuck.type, reason: stuck.reason, records: owed.length } : null);

  /**
   * Write what is owed, in order, and clear the mark; the retry is recorded as who did it. Retries
   * run one at a time. On a ticket that is not stuck it only clears a mark left behind.
   */
  function retryRecord(actor: string): Promise<number> {
    const run = retrying.then(async () => {
      if (!stuck) {
        await clearRecordStuck.executeWithOptions({ summary: `#${state.number} record not stuck` }, [{ ticketId: state.ticketId }]).catch(() => undefined);
        return 0;
      }
      let written = 0;
      while (owed.length > 0) {
        try {
          await write(owed[0]);
        } catch (err) {
          if (!failedForGood(err)) throw err;
          stuck = { ...stuck, ...failureOf(err) };
          await remark();
          setCurrentDetails(currentDetails(state, lastRefusal, stuckDetails()));
          throw ApplicationFailure.create({
            type: RECORD_STILL_FAILING,
            message: `the record of ticket #${state.number} still fails (${stuck.type}: ${stuck.reason}); ${written} of ${written + owed.length} waiting records written`,
            nonRetryable: true,
            details: [{ written, waiting: owed.length, type: stuck.type }],
          });
        }
        owed.shift();
        written++;
      }
      const since = stuck.since;
      stuck = null;
      upsertSearchAttributes([{ key: SA.recordStuck, value: false }]);
      // A mark still being written must not land after the clear.
      await marking;
      await clearRecordStuck
        .executeWithOptions({ summary: `#${state.number} record written again` }, [{ ticketId: state.ticketId }])
        .catch((err) => log.error('could not clear the stuck mark', { ticket: state.number, err: String(err) }));
      await commit(applyRecordResumed(state, { stuckSince: since, records: written }, Date.now(), actor));
      return written;
    });
    retrying = run.catch(() => undefined);
    return run;
  }

  /** The last step refused without an answer to its sender (an ops signal), shown in the details. */
  let lastRefusal: string | null = null;

  /** The search attributes as last upserted, to compare against (Dates as epoch ms). */
  const published = new Map<string, unknown>();

  // A warning or an escalation moves none of the attributes ops filter on: only what changed is
  // upserted, and nothing when nothing did (each upsert is a history event and a write to the
  // visibility store).
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
    if (changed.length > 0) upsertSearchAttributes(changed);
    setCurrentDetails(currentDetails(state, lastRefusal, stuckDetails()));
  }

  // A step that reaches a workflow before its first task ran (a busy server) is handled before the
  // workflow body; it must still come after "received" in the history.
  let received = false;
  async function receivedFirst(): Promise<void> {
    if (!received) await condition(() => received);
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

  type OpsRefusal = { ok: false; type: string; actor: string; reason: string; issues: string[] };
  type OpsOutcome<R = StepResult> = { ok: true; result: R } | OpsRefusal;

  /**
   * The person an ops payload names must be in the directory: enabled, and in a role that may do
   * this (the API's permission of the same name). Null when they are; else the refusal.
   */
  async function unknownActor(parsed: { actor: string; email: string }, permission: 'workTickets' | 'retryRecords'): Promise<OpsRefusal | null> {
    const roles = permission === 'workTickets' ? 'technician or lead' : 'lead or admin';
    const refused = (type: string, reason: string): OpsRefusal => ({ ok: false, type, actor: parsed.actor, reason, issues: [] });
    try {
      const person = await findActor.executeWithOptions({ summary: `#${state.number} look up ops actor ${parsed.email}` }, [{ email: parsed.email, permission }]);
      return person ? null : refused(UNKNOWN_ACTOR, `${parsed.email} is not an enabled ${roles} in the directory`);
    } catch (err) {
      if (!failedForGood(err)) throw err;
      return refused(DIRECTORY_UNAVAILABLE, `the directory could not be read to check ${parsed.email}: ${failureOf(err).reason}`);
    }
  }

  async function opsStep(kind: StepKind, payload: OpsStepPayload): Promise<OpsOutcome> {
    await receivedFirst();
    return serialised(async () => {
      const parsed = stepChecks().parseOpsStep(kind, payload);
      if (!parsed.ok) return { ok: false, type: VALIDATION_FAILED, actor: parsed.actor, reason: parsed.reason, issues: parsed.issues };
      const stranger = await unknownActor(parsed, 'workTickets');
      if (stranger) return stranger;
      let step = parsed.step;
      try {
        checkStep(state, step);
      } catch (err) {
        if (err instanceof StepNotAllowed) return { ok: false, type: STEP_NOT_ALLOWED, actor: parsed.actor, reason: err.message, issues: [] };
        throw err;
      }
      if (parsed.assignee) {
        let person: Person | null;
        try {
          person = await findAssignee.executeWithOptions({ summary: `#${state.number} look up assignee ${assigneeLabel(parsed.assignee)}` }, [parsed.assignee]);
        } catch (err) {
          if (!failedForGood(err)) throw err;
          return { ok: false, type: DIRECTORY_UNAVAILABLE, actor: parsed.actor, reason: `the directory could not be read to find ${assigneeLabel(parsed.assignee)}: ${failureOf(err).reason}`, issues: [] };
        }
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

  /** A signal has nobody to answer: a refusal goes on the ticket's record, in its details and in the log. */
  async function refusedSignal(step: StepKind | 'retry-record', name: string, outcome: OpsRefusal): Promise<void> {
    const via = `signal ${name}`;
    log.warn('ops step refused', { ticket: state.number, via, actor: outcome.actor, reason: outcome.reason });
    lastRefusal = `${new Date(Date.now()).toISOString()} ${name} by ${outcome.actor}: ${outcome.reason}`;
    await commit(applyStepRefused(state, { step, via, reason: outcome.reason, issues: outcome.issues }, Date.now(), outcome.actor));
  }

  /** The Update's answer to a refusal: its type is what the caller (the API, the CLI) tells apart. */
  const refusedUpdate = (step: string, outcome: OpsRefusal) =>
    ApplicationFailure.create({ type: outcome.type, message: outcome.reason, nonRetryable: true, details: [{ step, status: state.status, issues: outcome.issues }] });

  for (const kind of Object.keys(OPS_STEP_NAMES) as StepKind[]) {
    setHandler(OPS_STEP_SIGNALS[kind], async (payload) => {
      const outcome = await opsStep(kind, payload);
      if (!outcome.ok) await refusedSignal(kind, OPS_STEP_NAMES[kind], outcome);
    });
    // The Update of the same name answers its caller, like the API: refused before it is accepted
    // when the payload or the state says no, so nothing is recorded then; refused after it, with
    // nothing recorded either, when the directory does not know the sender.
    setHandler(
      OPS_STEP_UPDATES[kind],
      async (payload) => {
        const outcome = await opsStep(kind, payload);
        if (outcome.ok) return outcome.result;
        throw refusedUpdate(kind, outcome);
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

  // ---- Retrying a stuck record: the API (a lead's button; the caller was authenticated there), and
  // ops from the Temporal UI or CLI as a Signal or an Update, whose sender the directory must know.
  setHandler(retryRecordUpdate, async ({ actor }) => ({ ...view(), written: await retryRecord(actor) }), {
    validator: (args) => {
      const issues = stepChecks().retryRecordIssues(args);
      if (issues) throw invalidPayload('retry-record', issues);
    },
  });

  async function opsRetry(payload: OpsStepPayload): Promise<OpsOutcome<number>> {
    await receivedFirst();
    return serialised(async () => {
      const parsed = stepChecks().parseOpsRetryRecord(payload);
      if (!parsed.ok) return { ok: false, type: VALIDATION_FAILED, actor: parsed.actor, reason: parsed.reason, issues: parsed.issues };
      const stranger = await unknownActor(parsed, 'retryRecords');
      if (stranger) return stranger;
      try {
        return { ok: true, result: await retryRecord(parsed.actor) };
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type === RECORD_STILL_FAILING) return { ok: false, type: RECORD_STILL_FAILING, actor: parsed.actor, reason: err.message, issues: [] };
        throw err;
      }
    });
  }

  setHandler(opsRetryRecordSignal, async (payload) => {
    const outcome = await opsRetry(payload);
    // Still failing is already on the mark and in the details; a refusal to record would only wait behind it.
    if (!outcome.ok && outcome.type !== RECORD_STILL_FAILING) await refusedSignal('retry-record', OPS_RETRY_RECORD, outcome);
  });
  setHandler(
    opsRetryRecordUpdate,
    async (payload) => {
      const outcome = await opsRetry(payload);
      if (outcome.ok) return { ...view(), written: outcome.result };
      throw refusedUpdate('retry-record', outcome);
    },
    {
      validator: (payload) => {
        const parsed = stepChecks().parseOpsRetryRecord(payload);
        if (!parsed.ok) throw invalidPayload('retry-record', parsed.issues);
      },
    },
  );

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
    // Sent by the ticket's own sessions, but anyone with the Temporal UI can send it: text no
    // store can keep would leave the ticket stuck on its record, so it is dropped here.
    const unstorable = unstorableIssues(ev);
    if (unstorable) {
      log.warn('session event refused: it carries text that cannot be stored', { ticket: state.number, sessionId: String(ev?.sessionId ?? '').slice(0, 100), paths: unstorable.map((i) => i.path) });
      return;
    }
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
    recordStuck: stuck ? { since: new Date(stuck.since).toISOString(), type: stuck.type, reason: stuck.reason, records: owed.length } : null,
    asOf: new Date(Date.now()).toISOString(),
  }));

  /** The policy flags a ticket as highly complex when some targets breach: a brand meeting starts by itself. */
  async function autoEscalate(events: TicketEvent[]): Promise<void> {
    const clockName = autoBrandMeetingDue(state, events);
    if (!clockName || !input.product) return;
    await startSession({
      actor: 'system',
      kind: 'brand',
      reason: `${clockName} target of an ${state.plan} impact ${state.impact} ticket breached`,
      brand: input.product.brand,
      technology: input.product.technology,
      requester: input.requester,
      endUser: input.endUser,
      timings: input.sessionTimings,
    });
  }

  // The start (services/workflow-starter.ts) sets the ticket's fixed attributes, its status and
  // breached flag: the first publish upserts only what the start could not know (the due times,
  // an assignee).
  published.set(SA.status.name, STARTED_TICKET_STATE.status);
  published.set(SA.breached.name, STARTED_TICKET_STATE.breached);
  published.set(SA.assignee.name, STARTED_TICKET_STATE.assignee);
  const receiving = commit(receivedEvent(state, input.receivedAt, input.actor, { subject: input.subject, customerName: input.customerName }));
  received = true;
  await receiving;

  for (;;) {
    // Alarms first: a workflow started late (worker or server was down) catches up at once.
    const alarms = applyDueAlarms(state, Date.now());
    await commit(alarms);
    await autoEscalate(alarms.events);
    await commit(applyAutoClose(state, Date.now()));
    await commit(applyCustomerReminder(state, Date.now()));
    // A resolved or closed ticket needs no session any more; their invitations are withdrawn.
    if (state.status === 'resolved' || state.status === 'closed') cancelSessions();
    if (state.status === 'closed') break;
    const wakeAt = nextWakeUp(state, true);
    const seen = state.version;
    if (wakeAt === null) {
      await condition(() => state.version !== seen);
    } else if (wakeAt > Date.now()) {
      await condition(() => state.version !== seen, wakeAt - Date.now(), { summary: timerSummary(state, wakeAt) });
    }
  }

  await Promise.all(sessionRuns);
  // A stuck ticket ends only once what it owes its record is written (a lead's retry).
  if (stuck) await condition(() => stuck === null);
  // A step still recording (close) would be cut off by the workflow's end (a 502 to the caller,
  // the row left "resolved"); allHandlersFinished() is a test, not a wait.
  await condition(allHandlersFinished);
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
function invalidPayload(kind: StepKind | 'retry-record', issues: string[]): ApplicationFailure {
  return ApplicationFailure.create({ type: VALIDATION_FAILED, message: `invalid payload for "${kind}": ${issues.join('; ')}`, nonRetryable: true, details: issues.map((message) => ({ message })) });
}

const assigneeLabel = (ref: AssigneeRef) => ('assigneeId' in ref ? ref.assigneeId : ref.assigneeEmail);

/** The activity summaries a person reads in the ticket's history. */
function recordSummary(number: number, events: TicketEvent[], mails: Notification[]): string {
  return [`#${number} record: ${events.map((e) => e.type).join(', ')}`, ...mails.map(mailLabel)].join(' · ').slice(0, 200);
}

const mailLabel = (n: Notification) => `e-mail ${n.kind} to ${n.audience}`;

/** What ops read on the workflow's page: its state, who has it, what falls due next, a stuck record. */
function currentDetails(state: TicketState, lastRefusal: string | null, stuck: { since: number; type: string; reason: string; records: number } | null): string {
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
    ...(stuck
      ? [`**Record stuck** since ${new Date(stuck.since).toISOString()} (${stuck.type}: ${stuck.reason.slice(0, 300)}); ${stuck.records} record(s) waiting. Once fixed: ${OPS_RETRY_RECORD} with {"actor": "<a lead's e-mail>"}`]
      : []),
  ].join('\n\n');
}

/** What the pending timer waits for, as ops read it in the Temporal UI. */
function timerSummary(state: TicketState, wakeAt: number): string {
  const [next] = pendingAlarms(state);
  if (next && next.at === wakeAt) return `#${state.number} ${next.clock} ${next.kind} at ${new Date(next.at).toISOString()}`;
  if (customerReminderAt(state) === wakeAt) return `#${state.number} reminder to the customer at ${new Date(wakeAt).toISOString()}`;
  return `auto-close of resolved ticket #${state.number}`;
}

