// Fault: Postgres stops while tickets are being taken in and worked, then starts again on its data.
// Intake and steps answer 503 while it is down (nothing half-accepted); the workflows' recording
// and e-mail activities retry; afterwards the record is complete, with no duplicate.
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startEmbeddedPostgres, type EmbeddedDb } from '../../../runtime/embedded-postgres';
import { eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../../support/harness';
import { LONG, expectNothingLost } from '../../support/faults';

describe('fault: Postgres stopped and restarted under load', function () {
  this.timeout(LONG ? 900_000 : 150_000);
  let t: TestSystem;
  let pg: EmbeddedDb;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'last-call-pgfault-'));
    chmodSync(dir, 0o755);
    pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg') });
    t = await startTestSystem({ label: 'pgfault', policy: secondsPolicy(), pgServerUrl: pg.serverUrl });
  });
  after(async () => {
    await t?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, loses nothing accepted before, and records every due breach once after', async () => {
    const customers = await Promise.all([1, 2].map(() => t.createCustomer('advanced')));
    const count = LONG ? 100 : 16;
    const before = await Promise.all(Array.from({ length: count }, (_, i) => t.createTicket(customers[i % 2], { impact: 'A' })));
    await t.api('POST', `/api/tickets/${before[0].id}/respond`, { via: 'email', message: 'Looking' });

    await pg.stop();
    const down = await t.as(t.customer(customers[0]).requesterToken)('POST', '/api/tickets', { type: 'problem', impact: 'A', subject: 'During the outage', description: 'x' });
    expect(down.status, JSON.stringify(down.body)).to.equal(503);
    expect(down.body.error.code).to.equal('DATABASE_UNAVAILABLE');
    expect(JSON.stringify(down.body)).to.not.match(/at .*\.ts:\d+/); // no stack trace
    const step = await t.api('POST', `/api/tickets/${before[1].id}/respond`, { via: 'email', message: 'x' });
    expect(step.status).to.equal(503);
    await sleep(LONG ? 30_000 : 4_000); // breaches fall due; recording them fails and retries

    pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: pg.port });
    // Accepting again once it is back.
    const after = await eventually(async () => {
      const r = await t.as(t.customer(customers[1]).requesterToken)('POST', '/api/tickets', { type: 'problem', impact: 'B', subject: 'After the outage', description: 'x' });
      return r.status === 201 ? r.body : null;
    }, 30_000, 'intake after Postgres is back');
    await expectNothingLost(t, [...before, after], LONG ? 300_000 : 90_000);
    for (const x of before) {
      const v = (await t.api('GET', `/api/tickets/${x.id}`)).body;
      expect(v.sla.resolution.breachedAt, `#${x.number}`).to.equal(x.resolutionDueAt);
    }
  });
});
