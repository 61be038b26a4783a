// The codec server's flood limit (api/routes/codec.ts): requests per staff member, counted in the
// flood limits' table (services/rate-limits.ts: rate-limiter-flexible on Postgres, swept there), so
// every API process shares the count. The codec server is a decryption oracle for whoever holds a
// staff credential; the limit bounds how fast one credential can have Temporal's store decrypted and
// how much CPU it can take, without slowing a person reading tickets in the UI. A limit passed is a
// DomainError rate_limited (429 RATE_LIMITED with Retry-After), as every other flood limit's.
import { ConnectionError, type Sequelize } from 'sequelize';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../domain/errors';
import type { Limit } from '../domain/rate-limits';
import { RATE_LIMITS_TABLE } from './rate-limits';

/** What a 429 names as limited (details.limit), and the prefix of its counters' keys. */
export const CODEC_LIMIT_CODE = 'codec_requests_per_user';

export interface CodecLimit {
  /** Counts one request of this person (their user id, or the bootstrap admin's label), or refuses it. */
  request(who: string): Promise<void>;
}

export function createCodecLimit(sequelize: Sequelize, limit: Limit): CodecLimit {
  const limiter = new RateLimiterPostgres({
    storeClient: sequelize,
    storeType: 'sequelize',
    tableName: RATE_LIMITS_TABLE,
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: CODEC_LIMIT_CODE,
    points: limit.points,
    duration: limit.windowS,
  });
  return {
    async request(who) {
      try {
        await limiter.consume(who);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err instanceof ConnectionError ? err : new ConnectionError(err instanceof Error ? err : new Error(String(err)));
        const retryAfterSeconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw new DomainError('rate_limited', 'RATE_LIMITED', `too many codec requests from this person: at most ${limit.points} per ${limit.windowS} s; retry in ${retryAfterSeconds} s`, {
          limit: CODEC_LIMIT_CODE,
          max: limit.points,
          windowSeconds: limit.windowS,
          retryAfterSeconds,
        });
      }
    },
  };
}
