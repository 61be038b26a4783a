// Specialist sessions and brand-engineer meetings (Advanced) on the real Temporal server, Postgres
// and SMTP, with second-scale session timings: proposals are made 6 s ahead, lapse after 4 s, the
// reminder goes 3 s before, follow-ups every 2 s, the lead hears after 2 attempts.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { LEAD, eventually, secondsPolicy, sleep, startTestSystem, type CustomerFixture, type TestSystem } from '../support/harness';
import { invitationOf } from '../support/ics';
import type { ReceivedMail } from '../support/inbox';

describe('sessions and brand meetings (Advanced)', function () {
  this.timeout(90_000);
  let t: TestSystem;
  let advanced: CustomerFixture;
  let standard: CustomerFixture;

  before(async () => {
    t = await startTestSystem({ label: 'sessions', policy: secondsPolicy() });
    advanced = await t.createCustomerFixture('advanced');
    standard = await t.createCustomerFixture('standard');
  });
  after(async () => t?.stop());

  async function staff(technologies: string[], name = 'Spec'): Promise<{ id: string; token: string; email: string }> {
    const email = `${name.toLowerCase()}.${randomBytes(3).toString('hex')}@lastcall.test`;
    const r = await t.admin('POST', '/api/users', { name, email, role: 'technician', technologies });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return { id: r.body.id, token: r.body.token, email };
  }
  // Impact B: targets in hours, so no SLA alarm interferes with the session under test.
  const ticketOf = (c: CustomerFixture, extra: Record<string, unknown> = {}) => t.createTicket(c.id, { impact: 'B', ...extra });
  const sessionsOf = async (ticket: any) => (await t.api('GET', `/api/tickets/${ticket.id}/sessions`)).body.sessions as any[];
  const mailFor = (ticket: any, subject: string, to?: string) => (m: ReceivedMail) => m.subject.includes(`#${ticket.number}]`) && m.subject.includes(subject) && (!to || m.to.includes(to));
  /** `expected` appears in `actual` in this order (other events may come between). */
  const expectInOrder = (actual: string[], expected: string[]) => {
    let i = 0;
    for (const a of actual) if (a === expected[i]) i++;
    expect(i, `${JSON.stringify(expected)} in order within ${JSON.stringify(actual)}`).to.equal(expected.length);
  };
  const eventTypes = async (ticket: any) => ((await t.api('GET', `/api/tickets/${ticket.id}`)).body.events as any[]).map((e) => e.type);

  it('a specialist session: least-loaded specialist, invitation with a valid .ics, confirmation, reminder, held = first response', async () => {
    const busy = await staff(['backup'], 'Busy');
    const free = await staff(['Backup'], 'Free');
    // The busy specialist already has an open ticket assigned: the free one gets the session.
    const other = await ticketOf(advanced);
    expect((await t.api('POST', `/api/tickets/${other.id}/assign`, { assigneeId: busy.id })).status).to.equal(200);

    const endUser = { name: 'Eva Final', email: `eva.${randomBytes(2).toString('hex')}@customer.test` };
    const ticket = await ticketOf(advanced, { endUser });
    const asked = Date.now();
    const r = await t.api('POST', `/api/tickets/${ticket.number}/specialist-session`, { technology: 'backup', agenda: 'Review the job logs together' });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    expect(r.body.id).to.equal(`ticket-${ticket.number}-specialist-1`);
    expect(r.body.temporalUiUrl).to.contain(`/workflows/ticket-${ticket.number}-specialist-1`);

    const invite = await t.inbox.waitFor(mailFor(ticket, 'Invitation', free.email));
    expect(invite.to).to.include.members([free.email, advanced.requesterEmail, endUser.email]);
    expect(invite.to).to.not.include(busy.email);
    const ics = invitationOf(invite);
    expect(ics.method).to.equal('REQUEST');
    expect(ics.uid).to.equal(`ticket-${ticket.number}-specialist-1@lastcall.example`);
    expect(ics.sequence).to.equal(0);
    expect(ics.start - asked).to.be.within(5_000, 20_000); // proposed 6 s ahead of when the workflow got to it
    expect(ics.end - ics.start).to.equal(2_000);
    expect(ics.attendees).to.include.members([free.email, advanced.requesterEmail, endUser.email]);
    expect(ics.organizer).to.equal('support@lastcall.example');
    expect(invite.text).to.contain('Review the job logs together');

    let [s] = await sessionsOf(ticket);
    expect(s).to.deep.include({ kind: 'specialist', status: 'proposed', technology: 'backup', attempt: 1 });
    expect(s.host.email).to.equal(free.email);
    expect(new Date(s.startsAt).getTime()).to.equal(ics.start);
    expect(s.allowedActions).to.deep.equal(['confirm', 'decline', 'outcome']);

    // Held before it was confirmed makes no sense.
    const early = await t.api('POST', `/api/tickets/${ticket.id}/sessions/${s.id}/outcome`, { outcome: 'held' });
    expect(early.status).to.equal(409);
    expect(early.body.error.code).to.equal('STEP_NOT_ALLOWED');

    const confirmed = await t.as(free.token)('POST', `/api/tickets/${ticket.id}/sessions/${s.id}/confirm`, {});
    expect(confirmed.status, JSON.stringify(confirmed.body)).to.equal(200);
    expect(confirmed.body.status).to.equal('confirmed');

    const reminder = await t.inbox.waitFor(mailFor(ticket, 'Reminder', free.email), 15_000);
    expect(reminder.receivedAt).to.be.lessThan(ics.start);
    expect(reminder.to).to.include(advanced.requesterEmail);

    const held = await t.api('POST', `/api/tickets/${ticket.id}/sessions/${s.id}/outcome`, { outcome: 'held', notes: 'Repository permissions fixed live.' });
    expect(held.status, JSON.stringify(held.body)).to.equal(200);
    expect(held.body.status).to.equal('held');
    await t.inbox.waitFor(mailFor(ticket, 'Held', advanced.requesterEmail));

    // The held session delivered the first response (the ticket had none).
    const after = await eventually(async () => {
      const v = (await t.api('GET', `/api/tickets/${ticket.id}`)).body;
      return v.respondedVia === 'remote_session' && v.events.some((e: any) => e.type === 'session_held') ? v : null;
    });
    expect(after.status).to.equal('in_progress');
    expect(after.sla.response.status).to.equal('met');
    const types = after.events.map((e: any) => e.type);
    expectInOrder(types, ['received', 'session_requested', 'session_proposed', 'session_confirmed', 'session_reminder_sent', 'session_held', 'responded', 'sla_met']);
    expect(after.events.find((e: any) => e.type === 'session_confirmed').actor).to.equal(free.email);
    [s] = after.sessions;
    expect(s).to.deep.include({ status: 'held', notes: 'Repository permissions fixed live.' });

    // In the Temporal UI: a child of the ticket's workflow, of its own type, findable by ticket number.
    const d = await t.sys.temporal.workflow.getHandle(s.id).describe();
    expect(d.type).to.equal('specialistSessionWorkflow');
    expect(d.parentExecution?.workflowId).to.equal(`ticket-${ticket.number}`);
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of t.sys.temporal.workflow.list({ query: `TicketNumber = ${ticket.number} AND SessionKind = 'specialist' AND SessionStatus = 'held'` })) ids.push(wf.workflowId);
      return ids.length ? ids : null;
    });
    expect(found).to.deep.equal([s.id]);
  });

  it('a declined proposal goes to the next specialist, as a new version of the same calendar event', async () => {
    const tech = `tech${randomBytes(2).toString('hex')}`;
    const a = await staff([tech], 'Alpha');
    const b = await staff([tech], 'Bravo');
    const ticket = await ticketOf(advanced);
    const r = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: tech });
    expect(r.status).to.equal(202);
    // Equal load: the name decides (Alpha first).
    const first = await t.inbox.waitFor(mailFor(ticket, 'Invitation', a.email));
    const declined = await t.as(a.token)('POST', `/api/tickets/${ticket.id}/sessions/${r.body.id}/decline`, { reason: 'On leave' });
    expect(declined.status, JSON.stringify(declined.body)).to.equal(200);
    const second = await t.inbox.waitFor(mailFor(ticket, 'Invitation', b.email));
    expect(second.to).to.not.include(a.email);
    expect(invitationOf(second).uid).to.equal(invitationOf(first).uid);
    expect(invitationOf(second).sequence).to.equal(1);
    const types = await eventTypes(ticket);
    expect(types.filter((x) => x === 'session_proposed')).to.have.length(2);
    expect(types).to.include('session_declined');
  });

  it('a proposal nobody confirms in time is proposed again; after the last attempt the lead is told', async () => {
    const tech = `lapse${randomBytes(2).toString('hex')}`;
    const only = await staff([tech], 'Solo');
    const ticket = await ticketOf(advanced);
    const r = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: tech });
    expect(r.status).to.equal(202);
    await t.inbox.waitFor(mailFor(ticket, 'Invitation', only.email));
    // confirmWithin 4 s, maxAttempts 2: a second invitation, then the lead hears it is stuck.
    await t.inbox.waitFor((m) => mailFor(ticket, 'Invitation', only.email)(m) && invitationOf(m).sequence === 1, 10_000);
    const stuck = await t.inbox.waitFor(mailFor(ticket, 'Needs you', LEAD), 12_000);
    expect(stuck.text).to.match(/Nobody confirmed the specialist session/);
    const [s] = await eventually(async () => {
      const list = await sessionsOf(ticket);
      return list[0]?.status === 'stalled' ? list : null;
    });
    expect(s.allowedActions).to.deep.equal(['outcome']);
    // A person steps in: rescheduling starts the proposals again.
    const again = await t.api('POST', `/api/tickets/${ticket.id}/sessions/${s.id}/outcome`, { outcome: 'rescheduled', startsAt: new Date(Date.now() + 20_000).toISOString() });
    expect(again.status, JSON.stringify(again.body)).to.equal(200);
    const third = await t.inbox.waitFor((m) => mailFor(ticket, 'Invitation', only.email)(m) && invitationOf(m).sequence === 2);
    expect(invitationOf(third).start).to.be.greaterThan(Date.now() + 10_000);
  });

  it('no specialist for the technology: the lead is told, the request waits, and is served when one is added', async () => {
    const tech = `net${randomBytes(2).toString('hex')}`;
    const ticket = await ticketOf(advanced);
    const r = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: tech });
    expect(r.status).to.equal(202);
    const told = await t.inbox.waitFor(mailFor(ticket, 'Nobody to serve', LEAD));
    expect(told.text).to.contain(tech);
    const [waiting] = await eventually(async () => {
      const list = await sessionsOf(ticket);
      return list[0]?.status === 'waiting' && list[0]?.lastEvent === 'waiting' ? list : null;
    });
    expect(waiting.host).to.equal(null);

    // The retry timer is a minute; the new specialist wakes the request at once.
    const added = Date.now();
    const newcomer = await staff([tech], 'Newcomer');
    const invite = await t.inbox.waitFor(mailFor(ticket, 'Invitation', newcomer.email), 10_000);
    expect(invite.receivedAt - added).to.be.lessThan(8_000);
    const types = await eventTypes(ticket);
    expectInOrder(types, ['session_requested', 'session_waiting', 'session_proposed']);
  });

  it('a brand-engineer meeting: engineers, technician and customer invited, follow-ups until the brand confirms, minutes recorded', async () => {
    const brand = 'Zimbra';
    const engineer = { name: 'Ingrid Eng', email: `ingrid.${randomBytes(2).toString('hex')}@zimbra.test` };
    const c = await t.admin('POST', `/api/brands/${brand}/contacts`, engineer);
    expect(c.status, JSON.stringify(c.body)).to.equal(201);
    expect((await t.api('GET', `/api/brands/zimbra/contacts`)).body.contacts.map((x: any) => x.email)).to.include(engineer.email);

    const products = (await t.admin('GET', `/api/customers/${advanced.id}/products`)).body.products;
    const zimbra = products.find((x: any) => x.brand === 'Zimbra');
    const ticket = await ticketOf(advanced, { productId: zimbra.id });
    await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeId: t.techId });
    // 15 s ahead: room for two follow-ups and the lead's notice before the time itself passes.
    const r = await t.api('POST', `/api/tickets/${ticket.id}/brand-meeting`, { reason: 'Mailbox corruption across the cluster; vendor code involved', startsAt: new Date(Date.now() + 15_000).toISOString() });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    expect(r.body).to.deep.include({ kind: 'brand', brand: 'Zimbra', id: `ticket-${ticket.number}-brand-1` });

    const invite = await t.inbox.waitFor(mailFor(ticket, 'Invitation', engineer.email));
    expect(invite.to).to.include.members([engineer.email, t.techEmail, advanced.requesterEmail]);
    expect(invitationOf(invite).attendees).to.include.members([engineer.email, t.techEmail, advanced.requesterEmail]);
    expect(invite.text).to.contain('vendor code involved');
    // Follow-ups every 2 s to the engineers; after 2 the lead hears about it.
    const followUp = await t.inbox.waitFor(mailFor(ticket, 'Please confirm', engineer.email), 8_000);
    expect(followUp.to).to.deep.equal([engineer.email]);
    await t.inbox.waitFor(mailFor(ticket, 'Needs you', LEAD), 8_000);

    const sid = r.body.id;
    const confirmed = await t.api('POST', `/api/tickets/${ticket.id}/sessions/${sid}/confirm`, {});
    expect(confirmed.status, JSON.stringify(confirmed.body)).to.equal(200);
    const followUpsAtConfirm = t.inbox.find(mailFor(ticket, 'Please confirm')).length;
    await t.inbox.waitFor(mailFor(ticket, 'Reminder', engineer.email), 25_000);
    // No more follow-ups once confirmed.
    expect(t.inbox.find(mailFor(ticket, 'Please confirm')).length).to.equal(followUpsAtConfirm);

    const noMinutes = await t.api('POST', `/api/tickets/${ticket.id}/sessions/${sid}/outcome`, { outcome: 'held' });
    expect(noMinutes.status).to.equal(400);
    expect(noMinutes.body.error.code).to.equal('VALIDATION_FAILED');
    const minutes = 'Zimbra engineers confirmed bug ZBUG-1234; hotfix applied; monitoring for 24 h.';
    const held = await t.api('POST', `/api/tickets/${ticket.id}/sessions/${sid}/outcome`, { outcome: 'held', notes: minutes });
    expect(held.status, JSON.stringify(held.body)).to.equal(200);
    const summary = await t.inbox.waitFor(mailFor(ticket, 'Held', advanced.requesterEmail));
    expect(summary.text).to.contain('Minutes').and.to.contain('ZBUG-1234');

    const v = await eventually(async () => {
      const x = (await t.api('GET', `/api/tickets/${ticket.id}`)).body;
      return x.events.some((e: any) => e.type === 'session_held') ? x : null;
    });
    expect(v.complex).to.equal(true);
    const held_ = v.events.find((e: any) => e.type === 'session_held');
    expect(held_.data.notes).to.equal(minutes);
    expectInOrder(v.events.map((e: any) => e.type), ['flagged_complex', 'session_requested', 'session_proposed', 'session_follow_up', 'session_confirmed', 'session_held']);
    const d = await t.sys.temporal.workflow.getHandle(sid).describe();
    expect(d.type).to.equal('brandMeetingWorkflow');
  });

  it('a brand with no engineer contact: the lead is told and the meeting waits until one is added', async () => {
    const brand = `Brand${randomBytes(2).toString('hex')}`;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const p = await t.admin('POST', `/api/customers/${advanced.id}/products`, { brand, name: 'Appliance', technology: 'storage', purchaseConfirmedAt: yesterday, licensesDeliveredAt: yesterday });
    expect(p.status).to.equal(201);
    const ticket = await ticketOf(advanced, { productId: p.body.id });
    const r = await t.api('POST', `/api/tickets/${ticket.id}/brand-meeting`, { reason: 'Firmware crash' });
    expect(r.status).to.equal(202);
    const told = await t.inbox.waitFor(mailFor(ticket, 'Nobody to serve', LEAD));
    expect(told.text).to.contain(`no engineer contact for the brand ${brand}`);
    const engineer = `eng.${randomBytes(2).toString('hex')}@brand.test`;
    expect((await t.admin('POST', `/api/brands/${brand}/contacts`, { name: 'Eng', email: engineer })).status).to.equal(201);
    await t.inbox.waitFor(mailFor(ticket, 'Invitation', engineer), 10_000);
  });

  it('resolving the ticket withdraws a pending session (METHOD:CANCEL) and records why', async () => {
    const tech = `cancel${randomBytes(2).toString('hex')}`;
    const spec = await staff([tech], 'Cancel');
    const ticket = await ticketOf(advanced);
    const r = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: tech });
    expect(r.status).to.equal(202);
    const invite = await t.inbox.waitFor(mailFor(ticket, 'Invitation', spec.email));
    expect((await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Solved by e-mail after all' })).status).to.equal(200);
    const cancel = await t.inbox.waitFor(mailFor(ticket, 'Cancelled', spec.email));
    const ics = invitationOf(cancel);
    expect(ics.method).to.equal('CANCEL');
    expect(ics.uid).to.equal(invitationOf(invite).uid);
    expect(ics.status).to.equal('CANCELLED');
    const [s] = await eventually(async () => {
      const list = await sessionsOf(ticket);
      return list[0]?.status === 'cancelled' ? list : null;
    });
    expect(s.allowedActions).to.deep.equal([]);
    await eventually(async () => (await eventTypes(ticket)).includes('session_cancelled'), 10_000, 'session_cancelled on the ticket');
    // A session can be asked for again once the ticket is reopened, as the next one of its kind.
    expect((await t.api('POST', `/api/tickets/${ticket.id}/reopen`, { reason: 'back' })).status).to.equal(200);
    const again = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: tech });
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect(again.body.id).to.equal(`ticket-${ticket.number}-specialist-2`);
  });

  it('refuses what the plan or the ticket state does not allow, with a clear code and nothing started', async () => {
    const std = await ticketOf(standard, { impact: 'C' });
    for (const path of ['specialist-session', 'remote-session', 'brand-meeting']) {
      const r = await t.api('POST', `/api/tickets/${std.id}/${path}`, path === 'brand-meeting' ? { reason: 'complex' } : {});
      expect(r.status, path).to.equal(422);
      expect(r.body.error.code, path).to.equal('NOT_IN_PLAN');
      expect(r.body.error.message).to.match(/standard plan does not include/);
    }
    expect(await sessionsOf(std)).to.deep.equal([]);
    expect(await eventTypes(std)).to.not.include('session_requested');

    const adv = await ticketOf(advanced);
    const tech = `dup${randomBytes(2).toString('hex')}`;
    await staff([tech], 'Dup');
    expect((await t.api('POST', `/api/tickets/${adv.id}/specialist-session`, { technology: tech })).status).to.equal(202);
    const dup = await t.api('POST', `/api/tickets/${adv.id}/specialist-session`, { technology: tech });
    expect(dup.status).to.equal(409);
    expect(dup.body.error.code).to.equal('STEP_NOT_ALLOWED');
    expect(dup.body.error.message).to.contain('already has a specialist session under way');

    const noBrand = await t.createTicket(advanced.id, { impact: 'B' });
    const nb = await t.api('POST', `/api/tickets/${noBrand.id}/brand-meeting`, { reason: 'x' });
    expect(nb.status).to.equal(422);
    expect(nb.body.error.code).to.equal('NO_PRODUCT');
    const noReason = await t.api('POST', `/api/tickets/${adv.id}/brand-meeting`, {});
    expect(noReason.status).to.equal(400);
    expect(noReason.body.error.code).to.equal('VALIDATION_FAILED');
    const past = await t.api('POST', `/api/tickets/${adv.id}/remote-session`, { startsAt: '2020-01-01T00:00:00Z' });
    expect(past.status).to.equal(400);
    const unknown = await t.api('POST', `/api/tickets/${adv.id}/sessions/ticket-${adv.number}-brand-9/confirm`, {});
    expect(unknown.status).to.equal(404);
    const asRequester = await t.as(advanced.requesterToken)('POST', `/api/tickets/${adv.id}/specialist-session`, { technology: tech });
    expect(asRequester.status).to.equal(403);
  });

  it('a remote session delivers support by the technician who asks for it', async () => {
    const ticket = await ticketOf(advanced);
    const r = await t.api('POST', `/api/tickets/${ticket.id}/remote-session`, { startsAt: new Date(Date.now() + 4_000).toISOString(), agenda: 'Walk through the restore' });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    expect(r.body.host.email).to.equal(t.techEmail);
    const invite = await t.inbox.waitFor(mailFor(ticket, 'Invitation', t.techEmail));
    expect(invite.to).to.include(advanced.requesterEmail);
    expect(invitationOf(invite).summary).to.contain('Remote session');
  });
});
