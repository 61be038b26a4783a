// One support ticket as a durable workflow: two SLA clocks (response, resolution), technician
// steps as validated Updates, warning/breach alarms as timers. All decisions come from the pure
// lifecycle in domain/; all I/O (database, e-mail) happens in activities. This file is the
// ticket's life from its receipt to its end; each concern it wires has a file in ticket/: the
// technician and customer steps (steps.ts), ops from the Temporal UI (ops.ts), sessions as child
// workflows (sessions.ts), the record and a stuck one (record.ts), what ops see (visibility.ts).
// A ticket can stay open for months: its run hands over to a new one (continue-as-new, same id)
// when its history grows long, carrying the ticket as decided (run-boundary.ts).
import { allHandlersFinished, condition, continueAsNew, log, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { TicketActivities } from '../activities';
import { notificationsFor } from '../domain/notifications';
import {
  allowedSteps,
  applyAutoClose,
  applyCustomerReminder,
  applyDueAlarms,
  isBreached,
  nextWakeUp,
  openTicket,
  receivedEvent,
  slaView,
  windowsNeeded,
  withWindows,
  type TicketState,
  type Transition,
} from '../domain/ticket-lifecycle';
import { COMPUTE, failedForGood } from './activity-options';
import { slaStateQuery, type StepResult, type TicketSnapshotView, type TicketWorkflowInput } from './definitions';
import { createRunBoundary } from './run-boundary';
import type { TicketContext } from './ticket/context';
import { createOps } from './ticket/ops';
import { createRecorder, registerRecordRetry } from './ticket/record';
import { registerSessions } from './ticket/sessions';
import { registerSteps } from './ticket/steps';
import { createVisibility, timerSummary } from './ticket/visibility';

export interface TicketOutcome {
  number: number;
  status: TicketState['status'];
  breached: boolean;
  responseBreachedAt: number | null;
  resolutionBreachedAt: number | null;
}

const { workingWindows } = proxyLocalActivities<TicketActivities>(COMPUTE);

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketOutcome> {
  const { carried, ...ticketInput } = input;
  let state = carried?.state ?? openTicket(input);
  // A continued run took over a ticket whose "received" was decided long ago.
  let received = carried !== undefined;
  const boundary = createRunBoundary(carried, input.historyLimit);

  const ticket: TicketContext = {
    input,
    get state() {
      return state;
    },
    commit,
    view: (): StepResult => ({ status: state.status, version: state.version, sla: slaView(state, Date.now()), allowedSteps: allowedSteps(state) }),
    async ready() {
      if (!received) await condition(() => received);
      await calendarRecorded();
    },
    setUpdate: boundary.setUpdate,
  };
  const visibility = createVisibility(ticket, () => recorder.stuck(), carried !== undefined);
  const recorder = createRecorder(ticket, visibility);

  /**
   * Working time is read from windows the clocks recorded (domain/working-windows.ts), so a replay
   * or a tzdata change never decides otherwise; computed by a local activity when a decision now
   * needs more of them (a clock started or resumed, a day went by).
   */
  async function calendarRecorded(): Promise<void> {
    const need = windowsNeeded(state, Date.now());
    if (!need) return;
    try {
      const windows = await workingWindows.executeWithOptions({ summary: `#${input.number} working time of calendar ${need.calendar.timezone} from ${new Date(need.from).toISOString()}` }, [need]);
      state = withWindows(state, windows);
    } catch (err) {
      if (!failedForGood(err)) throw err;
      // The clocks ask the calendar themselves meanwhile (as they do outside their windows).
      log.error('could not record the working time of the ticket\'s calendar', { ticket: state.number, err: String(err) });
    }
  }

  // Record the transition, tell the people concerned, and refresh what ops see in the UI.
  // The e-mails are queued in the same statement as the events (the worker's mail outbox sends
  // them): one record per change, no activity per e-mail.
  async function commit(t: Transition): Promise<void> {
    state = t.state;
    if (t.events.length === 0) return;
    visibility.publish();
    await recorder.record({
      ticketId: state.ticketId,
      events: t.events,
      snapshot: {
        version: state.version,
        status: state.status,
        assignee: state.assignee,
        respondedVia: state.respondedVia,
        response: state.response,
        resolution: state.resolution,
        // Only on tickets that keep the clock, so the others record exactly what they did before it.
        ...(state.nextReply ? { nextReply: state.nextReply } : {}),
        breached: isBreached(state),
        resolvedAt: state.resolvedAt,
        closedAt: state.closedAt,
      },
      notifications: notificationsFor(state.ticketId, t.events),
      // A local record runs before its workflow task is committed; if that task is lost, its retry
      // may decide otherwise under the same event numbers, and its record must win (migration 009).
      decidedIn: boundary.decidedIn(),
    });
  }

  const ops = createOps(ticket, recorder, visibility);
  ops.registerSteps();
  registerRecordRetry(ticket, recorder);
  ops.registerRetry();
  const sessions = registerSessions(ticket);
  registerSteps(ticket);
  setHandler(slaStateQuery, (): TicketSnapshotView => {
    const stuck = recorder.stuck();
    return {
      ...ticket.view(),
      number: state.number,
      complex: state.complex,
      sessions: state.sessions,
      assignee: state.assignee,
      respondedVia: state.respondedVia,
      breached: isBreached(state),
      recordStuck: stuck ? { ...stuck, since: new Date(stuck.since).toISOString() } : null,
      asOf: new Date(Date.now()).toISOString(),
    };
  });

  if (!carried) {
    await calendarRecorded();
    // "received" is decided before any step that raced the first task: see ready.
    const receiving = commit(receivedEvent(state, input.receivedAt, input.actor, { subject: input.subject, customerName: input.customerName }));
    received = true;
    await receiving;
  } else {
    visibility.refresh();
  }

  // A stuck ticket keeps what it owes in this run; it hands over once a lead's retry wrote it.
  const handOverDue = () => boundary.due() && !recorder.stuck();
  for (;;) {
    await calendarRecorded();
    // Alarms first: a workflow started late (worker or server was down) catches up at once.
    const alarms = applyDueAlarms(state, Date.now());
    await commit(alarms);
    await sessions.autoEscalate(alarms.events);
    await commit(applyAutoClose(state, Date.now()));
    await commit(applyCustomerReminder(state, Date.now()));
    if (state.status === 'resolved' || state.status === 'closed') sessions.cancel();
    if (state.status === 'closed') break;
    if (handOverDue()) {
      const next = await boundary.handOver();
      // Handlers that finished meanwhile may have moved the ticket: the next run decides from here.
      return continueAsNew<typeof ticketWorkflow>({ ...ticketInput, carried: { ...next, state } });
    }
    await calendarRecorded();
    const wakeAt = nextWakeUp(state, true);
    const seen = state.version;
    if (wakeAt === null) {
      await condition(() => state.version !== seen || handOverDue());
    } else if (wakeAt > Date.now()) {
      await condition(() => state.version !== seen || handOverDue(), wakeAt - Date.now(), { summary: timerSummary(state, wakeAt) });
    }
  }

  await sessions.ended();
  // A stuck ticket ends only once what it owes its record is written (a lead's retry).
  if (recorder.stuck()) await condition(() => recorder.stuck() === null);
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
