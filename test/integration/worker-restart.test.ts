// Nothing lost: a worker stopped mid-ticket and started again still records the breach at its due
// time, and a ticket met before the stop stays met. Timers live in the Temporal server, not the worker.
import { expect } from 'chai';
import { LEAD, eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';

describe('worker stopped and restarted mid-ticket', function () {
  this.timeout(120_000);
  let t: TestSystem;
  let customerId: string;

  before(async () => {
    t = await startTestSystem({ label: 'restart', policy: secondsPolicy() });
    customerId = await t.createCustomer('standard');
  });
  after(async () => t?.stop());

  it('breaches that fell due while no worker ran are recorded once the worker is back, at their due time', async () => {
    const unanswered = await t.createTicket(customerId);
    const answered = await t.createTicket(customerId);
    await t.inbox.waitFor((m) => m.subject.includes(`#${unanswered.number}`) && m.subject.includes('Received'));
    const r = await t.api('POST', `/api/tickets/${answered.id}/respond`, { via: 'email', message: 'Looking' });
    expect(r.status).to.equal(200);

    await t.sys.stopWorker();
    const stoppedAt = Date.now();
    // Both targets of the unanswered ticket fall due while nothing runs the workflow.
    await sleep(7_000);
    const during = await t.api('GET', `/api/tickets/${unanswered.id}`);
    // The API derives the breach from the clocks even before the workflow records it.
    expect(during.body.sla.response.status).to.equal('breached');
    await t.sys.startWorker();

    await t.inbox.waitFor((m) => m.to.includes(LEAD) && m.subject.includes(`#${unanswered.number}`) && m.subject.includes('BREACHED: resolution'), 30_000);
    const after = await eventually(async () => {
      const res = await t.api('GET', `/api/tickets/${unanswered.id}`);
      return res.body.events.filter((e: any) => e.type === 'sla_breached').length === 2 ? res.body : null;
    });
    expect(after.breached).to.equal(true);
    expect(after.sla.response.breachedAt).to.equal(unanswered.responseDueAt);
    expect(after.sla.resolution.breachedAt).to.equal(unanswered.resolutionDueAt);
    // Warnings whose breach was also due are folded into the breach: no stale warning e-mails.
    // (A warning may have gone out before the stop on a slow machine; none due during the outage may.)
    for (const w of after.events.filter((e: any) => e.type === 'sla_warning')) expect(Date.parse(w.at)).to.be.lessThan(stoppedAt);
    // Both breach e-mails arrive (one may have been taken by the stopping worker and retried), once each.
    await t.inbox.waitFor((m) => m.subject.includes(`#${unanswered.number}`) && m.subject.includes('BREACHED: first response'), 70_000);
    await sleep(500);
    expect(t.inbox.find((m) => m.subject.includes(`#${unanswered.number}`) && m.subject.includes('BREACHED'))).to.have.length(2);

    const met = await eventually(async () => {
      const res = await t.api('GET', `/api/tickets/${answered.id}`);
      return res.body.events.some((e: any) => e.type === 'sla_breached') ? res.body : null;
    });
    expect(met.sla.response.status).to.equal('met');
    // Its resolution was running during the outage, so it breached too; the response stays met.
    expect(met.sla.resolution.status).to.equal('breached');
    expect(met.events.filter((e: any) => e.type === 'sla_breached').map((e: any) => e.data.clock)).to.deep.equal(['resolution']);
  });

  it('a step sent while no worker runs is applied once one is back, after the ticket\'s "received"', async () => {
    await t.sys.stopWorker();
    const ticket = await t.createTicket(customerId, { impact: 'C' });
    // The step waits at the server for a worker; the workflow's first task then carries both.
    const responding = t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'phone', message: 'Called back' });
    await sleep(1_000);
    await t.sys.startWorker();
    const r = await responding;
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const events = await eventually(async () => {
      const e = (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events;
      return e.length >= 3 ? e : null;
    });
    expect(events.map((e: any) => e.type)).to.deep.equal(['received', 'responded', 'sla_met']);
  });
});
