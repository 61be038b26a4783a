// What an activity's failure tells Temporal: a failure no retry can mend (Postgres refusing the
// data itself, a mail server refusing the message for good) is non-retryable, under a stable type
// the workflow acts on (a stuck record, a refused ops step); anything else (a connection lost, a
// server restarting, a lock timeout) is retried, within the bounds each workflow sets on its
// activities (workflows/activity-options.ts). One rule for every activity of the worker.
import { ApplicationFailure } from '@temporalio/common';
import { DatabaseError, ValidationError } from 'sequelize';
import { DB_DATA_EXCEPTION, DB_INTEGRITY_VIOLATION, DB_LIMIT_EXCEEDED, INVALID_INPUT, MAIL_REJECTED } from './failure-types';

/** A duplicate key is a race between two writers: the retry finds the other's row and goes the other way. */
const UNIQUE_VIOLATION = '23505';

function sqlState(err: unknown): string | undefined {
  const e = err as { parent?: { code?: unknown }; original?: { code?: unknown }; code?: unknown };
  const code = e?.parent?.code ?? e?.original?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The non-retryable failure `err` stands for, or null when a retry may succeed. */
export function permanentFailure(err: unknown): ApplicationFailure | null {
  if (err instanceof ApplicationFailure) return null;
  const message = String((err as Error)?.message ?? err).slice(0, 1000);
  const state = sqlState(err);
  if (err instanceof DatabaseError || state) {
    const type = state?.startsWith('22') ? DB_DATA_EXCEPTION : state?.startsWith('23') && state !== UNIQUE_VIOLATION ? DB_INTEGRITY_VIOLATION : state?.startsWith('54') ? DB_LIMIT_EXCEEDED : null;
    return type ? ApplicationFailure.nonRetryable(`${message} (SQLSTATE ${state})`, type, { sqlState: state }) : null;
  }
  // A model's own validation (not the duplicate key, which is a race as above).
  if (err instanceof ValidationError && sqlState(err) === undefined) return ApplicationFailure.nonRetryable(message, INVALID_INPUT);
  // SMTP: a 55x answer refuses the message or its mailbox for good; a 4xx one (EENVELOPE carries it
  // when every recipient got it) is "later", and so is 535 (our credentials, mended by an operator);
  // an envelope with no answer at all has no recipient to try.
  const smtp = err as { responseCode?: unknown; code?: unknown };
  const code = typeof smtp.responseCode === 'number' ? smtp.responseCode : null;
  if ((code !== null && code >= 550 && code < 560) || (code === null && smtp.code === 'EENVELOPE')) {
    return ApplicationFailure.nonRetryable(message, MAIL_REJECTED, { responseCode: smtp.responseCode ?? null });
  }
  return null;
}

/** The same activities, each throwing its permanent failures as non-retryable ones. */
export function withFailureTypes<T extends Record<string, (...args: any[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw permanentFailure(err) ?? err;
      }
    };
  }
  return wrapped as T;
}
