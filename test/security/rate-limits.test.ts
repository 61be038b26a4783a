// Flood limits against the running system, attacked the way an outsider would: guessing tokens at
// the API and the pages, asking sign-in links for someone else's mailbox, flooding intake through
// every door, naming a third party as end user on ticket after ticket, spreading over two API
// processes, and writing X-Forwarded-For by hand. Small limits here (a few per window) so each is
// reached in a handful of requests; the defaults are domain/rate-limits.ts's.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { System } from '../../runtime/system';
import { HeldMail, InboundMessage } from '../../db/models';
import { eventually, sleep, startApiReplica, startTestSystem, type TestSystem } from '../support/harness';
import { WebClient } from '../support/web-client';
import { authenticatedSender } from '../support/mail-auth';

type Res = { status: number; body: any; headers: Headers };

const LIMITS = {
  failedTokens: { points: 4, windowS: 5 },
  signInLinksPerClient: { points: 3, windowS: 3600 },
  signInLinksPerAddress: { points: 2, windowS: 3600 },
  intakePerRequester: { points: 3, windowS: 3600 },
  intakePerCustomer: { points: 5, windowS: 3600 },
  endUserCopies: { points: 2, windowS: 86_400 },
  heldMailPerClient: { points: 3, windowS: 86_400 },
  heldMailPerSender: { points: 2, windowS: 86_400 },
};

function expectLimited(res: Res, limit: string, max: number) {
  expect(res.status, JSON.stringify(res.body)).to.equal(429);
  expect(Object.keys(res.body)).to.deep.equal(['error']);
  expect(res.body.error.code).to.equal('RATE_LIMITED');
  expect(res.body.error.message).to.be.a('string').and.not.empty;
  const d = res.body.error.details;
  expect(d).to.include({ limit, max });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).to.equal(d.retryAfterSeconds);
  expect(retryAfter).to.be.within(1, d.windowSeconds);
  expect(res.headers.get('cache-control')).to.equal('no-store');
  return retryAfter;
}

describe('flood limits', function () {
  this.timeout(120_000);
  let t: TestSystem;
  const replicas: System[] = [];

  before(async () => {
    // Behind a proxy on loopback: each test speaks from an address of its own (X-Forwarded-For).
    t = await startTestSystem({ label: 'limits', rateLimits: LIMITS, trustProxy: ['loopback'] });
  });
  after(async () => {
    for (const r of replicas) await r.stop();
    await t?.stop();
  });

  const from = (ip: string, token: string) => (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    t.as(token)(method, path, body, { 'x-forwarded-for': ip, ...headers });
  const ticket = (extra: Record<string, unknown> = {}) => ({ type: 'problem', impact: 'C', subject: 'Printer offline', description: 'Since 9:00.', ...extra });
  const ticketsOf = async (customerId: string) =>
    (await t.sys.sequelize.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets WHERE customer_id = :customerId', { replacements: { customerId }, type: QueryTypes.SELECT }))[0].n;

  describe('token guessing', () => {
    it('at the API: wrong tokens are 401 until the limit, then 429 with Retry-After for any token from that address, the right one too, until the window passes', async () => {
      const ip = '203.0.113.10';
      // Right tokens are never counted.
      for (let i = 0; i < 10; i++) expect((await from(ip, t.techToken)('GET', '/api/me')).status).to.equal(200);
      for (let i = 0; i < LIMITS.failedTokens.points; i++) {
        const wrong = await from(ip, `lcs_guess-${i}`)('GET', '/api/me');
        expect(wrong.status).to.equal(401);
        expect(wrong.body.error.code).to.equal('INVALID_TOKEN');
      }
      expectLimited(await from(ip, 'lcs_guess-again')('GET', '/api/me'), 'failed_tokens', 4);
      const right = await from(ip, t.techToken)('GET', '/api/tickets');
      const retryAfter = expectLimited(right, 'failed_tokens', 4);
      expectLimited(await from(ip, t.techToken)('POST', '/api/tickets', ticket()), 'failed_tokens', 4);
      // Per address: another client is not affected.
      expect((await from('203.0.113.11', t.techToken)('GET', '/api/me')).status).to.equal(200);

      await sleep(retryAfter * 1000 + 300);
      expect((await from(ip, t.techToken)('GET', '/api/me')).status).to.equal(200);
    });

    it('at the pages: token sign-in and sign-in links share the budget; a limited browser gets a 429 page in its language', async () => {
      const ip = '203.0.113.20';
      const web = new WebClient(t.url, { 'x-forwarded-for': ip });
      for (const guess of ['lcs_a', 'lcs_b']) expect((await from(ip, guess)('GET', '/api/me')).status).to.equal(401);
      expect((await web.submit('/sign-in', '/sign-in/token', { token: 'lcs_c' })).status).to.equal(401);
      // A guessed one-time link is a guessed token too.
      const bogus = `/sign-in/link/${randomBytes(32).toString('base64url')}`;
      expect((await web.submit(bogus, bogus, {})).status).to.equal(401);

      const es = await web.submit('/sign-in', '/sign-in/token', { token: t.techToken });
      expect(es.status).to.equal(429);
      expect(es.html).to.contain('<html lang="es">');
      expect(es.html).to.contain('Demasiados intentos en poco tiempo. Espere 1 min e intente de nuevo.');
      const en = await web.submit('/sign-in?lang=en', '/sign-in/token', { token: t.techToken });
      expect(en.status).to.equal(429);
      expect(en.html).to.contain('Too many attempts in a short time. Wait 1 min and try again.');
      const res = await fetch(`${t.url}/sign-in/token`, { method: 'POST', headers: { 'x-forwarded-for': ip } });
      expect(res.status).to.equal(403); // no CSRF token: refused before anything is counted or checked
      expectLimited(await from(ip, t.techToken)('GET', '/api/me'), 'failed_tokens', 4);

      await eventually(async () => (await from(ip, t.techToken)('GET', '/api/me')).status === 200, 8_000, 'the window to pass');
      const page = await web.submit('/sign-in', '/sign-in/token', { token: t.techToken });
      expect(page.url).to.match(/\/console$/);
    });
  });

  it('sign-in link requests are limited per client address and per e-mail address, the same for any address', async () => {
    const c = await t.createCustomerFixture('standard');
    const stranger = `x.${randomBytes(3).toString('hex')}@nowhere.test`;
    const a = new WebClient(t.url, { 'x-forwarded-for': '203.0.113.30' });
    const b = new WebClient(t.url, { 'x-forwarded-for': '203.0.113.31' });
    const ask = async (web: WebClient, email: string) => {
      const page = await web.submit('/sign-in?lang=en', '/sign-in/link', { email });
      return page.status;
    };
    // Two for one mailbox, whoever asks; the third is refused (and not counted against the client).
    expect(await ask(a, c.requesterEmail)).to.equal(200);
    expect(await ask(a, c.requesterEmail)).to.equal(200);
    expect(await ask(a, c.requesterEmail)).to.equal(429);
    expect(await ask(b, c.requesterEmail.toUpperCase())).to.equal(429);
    // An address nobody has is counted the same way.
    expect(await ask(b, stranger)).to.equal(200);
    expect(await ask(b, stranger)).to.equal(200);
    expect(await ask(b, stranger)).to.equal(429);
    // Three from one client address, whatever the addresses.
    expect(await ask(a, `y.${randomBytes(3).toString('hex')}@nowhere.test`)).to.equal(200);
    expect(await ask(a, `z.${randomBytes(3).toString('hex')}@nowhere.test`)).to.equal(429);

    const res = await fetch(`${t.url}/sign-in/link`, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.30' } });
    expect(res.status).to.equal(403); // the form's CSRF token first
    const limited = await a.submit('/sign-in?lang=en', '/sign-in/link', { email: c.requesterEmail });
    expect(limited.status).to.equal(429);
    expect(limited.html).to.contain('Too many attempts in a short time. Wait 60 min and try again.');

    // The mailbox got the two links asked for in time, no more.
    await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.subject === 'Your sign-in link');
    await eventually(async () => (await t.sys.sequelize.query(`SELECT 1 FROM mail_outbox WHERE kind = 'sign_in_link'`, { type: QueryTypes.SELECT })).length === 0, 15_000, 'the link requests to be sent');
    expect(t.inbox.find((m) => m.to.includes(c.requesterEmail))).to.have.length(2);
    expect(t.inbox.find((m) => m.to.includes(stranger))).to.have.length(0);
  });

  it('intake floods: per requester, then per customer; nothing stored beyond the limit, and a retried request still gets its ticket', async () => {
    const c = await t.createCustomerFixture('advanced');
    const second = (await t.admin('POST', `/api/customers/${c.id}/users`, { name: 'Bruno Burst', email: `bruno.${randomBytes(3).toString('hex')}@customer.test` })).body;
    const one = t.as(c.requesterToken);
    const first = await one('POST', '/api/tickets', ticket(), { 'idempotency-key': 'burst-1' });
    expect(first.status).to.equal(201);
    // Five more at once: two fit the requester's three.
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => one('POST', '/api/tickets', ticket({ subject: `Burst ${i}` }))));
    expect(burst.map((r) => r.status).sort()).to.deep.equal([201, 201, 429, 429, 429]);
    for (const r of burst.filter((x) => x.status === 429)) expectLimited(r, 'intake_per_requester', 3);
    expect(await ticketsOf(c.id)).to.equal(3);
    // At the limit, the retry of a request taken in still answers with its ticket.
    const retry = await one('POST', '/api/tickets', ticket(), { 'idempotency-key': 'burst-1' });
    expect(retry.status).to.equal(201);
    expect(retry.headers.get('idempotent-replayed')).to.equal('true');
    expect(retry.body.id).to.equal(first.body.id);

    // The customer's five: two more from its other requester, then no more from anyone.
    const two = t.as(second.token);
    expect((await two('POST', '/api/tickets', ticket())).status).to.equal(201);
    expect((await two('POST', '/api/tickets', ticket())).status).to.equal(201);
    expectLimited(await two('POST', '/api/tickets', ticket()), 'intake_per_customer', 5);
    expect(await ticketsOf(c.id)).to.equal(5);
  });

  it('the intake limit is one for every door: the API, the requester\'s form, the phone console and inbound e-mail', async () => {
    const c = await t.createCustomerFixture('advanced');
    for (let i = 0; i < 3; i++) expect((await t.as(c.requesterToken)('POST', '/api/tickets', ticket())).status).to.equal(201);

    const requester = new WebClient(t.url);
    await requester.submit('/sign-in', '/sign-in/token', { token: c.requesterToken });
    const form = await requester.get('/tickets/new?lang=en');
    const page = await requester.submit(form, '/tickets', { type: 'problem', impact: 'B', subject: 'From the form', description: 'x' });
    expect(page.status).to.equal(429);
    expect(page.html).to.contain('Too many attempts in a short time. Wait 60 min and try again.');

    const tech = new WebClient(t.url);
    await tech.submit('/sign-in', '/sign-in/token', { token: t.techToken });
    const phone = await tech.get(`/console/phone?requesterEmail=${encodeURIComponent(c.requesterEmail)}`);
    const logged = await tech.submit(phone, '/console/phone', { requesterEmail: c.requesterEmail, type: 'problem', impact: 'B', subject: 'By phone', description: 'x' });
    expect(logged.status).to.equal(429);

    // Signed as the requester's provider would: an unauthenticated one would only be held.
    const smtp = authenticatedSender(t.sys.inboundSmtp!.url);
    const messageId = `<flood.${randomBytes(4).toString('hex')}@customer.test>`;
    try {
      await smtp.send({ from: c.requesterEmail, to: 'support@lastcall.test', subject: 'By mail', text: 'Still down.', messageId });
    } finally {
      smtp.close();
    }
    const row = await eventually(() => InboundMessage.findOne({ where: { fromAddress: c.requesterEmail } }).then((r) => (r && r.outcome !== 'processing' ? r : null)), 15_000, 'the inbound message');
    expect(row.outcome).to.equal('refused');
    expect(row.reason).to.equal('RATE_LIMITED');
    const refusal = await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.headers.get('in-reply-to') === messageId);
    expect(refusal.subject).to.not.contain('By mail');
    expect(refusal.text).to.contain('Demasiados casos o solicitudes en poco tiempo');
    expect(refusal.text).to.contain('Too many tickets or requests in a short time');
    expect(await ticketsOf(c.id)).to.equal(3);
  });

  it('forged mail fills nobody\'s held queue: a few per requester address, a few per sending server; strangers naming a ticket are not held', async () => {
    const [a, b] = [await t.createCustomerFixture('standard'), await t.createCustomerFixture('standard')];
    const forged = authenticatedSender(t.sys.inboundSmtp!.url);
    const outcomeOf = (messageId: string) =>
      eventually(() => InboundMessage.findOne({ where: { messageId } }).then((r) => (r && r.outcome !== 'processing' ? r : null)), 15_000, messageId);
    const tag = randomBytes(3).toString('hex');
    const sendForged = async (from: string, n: number, extra: Record<string, unknown> = {}) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const messageId = `<forged.${tag}.${from.split('@')[0]}.${i}@customer.test>`;
        await forged.send({ from, to: 'support@lastcall.test', subject: 'Please close my ticket', text: 'Forged', messageId, dkimWith: false, ...extra });
        ids.push(messageId);
      }
      return Promise.all(ids.map(outcomeOf));
    };
    try {
      // Per address: two held, the third dropped unanswered.
      const first = await sendForged(a.requesterEmail, 3);
      expect(first.map((r) => r.outcome)).to.deep.equal(['held', 'held', 'refused']);
      expect(first[2].reason).to.match(/^RATE_LIMITED \(not held, not answered/);
      // Per sending server: one more from another address fills this client's three; the next is dropped.
      const second = await sendForged(b.requesterEmail, 2);
      expect(second.map((r) => r.outcome)).to.deep.equal(['held', 'refused']);
      // A stranger naming a real ticket would be refused once vouched for: not held at all, not answered.
      const ticketNo = (await t.createTicket(a.id)).number;
      const stranger = await sendForged(`mallory.${tag}@elsewhere.test`, 1, { subject: `Re: [Ticket #${ticketNo}] close it` });
      expect(stranger[0].outcome).to.equal('refused');
      expect(stranger[0].reason).to.match(/^UNKNOWN_SENDER \(not answered/);
    } finally {
      forged.close();
    }
    expect(await HeldMail.count({ where: { fromAddress: [a.requesterEmail, b.requesterEmail] } })).to.equal(3);
    await sleep(300);
    // Nobody answered: no mail to the stranger, none in reply to a forged message.
    expect(t.inbox.find((m) => m.to.includes(`mallory.${tag}@elsewhere.test`) || String(m.headers.get('in-reply-to') ?? '').includes(`forged.${tag}`))).to.deep.equal([]);
  });

  it('end-user copies: tickets naming one address are limited per address per day, whoever files them', async () => {
    const [c1, c2] = [await t.createCustomerFixture('advanced'), await t.createCustomerFixture('advanced')];
    const eva = `eva.${randomBytes(3).toString('hex')}@elsewhere.test`;
    const naming = (email: string) => ticket({ endUser: { name: 'Eva', email } });
    const made = [];
    for (let i = 0; i < 2; i++) {
      const r = await t.as(c1.requesterToken)('POST', '/api/tickets', naming(eva));
      expect(r.status).to.equal(201);
      made.push(r.body.number);
    }
    expectLimited(await t.as(c1.requesterToken)('POST', '/api/tickets', naming(eva)), 'end_user_copies', 2);
    expectLimited(await t.as(c2.requesterToken)('POST', '/api/tickets', naming(eva.toUpperCase())), 'end_user_copies', 2);
    // The refused ones were given back to their requester: c1's third ticket is still to come.
    expect((await t.as(c1.requesterToken)('POST', '/api/tickets', naming(`pedro.${randomBytes(3).toString('hex')}@elsewhere.test`))).status).to.equal(201);
    expect(await ticketsOf(c1.id)).to.equal(3);
    expect(await ticketsOf(c2.id)).to.equal(0);

    // Eva hears of her two tickets, and of nothing else.
    for (const n of made) await t.inbox.waitFor((m) => m.to.includes(eva) && m.subject.includes(`#${n}]`));
    await sleep(1_000);
    expect(t.inbox.find((m) => m.to.includes(eva))).to.have.length(2);
  });

  it('two API processes on one database share every count; X-Forwarded-For is nobody\'s to choose where no proxy is trusted', async () => {
    // A second API process that trusts no proxy: the address is the socket's (127.0.0.1) whatever
    // the header says; the first one, asked without the header, sees 127.0.0.1 too.
    const other = await startApiReplica(t, { trustProxy: false });
    replicas.push(other);
    const on = (url: string, token: string, headers: Record<string, string> = {}) => async (method: string, path: string, body?: unknown): Promise<Res> => {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json(), headers: res.headers };
    };

    const c = await t.createCustomerFixture('advanced');
    expect((await on(t.url, c.requesterToken)('POST', '/api/tickets', ticket())).status).to.equal(201);
    expect((await on(other.url!, c.requesterToken)('POST', '/api/tickets', ticket())).status).to.equal(201);
    expect((await on(t.url, c.requesterToken)('POST', '/api/tickets', ticket())).status).to.equal(201);
    expectLimited(await on(other.url!, c.requesterToken)('POST', '/api/tickets', ticket()), 'intake_per_requester', 3);
    expectLimited(await on(t.url, c.requesterToken)('POST', '/api/tickets', ticket()), 'intake_per_requester', 3);
    expect(await ticketsOf(c.id)).to.equal(3);

    // Wrong tokens, two on each process, each with a made-up client address for the header.
    for (let i = 0; i < 2; i++) {
      expect((await on(other.url!, `lcs_x${i}`, { 'x-forwarded-for': `198.51.100.${i}` })('GET', '/api/me')).status).to.equal(401);
      expect((await on(t.url, `lcs_y${i}`)('GET', '/api/me')).status).to.equal(401);
    }
    expectLimited(await on(other.url!, 'lcs_z', { 'x-forwarded-for': '198.51.100.99' })('GET', '/api/me'), 'failed_tokens', 4);
    expectLimited(await on(other.url!, t.techToken, { 'x-forwarded-for': '198.51.100.100' })('GET', '/api/me'), 'failed_tokens', 4);
    const retryAfter = expectLimited(await on(t.url, t.techToken)('GET', '/api/me'), 'failed_tokens', 4);

    await sleep(retryAfter * 1000 + 300);
    expect((await on(t.url, t.techToken)('GET', '/api/me')).status).to.equal(200);
    expect((await on(other.url!, t.techToken)('GET', '/api/me')).status).to.equal(200);
  });
});
