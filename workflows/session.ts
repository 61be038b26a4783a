// A session arranged for a ticket (Advanced): a specialist session, a remote session, or a meeting
// with a brand's engineers. Each runs as a child workflow of its ticket, so ops see it beside the
// ticket in the Temporal UI. It finds who serves it (waiting, not failing, while nobody can), proposes
// a time with a calendar invitation, follows up or re-proposes until someone confirms, reminds
// everyone before it starts, and records the outcome. Every step is reported to the ticket, which
// keeps the one history. All I/O happens in activities. A request nobody can serve may wait weeks:
// it waits for the signal that someone joined (a long safety timer besides), and hands over to a new
// run (continue-as-new, same id) when its history grows long.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SessionActivities, SessionMailType } from '../activities/sessions';
import { SESSION_ACTIONS_BY_STATUS, SESSION_LABELS, proposedStart, type SessionAction, type SessionEventType, type SessionOutcome, type SessionParty, type SessionStatus } from '../domain/sessions';
import { SA } from '../temporal/search-attributes';
import { refuseUnstorable } from './payload-checks';
import { COMPUTE, LOOKUP, MAIL, WRITE, failedForGood } from './activity-options';
import type { TicketActivities } from '../activities';
import { createRunBoundary } from './run-boundary';
import {
  STEP_NOT_ALLOWED,
  confirmSessionUpdate,
  declineSessionUpdate,
  participantsAvailableSignal,
  sessionEventSignal,
  sessionOutcomeUpdate,
  sessionStateQuery,
  type SessionView,
  type SessionWorkflowInput,
} from './definitions';

// Call sites add a summary with executeWithOptions (user metadata); timeouts and retries stay these
// (workflows/activity-options.ts): bounded, like every activity's.
const { recordSession } = proxyActivities<SessionActivities>(WRITE);
const directory = proxyActivities<SessionActivities>(LOOKUP);

// The e-mails are rendered and queued for the outbox, which sends them (its retries while SMTP is
// down); a queueing retried within MAIL's day never holds up the session's timers.
const mail = proxyActivities<SessionActivities>(MAIL);

// A proposal on a business calendar is decided once, by a local activity, and read from the history
// on replay: a tzdata change cannot move a session already proposed (domain/working-windows.ts).
const { proposedStart: proposedStartOnce } = proxyLocalActivities<TicketActivities>(COMPUTE);

export interface SessionResult {
  sessionId: string;
  status: SessionStatus;
  attempt: number;
  startsAt: number | null;
  notes: string | null;
}

type Command =
  | { type: 'confirm'; actor: string }
  | { type: 'decline'; actor: string; reason?: string }
  | { type: 'outcome'; actor: string; outcome: SessionOutcome; notes?: string; startsAt?: number | null };

const ACTIONS = SESSION_ACTIONS_BY_STATUS;

export const specialistSessionWorkflow = (input: SessionWorkflowInput) => runSession(input);
export const remoteSessionWorkflow = (input: SessionWorkflowInput) => runSession(input);
export const brandMeetingWorkflow = (input: SessionWorkflowInput) => runSession(input);

async function runSession(input: SessionWorkflowInput): Promise<SessionResult> {
  const { carried, ...sessionInput } = input;
  const boundary = createRunBoundary(carried, input.historyLimit);
  const t = input.timings;
  const label = SESSION_LABELS[input.kind];
  let status: SessionStatus = 'waiting';
  let attempt = carried?.attempt ?? 0;
  let host: SessionParty | null = carried ? carried.host : input.kind === 'remote' ? (input.host ?? null) : null;
  let engineers: SessionParty[] = [];
  let startsAt: number | null = null;
  let notes: string | null = null;
  let preferred = carried ? carried.preferredStartsAt : (input.preferredStartsAt ?? null);
  // Specialists who declined or let a proposal lapse are asked last.
  const excluded: string[] = [...(carried?.excluded ?? [])];
  let pending: Command | null = null;
  let wake = false;
  let mailSeq = carried?.mailSeq ?? 0;
  // Propose again to the same host (a reschedule), and proposals lapsed in a row.
  let keepHost = carried?.keepHost ?? false;
  let failures = carried?.failures ?? 0;
  const mails: Promise<unknown>[] = [];

  const attendees = (): SessionParty[] => {
    const people = input.kind === 'brand' ? [...engineers, input.assignee, input.requester, input.endUser] : [host, input.requester, input.endUser];
    const seen = new Set<string>();
    return people.filter((p): p is SessionParty => !!p && !seen.has(p.email) && !!seen.add(p.email));
  };

  const view = (): SessionView => ({
    sessionId: input.sessionId,
    kind: input.kind,
    status,
    attempt,
    startsAt: startsAt !== null ? new Date(startsAt).toISOString() : null,
    endsAt: startsAt !== null ? new Date(startsAt + t.durationMs).toISOString() : null,
    host,
    attendees: attendees(),
    notes,
    allowedActions: pending ? [] : ACTIONS[status],
  });

  /** Record the session row and refresh what ops see. */
  async function record(lastEvent: SessionEventType | 'requested'): Promise<void> {
    upsertSearchAttributes([
      { key: SA.sessionStatus, value: status },
      { key: SA.sessionStartsAt, value: startsAt !== null ? new Date(startsAt) : null },
    ]);
    setCurrentDetails(
      [
        `**${label}** for ticket #${input.number} · **${status}**${attempt ? ` · proposal ${attempt}` : ''}`,
        `Starts: ${startsAt !== null ? new Date(startsAt).toISOString() : 'not set'}`,
        `Host: ${host ? host.email : input.kind === 'brand' ? engineers.map((e) => e.email).join(', ') || 'no engineer contact yet' : 'not chosen yet'}`,
      ].join('\n\n'),
    );
    // The row is the whole session each time: a record that failed for good is mended by the next
    // one, and the ticket's history (report) holds every event meanwhile. The session goes on.
    await recordSession.executeWithOptions({ summary: `#${input.number} ${label} record: ${lastEvent}, ${status}` }, [{
      sessionId: input.sessionId,
      ticketId: input.ticketId,
      kind: input.kind,
      status,
      attempt,
      technology: input.technology ?? null,
      brand: input.brand ?? null,
      host,
      attendees: attendees(),
      startsAt,
      durationMs: t.durationMs,
      notes,
      requestedBy: input.requestedBy,
      lastEvent,
    }]).catch((err) => {
      if (!failedForGood(err)) throw err;
      log.error('session record failed for good; the next one writes the session again', { sessionId: input.sessionId, lastEvent, err: String(err.cause ?? err) });
    });
  }

  /** A directory read that failed for good counts as nobody found: the session waits and asks again. */
  function lookUp<T>(read: () => Promise<T>, nobody: T): Promise<T> {
    return read().catch((err) => {
      if (!failedForGood(err)) throw err;
      log.error('directory read failed for good; looking again later', { sessionId: input.sessionId, err: String(err.cause ?? err) });
      return nobody;
    });
  }

  /** Record, and tell the ticket, which keeps the one history of everything that happened. */
  async function report(type: SessionEventType, actor: string, data: Record<string, unknown> = {}): Promise<void> {
    await record(type);
    try {
      await getExternalWorkflowHandle(input.ticketWorkflowId).signal(sessionEventSignal, {
        sessionId: input.sessionId,
        kind: input.kind,
        type,
        at: Date.now(),
        actor,
        status,
        attempt,
        startsAt,
        host,
        data,
      });
    } catch (err) {
      // The ticket is gone (closed and finished): the session row still holds the record.
      log.warn('could not report to the ticket', { sessionId: input.sessionId, type, err: String(err) });
    }
  }

  /** Send one e-mail of the session, once; never cancelled halfway, so a withdrawal still goes out. */
  function send(type: SessionMailType, to: SessionParty[], opts: { lead?: boolean } = {}): void {
    const key = `${input.sessionId}:${++mailSeq}:${type}`;
    const m = {
      key,
      type,
      ticketId: input.ticketId,
      to: to.map((p) => p.email),
      toLead: opts.lead ?? false,
      session: {
        sessionId: input.sessionId,
        kind: input.kind,
        number: input.number,
        subject: input.subject,
        startsAt,
        durationMs: t.durationMs,
        sequence: Math.max(0, attempt - 1),
        host,
        attendees: attendees(),
        agenda: input.agenda ?? null,
        reason: input.reason ?? null,
        technology: input.technology ?? null,
        brand: input.brand ?? null,
        notes,
      },
    };
    const summary = `#${input.number} ${label} e-mail ${type} to ${opts.lead ? ['the lead', ...m.to].join(', ') : m.to.join(', ') || 'nobody'}`.slice(0, 200);
    mails.push(CancellationScope.nonCancellable(() => mail.sendSessionMail.executeWithOptions({ summary }, [m])).catch((err) => log.error('session e-mail failed for good', { key, err: String(err) })));
  }

  /** The session's time: leadTime ahead on a quarter hour, at the calendar's next opening when there is one. */
  async function proposeStart(preferredAt: number | null): Promise<number> {
    const now = Date.now();
    if (!t.calendar) return proposedStart(now, t.leadTimeMs, preferredAt, null);
    try {
      return await proposedStartOnce.executeWithOptions({ summary: `#${input.number} ${label}: next opening of calendar ${t.calendar.timezone}` }, [{ now, leadTimeMs: t.leadTimeMs, preferred: preferredAt, calendar: t.calendar }]);
    } catch (err) {
      if (!failedForGood(err)) throw err;
      log.error('could not compute the proposal on the calendar; asking it here', { sessionId: input.sessionId, err: String(err) });
      return proposedStart(now, t.leadTimeMs, preferredAt, t.calendar);
    }
  }

  function take(): Command {
    const cmd = pending!;
    pending = null;
    return cmd;
  }

  /** Wait until `until` (epoch ms) or a command arrives; true when a command is waiting. */
  async function waitUntil(until: number): Promise<boolean> {
    const ms = until - Date.now();
    if (ms > 0) await condition(() => pending !== null, ms);
    return pending !== null;
  }

  // Updates return once the main loop has taken them in, so the caller sees the new status.
  function accept(action: SessionAction, cmd: Command, check?: () => void) {
    return {
      handler: async () => {
        pending = cmd;
        await condition(() => pending !== cmd);
        return view();
      },
      validate: (args: unknown) => {
        refuseUnstorable(args);
        if (pending || !ACTIONS[status].includes(action)) {
          throw ApplicationFailure.create({
            type: STEP_NOT_ALLOWED,
            message: `"${action}" is not allowed on ${input.sessionId}: the ${label} is ${pending ? 'busy with another action' : status}`,
            nonRetryable: true,
            details: [{ step: action, status }],
          });
        }
        check?.();
      },
    };
  }

  // A retry of an update applied before the run handed over is answered, not refused (run-boundary.ts).
  boundary.setUpdate(confirmSessionUpdate, (a) => accept('confirm', { type: 'confirm', actor: a.actor }).handler(), (a) => accept('confirm', { type: 'confirm', actor: a.actor }).validate(a), view);
  boundary.setUpdate(declineSessionUpdate, (a) => accept('decline', { type: 'decline', actor: a.actor, reason: a.reason }).handler(), (a) => accept('decline', { type: 'decline', actor: a.actor }).validate(a), view);
  const outcomeCheck = (a: { outcome: SessionOutcome; notes?: string }) => () => {
    if (a.outcome !== 'rescheduled' && status !== 'confirmed') {
      throw ApplicationFailure.create({
        type: STEP_NOT_ALLOWED,
        message: `the ${label} was not confirmed; it can be rescheduled, not recorded as ${a.outcome}`,
        nonRetryable: true,
        details: [{ step: 'outcome', status }],
      });
    }
    if (a.outcome === 'held' && input.kind === 'brand' && !a.notes) {
      throw ApplicationFailure.create({ type: 'VALIDATION_FAILED', message: 'a held brand-engineer meeting needs its minutes (notes)', nonRetryable: true, details: [{ path: 'notes', message: 'required when a brand meeting was held' }] });
    }
  };
  boundary.setUpdate(sessionOutcomeUpdate, (a) => accept('outcome', { type: 'outcome', ...a }).handler(), (a) => accept('outcome', { type: 'outcome', ...a }, outcomeCheck(a)).validate(a), view);
  setHandler(participantsAvailableSignal, () => {
    wake = true;
  });
  setHandler(sessionStateQuery, view);

  // The lead was told in an earlier run of this wait.
  let toldBefore = carried?.told ?? false;

  /**
   * Find who serves the session; while nobody can, tell the lead once and wait: a new specialist or
   * contact signals us; the policy's retryEvery is only the safety net for a signal that never came.
   */
  async function findParticipants(): Promise<void> {
    let told = toldBefore;
    toldBefore = false;
    for (;;) {
      // Cleared before looking, so a newcomer added while we look still wakes the wait below.
      wake = false;
      if (input.kind === 'specialist') {
        if (!(keepHost && host)) {
          host = await lookUp(() => directory.findSpecialist.executeWithOptions({ summary: `#${input.number} find a ${input.technology} specialist` }, [{ technology: input.technology!, exclude: excluded }]), null);
          // Everyone declined or lapsed: start again from the least loaded.
          if (!host && excluded.length) {
            excluded.length = 0;
            host = await lookUp(() => directory.findSpecialist.executeWithOptions({ summary: `#${input.number} find a ${input.technology} specialist, again from the least loaded` }, [{ technology: input.technology!, exclude: [] }]), null);
          }
        }
        if (host) return;
      } else if (input.kind === 'brand') {
        engineers = await lookUp(() => directory.findBrandContacts.executeWithOptions({ summary: `#${input.number} find ${input.brand} engineer contacts` }, [{ brand: input.brand! }]), []);
        if (engineers.length) return;
      } else {
        return;
      }
      if (!told) {
        status = 'waiting';
        const reason = input.kind === 'specialist' ? `no specialist in ${input.technology}` : `no engineer contact for ${input.brand}`;
        await report('waiting', 'system', { reason });
        send('lead_waiting', [], { lead: true });
        told = true;
      }
      // Nothing in flight (an update waits for the loop to take it): hand the wait over to a new run.
      if (pending === null && allHandlersFinished() && boundary.due()) {
        await Promise.all(mails);
        const next = await boundary.handOver();
        await continueAsNew<typeof runSession>({
          ...sessionInput,
          carried: { ...next, attempt, excluded, preferredStartsAt: preferred, keepHost, host, failures, mailSeq, told },
        });
      }
      await condition(() => wake, t.retryEveryMs);
    }
  }

  try {
    if (!carried) await record('requested');
    arrange: for (;;) {
      await findParticipants();
      keepHost = false;

      attempt++;
      startsAt = await proposeStart(preferred);
      preferred = null;
      status = 'proposed';
      await report('proposed', 'system', { attendees: attendees().map((p) => p.email) });
      send('invitation', attendees());

      // Sessions are re-proposed when not confirmed in time; a brand is followed up until the time itself passes.
      const proposedAt = Date.now();
      const confirmBy = input.kind === 'brand' ? startsAt : Math.min(proposedAt + t.confirmWithinMs, startsAt);
      let nextFollowUp = input.kind === 'brand' ? proposedAt + t.followUpEveryMs : Infinity;
      let followUps = 0;
      for (;;) {
        if (await waitUntil(Math.min(confirmBy, nextFollowUp))) {
          const cmd = take();
          if (cmd.type === 'confirm') {
            status = 'confirmed';
            await report('confirmed', cmd.actor);
            break;
          }
          if (cmd.type === 'decline') {
            status = 'waiting';
            if (input.kind === 'specialist' && host?.id) excluded.push(host.id);
            await report('declined', cmd.actor, { reason: cmd.reason ?? null });
            continue arrange;
          }
          // A reschedule before confirmation: propose again at the time asked for, to the same people.
          status = 'waiting';
          preferred = cmd.startsAt ?? null;
          keepHost = true;
          await report('rescheduled', cmd.actor, { notes: cmd.notes ?? null, requestedStartsAt: preferred });
          continue arrange;
        }
        if (Date.now() >= confirmBy) {
          status = 'waiting';
          if (input.kind === 'specialist' && host?.id) excluded.push(host.id);
          failures++;
          await report('unconfirmed', 'system', { confirmBy });
          if (failures >= t.maxAttempts) {
            // Proposals keep lapsing: a person has to step in; a reschedule starts it again.
            status = 'stalled';
            await report('stalled', 'system', { proposals: failures });
            send('lead_stalled', [], { lead: true });
            await condition(() => pending !== null);
            const cmd = take();
            failures = 0;
            status = 'waiting';
            preferred = cmd.type === 'outcome' ? (cmd.startsAt ?? null) : null;
            await report('rescheduled', cmd.actor, { requestedStartsAt: preferred });
          }
          continue arrange;
        }
        // Brand: ask again; after maxAttempts follow-ups the support lead hears about it, once.
        followUps++;
        nextFollowUp += t.followUpEveryMs;
        send('follow_up', engineers);
        await report('follow_up', 'system', { followUp: followUps });
        if (followUps === t.maxAttempts) {
          await report('stalled', 'system', { followUps });
          send('lead_stalled', [], { lead: true });
        }
      }
      failures = 0;

      // Confirmed: remind everyone before it starts (at once when it is sooner than the reminder lead).
      if (!(await waitUntil(startsAt - t.reminderBeforeMs))) {
        send('reminder', attendees());
        await report('reminder_sent', 'system');
      }
      // Nudge the host once when the session should be over and nobody recorded how it went.
      if (!(await waitUntil(startsAt + t.durationMs))) {
        send('outcome_due', host ? [host] : input.assignee ? [input.assignee] : [], { lead: !host && !input.assignee });
        await condition(() => pending !== null);
      }
      const cmd = take();
      if (cmd.type === 'decline') {
        status = 'waiting';
        if (input.kind === 'specialist' && host?.id) excluded.push(host.id);
        send('cancellation', attendees());
        await report('declined', cmd.actor, { reason: cmd.reason ?? null });
        continue arrange;
      }
      if (cmd.type === 'outcome' && cmd.outcome === 'rescheduled') {
        status = 'waiting';
        preferred = cmd.startsAt ?? null;
        keepHost = true;
        await report('rescheduled', cmd.actor, { notes: cmd.notes ?? null, requestedStartsAt: preferred });
        continue arrange;
      }
      if (cmd.type === 'outcome') {
        status = cmd.outcome === 'held' ? 'held' : 'no_show';
        notes = cmd.notes ?? null;
        await report(cmd.outcome === 'held' ? 'held' : 'no_show', cmd.actor, { notes });
        send(cmd.outcome === 'held' ? 'summary' : 'no_show', attendees());
        break;
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The ticket was resolved or closed: withdraw the invitation and record why.
    await CancellationScope.nonCancellable(async () => {
      const invited = status === 'proposed' || status === 'confirmed';
      status = 'cancelled';
      if (invited) send('cancellation', attendees());
      await report('cancelled', 'system', { reason: 'the ticket was resolved or closed' });
      await Promise.all(mails);
    });
    return { sessionId: input.sessionId, status, attempt, startsAt, notes };
  }
  await Promise.all(mails);
  // An update still answering (an outcome) would be cut off by the workflow's end.
  await condition(allHandlersFinished);
  return { sessionId: input.sessionId, status, attempt, startsAt, notes };
}
