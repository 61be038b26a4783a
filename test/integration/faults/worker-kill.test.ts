// Fault: the worker process is killed with SIGKILL while tickets are being warned and breached, and
// started again. Timers live in the Temporal server, activity retries and the send log do the rest.
import { expect } from 'chai';
import { secondsPolicy, sleep, startTestSystem, type TestSystem } from '../../support/harness';
import { LONG, LOAD_LIMITS, expectNothingLost, startWorkerProcess, type WorkerProcess } from '../../support/faults';

describe('fault: the worker killed with SIGKILL mid-flight', function () {
  this.timeout(LONG ? 900_000 : 300_000);
  let t: TestSystem;
  let worker: WorkerProcess | undefined;

  before(async () => {
    t = await startTestSystem({ label: 'kill', policy: secondsPolicy(), worker: false, rateLimits: LOAD_LIMITS });
    worker = await startWorkerProcess(t);
  });
  after(async () => {
    await worker?.kill('SIGKILL');
    await t?.stop();
  });

  it('every ticket, every due warning and breach recorded once, no e-mail twice', async () => {
    const count = LONG ? 300 : 30;
    const customers = await Promise.all([1, 2, 3].map(() => t.createCustomer('advanced')));
    const tickets: any[] = [];
    // Advanced A: response 2 s, resolution 4 s, warnings at half of each.
    for (let i = 0; i < count; i += 10) {
      tickets.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, (_, j) => t.createTicket(customers[(i + j) % 3], { impact: 'A' })))));
    }
    // A third answered at once: their response must stay met through the crash.
    const answered = tickets.filter((_, i) => i % 3 === 0);
    // As a client should: a 503 (engine busy) is retried with the same Idempotency-Key.
    const respond = async (x: any) => {
      for (let attempt = 0; ; attempt++) {
        const r = await t.api('POST', `/api/tickets/${x.id}/respond`, { via: 'phone', message: 'On it' }, { 'idempotency-key': `respond-${x.id}` });
        if (r.status !== 503 || attempt === 5) return expect(r.status, JSON.stringify(r.body)).to.equal(200);
      }
    };
    await Promise.all(answered.map(respond));

    await sleep(1_200); // warnings and first breaches in flight
    await worker!.kill('SIGKILL');
    const killedAt = Date.now();
    await sleep(LONG ? 20_000 : 3_000); // the rest fall due with no worker
    worker = await startWorkerProcess(t);

    await expectNothingLost(t, tickets, LONG ? 300_000 : 90_000, { killedAt });
    for (const x of tickets) {
      const v = (await t.api('GET', `/api/tickets/${x.id}`)).body;
      expect(v.sla.resolution.status, `#${x.number}`).to.equal('breached');
      // An answer in time stays met through the crash; one that came too late (or none) is a breach.
      const responded = v.events.find((e: any) => e.type === 'responded');
      const inTime = responded && Date.parse(responded.at) < Date.parse(x.responseDueAt);
      expect(v.sla.response.status, `#${x.number}`).to.equal(inTime ? 'met' : 'breached');
      // Recorded at the moment it fell due, not when the worker came back.
      expect(v.sla.resolution.breachedAt).to.equal(x.resolutionDueAt);
    }
    expect(tickets.filter((x) => answered.includes(x)).length).to.be.greaterThan(0);
  });
});
