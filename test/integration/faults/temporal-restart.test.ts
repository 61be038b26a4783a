// Fault: the Temporal server stops and starts again on its persistent file. Tickets taken in while
// it is down are still accepted (the row is the durable acceptance) and start as soon as it is back,
// their deadlines counted from when they were received; timers that fell due meanwhile fire then.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../../runtime/embedded-postgres';
import { ensureTemporalBinary } from '../../../runtime/temporal-binary';
import { startTemporalDevServer, type DevServer } from '../../../runtime/temporal-dev-server';
import { eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../../support/harness';
import { LONG, LOAD_LIMITS, expectNothingLost } from '../../support/faults';

describe('fault: the Temporal server stopped and restarted on its persistent file', function () {
  this.timeout(LONG ? 900_000 : 180_000);
  let t: TestSystem | undefined;
  let dev: DevServer | undefined;
  let dir: string;
  let binary: string | null;
  let port: number;

  const start = () => startTemporalDevServer({ binary: binary!, port, namespace: 'default', dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log') });

  before(async function () {
    binary = ensureTemporalBinary();
    // A restartable server of our own needs the CLI binary; the SDK-downloaded one is shared and not stoppable here.
    if (!binary) return this.skip();
    dir = mkdtempSync(path.join(tmpdir(), 'last-call-temporalfault-'));
    chmodSync(dir, 0o755);
    // No UI: its port, free at the first start, may be another process's by the restart (a CI run lost one so).
    port = await freePort();
    dev = await start();
    t = await startTestSystem({ label: 'tfault', policy: secondsPolicy(), temporalAddress: dev.address, rateLimits: LOAD_LIMITS });
  });
  after(async () => {
    await t?.stop();
    await dev?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts tickets while it is down, starts them when it is back, and fires every due timer once', async () => {
    const sys = t!;
    const customers = await Promise.all([1, 2].map(() => sys.createCustomer('advanced')));
    const count = LONG ? 100 : 12;
    const before = await Promise.all(Array.from({ length: count }, (_, i) => sys.createTicket(customers[i % 2], { impact: 'A' })));
    await sleep(500);

    // The hard way: no chance to flush or say goodbye; the SQLite file must carry everything.
    dev!.process.kill('SIGKILL');
    await new Promise((r) => dev!.process.once('exit', r));
    const during = await Promise.all(Array.from({ length: count / 2 }, (_, i) => sys.createTicket(customers[i % 2], { impact: 'A' }, { running: false })));
    for (const x of during) {
      expect(x.workflowStarted, `#${x.number} started while Temporal was down?`).to.equal(false);
      expect(new Date(x.responseDueAt).getTime() - new Date(x.receivedAt).getTime()).to.equal(2_000);
    }
    const step = await sys.api('POST', `/api/tickets/${before[0].id}/respond`, { via: 'email', message: 'x' });
    expect(step.status, JSON.stringify(step.body)).to.equal(503);
    expect(step.body.error.code).to.be.oneOf(['TICKET_ENGINE_UNAVAILABLE']);
    await sleep(LONG ? 30_000 : 3_000);

    // A start begun while the server is away, as the sweep's timer may have begun one: the step
    // below must not be refused with that start's failure once the server is back.
    const sweeping = sys.sys.tickets.starter.sweep().catch(() => 0);
    dev = await start();
    // A step on a ticket taken in during the outage works once Temporal is back: it starts the
    // ticket's workflow itself when the sweep has not started it yet. The client's channel may
    // still be waiting out its reconnect back-off for a moment, or the worker its first poll: then
    // the API answers 503 (TICKET_NOT_STARTED, "retry shortly", or TICKET_ENGINE_UNAVAILABLE,
    // "retry with the same Idempotency-Key"), and the retry the caller was told to make must work.
    const t0 = Date.now();
    const assign = () => sys.api('POST', `/api/tickets/${during[0].id}/assign`, { assigneeId: sys.techId }, { 'idempotency-key': `assign-${during[0].id}` });
    let first = await assign();
    while (first.status === 503 && ['TICKET_NOT_STARTED', 'TICKET_ENGINE_UNAVAILABLE'].includes(first.body.error?.code) && Date.now() - t0 < 15_000) {
      await sleep(1_000);
      first = await assign();
    }
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body.assignee.email).to.equal(sys.techEmail);
    await sweeping;
    await eventually(async () => {
      const list = await Promise.all(during.map(async (x) => (await sys.api('GET', `/api/tickets/${x.id}`)).body.workflowStarted));
      return list.every(Boolean);
    }, 60_000, 'the outbox to start the tickets taken in during the outage');
    await expectNothingLost(sys, [...before, ...during], LONG ? 300_000 : 90_000);
    for (const x of [...before, ...during]) {
      const v = (await sys.api('GET', `/api/tickets/${x.id}`)).body;
      // Deadlines count from reception, however late the workflow started.
      expect(v.sla.response.breachedAt, `#${x.number}`).to.equal(x.responseDueAt);
      expect(v.sla.resolution.breachedAt, `#${x.number}`).to.equal(x.resolutionDueAt);
    }
  });
});
