// Nothing retries for ever: every activity a workflow calls has bounded retries from one place
// (workflows/activity-options.ts), and every activity's failure no retry can mend is non-retryable
// under a stable type (activities/failures.ts). The same classification on real Postgres errors is
// in test/integration/stuck-record.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ApplicationFailure } from '@temporalio/common';
import { ConnectionRefusedError, DatabaseError, ForeignKeyConstraintError, UniqueConstraintError, ValidationError } from 'sequelize';
import * as options from '../../workflows/activity-options';
import { permanentFailure, withFailureTypes } from '../../activities/failures';
import { DB_DATA_EXCEPTION, DB_INTEGRITY_VIOLATION, DB_LIMIT_EXCEEDED, INVALID_INPUT, MAIL_REJECTED, NON_RETRYABLE_TYPES } from '../../activities/failure-types';

const WORKFLOWS = path.join(__dirname, '..', '..', 'workflows');

describe('nothing retries for ever (unit)', () => {
  it('every kind of activity has a bound on its retries, and stops at once on a failure no retry can mend', () => {
    const kinds = Object.entries(options).filter(([, v]) => typeof v === 'object');
    expect(kinds.map(([k]) => k).sort()).to.deep.equal(['COMPUTE', 'LOOKUP', 'MAIL', 'SCHEDULED', 'WRITE']);
    for (const [name, o] of kinds as [string, { scheduleToCloseTimeout?: unknown; retry?: { nonRetryableErrorTypes?: string[]; maximumAttempts?: number } }][]) {
      expect(o.scheduleToCloseTimeout ?? o.retry?.maximumAttempts, name).to.not.equal(undefined);
      expect(o.retry?.nonRetryableErrorTypes, name).to.include.members(NON_RETRYABLE_TYPES);
    }
  });

  it('every activity proxy in workflows/ takes its options from activity-options.ts, and no call sets its own', () => {
    // workflows/ticket/ holds the ticket's concerns: every file below workflows/ counts.
    const files = readdirSync(WORKFLOWS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && f !== 'activity-options.ts');
    const proxies: string[] = [];
    for (const f of files) {
      const src = readFileSync(path.join(WORKFLOWS, f), 'utf8');
      for (const m of src.matchAll(/proxy(?:Local)?Activities<[^>]+>\(([^)]*)\)/g)) proxies.push(`${f}: ${m[1]}`);
      expect(src, f).to.not.match(/(?:startToClose|scheduleToClose)Timeout|maximumInterval|initialInterval/);
    }
    expect(proxies.length).to.be.at.least(6);
    for (const p of proxies) expect(p).to.match(/: (WRITE|LOOKUP|MAIL|SCHEDULED|READ|COMPUTE)$/);
  });

  const pg = (code: string) => new DatabaseError(Object.assign(new Error(`pg ${code}`), { code, sql: 'x', parameters: {} }) as never);

  it('Postgres refusing the data or the change is for good; a lost connection, a restart or a duplicate key is not', () => {
    expect(permanentFailure(pg('22P05'))?.type).to.equal(DB_DATA_EXCEPTION);
    expect(permanentFailure(pg('22001'))?.type).to.equal(DB_DATA_EXCEPTION);
    expect(permanentFailure(pg('23514'))?.type).to.equal(DB_INTEGRITY_VIOLATION);
    expect(permanentFailure(pg('23502'))?.type).to.equal(DB_INTEGRITY_VIOLATION);
    expect(permanentFailure(pg('54000'))?.type).to.equal(DB_LIMIT_EXCEEDED);
    expect(permanentFailure(new ForeignKeyConstraintError({ parent: Object.assign(new Error('fk'), { code: '23503', sql: 'x' }) as never }))?.type).to.equal(DB_INTEGRITY_VIOLATION);
    expect(permanentFailure(new UniqueConstraintError({ parent: Object.assign(new Error('dup'), { code: '23505', sql: 'x' }) as never }))).to.equal(null);
    for (const code of ['57P01', '08006', '40001', '40P01', '53300', '42P01']) expect(permanentFailure(pg(code)), code).to.equal(null);
    expect(permanentFailure(new ConnectionRefusedError(new Error('ECONNREFUSED')))).to.equal(null);
    expect(permanentFailure(new ValidationError('bad', []))?.type).to.equal(INVALID_INPUT);
    expect(permanentFailure(new Error('socket hang up'))).to.equal(null);
  });

  it('a mail server refusing the message for good (55x, no recipient) is for good; a busy one is not', () => {
    expect(permanentFailure(Object.assign(new Error('550 no such user'), { responseCode: 550 }))?.type).to.equal(MAIL_REJECTED);
    expect(permanentFailure(Object.assign(new Error('No recipients defined'), { code: 'EENVELOPE' }))?.type).to.equal(MAIL_REJECTED);
    for (const responseCode of [421, 450, 451, 452, 535]) expect(permanentFailure(Object.assign(new Error('try later'), { responseCode })), String(responseCode)).to.equal(null);
    // nodemailer's "every recipient refused" carries the refusal's code: a 451 for all is still "later".
    expect(permanentFailure(Object.assign(new Error("Can't send mail - all recipients were rejected"), { code: 'EENVELOPE', responseCode: 451 }))).to.equal(null);
    expect(permanentFailure(Object.assign(new Error("Can't send mail - all recipients were rejected"), { code: 'EENVELOPE', responseCode: 550 }))?.type).to.equal(MAIL_REJECTED);
  });

  it('every activity throws its permanent failures as non-retryable, and the rest as they were', async () => {
    const wrapped = withFailureTypes({
      refused: async () => {
        throw pg('23514');
      },
      away: async () => {
        throw new ConnectionRefusedError(new Error('ECONNREFUSED'));
      },
      typed: async () => {
        throw ApplicationFailure.retryable('mine', 'MINE');
      },
      fine: async (x: number) => x + 1,
    });
    const refused = await wrapped.refused().then(() => null, (e) => e);
    expect(refused).to.be.instanceOf(ApplicationFailure);
    expect([refused.type, refused.nonRetryable]).to.deep.equal([DB_INTEGRITY_VIOLATION, true]);
    expect(await wrapped.away().then(() => null, (e) => e)).to.be.instanceOf(ConnectionRefusedError);
    expect((await wrapped.typed().then(() => null, (e) => e)).type).to.equal('MINE');
    expect(await wrapped.fine(1)).to.equal(2);
  });
});
