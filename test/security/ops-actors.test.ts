// Ops steps sent straight to a real running ticket through the Temporal client (what the Temporal
// UI and CLI send) must name a person of the directory: an enabled technician or lead for a step,
// a lead or admin to retry a stuck record. A made-up person, a disabled technician and a
// customer's requester are refused: a Signal leaves a step_refused event and nothing else (the
// response clock keeps running), an Update fails with UNKNOWN_ACTOR and leaves nothing at all.
import { expect } from 'chai';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { TicketEventRow } from '../../db/models';
import { OPS_STEP_SIGNALS, OPS_STEP_UPDATES, UNKNOWN_ACTOR, opsRetryRecordUpdate, slaStateQuery } from '../../workflows/definitions';
import { eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';

describe('ops actors are people of the directory', function () {
  this.timeout(120_000);
  let t: TestSystem;
  let strangers: Record<string, string>;
  let lead: string;

  before(async () => {
    // Targets far enough away that no alarm fires while the test runs: only the steps move the ticket.
    t = await startTestSystem({ label: 'opsactors', policy: secondsPolicy({ A: { response: 'PT20M', resolution: 'PT2H' } }) });
    const disabled = await t.admin('POST', '/api/users', { name: 'Dana Gone', email: `dana.${Date.now()}@lastcall.test`, role: 'technician' });
    expect((await t.admin('POST', `/api/users/${disabled.body.id}/disable`, {})).status).to.equal(200);
    const customer = await t.createCustomerFixture('standard');
    const admin = await t.admin('POST', '/api/users', { name: 'Ada Admin', email: `ada.${Date.now()}@lastcall.test`, role: 'admin' });
    lead = (await t.admin('POST', '/api/users', { name: 'Lea Lead', email: `lea.${Date.now()}@lastcall.test`, role: 'lead' })).body.email;
    strangers = {
      'a made-up person': 'olga.madeup@lastcall.test',
      'a disabled technician': disabled.body.email,
      "a customer's requester": customer.requesterEmail,
      // Admins administer; they do not work tickets (the API's workTickets permission).
      'an admin': admin.body.email,
    };
  });
  after(async () => t?.stop());

  const events = async (ticketId: string) => (await TicketEventRow.findAll({ where: { ticketId }, order: [['seq', 'ASC']] })).map((e) => e.get({ plain: true }));
  const failure = async (p: Promise<unknown>): Promise<ApplicationFailure> => {
    const err = await p.then(() => null, (e) => e);
    expect(err, 'the Update was refused').to.be.instanceOf(WorkflowUpdateFailedError);
    expect(err.cause).to.be.instanceOf(ApplicationFailure);
    return err.cause as ApplicationFailure;
  };

  it('a Signal from someone the directory does not know as an enabled technician or lead is recorded as refused, and changes nothing', async () => {
    const ticket = await t.createTicket((await t.createCustomerFixture('standard')).id);
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
    await eventually(async () => (await events(ticket.id)).length === 1, 20_000, 'received recorded');
    for (const email of Object.values(strangers)) {
      await handle.signal(OPS_STEP_SIGNALS.respond, { actor: email, via: 'email', message: 'The clock stops here' });
      await handle.signal(OPS_STEP_SIGNALS.assign, { actor: email, assigneeEmail: t.techEmail });
    }
    const n = Object.keys(strangers).length * 2;
    await eventually(async () => (await events(ticket.id)).length === 1 + n, 20_000, 'every refusal recorded');
    const es = await events(ticket.id);
    expect(es.slice(1).map((e) => e.type)).to.deep.equal(Array(n).fill('step_refused'));
    Object.values(strangers).forEach((email, i) => {
      for (const e of es.slice(1 + 2 * i, 3 + 2 * i)) {
        expect(e.actor).to.equal(`ops:${email}`);
        expect(e.data.reason).to.equal(`${email} is not an enabled technician or lead in the directory`);
        expect(e.data.status).to.equal('open');
      }
    });
    // The response clock still runs; nobody was assigned.
    const state = await handle.query(slaStateQuery);
    expect(state).to.deep.include({ status: 'open', assignee: null, respondedVia: null });
    expect(state.sla.response.status).to.equal('running');

    // A real technician (however the address is written) does what the strangers could not.
    await handle.signal(OPS_STEP_SIGNALS.respond, { actor: t.techEmail.toUpperCase(), via: 'email', message: 'The clock stops here' });
    await eventually(async () => (await events(ticket.id)).some((e) => e.type === 'responded'), 20_000, 'responded');
    const responded = (await events(ticket.id)).find((e) => e.type === 'responded')!;
    expect(responded.actor).to.equal(`ops:${t.techEmail}`);
    expect((await handle.query(slaStateQuery)).sla.response.status).to.equal('met');
  });

  it('an Update from them fails with UNKNOWN_ACTOR and records nothing; a real technician\'s is applied', async () => {
    const ticket = await t.createTicket((await t.createCustomerFixture('standard')).id);
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
    await eventually(async () => (await events(ticket.id)).length === 1, 20_000, 'received recorded');
    for (const [who, email] of Object.entries(strangers)) {
      const refused = await failure(handle.executeUpdate(OPS_STEP_UPDATES.resolve, { args: [{ actor: email, resolution: 'Closed by a stranger' }] }));
      expect(refused.type, who).to.equal(UNKNOWN_ACTOR);
      expect(refused.message, who).to.equal(`${email} is not an enabled technician or lead in the directory`);
      // Nor may they retry a record (a lead's or an admin's), the admin aside.
      if (who !== 'an admin') expect((await failure(handle.executeUpdate(opsRetryRecordUpdate, { args: [{ actor: email }] }))).type, who).to.equal(UNKNOWN_ACTOR);
    }
    // A technician may work tickets but not retry a record.
    const tech = await failure(handle.executeUpdate(opsRetryRecordUpdate, { args: [{ actor: t.techEmail }] }));
    expect([tech.type, tech.message]).to.deep.equal([UNKNOWN_ACTOR, `${t.techEmail} is not an enabled lead or admin in the directory`]);
    await sleep(500);
    expect((await events(ticket.id)).map((e) => e.type), 'nothing recorded').to.deep.equal(['received']);
    expect((await handle.query(slaStateQuery)).status).to.equal('open');

    const done = await handle.executeUpdate(OPS_STEP_UPDATES.resolve, { args: [{ actor: t.techEmail, resolution: 'Restarted the service' }] });
    expect(done.status).to.equal('resolved');
    // A lead's retry of a ticket whose record is not stuck writes nothing and records nothing.
    expect((await handle.executeUpdate(opsRetryRecordUpdate, { args: [{ actor: lead }] })).written).to.equal(0);
    await eventually(async () => (await events(ticket.id)).some((e) => e.type === 'resolved'), 20_000, 'resolved recorded');
    const es = await events(ticket.id);
    expect(es.map((e) => [e.type, e.actor])).to.deep.equal([
      ['received', ticket.requester.email],
      ['resolved', `ops:${t.techEmail}`],
      ['sla_met', 'system'],
      ['sla_met', 'system'],
    ]);
  });
});
