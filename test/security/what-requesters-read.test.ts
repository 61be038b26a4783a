// What each person may read, attacked as an outsider would: a Standard requester asking the SLA
// report (JSON, CSV, the breaches list, the page) for the tickets of colleagues they may not open,
// a requester asking for another customer, and a requester reading a ticket's history through
// the API and the page for what only the support team may see (warnings, breaches, escalations,
// a technician's decline reason, refused ops steps, internal fields). Real tickets on the real
// engine: Temporal, Postgres, HTTP.
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { eventually, secondsPolicy, startTestSystem, type ApiCall, type TestSystem } from '../support/harness';
import { WebClient } from '../support/web-client';
import { OPS_STEP_SIGNALS } from '../../workflows/definitions';
import { REQUESTER_EVENTS, REQUESTER_EVENT_FIELDS, SUPPORT_ACTOR } from '../../domain/visibility';

describe('what each person may read (reports, a ticket\'s history)', function () {
  this.timeout(120_000);
  let t: TestSystem;
  let lead: { token: string; email: string };
  let admin: { token: string };
  // Std: was Advanced while its two requesters filed, now Standard (the primary one reads; the other is suspended).
  const std = { id: '', primary: { id: '', token: '', email: '' }, colleague: { id: '', token: '', email: '' } };
  // Adv: Advanced, two requesters who both read the customer's tickets.
  const adv = { id: '', one: { id: '', token: '', email: '' }, two: { id: '', token: '', email: '' } };
  const subjects = { stdOwn: 'STD-OWN printer jam', stdColleague: 'STD-COLLEAGUE salary sheet', advOne: 'ADV-ONE vpn down', advTwo: 'ADV-TWO backup failed' };
  const from = new Date(Date.now() - 60_000).toISOString();

  async function user(customerId: string, name: string) {
    const email = `${name.toLowerCase()}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@customer.test`;
    const r = await t.admin('POST', `/api/customers/${customerId}/users`, { name, email });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return { id: r.body.id as string, token: r.body.token as string, email };
  }

  async function file(token: string, subject: string) {
    const r = await t.as(token)('POST', '/api/tickets', { type: 'problem', impact: 'A', subject, description: 'Details nobody else should read' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return r.body;
  }

  before(async () => {
    // Second-scale targets (breaches for the reports); sessions that wait an hour once proposed, so
    // a ticket's history stands still while the API and the page are compared.
    const sessions = { leadTime: 'PT1H', confirmWithin: 'PT1H', reminderBefore: 'PT10M', duration: 'PT30M', followUpEvery: 'PT1H', maxAttempts: 2, retryEvery: 'PT1H' };
    t = await startTestSystem({ label: 'visibility', policy: secondsPolicy({}, { sessions }) });
    const l = await t.admin('POST', '/api/users', { name: 'Lea Lead', email: `lead.${Date.now()}@lastcall.test`, role: 'lead' });
    lead = { token: l.body.token, email: l.body.email };
    admin = { token: (await t.admin('POST', '/api/users', { name: 'Ada Admin', email: `admin.${Date.now()}@lastcall.test`, role: 'admin' })).body.token };

    const s = await t.createCustomerFixture('advanced');
    std.id = s.id;
    std.primary = { id: s.requesterId, token: s.requesterToken, email: s.requesterEmail };
    std.colleague = await user(s.id, 'Colleague');
    const a = await t.createCustomerFixture('advanced');
    adv.id = a.id;
    adv.one = { id: a.requesterId, token: a.requesterToken, email: a.requesterEmail };
    adv.two = await user(a.id, 'Second');

    // Every ticket left to breach its response target (Advanced A: 2 s), so each is in "where did we not?".
    const tickets = [
      await file(std.primary.token, subjects.stdOwn),
      await file(std.colleague.token, subjects.stdColleague),
      await file(adv.one.token, subjects.advOne),
      await file(adv.two.token, subjects.advTwo),
    ];
    for (const x of tickets) {
      await eventually(async () => (await t.api('GET', `/api/tickets/${x.id}`)).body.events.some((e: any) => e.type === 'sla_breached'), 20_000, `breach of #${x.number}`);
    }
    // The customer drops to Standard: its primary requester now reads their own tickets only.
    const cancelled = await t.admin('POST', `/api/customers/${std.id}/subscriptions/current/cancel`, { immediately: true });
    expect(cancelled.status, JSON.stringify(cancelled.body)).to.equal(200);
    expect(cancelled.body.entitlement.plan).to.equal('standard');
  });
  after(async () => t?.stop());

  const period = () => `from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
  const json = (call: ApiCall, extra = '') => call('GET', `/api/reports/sla?${period()}&include=breaches${extra}`);
  async function csvTotal(token: string, extra = ''): Promise<Record<string, string>> {
    const res = await fetch(`${t.url}/api/reports/sla?${period()}&format=csv${extra}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).to.equal(200);
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    return rows.find((r) => r.group === 'total')!;
  }
  async function page(token: string, extra = ''): Promise<string> {
    const web = new WebClient(t.url);
    await web.submit('/sign-in', '/sign-in/token', { token });
    const r = await web.get(`/reports?${period()}${extra}`);
    expect(r.status).to.equal(200);
    return r.html;
  }

  /** Every way to read the report, for one person: the figures, the breaches list, the CSV and the page agree. */
  async function reads(token: string, customerId = '') {
    const extra = customerId ? `&customerId=${customerId}` : '';
    const r = await json(t.as(token), extra);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const listed = (r.body.missedTargets.tickets as any[]).map((x) => x.subject).filter((s: string) => Object.values(subjects).includes(s)).sort();
    const html = await page(token, extra);
    const onPage = Object.values(subjects).filter((s) => html.includes(s)).sort();
    return { received: r.body.totals.received as number, breached: r.body.totals.response.breached as number, listed, csv: Number((await csvTotal(token, extra)).received), onPage, body: r.body };
  }

  it('a Standard requester\'s report counts and lists only their own tickets, in JSON, CSV, the breaches list and the page', async () => {
    const mine = await reads(std.primary.token);
    expect(mine.received).to.equal(1);
    expect(mine.breached).to.equal(1);
    expect(mine.csv).to.equal(1);
    expect(mine.listed).to.deep.equal([subjects.stdOwn]);
    expect(mine.onPage).to.deep.equal([subjects.stdOwn]);
    // The colleague's ticket is a 404 to them, and the report agrees it is not theirs to read.
    const colleague = (await t.as(std.colleague.token)('GET', '/api/me')).status;
    expect(colleague).to.equal(401); // suspended by the drop to Standard
    const theirs = await t.api('GET', `/api/tickets?customerId=${std.id}`);
    const colleagueTicket = theirs.body.tickets.find((x: any) => x.subject === subjects.stdColleague);
    expect((await t.as(std.primary.token)('GET', `/api/tickets/${colleagueTicket.id}`)).status).to.equal(404);
    // Naming their own customer changes nothing; naming another is a customer that does not exist.
    expect((await reads(std.primary.token, std.id)).listed).to.deep.equal([subjects.stdOwn]);
    const other = await json(t.as(std.primary.token), `&customerId=${adv.id}`);
    expect([other.status, other.body.error.code]).to.deep.equal([404, 'NOT_FOUND']);
    // Every slice adds up to the same one ticket (the groups cannot be cut to reveal more).
    for (const groupBy of ['customer', 'technician', 'impact', 'day']) {
      const r = await t.as(std.primary.token)('GET', `/api/reports/sla?${period()}&groupBy=${groupBy}`);
      expect(r.body.groups.reduce((n: number, g: any) => n + g.received, 0), groupBy).to.equal(1);
    }
  });

  it('an Advanced requester\'s report is their customer\'s (both requesters\' tickets), never another customer\'s', async () => {
    for (const who of [adv.one, adv.two]) {
      const r = await reads(who.token);
      expect(r.received).to.equal(2);
      expect(r.csv).to.equal(2);
      expect(r.listed).to.deep.equal([subjects.advOne, subjects.advTwo].sort());
      expect(r.onPage).to.deep.equal([subjects.advOne, subjects.advTwo].sort());
    }
    const other = await json(t.as(adv.one.token), `&customerId=${std.id}`);
    expect([other.status, other.body.error.code]).to.deep.equal([404, 'NOT_FOUND']);
  });

  it('leads and admins read every customer\'s; technicians may not read reports at all', async () => {
    for (const token of [lead.token, admin.token]) {
      const all = await reads(token);
      expect(all.listed).to.deep.equal(Object.values(subjects).sort());
      expect(all.onPage).to.deep.equal(Object.values(subjects).sort());
      const one = await reads(token, std.id);
      expect(one.received).to.equal(2);
      expect(one.listed).to.deep.equal([subjects.stdColleague, subjects.stdOwn].sort());
    }
    const tech = await json(t.as(t.techToken));
    expect([tech.status, tech.body.error.code]).to.deep.equal([403, 'FORBIDDEN']);
    const web = new WebClient(t.url);
    await web.submit('/sign-in', '/sign-in/token', { token: t.techToken });
    expect((await web.get('/reports')).status).to.equal(403);
  });

  it('a requester reads a ticket\'s history without what is the support team\'s, the same through the API and the page', async () => {
    const ticket = await file(adv.one.token, 'History with internals');
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
    // Internals: a warning and a breach, an assignment, a refused ops step, a specialist session the
    // technician declines with a reason, and the session's host (a user id) and invitees.
    await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.some((e: any) => e.type === 'sla_breached'), 20_000, 'breach');
    expect((await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeId: t.techId })).status).to.equal(200);
    await handle.signal(OPS_STEP_SIGNALS.close, { actor: 'intruder@elsewhere.test' });
    const session = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: 'email', agenda: 'Look at the relay' });
    expect(session.status, JSON.stringify(session.body)).to.equal(202);
    await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}/sessions`)).body.sessions[0]?.status === 'proposed', 20_000, 'proposal');
    const declineReason = 'INTERNAL: on leave, and the customer is rude';
    expect((await t.api('POST', `/api/tickets/${ticket.id}/sessions/${session.body.id}/decline`, { reason: declineReason })).status).to.equal(200);
    expect((await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'We are on it (visible answer)' })).status).to.equal(200);
    const staff = await eventually(async () => {
      const r = (await t.api('GET', `/api/tickets/${ticket.id}`)).body;
      const types = r.events.map((e: any) => e.type);
      // Declined, the session is proposed again: the history is still until that second proposal.
      return ['session_declined', 'step_refused', 'responded'].every((x) => types.includes(x)) && types.filter((x: string) => x === 'session_proposed').length === 2 ? r : null;
    }, 20_000, 'the whole history recorded');
    const staffTypes: string[] = staff.events.map((e: any) => e.type);
    for (const internal of ['sla_warning', 'sla_breached', 'assigned', 'step_refused', 'session_requested', 'session_declined']) expect(staffTypes, internal).to.include(internal);
    expect(JSON.stringify(staff)).to.contain(declineReason);

    const api = (await t.as(adv.one.token)('GET', `/api/tickets/${ticket.id}`)).body;
    const types: string[] = api.events.map((e: any) => e.type);
    // Exactly the customer's events of the full history, in order, each with only its own fields.
    expect(types).to.deep.equal(staffTypes.filter((x) => REQUESTER_EVENTS.includes(x)));
    expect(types).to.include.members(['received', 'responded', 'session_proposed']);
    for (const e of api.events) expect(Object.keys(e.data), e.type).to.satisfy((keys: string[]) => keys.every((k) => REQUESTER_EVENT_FIELDS[e.type].includes(k)));
    const text = JSON.stringify(api);
    for (const secret of [declineReason, 'intruder@elsewhere.test', 'ops:', t.techId, 'temporalUiUrl', 'customerName', 'attendees']) expect(text, secret).to.not.contain(secret);
    // Their own ticket keeps their name; the support team is "support", the engine "system".
    expect(api.events.find((e: any) => e.type === 'received').actor).to.equal(adv.one.email);
    expect(api.events.find((e: any) => e.type === 'responded').actor).to.equal(SUPPORT_ACTOR);
    expect(api.events.find((e: any) => e.type === 'responded').data).to.deep.equal({ via: 'email', message: 'We are on it (visible answer)' });
    // Nor does their list, or the answer to their intake, link into the engine's insides.
    expect(JSON.stringify((await t.as(adv.one.token)('GET', '/api/tickets')).body)).to.not.contain('temporalUiUrl');
    expect(ticket).to.not.have.property('temporalUiUrl');
    expect((await t.api('GET', `/api/tickets/${ticket.id}`)).body.temporalUiUrl).to.be.a('string');
    // A colleague of an Advanced customer reads the same history.
    expect((await t.as(adv.two.token)('GET', `/api/tickets/${ticket.id}`)).body.events).to.deep.equal(api.events);

    // The page: the same events, the same words left out.
    const web = new WebClient(t.url);
    await web.submit('/sign-in', '/sign-in/token', { token: adv.one.token });
    const html = (await web.get(`/tickets/${ticket.number}`)).html;
    const onPage = [...html.matchAll(/data-event="([^"]+)"/g)].map((m) => m[1]);
    expect(onPage).to.deep.equal(types);
    expect(html).to.contain('We are on it (visible answer)');
    for (const secret of [declineReason, 'intruder@elsewhere.test', t.techEmail]) expect(html, secret).to.not.contain(secret);
  });
});
