// Technician steps through the API against the real engine: pause/resume of the resolution
// clock, resolve and reopen, close, and steps refused in the wrong state.
import { expect } from 'chai';
import { secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { slaStateQuery } from '../../workflows/definitions';

describe('technician steps', function () {
  let t: TestSystem;
  let advancedId: string;
  // Standard customers may file 3 tickets a month: each test gets its own customer.
  let customerId: string;
  beforeEach(async () => {
    customerId = await t.createCustomer('standard');
  });

  before(async () => {
    // Long enough targets that nothing breaches while a test pauses on purpose.
    t = await startTestSystem({ label: 'steps', policy: secondsPolicy({ A: { response: 'PT30S', resolution: 'PT60S' } }) });
    advancedId = await t.createCustomer('advanced');
  });
  after(async () => t?.stop());

  it('waiting on the customer pauses the resolution clock by the time paused, and the reply resumes it', async () => {
    const ticket = await t.createTicket(customerId);
    const due0 = new Date(ticket.resolutionDueAt).getTime();
    expect((await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Which server?' })).status).to.equal(200);
    const waiting = await t.api('POST', `/api/tickets/${ticket.id}/wait-for-customer`, { message: 'Asked for the hostname' });
    expect(waiting.status).to.equal(200);
    expect(waiting.body.status).to.equal('waiting_on_customer');
    expect(waiting.body.sla.resolution.status).to.equal('paused');
    expect(waiting.body.sla.resolution.dueAt).to.equal(null);
    const remainingWhilePaused = waiting.body.sla.resolution.remainingMs;

    await sleep(2_000);
    const stillPaused = await t.api('GET', `/api/tickets/${ticket.id}`);
    expect(stillPaused.body.sla.resolution.remainingMs).to.equal(remainingWhilePaused);
    expect(stillPaused.body.sla.resolution.pausedMs).to.be.at.least(1_900);

    const replied = await t.api('POST', `/api/tickets/${ticket.id}/customer-replied`, { message: 'It is mx1' });
    expect(replied.status).to.equal(200);
    expect(replied.body.status).to.equal('in_progress');
    expect(replied.body.sla.resolution.status).to.equal('running');
    const paused = replied.body.sla.resolution.pausedMs;
    expect(paused).to.be.within(1_900, 4_000);
    // The due time moved by exactly the paused time.
    expect(new Date(replied.body.resolutionDueAt).getTime() - due0).to.equal(paused);
    // The response clock was never paused.
    expect(replied.body.sla.response.pausedMs).to.equal(0);
  });

  it('resolve stops the resolution clock; reopen runs it again from where it stopped; close ends the ticket', async () => {
    const ticket = await t.createTicket(customerId);
    await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'phone', message: 'Calling you' });
    const resolved = await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Restarted the service' });
    expect(resolved.body.status).to.equal('resolved');
    expect(resolved.body.sla.resolution.status).to.equal('met');
    const elapsedAtResolve = resolved.body.sla.resolution.elapsedMs;

    await sleep(1_500);
    const reopened = await t.api('POST', `/api/tickets/${ticket.id}/reopen`, { reason: 'Still failing' });
    expect(reopened.status).to.equal(200);
    expect(reopened.body.status).to.equal('in_progress');
    expect(reopened.body.sla.resolution.status).to.equal('running');
    expect(reopened.body.sla.resolution.metAt).to.equal(null);
    // The time spent resolved does not count against the target.
    expect(reopened.body.sla.resolution.elapsedMs - elapsedAtResolve).to.be.below(500);
    expect(reopened.body.sla.resolution.pausedMs).to.be.at.least(1_400);

    await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Replaced the disk' });
    const closed = await t.api('POST', `/api/tickets/${ticket.id}/close`, {});
    expect(closed.status).to.equal(200);
    expect(closed.body.status).to.equal('closed');
    expect(closed.body.allowedSteps).to.deep.equal([]);

    const full = await t.api('GET', `/api/tickets/${ticket.id}`);
    expect(full.body.events.map((e: any) => e.type)).to.deep.equal([
      'received', 'responded', 'sla_met', 'resolved', 'sla_met', 'reopened', 'resolved', 'sla_met', 'closed',
    ]);
    const reopen = full.body.events.find((e: any) => e.type === 'reopened');
    expect(reopen.actor).to.equal(t.techEmail);
    expect(reopen.data.reason).to.equal('Still failing');
    // The workflow has finished: the ticket's story is complete.
    const result = await t.sys.temporal.workflow.getHandle(ticket.workflowId).result();
    expect(result.status).to.equal('closed');
    expect(result.breached).to.equal(false);
  });

  it('a step that makes no sense in the ticket state is rejected with 409 and a stable code', async () => {
    const ticket = await t.createTicket(customerId);
    const early = await t.api('POST', `/api/tickets/${ticket.id}/close`, {});
    expect(early.status).to.equal(409);
    expect(early.body.error.code).to.equal('STEP_NOT_ALLOWED');
    expect(early.body.error.details).to.deep.equal({ step: 'close', status: 'open' });

    expect((await t.api('POST', `/api/tickets/${ticket.id}/customer-replied`, {})).body.error.code).to.equal('STEP_NOT_ALLOWED');
    expect((await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'first' })).status).to.equal(200);
    const twice = await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'second' });
    expect(twice.status).to.equal(409);
    expect(twice.body.error.message).to.match(/first response was already given/);

    await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'done' });
    await t.api('POST', `/api/tickets/${ticket.id}/close`, {});
    const afterClose = await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'again' });
    expect(afterClose.status).to.equal(409);
    expect(afterClose.body.error.code).to.equal('TICKET_CLOSED');

    // Refused steps leave no trace in the ticket's history.
    const full = await t.api('GET', `/api/tickets/${ticket.id}`);
    expect(full.body.events.filter((e: any) => e.type === 'responded')).to.have.length(1);
  });

  it('an advanced ticket gets the advanced targets and keeps them when the policy changes', async () => {
    const ticket = await t.createTicket(advancedId, { impact: 'A' });
    expect(ticket.plan).to.equal('advanced');
    expect(ticket.targets.responseMs).to.equal(2_000);
    const newPolicy = secondsPolicy();
    newPolicy.targets.advanced.A = { response: 'PT1H', resolution: 'PT4H' };
    expect((await t.admin('PUT', '/api/sla-policy', newPolicy)).status).to.equal(200);
    const later = await t.createTicket(advancedId, { impact: 'A' });
    expect(later.targets.responseMs).to.equal(3_600_000);
    const first = await t.api('GET', `/api/tickets/${ticket.id}`);
    expect(first.body.targets.responseMs).to.equal(2_000);
    // Restore for the other tests in this file.
    await t.admin('PUT', '/api/sla-policy', secondsPolicy({ A: { response: 'PT30S', resolution: 'PT60S' } }));
  });

  it('the workflow query and the API agree on the live SLA state', async () => {
    const ticket = await t.createTicket(customerId);
    await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'hi' });
    await t.api('POST', `/api/tickets/${ticket.id}/wait-for-customer`, {});
    const q = await t.sys.temporal.workflow.getHandle(ticket.workflowId).query(slaStateQuery);
    const api = (await t.api('GET', `/api/tickets/${ticket.id}`)).body;
    expect(q.status).to.equal(api.status);
    for (const clock of ['response', 'resolution'] as const) {
      expect(q.sla[clock].status).to.equal(api.sla[clock].status);
      expect(q.sla[clock].dueAt).to.equal(api.sla[clock].dueAt);
      expect(q.sla[clock].metAt).to.equal(api.sla[clock].metAt);
      expect(q.sla[clock].remainingMs).to.equal(api.sla[clock].remainingMs); // frozen while stopped or paused
    }
    expect(q.allowedSteps).to.deep.equal(api.allowedSteps);
  });

  it('lists tickets soonest due first and filters by status, plan, impact and breached', async () => {
    const c = await t.createCustomer('standard');
    const slow = await t.createTicket(c, { impact: 'C' });
    const fast = await t.createTicket(c, { impact: 'A' });
    const list = await t.api('GET', `/api/tickets?customerId=${c}`);
    expect(list.status).to.equal(200);
    expect(list.body.tickets.map((x: any) => x.number)).to.deep.equal([fast.number, slow.number]);
    const onlyC = await t.api('GET', `/api/tickets?customerId=${c}&impact=C`);
    expect(onlyC.body.tickets.map((x: any) => x.number)).to.deep.equal([slow.number]);
    const none = await t.api('GET', `/api/tickets?customerId=${c}&plan=advanced`);
    expect(none.body.total).to.equal(0);
    const bad = await t.api('GET', `/api/tickets?status=bogus`);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal('VALIDATION_FAILED');
  });
});
