// How a ticket refuses what it is asked: in the failure types the API maps to its error codes, and
// the step schemas that check what comes straight from the Temporal UI or CLI.
import { ApplicationFailure } from '@temporalio/workflow';
import { NotInPlan, StepNotAllowed, type StepKind } from '../../domain/ticket-lifecycle';
import { NOT_IN_PLAN, STEP_NOT_ALLOWED, VALIDATION_FAILED } from '../definitions';

// The step schemas, and zod with them, load on a ticket's first step check rather than with the
// workflow: every run evaluates the modules it imports (again after each eviction from the worker's
// cache) and most runs check no step (see worker/workflow-bundle.ts).
export const stepChecks = (): typeof import('../../domain/step-bodies') => require('../../domain/step-bodies');

/** A validator's refusal, in the failure types the API maps to its error codes. */
export function refuse(check: () => void): void {
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
export function invalidPayload(kind: StepKind | 'retry-record', issues: string[]): ApplicationFailure {
  return ApplicationFailure.create({ type: VALIDATION_FAILED, message: `invalid payload for "${kind}": ${issues.join('; ')}`, nonRetryable: true, details: issues.map((message) => ({ message })) });
}
