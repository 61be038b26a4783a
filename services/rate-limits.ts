// The flood limits (domain/rate-limits.ts), counted with rate-limiter-flexible's RateLimiterPostgres
// in the table `rate_limits` (migration 011; the library is told it exists and never creates it),
// through the app's Sequelize pool: every API process counts against the same rows. A limit passed
// is a DomainError rate_limited (RATE_LIMITED, 429 in the API) naming the limit and when to come back (Retry-After).
//
// Counters are taken before any lock or transaction of the use case they guard: a query on another
// pooled connection while holding a lock would let a burst starve the pool (see services/tickets.ts).
import { createHash } from 'node:crypto';
import { ConnectionError, type Sequelize } from 'sequelize';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../domain/errors';
import { LIMIT_CODES, LIMIT_NAMES, type LimitName, type RateLimitSettings } from '../domain/rate-limits';

export const RATE_LIMITS_TABLE = 'rate_limits';
/** How often counters whose window has ended are deleted. */
const SWEEP_EVERY_MS = 5 * 60_000;

const MESSAGES: Record<LimitName, string> = {
  failedTokens: 'too many wrong tokens from this address; every token from it is refused until the window ends',
  signInLinksPerClient: 'too many sign-in link requests from this address',
  signInLinksPerAddress: 'too many sign-in link requests for this e-mail address',
  intakePerRequester: 'too many tickets from this requester in a short time',
  intakePerCustomer: 'too many tickets from this customer in a short time',
  endUserCopies: 'too many tickets name this end user today (each sends them a copy)',
  heldMailPerClient: 'too many unauthenticated messages from this sending server today',
  heldMailPerSender: 'too many unauthenticated messages from this address today',
};

/** Addresses are counted by digest: the table keeps no list of who asked for what. */
const digest = (s: string) => createHash('sha256').update(s.toLowerCase()).digest('hex').slice(0, 32);

export interface IntakeParties {
  requesterId: string;
  customerId: string;
  /** The end user the ticket names (each ticket sends them a copy of the requester's e-mails). */
  endUserEmail?: string;
}

export interface RateLimits {
  /** Refuses (rate_limited) a client limited for wrong tokens, before its token is looked at: even a right one. */
  checkTokenClient(client: string): Promise<void>;
  /** A wrong token from this client (a right one is never counted). */
  tokenFailed(client: string): Promise<void>;
  /** Counts a sign-in link request from this client for this address, or refuses it (rate_limited). */
  signInLinkRequested(client: string, email: string): Promise<void>;
  /**
   * Counts a ticket for its requester, its customer and the end user it names, or refuses it (rate_limited,
   * nothing counted). The function returned gives the counts back: no ticket was made after all.
   */
  intake(parties: IntakeParties): Promise<() => Promise<void>>;
  /** Counts an unauthenticated message about to be held from this sending server and address, or refuses it (rate_limited). */
  mailHeld(client: string, from: string): Promise<void>;
  stop(): void;
}

export function rateLimited(name: LimitName, settings: RateLimitSettings, msBeforeNext: number): DomainError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  const { points, windowS } = settings[name];
  return new DomainError('rate_limited', 'RATE_LIMITED', `${MESSAGES[name]}: at most ${points} per ${windowS} s; retry in ${retryAfterSeconds} s`, {
    limit: LIMIT_CODES[name],
    max: points,
    windowSeconds: windowS,
    retryAfterSeconds,
  });
}

export function createRateLimits(sequelize: Sequelize, settings: RateLimitSettings): RateLimits {
  const limiters = Object.fromEntries(
    LIMIT_NAMES.map((name) => [
      name,
      new RateLimiterPostgres({
        storeClient: sequelize,
        storeType: 'sequelize',
        tableName: RATE_LIMITS_TABLE,
        tableCreated: true,
        // Swept below, once for the table, by a timer stop() ends.
        clearExpiredByTimeout: false,
        keyPrefix: LIMIT_CODES[name],
        points: settings[name].points,
        duration: settings[name].windowS,
      }),
    ]),
  ) as Record<LimitName, RateLimiterPostgres>;

  /** The store failing is the database failing: 503 DATABASE_UNAVAILABLE, as for any other query. */
  const storeError = (err: unknown) => (err instanceof ConnectionError ? err : new ConnectionError(err instanceof Error ? err : new Error(String(err))));

  /**
   * Counts one for each (limit, key), narrowest party first; all or none: at the first that
   * refuses, those counted before it are given back, and the wider ones are not touched (a burst
   * one requester may not file does not eat into their customer's count).
   */
  async function consume(items: Array<[LimitName, string]>): Promise<() => Promise<void>> {
    const counted: Array<[LimitName, string]> = [];
    const giveBack = (which: Array<[LimitName, string]>) => () =>
      Promise.all(which.map(([name, key]) => limiters[name].reward(key))).then(
        () => undefined,
        (err: unknown) => {
          throw storeError(err);
        },
      );
    for (const [name, key] of items) {
      try {
        await limiters[name].consume(key);
      } catch (err) {
        await giveBack(counted)().catch(() => {});
        if (err instanceof RateLimiterRes) throw rateLimited(name, settings, err.msBeforeNext);
        throw storeError(err);
      }
      counted.push([name, key]);
    }
    return giveBack(counted);
  }

  // Counters whose window ended are of no use (the library would start them afresh anyway).
  const sweep = setInterval(() => {
    sequelize.query(`DELETE FROM ${RATE_LIMITS_TABLE} WHERE expire < :now`, { replacements: { now: Date.now() } }).catch(() => {});
  }, SWEEP_EVERY_MS);
  sweep.unref();

  return {
    async checkTokenClient(client) {
      let res: RateLimiterRes | null;
      try {
        res = await limiters.failedTokens.get(client);
      } catch (err) {
        throw storeError(err);
      }
      if (res && res.consumedPoints >= settings.failedTokens.points) throw rateLimited('failedTokens', settings, res.msBeforeNext);
    },
    async tokenFailed(client) {
      // Counted past the limit as well: the window does not move, and checkTokenClient refuses from now on.
      await limiters.failedTokens.consume(client).catch((err: unknown) => {
        if (!(err instanceof RateLimiterRes)) throw storeError(err);
      });
    },
    async signInLinkRequested(client, email) {
      await consume([
        ['signInLinksPerClient', client],
        ['signInLinksPerAddress', digest(email)],
      ]);
    },
    intake({ requesterId, customerId, endUserEmail }) {
      const items: Array<[LimitName, string]> = [
        ['intakePerRequester', requesterId],
        ['intakePerCustomer', customerId],
      ];
      if (endUserEmail) items.push(['endUserCopies', digest(endUserEmail)]);
      return consume(items);
    },
    async mailHeld(client, from) {
      await consume([
        ['heldMailPerSender', digest(from)],
        ['heldMailPerClient', client],
      ]);
    },
    stop: () => clearInterval(sweep),
  };
}
