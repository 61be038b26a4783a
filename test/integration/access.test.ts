// Who may do what, against the real running system: bearer tokens (random, shown once, stored as a
// sha256 hash, revocable), the ADMIN_TOKEN bootstrap, the four roles, what a requester may see,
// disabled users, phone tickets filed on a requester's behalf, and the admin audit log.
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ADMIN_TOKEN, startTestSystem, type CustomerFixture, type TestSystem } from '../support/harness';
import { DEFAULT_SLA_POLICY } from '../../domain/sla-policy';

type Res = { status: number; body: any; headers: Headers };

function expectError(res: Res, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers.get('content-type')).to.match(/^application\/json/);
  expect(res.body).to.have.all.keys('error');
  expect(res.body.error.code).to.equal(code);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const uniqueEmail = (who: string) => `${who}.${randomBytes(3).toString('hex')}@lastcall.test`;

describe('access rules', function () {
  let t: TestSystem;

  before(async () => {
    t = await startTestSystem({ label: 'access' });
  });
  after(async () => t?.stop());

  async function createStaff(role: 'technician' | 'lead' | 'admin', token = ADMIN_TOKEN) {
    const res = await t.as(token)('POST', '/api/users', { name: `A ${role}`, email: uniqueEmail(role), role, technologies: ['email'] });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: string; email: string; role: string; token: string };
  }

  async function addRequester(customerId: string) {
    const res = await t.admin('POST', `/api/customers/${customerId}/users`, { name: 'Bea Soto', email: uniqueEmail('bea') });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: string; email: string; token: string };
  }

  describe('tokens', () => {
    it('are random, shown once at creation, and stored only as their sha256 hash', async () => {
      const staff = await createStaff('technician');
      const c = await t.createCustomerFixture('standard');
      const tokens = [staff.token, c.requesterToken];
      for (const token of tokens) expect(token).to.be.a('string').with.length.above(30);
      expect(staff.token).to.not.equal(c.requesterToken);

      // Shown once: reading the user back never returns a token.
      const read = await t.admin('GET', `/api/users/${staff.id}`);
      expect(read.status).to.equal(200);
      expect(read.body).to.not.have.property('token');
      expect(JSON.stringify(read.body)).to.not.include(staff.token);
      const listed = await t.admin('GET', `/api/customers/${c.id}/users`);
      expect(JSON.stringify(listed.body)).to.not.include(c.requesterToken);

      const [rows] = (await t.sys.sequelize.query('SELECT token_hash FROM api_tokens')) as [{ token_hash: string }[], unknown];
      const hashes = rows.map((r) => r.token_hash);
      for (const token of tokens) {
        expect(hashes).to.include(sha256(token));
        expect(hashes).to.not.include(token);
      }
      // The plain token is nowhere in the table, in any column.
      const [all] = (await t.sys.sequelize.query('SELECT * FROM api_tokens')) as [Record<string, unknown>[], unknown];
      for (const token of tokens) expect(JSON.stringify(all)).to.not.include(token);

      // And each works as the user it was issued to.
      const me = await t.as(staff.token)('GET', '/api/me');
      expect(me.status).to.equal(200);
      expect(me.body).to.include({ userId: staff.id, role: 'technician', email: staff.email });
      const reqMe = await t.as(c.requesterToken)('GET', '/api/me');
      expect(reqMe.body).to.include({ userId: c.requesterId, role: 'requester', customerId: c.id });
    });

    it('401 UNAUTHENTICATED without a token, 401 INVALID_TOKEN for an unknown one', async () => {
      const none = t.as('');
      expectError(await none('GET', '/api/tickets'), 401, 'UNAUTHENTICATED');
      expectError(await none('GET', '/api/me'), 401, 'UNAUTHENTICATED');
      expectError(await none('POST', '/api/customers', { name: 'X' }), 401, 'UNAUTHENTICATED');
      expectError(await none('GET', '/api/audit-log'), 401, 'UNAUTHENTICATED');
      expectError(await t.api('GET', '/api/users', undefined, { authorization: '' }), 401, 'UNAUTHENTICATED');
      expectError(await t.api('GET', '/api/tickets', undefined, { authorization: 'Basic dXNlcjpwYXNz' }), 401, 'UNAUTHENTICATED');
      expectError(await t.as('lcs_not-a-real-token')('GET', '/api/me'), 401, 'INVALID_TOKEN');
      // The hash of a real token is not a token.
      const staff = await createStaff('technician');
      expectError(await t.as(sha256(staff.token))('GET', '/api/me'), 401, 'INVALID_TOKEN');
    });

    it('revoking makes the old token 401 INVALID_TOKEN; reissuing gives a new one and retires the previous', async () => {
      const staff = await createStaff('technician');
      const first = t.as(staff.token);
      expect((await first('GET', '/api/me')).status).to.equal(200);

      const reissued = await t.admin('POST', `/api/users/${staff.id}/token`);
      expect(reissued.status).to.equal(201);
      const second: string = (reissued.body as any).token;
      expect(second).to.be.a('string').and.not.equal(staff.token);
      expectError(await first('GET', '/api/me'), 401, 'INVALID_TOKEN');
      const me = await t.as(second)('GET', '/api/me');
      expect(me.status).to.equal(200);
      expect(me.body.userId).to.equal(staff.id);

      const revoked = await t.admin('DELETE', `/api/users/${staff.id}/token`);
      expect(revoked.status).to.equal(200);
      expect(revoked.body).to.deep.equal({ userId: staff.id, revoked: 1 });
      expectError(await t.as(second)('GET', '/api/me'), 401, 'INVALID_TOKEN');
      expectError(await t.as(second)('GET', '/api/tickets'), 401, 'INVALID_TOKEN');

      // After a revoke, a reissue brings the user back with a fresh token; the old ones stay dead.
      const third = (await t.admin('POST', `/api/users/${staff.id}/token`)).body as any;
      expect((await t.as(third.token)('GET', '/api/me')).status).to.equal(200);
      expectError(await t.as(second)('GET', '/api/me'), 401, 'INVALID_TOKEN');
      expectError(await first('GET', '/api/me'), 401, 'INVALID_TOKEN');

      // Requesters' tokens are revocable too.
      const c = await t.createCustomerFixture('standard');
      expect((await t.admin('DELETE', `/api/users/${c.requesterId}/token`)).status).to.equal(200);
      expectError(await t.as(c.requesterToken)('GET', '/api/tickets'), 401, 'INVALID_TOKEN');
    });

    it('ADMIN_TOKEN bootstraps the first admin, whose own token then creates a technician', async () => {
      const admin = await createStaff('admin', ADMIN_TOKEN);
      expect(admin.role).to.equal('admin');
      const adminMe = await t.as(admin.token)('GET', '/api/me');
      expect(adminMe.body).to.include({ userId: admin.id, role: 'admin', email: admin.email });

      const tech = await createStaff('technician', admin.token);
      expect(tech.role).to.equal('technician');
      const techMe = await t.as(tech.token)('GET', '/api/me');
      expect(techMe.status).to.equal(200);
      expect(techMe.body).to.include({ userId: tech.id, role: 'technician' });

      const bootstrapMe = await t.admin('GET', '/api/me');
      expect(bootstrapMe.body).to.include({ userId: null, role: 'admin' });
    });
  });

  describe('roles', () => {
    let standard: CustomerFixture;
    let ticketId: string;
    let requester: ReturnType<TestSystem['as']>;
    before(async () => {
      standard = await t.createCustomerFixture('standard');
      requester = t.as(standard.requesterToken);
      ticketId = (await t.createTicket(standard.id)).id;
    });

    it('only admins manage customers, products, subscriptions, users, tokens and the SLA policy', async () => {
      const tech = t.as(t.techToken);
      const lead = t.as((await createStaff('lead')).token);
      const product = { brand: 'Zimbra', name: 'Suite', technology: 'email', purchaseConfirmedAt: new Date().toISOString() };
      const customersBefore = (await t.admin('GET', '/api/customers')).body.customers.length;
      const policy = (await t.admin('GET', '/api/sla-policy')).body;
      for (const [who, call] of [['technician', tech], ['lead', lead], ['requester', requester]] as const) {
        const forbidden = async (method: string, path: string, body?: unknown) => {
          const res = await call(method, path, body);
          expect(res.status, `${who} ${method} ${path}: ${JSON.stringify(res.body)}`).to.equal(403);
          expectError(res, 403, 'FORBIDDEN');
        };
        await forbidden('POST', '/api/customers', { name: 'Sneaky Ltd' });
        await forbidden('GET', '/api/customers');
        await forbidden('POST', `/api/customers/${standard.id}/products`, product);
        await forbidden('POST', `/api/customers/${standard.id}/subscriptions`, { plan: 'advanced', term: 'annual' });
        await forbidden('POST', `/api/customers/${standard.id}/users`, { name: 'Eve', email: uniqueEmail('eve') });
        await forbidden('POST', '/api/users', { name: 'Eve', email: uniqueEmail('eve'), role: 'admin' });
        await forbidden('GET', '/api/users');
        await forbidden('POST', `/api/users/${t.techId}/disable`);
        await forbidden('POST', `/api/users/${t.techId}/token`);
        await forbidden('DELETE', `/api/users/${t.techId}/token`);
        await forbidden('PUT', '/api/sla-policy', policy.policy);
        await forbidden('GET', '/api/audit-log');
      }
      // None of it happened.
      expect((await t.admin('GET', '/api/customers')).body.customers.length).to.equal(customersBefore);
      expect((await t.admin('GET', `/api/customers/${standard.id}/products`)).body.products).to.have.length(1);
      expect((await t.admin('GET', `/api/customers/${standard.id}/subscriptions`)).body.subscriptions).to.have.length(0);
      expect((await t.admin('GET', '/api/sla-policy')).body).to.deep.equal(policy);
      expect((await tech('GET', '/api/me')).status).to.equal(200);
      // Anyone signed in may read the policy.
      expect((await requester('GET', '/api/sla-policy')).status).to.equal(200);
    });

    it('only technicians and leads perform technician steps: 403 for a requester and an admin, 200 for a lead', async () => {
      const respond = { via: 'email', message: 'Looking into it' };
      expectError(await requester('POST', `/api/tickets/${ticketId}/respond`, respond), 403, 'FORBIDDEN');
      expectError(await t.admin('POST', `/api/tickets/${ticketId}/respond`, respond) as Res, 403, 'FORBIDDEN');
      const admin = await createStaff('admin');
      expectError(await t.as(admin.token)('POST', `/api/tickets/${ticketId}/respond`, respond), 403, 'FORBIDDEN');
      expectError(await requester('POST', `/api/tickets/${ticketId}/resolve`, { resolution: 'fixed it myself' }), 403, 'FORBIDDEN');

      // Refused steps left no trace.
      const still = await t.api('GET', `/api/tickets/${ticketId}`);
      expect(still.body.status).to.equal('open');
      expect(still.body.events.map((e: any) => e.type)).to.deep.equal(['received']);

      const lead = await createStaff('lead');
      const res = await t.as(lead.token)('POST', `/api/tickets/${ticketId}/respond`, respond);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.respondedVia).to.equal('email');
      const full = await t.api('GET', `/api/tickets/${ticketId}`);
      expect(full.body.events.find((e: any) => e.type === 'responded').actor).to.equal(lead.email);
      // And a technician may go on with it.
      const resolved = await t.api('POST', `/api/tickets/${ticketId}/resolve`, { resolution: 'Restarted' });
      expect(resolved.status).to.equal(200);
      expect(resolved.body.status).to.equal('resolved');
    });

    it('staff read every ticket; admins may not file tickets', async () => {
      for (const token of [t.techToken, (await createStaff('lead')).token, (await createStaff('admin')).token, ADMIN_TOKEN]) {
        const res = await t.as(token)('GET', `/api/tickets/${ticketId}`);
        expect(res.status).to.equal(200);
        expect(res.body.id).to.equal(ticketId);
      }
      const filed = await t.admin('POST', '/api/tickets', { type: 'query', impact: 'C', subject: 'x', description: 'y', requesterId: standard.requesterId });
      expectError(filed as Res, 403, 'FORBIDDEN');
    });
  });

  describe('what a requester sees', () => {
    let std: CustomerFixture;
    let other: CustomerFixture;
    let adv: CustomerFixture;
    let stdTicket: any;
    let otherTicket: any;
    before(async () => {
      std = await t.createCustomerFixture('standard');
      other = await t.createCustomerFixture('standard');
      adv = await t.createCustomerFixture('advanced');
      stdTicket = await t.createTicket(std.id, { subject: 'Standard ticket' });
      otherTicket = await t.createTicket(other.id, { subject: 'Other ticket' });
    });

    it('a requester sees and lists their own tickets', async () => {
      const mine = await t.as(std.requesterToken)('GET', `/api/tickets/${stdTicket.id}`);
      expect(mine.status).to.equal(200);
      expect(mine.body.requester.email).to.equal(std.requesterEmail);
      expect((await t.as(std.requesterToken)('GET', `/api/tickets/${stdTicket.number}`)).body.id).to.equal(stdTicket.id);
      const list = await t.as(std.requesterToken)('GET', '/api/tickets');
      expect(list.status).to.equal(200);
      expect(list.body.total).to.equal(1);
      expect(list.body.tickets.map((x: any) => x.id)).to.deep.equal([stdTicket.id]);
    });

    it("another customer's requester gets 404 NOT_FOUND by id and by number, and lists only their own customer's tickets", async () => {
      const stranger = t.as(other.requesterToken);
      for (const ref of [stdTicket.id, String(stdTicket.number)]) {
        const res = await stranger('GET', `/api/tickets/${ref}`);
        expectError(res, 404, 'NOT_FOUND');
        expect(JSON.stringify(res.body)).to.not.include(stdTicket.subject);
      }
      const list = await stranger('GET', '/api/tickets');
      expect(list.body.total).to.equal(1);
      expect(list.body.tickets.map((x: any) => x.id)).to.deep.equal([otherTicket.id]);
      const filtered = await stranger('GET', `/api/tickets?customerId=${std.id}`);
      expect(filtered.status).to.equal(200);
      expect(filtered.body.total).to.equal(0);
      expect(filtered.body.tickets).to.deep.equal([]);

      // An Advanced customer's requester probing a Standard customer's ticket learns nothing either.
      const advRequester = t.as(adv.requesterToken);
      for (const ref of [stdTicket.id, String(stdTicket.number)]) expectError(await advRequester('GET', `/api/tickets/${ref}`), 404, 'NOT_FOUND');
      expect((await advRequester('GET', '/api/tickets')).body.tickets.map((x: any) => x.customerId)).to.not.include(std.id);
      // A filter naming the other customer narrows what the requester may see; it never widens it.
      const probe = await advRequester('GET', `/api/tickets?customerId=${std.id}`);
      expect(probe.status).to.equal(200);
      expect(probe.body.total).to.equal(0);
      expect(probe.body.tickets).to.deep.equal([]);
    });

    it('on Advanced a requester sees the tickets of the customer\'s other requesters; on Standard only their own', async () => {
      const colleague = await addRequester(adv.id);
      const primaryTicket = await t.createTicket(adv.id, { subject: 'Primary requester ticket' });
      const colleagueTicket = (await t.as(colleague.token)('POST', '/api/tickets', { type: 'query', impact: 'C', subject: 'Colleague ticket', description: 'Where is the manual?' })).body;
      expect(colleagueTicket.requester.email).to.equal(colleague.email);
      expect(colleagueTicket.customerId).to.equal(adv.id);

      for (const [token, theirs] of [[adv.requesterToken, colleagueTicket], [colleague.token, primaryTicket]] as const) {
        const seen = await t.as(token)('GET', `/api/tickets/${theirs.id}`);
        expect(seen.status).to.equal(200);
        expect(seen.body.id).to.equal(theirs.id);
        expect((await t.as(token)('GET', `/api/tickets/${theirs.number}`)).status).to.equal(200);
        const list = await t.as(token)('GET', '/api/tickets');
        expect(list.body.total).to.equal(2);
        expect(list.body.tickets.map((x: any) => x.id)).to.have.members([primaryTicket.id, colleagueTicket.id]);
      }

      // Standard keeps one active requester: once the primary is disabled a new one takes over, and
      // the new one does not see the tickets of the earlier requester.
      const s = await t.createCustomerFixture('standard');
      const old = await t.createTicket(s.id, { subject: 'Filed by the first requester' });
      expect((await t.admin('POST', `/api/users/${s.requesterId}/disable`)).status).to.equal(200);
      const successor = await addRequester(s.id);
      const own = (await t.as(successor.token)('POST', '/api/tickets', { type: 'query', impact: 'C', subject: 'Successor ticket', description: 'Hello' })).body;
      expectError(await t.as(successor.token)('GET', `/api/tickets/${old.id}`), 404, 'NOT_FOUND');
      expectError(await t.as(successor.token)('GET', `/api/tickets/${old.number}`), 404, 'NOT_FOUND');
      const list = await t.as(successor.token)('GET', '/api/tickets');
      expect(list.body.total).to.equal(1);
      expect(list.body.tickets.map((x: any) => x.id)).to.deep.equal([own.id]);
      // Staff see both.
      expect((await t.api('GET', `/api/tickets?customerId=${s.id}`)).body.total).to.equal(2);
    });

    it('a requester files only for their own customer and themselves', async () => {
      const res = await t.as(std.requesterToken)('POST', '/api/tickets', {
        type: 'query', impact: 'C', subject: 'For someone else', description: 'x', requesterId: other.requesterId,
      });
      expectError(res, 403, 'FORBIDDEN');
      const mine = await t.as(std.requesterToken)('POST', '/api/tickets', { type: 'query', impact: 'C', subject: 'For me', description: 'x' });
      expect(mine.status).to.equal(201);
      expect(mine.body.customerId).to.equal(std.id);
      expect(mine.body.requester.email).to.equal(std.requesterEmail);
      // Nothing landed on the other customer.
      expect((await t.api('GET', `/api/tickets?customerId=${other.id}`)).body.total).to.equal(1);
    });

    it("a customer's entitlement: its own requester reads it, another customer's requester gets 404", async () => {
      const own = await t.as(std.requesterToken)('GET', `/api/customers/${std.id}/entitlement`);
      expect(own.status).to.equal(200);
      expect(own.body.customerId).to.equal(std.id);
      expect(own.body.plan).to.equal('standard');
      expectError(await t.as(other.requesterToken)('GET', `/api/customers/${std.id}/entitlement`), 404, 'NOT_FOUND');
      expectError(await t.as(adv.requesterToken)('GET', `/api/customers/${std.id}/entitlement`), 404, 'NOT_FOUND');
      // Staff read any customer's.
      expect((await t.api('GET', `/api/customers/${std.id}/entitlement`)).status).to.equal(200);
      expect((await t.admin('GET', `/api/customers/${adv.id}/entitlement`)).body.plan).to.equal('advanced');
    });
  });

  describe('disabled users', () => {
    it('get 401 USER_DISABLED with their token until they are enabled again', async () => {
      const staff = await createStaff('technician');
      const disabled = await t.admin('POST', `/api/users/${staff.id}/disable`);
      expect(disabled.status).to.equal(200);
      expect(disabled.body.enabled).to.equal(false);
      expectError(await t.as(staff.token)('GET', '/api/me'), 401, 'USER_DISABLED');
      expectError(await t.as(staff.token)('GET', '/api/tickets'), 401, 'USER_DISABLED');

      const enabled = await t.admin('POST', `/api/users/${staff.id}/enable`);
      expect(enabled.status).to.equal(200);
      expect(enabled.body.enabled).to.equal(true);
      expect((await t.as(staff.token)('GET', '/api/me')).status).to.equal(200);

      // A requester too.
      const c = await t.createCustomerFixture('standard');
      expect((await t.admin('POST', `/api/users/${c.requesterId}/disable`)).status).to.equal(200);
      expectError(await t.as(c.requesterToken)('GET', '/api/tickets'), 401, 'USER_DISABLED');
      expect((await t.admin('POST', `/api/users/${c.requesterId}/enable`)).status).to.equal(200);
      expect((await t.as(c.requesterToken)('GET', '/api/tickets')).status).to.equal(200);

      // A disabled admin cannot administer.
      const admin = await createStaff('admin');
      await t.admin('POST', `/api/users/${admin.id}/disable`);
      expectError(await t.as(admin.token)('POST', '/api/customers', { name: 'While disabled' }), 401, 'USER_DISABLED');
    });
  });

  describe('phone tickets', () => {
    let adv: CustomerFixture;
    const phone = { type: 'problem', impact: 'B', channel: 'phone', subject: 'Called in: mail down', description: 'Customer called at 9:05' };
    before(async () => {
      adv = await t.createCustomerFixture('advanced');
    });

    it("a technician files a phone ticket on an Advanced requester's behalf", async () => {
      const res = await t.api('POST', '/api/tickets', { ...phone, requesterId: adv.requesterId });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.channel).to.equal('phone');
      expect(res.body.customerId).to.equal(adv.id);
      expect(res.body.requester.email).to.equal(adv.requesterEmail);
      const [rows] = (await t.sys.sequelize.query('SELECT requester_id, logged_by FROM tickets WHERE id = :id', { replacements: { id: res.body.id } })) as [any[], unknown];
      expect(rows[0].requester_id).to.equal(adv.requesterId);
      expect(rows[0].logged_by).to.equal(t.techEmail);
      // The requester sees it as theirs.
      const seen = await t.as(adv.requesterToken)('GET', `/api/tickets/${res.body.id}`);
      expect(seen.status).to.equal(200);
      expect(seen.body.channel).to.equal('phone');

      // A lead may too.
      const lead = await createStaff('lead');
      const byLead = await t.as(lead.token)('POST', '/api/tickets', { ...phone, requesterId: adv.requesterId });
      expect(byLead.status).to.equal(201);
      expect(byLead.body.requester.email).to.equal(adv.requesterEmail);
    });

    it('a requester may not log a phone ticket themselves (403); staff must name the requester (400)', async () => {
      const total = (await t.api('GET', `/api/tickets?customerId=${adv.id}`)).body.total;
      expectError(await t.as(adv.requesterToken)('POST', '/api/tickets', phone), 403, 'FORBIDDEN');
      const missing = await t.api('POST', '/api/tickets', phone);
      expectError(missing, 400, 'VALIDATION_FAILED');
      expect(missing.body.error.details.map((d: any) => d.path)).to.include('requesterId');
      // Naming a staff member as the requester is not a requester.
      expectError(await t.api('POST', '/api/tickets', { ...phone, requesterId: t.techId }), 422, 'UNKNOWN_REQUESTER');
      expect((await t.api('GET', `/api/tickets?customerId=${adv.id}`)).body.total).to.equal(total);
    });
  });

  describe('audit log', () => {
    it("records who, when and what for every admin change; the actor is the admin's e-mail or bootstrap-admin", async () => {
      const started = Date.now() - 1_000;
      const admin = await createStaff('admin', ADMIN_TOKEN);
      const as = t.as(admin.token);
      const customer = (await as('POST', '/api/customers', { name: 'Audited Ltd' })).body;
      const user = (await as('POST', '/api/users', { name: 'Audited Tech', email: uniqueEmail('audited'), role: 'technician' })).body;
      expect((await as('DELETE', `/api/users/${user.id}/token`)).status).to.equal(200);
      expect((await as('POST', `/api/users/${user.id}/disable`)).status).to.equal(200);
      const policy = await as('PUT', '/api/sla-policy', DEFAULT_SLA_POLICY);
      expect(policy.status).to.equal(200);
      const bootstrapCustomer = (await t.admin('POST', '/api/customers', { name: 'Bootstrapped Ltd' })).body as any;

      const log = await as('GET', '/api/audit-log?limit=500');
      expect(log.status).to.equal(200);
      const entries: any[] = log.body.entries;
      for (const e of entries) expect(e).to.include.all.keys('actor', 'at', 'action', 'target', 'data');
      const find = (action: string, targetId: string) => {
        const e = entries.find((x) => x.action === action && x.target.id === String(targetId));
        expect(e, `${action} ${targetId}`).to.exist;
        expect(new Date(e.at).getTime()).to.be.within(started, Date.now() + 1_000);
        return e;
      };

      const adminCreated = find('user.create', admin.id);
      expect(adminCreated.actor).to.equal('bootstrap-admin');
      expect(adminCreated.data).to.include({ role: 'admin', email: admin.email });

      const c = find('customer.create', customer.id);
      expect(c.actor).to.equal(admin.email);
      expect(c.actorUserId).to.equal(admin.id);
      expect(c.target).to.deep.equal({ type: 'customer', id: customer.id });
      expect(c.data.name).to.equal('Audited Ltd');

      const u = find('user.create', user.id);
      expect(u.actor).to.equal(admin.email);
      expect(u.data).to.include({ role: 'technician', email: user.email });
      // The audit log never holds a token.
      expect(JSON.stringify(entries)).to.not.include(user.token);

      const r = find('token.revoke', user.id);
      expect(r.actor).to.equal(admin.email);
      expect(r.data).to.include({ email: user.email, revoked: 1 });

      const d = find('user.disable', user.id);
      expect(d.actor).to.equal(admin.email);

      const p = find('sla_policy.replace', String(policy.body.id));
      expect(p.actor).to.equal(admin.email);
      expect(p.target.type).to.equal('sla_policy');
      expect(p.data.policy).to.deep.equal(DEFAULT_SLA_POLICY);

      const b = find('customer.create', bootstrapCustomer.id);
      expect(b.actor).to.equal('bootstrap-admin');
      expect(b.actorUserId).to.equal(null);

      // Newest first, and filterable by target.
      expect(entries.map((e) => e.id)).to.deep.equal([...entries.map((e) => e.id)].sort((x, y) => y - x));
      const forUser = await as('GET', `/api/audit-log?targetType=user&targetId=${user.id}`);
      expect(forUser.body.entries.map((e: any) => e.action)).to.deep.equal(['user.disable', 'token.revoke', 'user.create']);
    });

    it('is for admins only', async () => {
      expectError(await t.api('GET', '/api/audit-log'), 403, 'FORBIDDEN');
      const c = await t.createCustomerFixture('standard');
      expectError(await t.as(c.requesterToken)('GET', '/api/audit-log'), 403, 'FORBIDDEN');
      expectError(await t.as((await createStaff('lead')).token)('GET', '/api/audit-log'), 403, 'FORBIDDEN');
      expectError(await t.as('')('GET', '/api/audit-log'), 401, 'UNAUTHENTICATED');
      expect((await t.admin('GET', '/api/audit-log')).status).to.equal(200);
    });

    it('refused changes are not audited', async () => {
      const before = (await t.admin('GET', '/api/audit-log')).body.total;
      await t.api('POST', '/api/customers', { name: 'Refused Ltd' });
      await t.api('PUT', '/api/sla-policy', DEFAULT_SLA_POLICY);
      await t.api('POST', `/api/users/${t.techId}/disable`);
      expect((await t.admin('GET', '/api/audit-log')).body.total).to.equal(before);
    });
  });
});
