// Warning and breach on a real Temporal dev server, real Postgres and real SMTP, with a policy
// whose targets are seconds (Standard A: response 3 s, resolution 6 s; warning at 50 %).
import { expect } from 'chai';
import { LEAD, eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { slaStateQuery } from '../../workflows/definitions';

describe('SLA timers (warning, breach, met) on the real server', function () {
  let t: TestSystem;
  let customerId: string;

  before(async () => {
    t = await startTestSystem({ label: 'timers', policy: secondsPolicy() });
    customerId = await t.createCustomer('standard');
  });
  after(async () => t?.stop());

  it('a ticket nobody answers gets its warning e-mail, then its breach e-mail and breached flag', async () => {
    const ticket = await t.createTicket(customerId);
    expect(ticket.plan).to.equal('standard');
    expect(new Date(ticket.responseDueAt).getTime() - new Date(ticket.receivedAt).getTime()).to.equal(3_000);
    expect(new Date(ticket.resolutionDueAt).getTime() - new Date(ticket.receivedAt).getTime()).to.equal(6_000);

    const received = await t.inbox.waitFor((m) => m.to.includes(ticket.requester.email) && m.subject.includes('Received'));
    expect(received.subject).to.include(`#${ticket.number}`);
    expect(received.text).to.include(ticket.responseDueAt).and.to.include(ticket.resolutionDueAt);

    const warning = await t.inbox.waitFor((m) => m.to.includes(LEAD) && m.subject.includes(`#${ticket.number}`) && m.subject.includes('SLA warning: first response'));
    const breach = await t.inbox.waitFor((m) => m.to.includes(LEAD) && m.subject.includes(`#${ticket.number}`) && m.subject.includes('BREACHED: first response'));
    expect(breach.receivedAt).to.be.greaterThan(warning.receivedAt);
    await t.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}`) && m.subject.includes('BREACHED: resolution'));

    const after = await eventually(async () => {
      const r = await t.api('GET', `/api/tickets/${ticket.id}`);
      return r.body.sla.resolution.breachedAt && r.body.events.filter((e: any) => e.type === 'sla_breached').length === 2 ? r.body : null;
    });
    expect(after.breached).to.equal(true);
    expect(after.sla.response.status).to.equal('breached');
    expect(after.sla.response.breachedAt).to.equal(ticket.responseDueAt);
    expect(after.sla.resolution.breachedAt).to.equal(ticket.resolutionDueAt);
    const types = after.events.map((e: any) => `${e.type}:${e.data.clock ?? ''}`);
    expect(types).to.deep.equal(['received:', 'sla_warning:response', 'sla_breached:response', 'sla_warning:resolution', 'sla_breached:resolution']);
    // The breach is recorded close to its due time, not on some later sweep.
    const lateness = after.events.filter((e: any) => e.type === 'sla_breached').map((e: any) => e.data.lateByMs);
    for (const ms of lateness) expect(ms).to.be.within(0, 2_000);

    // Breached shows in the API's list filter and in Temporal's visibility (what ops see in the UI).
    const list = await t.api('GET', `/api/tickets?breached=true&customerId=${customerId}`);
    expect(list.body.tickets.map((x: any) => x.id)).to.include(ticket.id);
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of t.sys.temporal.workflow.list({ query: `SlaBreached = true AND TicketNumber = ${ticket.number} AND SlaPlan = 'standard' AND SlaImpact = 'A' AND CustomerId = '${customerId}'` })) ids.push(wf.workflowId);
      return ids.length ? ids : null;
    });
    expect(found).to.deep.equal([`ticket-${ticket.number}`]);

    // Only what moved is upserted: what the start set is not upserted again, and the warnings and
    // the second breach move nothing ops filter on. No patch marker (one clean workflow version), so
    // no upsert of TemporalChangeVersion (the SDK's own, beside each patch marker) either.
    const history = await t.sys.temporal.workflow.getHandle(ticket.workflowId).fetchHistory();
    const upserted = (history.events ?? []).map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).sort()).filter((keys) => keys.length > 0);
    expect(upserted).to.deep.equal([['ResolutionDueAt', 'ResponseDueAt'], ['SlaBreached']]);
    const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    expect(markers).to.have.length(0);
  });

  it('a ticket answered in time meets its response target and never breaches it', async () => {
    const ticket = await t.createTicket(customerId);
    const res = await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'phone', message: 'On it: restarting the MTA' });
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('in_progress');
    expect(res.body.sla.response.status).to.equal('met');
    expect(res.body.respondedVia).to.equal('phone');
    await t.inbox.waitFor((m) => m.to.includes(ticket.requester.email) && m.subject.includes('Response'));

    const resolved = await t.api('POST', `/api/tickets/${ticket.number}/resolve`, { resolution: 'MTA restarted' });
    expect(resolved.status).to.equal(200);
    expect(resolved.body.sla.resolution.status).to.equal('met');
    await t.inbox.waitFor((m) => m.to.includes(ticket.requester.email) && m.subject.includes('Resolved'));

    // Wait past both due times: nothing may breach or warn afterwards.
    await sleep(6_500);
    const after = await t.api('GET', `/api/tickets/${ticket.id}`);
    expect(after.body.breached).to.equal(false);
    expect(after.body.sla.response.status).to.equal('met');
    expect(after.body.sla.resolution.status).to.equal('met');
    expect(after.body.events.map((e: any) => e.type)).to.not.include('sla_breached');
    expect(after.body.events.find((e: any) => e.type === 'responded').actor).to.equal(t.techEmail);
    expect(t.inbox.find((m) => m.subject.includes(`#${ticket.number}`) && m.subject.includes('BREACHED'))).to.have.length(0);

    // The workflow query reads the same SLA state as the API.
    const q = await t.sys.temporal.workflow.getHandle(ticket.workflowId).query(slaStateQuery);
    expect(q.sla.response.metAt).to.equal(after.body.sla.response.metAt);
    expect(q.sla.resolution.metAt).to.equal(after.body.sla.resolution.metAt);
    expect(q.status).to.equal('resolved');
  });

  it('the warning goes to the assigned technician when there is one', async () => {
    const ticket = await t.createTicket(customerId);
    const res = await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeId: t.techId });
    expect(res.status).to.equal(200);
    const warning = await t.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}`) && m.subject.includes('SLA warning'));
    expect(warning.to).to.deep.equal([t.techEmail]);
    const breach = await t.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}`) && m.subject.includes('BREACHED'));
    expect(breach.to).to.deep.equal([LEAD]);
  });
});
