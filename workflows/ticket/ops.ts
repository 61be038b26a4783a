// Ops work a ticket from the Temporal UI or CLI: each technician step as a Signal (no answer; a
// refusal is recorded on the ticket) and as an Update of the same name (an answer, or the refusal
// as an error), and the retry of a stuck record. Nothing stood in front of them: the payload is
// checked with the API's schemas, and the person it names must be staff allowed to do it.
import { ApplicationFailure, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TicketActivities } from '../../activities';
import type { AssigneeRef } from '../../domain/step-bodies';
import { StepNotAllowed, applyStep, applyStepRefused, checkStep, type Person, type StepKind } from '../../domain/ticket-lifecycle';
import { LOOKUP, failedForGood, failureOf } from '../activity-options';
import {
  DIRECTORY_UNAVAILABLE,
  OPS_RETRY_RECORD,
  OPS_STEP_NAMES,
  OPS_STEP_SIGNALS,
  OPS_STEP_UPDATES,
  RECORD_STILL_FAILING,
  STEP_NOT_ALLOWED,
  UNKNOWN_ACTOR,
  UNKNOWN_TECHNICIAN,
  VALIDATION_FAILED,
  opsRetryRecordSignal,
  opsRetryRecordUpdate,
  type OpsStepPayload,
  type StepResult,
} from '../definitions';
import type { TicketContext } from './context';
import type { Recorder } from './record';
import { invalidPayload, refuse, stepChecks } from './refusals';
import type { Visibility } from './visibility';

const { findAssignee, findActor } = proxyActivities<TicketActivities>(LOOKUP);

type OpsRefusal = { ok: false; type: string; actor: string; reason: string; issues: string[] };
type OpsOutcome<R = StepResult> = { ok: true; result: R } | OpsRefusal;

const assigneeLabel = (ref: AssigneeRef) => ('assigneeId' in ref ? ref.assigneeId : ref.assigneeEmail);

export function createOps(ticket: TicketContext, recorder: Recorder, visibility: Visibility) {
  // They run one at a time, in arrival order: an assign waits for the directory, and the step after
  // it must see its result.
  let opsQueue: Promise<unknown> = Promise.resolve();
  function serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = opsQueue.then(fn);
    opsQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * The person an ops payload names must be in the directory: enabled, and in a role that may do
   * this (the API's permission of the same name). Null when they are; else the refusal.
   */
  async function unknownActor(parsed: { actor: string; email: string }, permission: 'workTickets' | 'retryRecords'): Promise<OpsRefusal | null> {
    const roles = permission === 'workTickets' ? 'technician or lead' : 'lead or admin';
    const refused = (type: string, reason: string): OpsRefusal => ({ ok: false, type, actor: parsed.actor, reason, issues: [] });
    try {
      const person = await findActor.executeWithOptions({ summary: `#${ticket.state.number} look up ops actor ${parsed.email}` }, [{ email: parsed.email, permission }]);
      return person ? null : refused(UNKNOWN_ACTOR, `${parsed.email} is not an enabled ${roles} in the directory`);
    } catch (err) {
      if (!failedForGood(err)) throw err;
      return refused(DIRECTORY_UNAVAILABLE, `the directory could not be read to check ${parsed.email}: ${failureOf(err).reason}`);
    }
  }

  /** The API's checkStep/applyStep, after the API's schema and the directory. */
  async function opsStep(kind: StepKind, payload: OpsStepPayload): Promise<OpsOutcome> {
    await ticket.ready();
    return serialised(async () => {
      const parsed = stepChecks().parseOpsStep(kind, payload);
      if (!parsed.ok) return { ok: false, type: VALIDATION_FAILED, actor: parsed.actor, reason: parsed.reason, issues: parsed.issues };
      const stranger = await unknownActor(parsed, 'workTickets');
      if (stranger) return stranger;
      let step = parsed.step;
      try {
        checkStep(ticket.state, step);
      } catch (err) {
        if (err instanceof StepNotAllowed) return { ok: false, type: STEP_NOT_ALLOWED, actor: parsed.actor, reason: err.message, issues: [] };
        throw err;
      }
      if (parsed.assignee) {
        let person: Person | null;
        try {
          person = await findAssignee.executeWithOptions({ summary: `#${ticket.state.number} look up assignee ${assigneeLabel(parsed.assignee)}` }, [parsed.assignee]);
        } catch (err) {
          if (!failedForGood(err)) throw err;
          return { ok: false, type: DIRECTORY_UNAVAILABLE, actor: parsed.actor, reason: `the directory could not be read to find ${assigneeLabel(parsed.assignee)}: ${failureOf(err).reason}`, issues: [] };
        }
        if (!person) return { ok: false, type: UNKNOWN_TECHNICIAN, actor: parsed.actor, reason: `${assigneeLabel(parsed.assignee)} is not an active technician or lead`, issues: [] };
        step = { kind: 'assign', assignee: person };
      }
      // The state may have moved while the directory answered.
      try {
        checkStep(ticket.state, step);
      } catch (err) {
        if (err instanceof StepNotAllowed) return { ok: false, type: STEP_NOT_ALLOWED, actor: parsed.actor, reason: err.message, issues: [] };
        throw err;
      }
      await ticket.commit(applyStep(ticket.state, step, Date.now(), parsed.actor));
      return { ok: true, result: ticket.view() };
    });
  }

  async function opsRetry(payload: OpsStepPayload): Promise<OpsOutcome<number>> {
    await ticket.ready();
    return serialised(async () => {
      const parsed = stepChecks().parseOpsRetryRecord(payload);
      if (!parsed.ok) return { ok: false, type: VALIDATION_FAILED, actor: parsed.actor, reason: parsed.reason, issues: parsed.issues };
      const stranger = await unknownActor(parsed, 'retryRecords');
      if (stranger) return stranger;
      try {
        return { ok: true, result: await recorder.retry(parsed.actor) };
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type === RECORD_STILL_FAILING) return { ok: false, type: RECORD_STILL_FAILING, actor: parsed.actor, reason: err.message, issues: [] };
        throw err;
      }
    });
  }

  /** A signal has nobody to answer: a refusal goes on the ticket's record, in its details and in the log. */
  async function refusedSignal(step: StepKind | 'retry-record', name: string, outcome: OpsRefusal): Promise<void> {
    const via = `signal ${name}`;
    log.warn('ops step refused', { ticket: ticket.state.number, via, actor: outcome.actor, reason: outcome.reason });
    visibility.refused(`${new Date(Date.now()).toISOString()} ${name} by ${outcome.actor}: ${outcome.reason}`);
    await ticket.commit(applyStepRefused(ticket.state, { step, via, reason: outcome.reason, issues: outcome.issues }, Date.now(), outcome.actor));
  }

  /** The Update's answer to a refusal: its type is what the caller (the API, the CLI) tells apart. */
  const refusedUpdate = (step: string, outcome: OpsRefusal) =>
    ApplicationFailure.create({ type: outcome.type, message: outcome.reason, nonRetryable: true, details: [{ step, status: ticket.state.status, issues: outcome.issues }] });

  return {
    /** ops.<step> for every technician step. */
    registerSteps(): void {
      for (const kind of Object.keys(OPS_STEP_NAMES) as StepKind[]) {
        setHandler(OPS_STEP_SIGNALS[kind], async (payload) => {
          const outcome = await opsStep(kind, payload);
          if (!outcome.ok) await refusedSignal(kind, OPS_STEP_NAMES[kind], outcome);
        });
        // The Update of the same name answers its caller, like the API: refused before it is accepted
        // when the payload or the state says no, so nothing is recorded then; refused after it, with
        // nothing recorded either, when the directory does not know the sender.
        ticket.setUpdate(
          OPS_STEP_UPDATES[kind],
          async (payload) => {
            const outcome = await opsStep(kind, payload);
            if (outcome.ok) return outcome.result;
            throw refusedUpdate(kind, outcome);
          },
          (payload) => {
            const parsed = stepChecks().parseOpsStep(kind, payload);
            if (!parsed.ok) throw invalidPayload(kind, parsed.issues);
            refuse(() => checkStep(ticket.state, parsed.step));
          },
          () => ticket.view(),
        );
      }
    },

    /** ops.retry-record, whose sender (a lead) the directory must know. */
    registerRetry(): void {
      setHandler(opsRetryRecordSignal, async (payload) => {
        const outcome = await opsRetry(payload);
        // Still failing is already on the mark and in the details; a refusal to record would only wait behind it.
        if (!outcome.ok && outcome.type !== RECORD_STILL_FAILING) await refusedSignal('retry-record', OPS_RETRY_RECORD, outcome);
      });
      ticket.setUpdate(
        opsRetryRecordUpdate,
        async (payload) => {
          const outcome = await opsRetry(payload);
          if (outcome.ok) return { ...ticket.view(), written: outcome.result };
          throw refusedUpdate('retry-record', outcome);
        },
        (payload) => {
          const parsed = stepChecks().parseOpsRetryRecord(payload);
          if (!parsed.ok) throw invalidPayload('retry-record', parsed.issues);
        },
        (earlier) => ({ ...ticket.view(), written: earlier.result?.written ?? 0 }),
      );
    },
  };
}
