// The support program's plan table, enforced by the server at intake and on the customer's
// account: the right to support, channels, ticket types, end users, the monthly quota (also
// under concurrency, against the real Postgres), requesters, and Advanced terms with fall-back.
import { expect } from 'chai';
import { startTestSystem, type TestSystem } from '../support/harness';

describe('entitlements enforced by the server', function () {
  let t: TestSystem;
  const ticket = (extra: Record<string, unknown> = {}) => ({ type: 'problem', impact: 'B', subject: 'VPN drops', description: 'Every 10 minutes.', ...extra });
  const yesterday = () => new Date(Date.now() - 86_400_000).toISOString();
  const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();

  before(async () => {
    t = await startTestSystem({ label: 'entitlements' });
  });
  after(async () => t?.stop());

  async function expectRefused(res: Promise<{ status: number; body: any }>, code: string) {
    const r = await res;
    expect(r.status, JSON.stringify(r.body)).to.equal(422);
    expect(r.body.error.code).to.equal(code);
    return r.body.error;
  }

  async function bareCustomer() {
    const c = await t.admin('POST', '/api/customers', { name: 'Bare Ltd', timezone: 'America/Santiago' });
    expect(c.status).to.equal(201);
    const r = await t.admin('POST', `/api/customers/${c.body.id}/users`, { name: 'Bea', email: `bea.${c.body.id.slice(0, 8)}@bare.test` });
    expect(r.status).to.equal(201);
    return { id: c.body.id as string, token: r.body.token as string };
  }

  it('no support without a product whose purchase is confirmed and licences delivered (NO_ACTIVE_SUPPORT)', async () => {
    const c = await bareCustomer();
    const asReq = t.as(c.token);
    const none = await expectRefused(asReq('POST', '/api/tickets', ticket()), 'NO_ACTIVE_SUPPORT');
    expect(none.message).to.match(/no products/);

    const p = await t.admin('POST', `/api/customers/${c.id}/products`, { brand: 'Veeam', name: 'Backup & Replication', technology: 'Backup', purchaseConfirmedAt: yesterday() });
    expect(p.status).to.equal(201);
    expect(p.body.technology).to.equal('backup');
    expect(p.body.supportState).to.equal('licenses_not_delivered');
    const undelivered = await expectRefused(asReq('POST', '/api/tickets', ticket()), 'NO_ACTIVE_SUPPORT');
    expect(undelivered.message).to.match(/licences/);
    const e0 = await asReq('GET', `/api/customers/${c.id}/entitlement`);
    expect(e0.body.support).to.deep.include({ active: false, productsInForce: 0 });

    const delivered = await t.admin('PATCH', `/api/customers/${c.id}/products/${p.body.id}`, { licensesDeliveredAt: yesterday() });
    expect(delivered.body.supportState).to.equal('in_force');
    expect((await asReq('POST', '/api/tickets', ticket({ productId: p.body.id }))).status).to.equal(201);

    // A product that has left force takes the support with it.
    await t.admin('PATCH', `/api/customers/${c.id}/products/${p.body.id}`, { inForceUntil: yesterday() });
    await expectRefused(asReq('POST', '/api/tickets', ticket()), 'NO_ACTIVE_SUPPORT');
  });

  it('Standard: e-mail and its written forms only, problem and query only, the requester only', async () => {
    const c = await t.createCustomerFixture('standard');
    const asReq = t.as(c.requesterToken);
    await expectRefused(t.api('POST', '/api/tickets', ticket({ channel: 'phone', requesterId: c.requesterId })), 'CHANNEL_NOT_IN_PLAN');
    await expectRefused(asReq('POST', '/api/tickets', ticket({ type: 'request' })), 'TICKET_TYPE_NOT_IN_PLAN');
    await expectRefused(asReq('POST', '/api/tickets', ticket({ endUser: { name: 'Eve', email: 'eve@customer.test' } })), 'END_USER_NOT_IN_PLAN');
    // Refusals use none of the quota.
    for (const [channel, type] of [['email', 'problem'], ['web', 'query'], ['api', 'problem']]) {
      const r = await asReq('POST', '/api/tickets', ticket({ channel, type }));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(r.body.plan).to.equal('standard');
    }
  });

  it('Advanced: every channel (phone logged by a technician), service requests, end users, no monthly limit', async () => {
    const c = await t.createCustomerFixture('advanced');
    const asReq = t.as(c.requesterToken);
    const phone = await t.api('POST', '/api/tickets', ticket({ channel: 'phone', requesterId: c.requesterId }));
    expect(phone.status, JSON.stringify(phone.body)).to.equal(201);
    expect(phone.body.plan).to.equal('advanced');
    const request = await asReq('POST', '/api/tickets', ticket({ type: 'request', endUser: { name: 'Eve', email: 'eve@customer.test' } }));
    expect(request.status, JSON.stringify(request.body)).to.equal(201);
    for (let i = 0; i < 3; i++) expect((await asReq('POST', '/api/tickets', ticket())).status).to.equal(201);
    const e = await asReq('GET', `/api/customers/${c.id}/entitlement`);
    expect(e.body.plan).to.equal('advanced');
    expect(e.body.quota).to.deep.include({ limit: null, used: 5, remaining: null });
    // The end user hears what the requester hears.
    const mail = await t.inbox.waitFor((m) => m.subject.includes(`#${request.body.number}`) && m.subject.includes('Received'));
    expect(mail.cc).to.deep.equal(['eve@customer.test']);
    expect(mail.to).to.include(c.requesterEmail).and.to.include('eve@customer.test');
  });

  it('Standard: 3 tickets per calendar month, the 4th refused with when the quota resets (QUOTA_EXCEEDED)', async () => {
    const c = await t.createCustomerFixture('standard');
    const asReq = t.as(c.requesterToken);
    for (let i = 0; i < 3; i++) expect((await asReq('POST', '/api/tickets', ticket())).status).to.equal(201);
    const err = await expectRefused(asReq('POST', '/api/tickets', ticket()), 'QUOTA_EXCEEDED');
    const e = await asReq('GET', `/api/customers/${c.id}/entitlement`);
    expect(e.body.quota).to.deep.equal({ limit: 3, used: 3, remaining: 0, resetsAt: err.details.resetsAt });
    // The quota resets at the start of the next month in the customer's time zone (America/Santiago).
    const resets = new Date(err.details.resetsAt);
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/Santiago', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(resets);
    expect(local).to.equal('01, 00:00');
    expect(resets.getTime()).to.be.greaterThan(Date.now());
  });

  it('ten simultaneous intakes for a Standard customer with none used accept exactly three', async () => {
    const c = await t.createCustomerFixture('standard');
    const asReq = t.as(c.requesterToken);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => asReq('POST', '/api/tickets', ticket({ subject: `Concurrent ${i}` }))));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).to.have.length(3);
    expect(statuses.filter((s) => s === 422)).to.have.length(7);
    for (const r of results.filter((x) => x.status === 422)) expect(r.body.error.code).to.equal('QUOTA_EXCEEDED');
    const [[{ n }]] = (await t.sys.sequelize.query(`SELECT count(*)::int AS n FROM tickets WHERE customer_id = '${c.id}'`)) as [[{ n: number }], unknown];
    expect(n).to.equal(3);
  });

  it('requesters per customer: 1 on Standard, up to 5 on Advanced (REQUESTER_LIMIT_REACHED)', async () => {
    const std = await t.createCustomerFixture('standard');
    const refused = await t.admin('POST', `/api/customers/${std.id}/users`, { name: 'Second', email: `second.${std.id.slice(0, 8)}@customer.test` });
    expect(refused.status).to.equal(422);
    expect(refused.body.error.code).to.equal('REQUESTER_LIMIT_REACHED');

    const adv = await t.createCustomerFixture('advanced');
    for (let i = 2; i <= 5; i++) {
      const r = await t.admin('POST', `/api/customers/${adv.id}/users`, { name: `R${i}`, email: `r${i}.${adv.id.slice(0, 8)}@customer.test` });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(r.body.primary).to.equal(false);
    }
    const sixth = await t.admin('POST', `/api/customers/${adv.id}/users`, { name: 'R6', email: `r6.${adv.id.slice(0, 8)}@customer.test` });
    expect(sixth.status).to.equal(422);
    expect(sixth.body.error.code).to.equal('REQUESTER_LIMIT_REACHED');
    expect(sixth.body.error.details).to.deep.include({ plan: 'advanced', limit: 5, active: 5 });
    const e = await t.admin('GET', `/api/customers/${adv.id}/entitlement`);
    expect(e.body.requesters).to.deep.equal({ limit: 5, active: 5 });
  });

  it('Advanced terms: subscribe, renew (the next term follows), cancel at the end of the term, history kept', async () => {
    const c = await t.createCustomerFixture('standard');
    const sub = await t.admin('POST', `/api/customers/${c.id}/subscriptions`, { plan: 'advanced', term: 'monthly' });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    expect(sub.body.entitlement.plan).to.equal('advanced');
    const firstEnd = sub.body.subscription.endsAt;
    expect(sub.body.entitlement.planUntil).to.equal(firstEnd);
    const days = (new Date(firstEnd).getTime() - new Date(sub.body.subscription.startsAt).getTime()) / 86_400_000;
    expect(days).to.be.within(28, 31.05);

    const again = await t.admin('POST', `/api/customers/${c.id}/subscriptions`, { plan: 'advanced', term: 'annual' });
    expect(again.status).to.equal(409);
    expect(again.body.error.code).to.equal('SUBSCRIPTION_EXISTS');

    const renewed = await t.admin('POST', `/api/customers/${c.id}/subscriptions/current/renew`, {});
    expect(renewed.status, JSON.stringify(renewed.body)).to.equal(201);
    expect(renewed.body.subscription.startsAt).to.equal(firstEnd);
    expect(renewed.body.entitlement.planUntil).to.equal(renewed.body.subscription.endsAt);

    const cancelled = await t.admin('POST', `/api/customers/${c.id}/subscriptions/current/cancel`, {});
    expect(cancelled.status, JSON.stringify(cancelled.body)).to.equal(200);
    // Paid term stays in force to its end; the renewal never comes into force.
    expect(cancelled.body.entitlement.plan).to.equal('advanced');
    expect(cancelled.body.entitlement.planUntil).to.equal(firstEnd);
    const history = await t.admin('GET', `/api/customers/${c.id}/subscriptions`);
    expect(history.body.subscriptions).to.have.length(2);
    expect(history.body.subscriptions.map((s: any) => s.cancelMode)).to.deep.equal(['end_of_term', 'end_of_term']);
  });

  it('cancelled at once: back on Standard; only the primary requester stays active until a new Advanced term', async () => {
    const c = await t.createCustomerFixture('advanced');
    const extra = await t.admin('POST', `/api/customers/${c.id}/users`, { name: 'Second', email: `second.${c.id.slice(0, 8)}@customer.test` });
    expect(extra.status).to.equal(201);
    const asPrimary = t.as(c.requesterToken);
    const asSecond = t.as(extra.body.token);
    const underAdvanced = await asSecond('POST', '/api/tickets', ticket({ impact: 'A' }));
    expect(underAdvanced.status).to.equal(201);

    const cancel = await t.admin('POST', `/api/customers/${c.id}/subscriptions/current/cancel`, { immediately: true });
    expect(cancel.status).to.equal(200);
    expect(cancel.body.entitlement.plan).to.equal('standard');
    expect(cancel.body.entitlement.requesters).to.deep.equal({ limit: 1, active: 1 });

    const suspended = await asSecond('GET', '/api/tickets');
    expect(suspended.status).to.equal(401);
    expect(suspended.body.error.code).to.equal('REQUESTER_SUSPENDED');
    const std = await asPrimary('POST', '/api/tickets', ticket({ impact: 'A' }));
    expect(std.status).to.equal(201);
    expect(std.body.plan).to.equal('standard');
    // The ticket received under Advanced keeps the plan and targets it was opened under.
    const kept = await t.api('GET', `/api/tickets/${underAdvanced.body.id}`);
    expect(kept.body.plan).to.equal('advanced');
    expect(kept.body.targets.responseMs).to.equal(3_600_000);
    const users = await t.admin('GET', `/api/customers/${c.id}/users`);
    expect(users.body.users.map((u: any) => u.state).sort()).to.deep.equal(['active', 'suspended_by_plan']);

    const again = await t.admin('POST', `/api/customers/${c.id}/subscriptions`, { plan: 'advanced', term: 'annual' });
    expect(again.status).to.equal(201);
    expect((await asSecond('GET', '/api/tickets')).status).to.equal(200);
    const nothing = await t.admin('POST', `/api/customers/${c.id}/subscriptions/current/cancel`, { immediately: true });
    expect(nothing.status).to.equal(200);
    const noSub = await t.admin('POST', `/api/customers/${c.id}/subscriptions/current/renew`, {});
    expect(noSub.status).to.equal(409);
    expect(noSub.body.error.code).to.equal('NO_SUBSCRIPTION');
  });

  it('validates admin input: unknown time zone, bad dates, unknown customer', async () => {
    const tz = await t.admin('POST', '/api/customers', { name: 'X', timezone: 'Mars/Olympus' });
    expect(tz.status).to.equal(400);
    expect(tz.body.error.code).to.equal('VALIDATION_FAILED');
    const c = await t.createCustomerFixture('standard');
    const date = await t.admin('POST', `/api/customers/${c.id}/products`, { brand: 'B', name: 'N', technology: 't', purchaseConfirmedAt: 'yesterday' });
    expect(date.status).to.equal(400);
    const unknown = await t.admin('POST', '/api/customers/00000000-0000-4000-8000-000000000000/products', { brand: 'B', name: 'N', technology: 't', purchaseConfirmedAt: tomorrow() });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error.code).to.equal('NOT_FOUND');
  });
});
