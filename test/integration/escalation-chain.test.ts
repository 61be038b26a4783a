// The escalation chain on the real server with a second-scale policy: 50 % of a target → the
// assigned technician (else the lead), breach → the support lead (lead users copied), breach plus
// half the target again → the support manager; each level once, none once the ticket moved on.
// And the policy's automatic brand meeting when an Advanced critical ticket breaches its response.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { LEAD, MANAGER, eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import type { ReceivedMail } from '../support/inbox';

describe('escalation chain and automatic brand meetings', function () {
  this.timeout(60_000);
  let t: TestSystem;
  let leadUser: string;

  before(async () => {
    t = await startTestSystem({
      label: 'chain',
      // Standard B: response 4 s (levels at 2, 4, 6 s), resolution 8 s (levels at 4, 8, 12 s).
      policy: secondsPolicy(
        { B: { response: 'PT4S', resolution: 'PT8S' } },
        {
          escalation: [
            { at: 0.5, notify: 'assignee_or_lead' },
            { at: 1, notify: 'lead' },
            { at: 1.5, notify: 'manager' },
          ],
          autoBrandMeeting: { plans: ['advanced'], impacts: ['A'], on: ['response'] },
        },
      ),
    });
    leadUser = `laura.${randomBytes(2).toString('hex')}@lastcall.test`;
    expect((await t.admin('POST', '/api/users', { name: 'Laura Lead', email: leadUser, role: 'lead' })).status).to.equal(201);
  });
  after(async () => t?.stop());

  const about = (ticket: any, subject: string) => (m: ReceivedMail) => m.subject.includes(`#${ticket.number}]`) && m.subject.includes(subject);
  const events = async (ticket: any) => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events as any[];

  it('an unanswered ticket climbs every level of both clocks, each exactly once, to the right people', async () => {
    const c = await t.createCustomer('standard');
    // Unassigned (its first warning comes 2 s after intake, too soon to assign it reliably): the
    // warning goes to the support lead; sla-timers.test.ts covers the assigned technician.
    const ticket = await t.createTicket(c, { impact: 'B' });

    const breach = await t.inbox.waitFor(about(ticket, 'BREACHED: first response'));
    expect(breach.to).to.include(LEAD);
    expect(breach.cc).to.include(leadUser); // the lead users on duty are copied
    const manager = await t.inbox.waitFor(about(ticket, 'ESCALATION: first response'));
    expect(manager.to).to.deep.equal([MANAGER]);
    expect(manager.text).to.contain('Assigned to: nobody');
    expect(manager.receivedAt).to.be.greaterThan(breach.receivedAt);
    await t.inbox.waitFor(about(ticket, 'ESCALATION: resolution'), 20_000);

    await sleep(1_500); // nothing more may come
    expect(t.inbox.find(about(ticket, 'ESCALATION'))).to.have.length(2);
    expect(t.inbox.find(about(ticket, 'BREACHED'))).to.have.length(2);
    const ev = await eventually(async () => {
      const e = await events(ticket);
      return e.filter((x) => x.type === 'sla_escalated').length === 2 ? e : null;
    });
    const chain = ev.filter((x) => x.type.startsWith('sla_') && x.type !== 'sla_met').map((x) => `${x.type}:${x.data.clock}:${x.data.notify}`);
    for (const clock of ['response', 'resolution']) {
      const levels = chain.filter((x) => x.includes(`:${clock}:`));
      // A warning is folded into the breach only when the workflow got to it after the breach was due
      // too (a badly overloaded machine); then that breach says so by being late.
      const breachEvent = ev.find((x) => x.type === 'sla_breached' && x.data.clock === clock);
      const folded = levels.length === 2 && breachEvent.data.lateByMs > 0 && new Date(breachEvent.at).getTime() - breachEvent.data.dueAt >= 0;
      expect(levels, clock).to.deep.equal([...(folded ? [] : [`sla_warning:${clock}:assignee_or_lead`]), `sla_breached:${clock}:lead`, `sla_escalated:${clock}:manager`]);
      if (!folded) expect(t.inbox.find(about(ticket, `SLA warning: ${clock === 'response' ? 'first response' : 'resolution'}`))[0].to).to.include(LEAD);
    }
    // Each escalation is recorded when it fell due (1.5 × the target), not on some later sweep.
    for (const e of ev.filter((x) => x.type === 'sla_escalated')) {
      expect(new Date(e.at).getTime() - e.data.escalatedAt).to.be.within(0, 3_000);
    }
  });

  it('stops climbing once the ticket moves on: resolved after the breach, the manager is never told', async () => {
    const c = await t.createCustomer('standard');
    const ticket = await t.createTicket(c, { impact: 'B' });
    expect((await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Looking' })).status).to.equal(200);
    // Resolution breaches at 8 s; the manager level would be at 12 s.
    await t.inbox.waitFor(about(ticket, 'BREACHED: resolution'));
    expect((await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Done, late' })).status).to.equal(200);
    await sleep(5_000);
    expect(t.inbox.find(about(ticket, 'ESCALATION'))).to.have.length(0);
    const types = (await events(ticket)).map((x) => x.type);
    expect(types).to.not.include('sla_escalated');
    expect(types.filter((x) => x === 'sla_breached')).to.have.length(1);
  });

  it('an Advanced critical ticket that breaches its response starts a brand-engineer meeting by itself', async () => {
    const fixture = await t.createCustomerFixture('advanced');
    const product = (await t.admin('GET', `/api/customers/${fixture.id}/products`)).body.products[0];
    const engineer = `eng.${randomBytes(2).toString('hex')}@zimbra.test`;
    expect((await t.admin('POST', `/api/brands/${product.brand}/contacts`, { name: 'Zed Eng', email: engineer })).status).to.equal(201);

    const ticket = await t.createTicket(fixture.id, { impact: 'A', productId: product.id }); // response 2 s
    const invite = await t.inbox.waitFor(about(ticket, 'Invitation'), 15_000);
    expect(invite.to).to.include.members([engineer, fixture.requesterEmail]);
    const ev = await eventually(async () => {
      const e = await events(ticket);
      return e.some((x) => x.type === 'session_proposed') ? e : null;
    });
    const flagged = ev.find((x) => x.type === 'flagged_complex');
    expect(flagged.actor).to.equal('system');
    expect(flagged.data.reason).to.contain('response target');
    const breachSeq = ev.find((x) => x.type === 'sla_breached' && x.data.clock === 'response').seq;
    expect(flagged.seq).to.be.greaterThan(breachSeq);
    const requested = ev.find((x) => x.type === 'session_requested');
    expect(requested.data.kind).to.equal('brand');
    const d = await t.sys.temporal.workflow.getHandle(requested.data.sessionId).describe();
    expect(d.type).to.equal('brandMeetingWorkflow');

    // Only once: the resolution breach does not start another.
    await t.inbox.waitFor(about(ticket, 'BREACHED: resolution'), 10_000);
    expect((await events(ticket)).filter((x) => x.type === 'session_requested')).to.have.length(1);
    expect((await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Vendor hotfix' })).status).to.equal(200);
  });

  it('a Standard critical ticket that breaches never gets a brand meeting', async () => {
    const c = await t.createCustomer('standard');
    const ticket = await t.createTicket(c, { impact: 'A' }); // 3 s
    await t.inbox.waitFor(about(ticket, 'BREACHED: first response'), 10_000);
    await sleep(500);
    expect((await events(ticket)).map((x) => x.type)).to.not.include('session_requested');
  });
});
