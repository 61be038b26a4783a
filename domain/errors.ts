// A use case's refusal, as the domain and the services say it: what kind of "no" it is, a stable
// machine-readable code, a message, and details. Nothing here knows HTTP or pages: api/errors.ts
// turns the kind into a status (its one table), web/ into a page, and the inbound mail into an
// answer or a retry. A new refusal picks a kind from this list; a new kind is added here and there.

export const ERROR_KINDS = [
  /** The request itself is malformed or out of range (a body or a query that does not validate). */
  'invalid',
  /** The caller may not do this (their role, or the ticket is not theirs to file for). */
  'forbidden',
  /** The thing does not exist, or the caller may not know it does. */
  'not_found',
  /** The request clashes with the state things are in (closed ticket, taken address, already decided). */
  'conflict',
  /** Well formed, but a rule says no (the plan, the quota, an unknown product or person). */
  'unprocessable',
  /** A flood limit was passed; details.retryAfterSeconds says when to come back. */
  'rate_limited',
  /** The engine or the database could not be reached now; the same request may be retried. */
  'unavailable',
  /** Something we depend on failed the request in a way we did not foresee. */
  'upstream_failed',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** The kinds that say "our side could not, now": the same request may succeed later. */
const OUR_SIDE: readonly ErrorKind[] = ['unavailable', 'upstream_failed'];

/** A "no" about the request itself (the caller's to change), not a failure on our side. */
export function isRefusal(err: unknown): err is DomainError {
  return err instanceof DomainError && !OUR_SIDE.includes(err.kind);
}

/** A domain error of this kind? */
export function isKind(err: unknown, kind: ErrorKind): err is DomainError {
  return err instanceof DomainError && err.kind === kind;
}

export const notFound = (what: string) => new DomainError('not_found', 'NOT_FOUND', `${what} not found`);
