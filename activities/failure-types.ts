// The stable types of the failures no retry can mend, as activities throw them (activities/failures.ts)
// and workflows read them. Constants only: the workflow bundle imports this file.

/** Postgres refused the data (SQLSTATE class 22: a value out of range, a character it cannot store, bad JSON). */
export const DB_DATA_EXCEPTION = 'DB_DATA_EXCEPTION';
/** Postgres refused the change (class 23: a check, a foreign key, a NOT NULL), a duplicate key aside. */
export const DB_INTEGRITY_VIOLATION = 'DB_INTEGRITY_VIOLATION';
/** Postgres cannot hold it (class 54: a value or a statement too large). */
export const DB_LIMIT_EXCEEDED = 'DB_LIMIT_EXCEEDED';
/** The activity's input is not what it takes (a model's validation). */
export const INVALID_INPUT = 'INVALID_INPUT';
/** The mail server refused the message for good (SMTP 55x, or no valid recipient). */
export const MAIL_REJECTED = 'MAIL_REJECTED';

export const NON_RETRYABLE_TYPES: string[] = [DB_DATA_EXCEPTION, DB_INTEGRITY_VIOLATION, DB_LIMIT_EXCEEDED, INVALID_INPUT, MAIL_REJECTED];
