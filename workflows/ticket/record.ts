// The ticket's record in Postgres (its events, the e-mails they call for, its row), written by a
// local activity inside the workflow task that decided it; and what happens when that write fails
// for good (Postgres refused it, or its retries ran out): the ticket is stuck. It goes on deciding
// (its clocks fire, steps apply), keeps every record it could not write in order, says so where the
// ticket's own rows are not needed (a mark of its own, the lead's e-mail, a search attribute, its
// details), and writes them all once a lead retries.
import { ApplicationFailure, log, proxyActivities, proxyLocalActivities, type TemporalFailure } from '@temporalio/workflow';
import type { TicketActivities } from '../../activities';
import type { RecordInput } from '../../activities/types';
import { stuckRecordNotice, type Notification } from '../../domain/notifications';
import { applyRecordResumed, applyRecordStuck } from '../../domain/ticket-lifecycle';
import { WRITE, failedForGood, failureOf } from '../activity-options';
import { RECORD_STILL_FAILING, retryRecordUpdate } from '../definitions';
import type { TicketContext } from './context';
import { invalidPayload, stepChecks } from './refusals';
import { recordSummary, type StuckDetails, type Visibility } from './visibility';

// The record is a local activity: it runs inside the workflow task that decided it, so an alarm
// costs one workflow task and no activity task (a timer's workflow task, the record, the next
// timer), and the history it adds is a marker instead of an activity's three events and a second
// workflow task. Its timeouts and retries, like the marks', are WRITE's (bounded); when they run
// out the ticket is stuck. Called through executeWithOptions only to add a summary (user metadata,
// outside the determinism check).
const { recordTicket } = proxyLocalActivities<TicketActivities>(WRITE);
const { markRecordStuck, clearRecordStuck } = proxyActivities<TicketActivities>(WRITE);

export interface Recorder {
  /** Write a change's record; while the ticket is stuck, owe it (a stuck ticket writes nothing until a lead retries). */
  record(input: RecordInput): Promise<void>;
  /**
   * Write what is owed, in order, and clear the mark; the retry is recorded as who did it. Retries
   * run one at a time. On a ticket that is not stuck it only clears a mark left behind. Fails with
   * RECORD_STILL_FAILING when a record fails again.
   */
  retry(actor: string): Promise<number>;
  /** Set while a record waits for a lead's retry. */
  stuck(): StuckDetails | null;
}

export function createRecorder(ticket: TicketContext, visibility: Visibility): Recorder {
  /** Records not written yet, oldest first; only while stuck. */
  const owed: RecordInput[] = [];
  let stuck: { since: number; type: string; reason: string } | null = null;
  let retrying: Promise<unknown> = Promise.resolve();

  function write(input: RecordInput): Promise<void> {
    return recordTicket.executeWithOptions({ summary: recordSummary(ticket.state.number, input.events, input.notifications) }, [input]);
  }

  async function record(input: RecordInput): Promise<void> {
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

  /** In event order: records tried at the same time may fail in any order. */
  function owe(input: RecordInput): void {
    const first = (r: RecordInput) => r.events[0]?.seq ?? 0;
    const at = owed.findIndex((r) => first(r) > first(input));
    owed.splice(at < 0 ? owed.length : at, 0, input);
    visibility.refresh();
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
    visibility.publishStuck(true);
    // The history says so in its place (written with the rest): its commit only adds to what is owed,
    // and starts the mark, which carries the lead's e-mail.
    const marked = applyRecordStuck(ticket.state, { ...failure, records: owed.length }, stuck.since);
    notice = stuckRecordNotice(ticket.state.ticketId, marked.events[0]);
    await ticket.commit(marked);
    log.error('ticket record failed for good: the ticket is stuck until a lead retries it', { ticket: ticket.state.number, type: failure.type, reason: failure.reason });
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
          await markRecordStuck.executeWithOptions({ summary: `#${ticket.state.number} record stuck: ${owed.length} waiting` }, [
            { ticketId: ticket.state.ticketId, since: stuck.since, type: stuck.type, reason: stuck.reason, records: owed.length, ...(tell ? { notice: tell } : {}) },
          ]);
        } catch (err) {
          // The lead's e-mail goes with the next mark that can be written (the next record owed, a retry);
          // nothing here may end the loop early (it would leave `marking` set for good).
          notice ??= tell;
          log.error('could not mark the ticket stuck', { ticket: ticket.state.number, err: String(err) });
        }
      }
      // In the same synchronous step as the loop's last test: a remark from now on starts a new run.
      marking = null;
    });
    return marking;
  }

  function retry(actor: string): Promise<number> {
    const run = retrying.then(async () => {
      const { number, ticketId } = ticket.state;
      if (!stuck) {
        await clearRecordStuck.executeWithOptions({ summary: `#${number} record not stuck` }, [{ ticketId }]).catch(() => undefined);
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
          visibility.refresh();
          throw ApplicationFailure.create({
            type: RECORD_STILL_FAILING,
            message: `the record of ticket #${number} still fails (${stuck.type}: ${stuck.reason}); ${written} of ${written + owed.length} waiting records written`,
            nonRetryable: true,
            details: [{ written, waiting: owed.length, type: stuck.type }],
          });
        }
        owed.shift();
        written++;
      }
      const since = stuck.since;
      stuck = null;
      visibility.publishStuck(false);
      // A mark still being written must not land after the clear.
      await marking;
      await clearRecordStuck
        .executeWithOptions({ summary: `#${number} record written again` }, [{ ticketId }])
        .catch((err) => log.error('could not clear the stuck mark', { ticket: number, err: String(err) }));
      await ticket.commit(applyRecordResumed(ticket.state, { stuckSince: since, records: written }, Date.now(), actor));
      return written;
    });
    retrying = run.catch(() => undefined);
    return run;
  }

  return {
    record,
    retry,
    stuck: () => (stuck ? { since: stuck.since, type: stuck.type, reason: stuck.reason, records: owed.length } : null),
  };
}

/** The API's retry (a lead's button in the console; the caller was authenticated there). Ops from the Temporal UI or CLI: ops.ts. */
export function registerRecordRetry(ticket: TicketContext, recorder: Recorder): void {
  ticket.setUpdate(
    retryRecordUpdate,
    async ({ actor }) => ({ ...ticket.view(), written: await recorder.retry(actor) }),
    (args) => {
      const issues = stepChecks().retryRecordIssues(args);
      if (issues) throw invalidPayload('retry-record', issues);
    },
    (earlier) => ({ ...ticket.view(), written: earlier.result?.written ?? 0 }),
  );
}
