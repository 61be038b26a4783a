// How long each kind of activity may keep trying, in one place: nothing retries for ever. Every
// bound outlasts a restart of Postgres or of the mail server of minutes; a failure no retry can
// mend (activities/failures.ts) stops at once. What a workflow does when the bound is reached is
// its own: a ticket's record becomes "stuck" (visible, waiting for a lead's retry), an ops step is
// refused, an e-mail is logged as failed for good, a scheduled run fails and the next one runs.
import { ActivityFailure, ApplicationFailure, TemporalFailure, TimeoutFailure, isCancellation, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../activities/failure-types';

/**
 * Writes to Postgres that the workflow waits for: the ticket's record, a session's row, the stuck
 * mark. Attempts every 1, 2, 4 … 30 s for up to 10 minutes (about 25 attempts).
 */
export const WRITE: ActivityOptions & LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

/**
 * Reads of the directory an ops step or a session waits on (who is staff, who can be assigned, who
 * serves a session): 2 minutes, so an ops step sent while Postgres restarts is still answered, and
 * a step behind it in the ops queue is not held for long when it is down.
 */
export const LOOKUP: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

/** A computation with no I/O (a calendar's working time): a few quick attempts, then the workflow decides without it. */
export const COMPUTE: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

/**
 * E-mail, which never holds up a clock: the mail server may be down for hours. Every 2 s … 5 min for
 * a day (about 290 attempts); a message the server refuses for good (55x) stops at once.
 */
export const MAIL: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

/** The scheduled runs' reads and writes (terms, the digest's figures): an hour, then the run fails and the schedule's next one comes. */
export const SCHEDULED: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

/**
 * An activity that gave up: its retries ran out, or its failure is one no retry can mend. A regular
 * activity says so with an ActivityFailure around the cause; a local one (the ticket's record)
 * throws the cause itself. A cancellation is not a failure: it goes on up.
 */
export function failedForGood(err: unknown): err is TemporalFailure {
  return err instanceof TemporalFailure && !isCancellation(err);
}

/** What an activity that gave up says: its stable type (TIMEOUT when its retries ran out) and its message. */
export function failureOf(err: TemporalFailure): { type: string; reason: string } {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', reason: cause.message };
  if (cause instanceof TimeoutFailure) return { type: 'TIMEOUT', reason: [cause.message, cause.cause?.message].filter(Boolean).join(': ') };
  return { type: cause.name, reason: cause.message };
}
