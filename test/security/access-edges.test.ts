// The outside edges of signing in, against the running system as an outsider meets it: browser
// sessions end with their user's tokens (revoked or reissued, also one opened while the revocation
// was under way), the security headers of every answer (HSTS only over HTTPS) and what browsers may
// keep, sign-in link requests that take the same path whether or not the address has an account
// (with the answer times measured), and the sign-in form's checks of outside input, linear in time.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { System } from '../../runtime/system';
import { revokeTokens } from '../../services/access';
import { eventually, sleep, startApiReplica, startTestSystem, type TestSystem } from '../support/harness';
import { WebClient, csrfOf, type Page } from '../support/web-client';

const HIGH = { points: 1_000_000, windowS: 3600 };

describe('access edges: sessions, headers, sign-in links', function () {
  this.timeout(180_000);
  let t: TestSystem;
  const replicas: System[] = [];

  before(async () => {
    // The timing measurement below sends hundreds of link requests from one address for two
    // addresses: far past the default link limits, which test/security/rate-limits.test.ts proves.
    t = await startTestSystem({ label: 'edges', rateLimits: { signInLinksPerClient: HIGH, signInLinksPerAddress: HIGH } });
  });
  after(async () => {
    for (const r of replicas) await r.stop();
    await t?.stop();
  });

  const count = async (sql: string, replacements: Record<string, unknown> = {}) =>
    (await t.sys.sequelize.query<{ n: number }>(sql, { replacements, type: QueryTypes.SELECT }))[0].n;

  async function signedIn(token: string) {
    const web = new WebClient(t.url);
    const page = await web.submit('/sign-in?lang=en', '/sign-in/token', { token });
    return { web, page };
  }

  /** The path of a fresh sign-in link for `email`, as the e-mail carries it. */
  async function linkFor(email: string): Promise<string> {
    const seen = new Set(t.inbox.messages);
    const web = new WebClient(t.url);
    const sent = await web.submit('/sign-in?lang=en', '/sign-in/link', { email });
    expect(sent.status).to.equal(200);
    const mail = await t.inbox.waitFor((m) => !seen.has(m) && m.to.includes(email) && m.subject === 'Your sign-in link');
    return new URL(/http:\/\/\S+\/sign-in\/link\/\S+/.exec(mail.text)![0]).pathname;
  }

  async function linkSession(email: string) {
    const path = await linkFor(email);
    const web = new WebClient(t.url);
    const page = await web.submit(await web.get(path), path, {});
    return { web, page };
  }

  /** Whether the browser is still signed in: its page, not the sign-in form it is sent to otherwise. */
  async function signedInAt(web: WebClient, path: string): Promise<boolean> {
    const page = await web.get(path);
    return page.status === 200 && new URL(page.url).pathname === path;
  }

  describe('sessions end with their token', () => {
    it('revoking ends every session of the user (token or link) and voids its unused links; the rows stay, the check refuses them', async () => {
      const c = await t.createCustomerFixture('advanced');
      const byToken = await signedIn(c.requesterToken);
      expect(byToken.page.url).to.match(/\/tickets$/);
      const byLink = await linkSession(c.requesterEmail);
      expect(byLink.page.url).to.match(/\/tickets$/);
      expect(await signedInAt(byToken.web, '/tickets')).to.equal(true);
      expect(await signedInAt(byLink.web, '/tickets')).to.equal(true);
      // A link asked for before the revocation, not used yet.
      const pending = await linkFor(c.requesterEmail);

      expect((await t.admin('DELETE', `/api/users/${c.requesterId}/token`)).status).to.equal(200);

      for (const web of [byToken.web, byLink.web]) {
        const next = await web.get('/tickets');
        expect(new URL(next.url).pathname + new URL(next.url).search).to.equal('/sign-in?next=%2Ftickets');
        // The browser is told to forget the cookie.
        expect(web.cookie('lc_session')).to.equal(undefined);
      }
      const late = new WebClient(t.url);
      const refused = await late.submit(await late.get(`${pending}?lang=en`), pending, {});
      expect(refused.status).to.equal(401);
      expect(refused.html).to.contain('not valid any more');
      // Nothing was deleted to get here: the sessions are refused by the check every request makes.
      expect(await count('SELECT count(*)::int AS n FROM web_sessions WHERE user_id = :id', { id: c.requesterId })).to.equal(2);
    });

    it('disabling ends the sessions for good: enabled again, the person signs in anew', async () => {
      const c = await t.createCustomerFixture('advanced');
      const before = await signedIn(c.requesterToken);
      expect(await signedInAt(before.web, '/tickets')).to.equal(true);
      const meanwhile = await signedIn(c.requesterToken);
      expect((await t.admin('POST', `/api/users/${c.requesterId}/disable`)).status).to.equal(200);
      expect(await signedInAt(meanwhile.web, '/tickets')).to.equal(false);
      // The other browser did not come back while the account was disabled: it still holds its cookie.
      expect((await t.admin('POST', `/api/users/${c.requesterId}/enable`)).status).to.equal(200);
      expect(await signedInAt(before.web, '/tickets')).to.equal(false);
      const again = await signedIn(c.requesterToken);
      expect(await signedInAt(again.web, '/tickets')).to.equal(true);
    });

    it('reissuing ends the sessions opened with the old token; the new token opens a new one', async () => {
      const staff = (await t.admin('POST', '/api/users', { name: 'Rita Reissue', email: `rita.${randomBytes(3).toString('hex')}@lastcall.test`, role: 'technician', technologies: ['email'] })).body;
      const old = await signedIn(staff.token);
      expect(old.page.url).to.match(/\/console$/);

      const reissued = await t.admin('POST', `/api/users/${staff.id}/token`);
      expect(reissued.status).to.equal(201);

      expect(await signedInAt(old.web, '/console')).to.equal(false);
      expect((await signedIn(staff.token)).page.status).to.equal(401);
      const fresh = await signedIn(reissued.body.token);
      expect(fresh.page.url).to.match(/\/console$/);
      expect(await signedInAt(fresh.web, '/console')).to.equal(true);
    });

    it('a sign-in with the token while its revocation is being committed does not outlive the commit', async () => {
      const c = await t.createCustomerFixture('standard');
      let during: WebClient | undefined;
      await t.sys.sequelize.transaction(async (transaction) => {
        await revokeTokens(c.requesterId, transaction);
        // Not committed yet: to everyone else the token is still valid, and a browser signs in with it.
        const { web, page } = await signedIn(c.requesterToken);
        expect(page.url).to.match(/\/tickets$/);
        during = web;
      });
      expect(await signedInAt(during!, '/tickets')).to.equal(false);
      expect((await signedIn(c.requesterToken)).page.status).to.equal(401);
    });
  });

  describe('security headers', () => {
    const CSP = {
      'default-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'style-src': ["'self'"],
      'script-src': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
    };
    const directives = (h: string | null) =>
      Object.fromEntries(
        (h ?? '')
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((d) => d[0])
          .map(([name, ...values]) => [name, values]),
      );

    function expectGuarded(res: Response, what: string) {
      expect(directives(res.headers.get('content-security-policy')), what).to.deep.equal(CSP);
      expect(res.headers.get('x-content-type-options'), what).to.equal('nosniff');
      expect(res.headers.get('referrer-policy'), what).to.equal('same-origin');
      expect(res.headers.get('x-frame-options'), what).to.equal('DENY');
      expect(res.headers.get('x-powered-by'), what).to.equal(null);
    }

    it('on pages, API answers (errors too) and static files; nothing of the API or of a page is kept, static files are', async () => {
      const get = (path: string, headers: Record<string, string> = {}) => fetch(t.url + path, { headers });
      const auth = { authorization: `Bearer ${t.techToken}` };
      const cases: Array<[string, Response, string | null]> = [
        ['sign-in page', await get('/sign-in'), 'no-store'],
        ['API 200', await get('/api/me', auth), 'no-store'],
        ['API 401', await get('/api/me'), 'no-store'],
        ['API 404', await get('/api/nothing-here', auth), 'no-store'],
        ['health', await get('/healthz'), null],
      ];
      for (const [what, res, cache] of cases) {
        expectGuarded(res, what);
        expect(res.headers.get('strict-transport-security'), `${what}: plain HTTP`).to.equal(null);
        if (cache) expect(res.headers.get('cache-control'), what).to.equal(cache);
      }
      const css = await get('/static/app.css');
      expectGuarded(css, 'static');
      expect(css.headers.get('cache-control')).to.equal('public, max-age=3600');

      const c = await t.createCustomerFixture('standard');
      const requester = (await signedIn(c.requesterToken)).web;
      const tech = (await signedIn(t.techToken)).web;
      for (const [web, path] of [[requester, '/tickets'], [requester, '/tickets/new'], [tech, '/console'], [tech, '/console/phone']] as const) {
        const res = await fetch(t.url + path, { headers: { cookie: `lc_session=${web.cookie('lc_session')}` }, redirect: 'manual' });
        expect(res.status, path).to.equal(200);
        expect(res.headers.get('cache-control'), path).to.equal('no-store');
        expectGuarded(res, path);
      }
    });

    it('HSTS only where PUBLIC_URL is https: an API process for https://… says so on pages and API answers', async () => {
      const https = await startApiReplica(t, { publicUrl: 'https://support.lastcall.example' });
      replicas.push(https);
      for (const path of ['/sign-in', '/api/me']) {
        const res = await fetch(https.url + path, { headers: { authorization: `Bearer ${t.techToken}` } });
        expect(res.headers.get('strict-transport-security'), path).to.equal('max-age=31536000; includeSubDomains');
        expectGuarded(res, path);
      }
      // The same database and code over plain HTTP: none.
      expect((await fetch(t.url + '/sign-in')).headers.get('strict-transport-security')).to.equal(null);
    });
  });

  describe('sign-in links', () => {
    const linkRows = () =>
      t.sys.sequelize.query<{ key: string; kind: string; ticket_id: string | null; notification: { email: string; lang: string }; attempts: number }>(
        `SELECT key, kind, ticket_id, notification, attempts FROM mail_outbox WHERE kind = 'sign_in_link' ORDER BY created_at, key`,
        { type: QueryTypes.SELECT },
      );
    const withoutCsrf = (p: Page, email: string) => p.html.replace(/name="_csrf" value="[^"]*"/g, '').split(email).join('<address>');

    it('are answered the same way for an address with an account and one without: one queued row each, nothing else', async () => {
      const c = await t.createCustomerFixture('standard');
      const known = c.requesterEmail;
      const unknown = `nobody.${randomBytes(3).toString('hex')}@customer.test`;
      // No sender: the rows stay exactly as the page wrote them.
      await t.sys.stopWorker();
      const before = { links: await count('SELECT count(*)::int AS n FROM sign_in_links'), sent: await count('SELECT count(*)::int AS n FROM notifications') };

      const web = new WebClient(t.url);
      const form = await web.get('/sign-in?lang=en');
      const a = await web.submit(form, '/sign-in/link', { email: known });
      const b = await web.submit(form, '/sign-in/link', { email: unknown });
      expect([a.status, b.status]).to.deep.equal([200, 200]);
      expect(a.html).to.contain(`If ${known} belongs to an account`);
      expect(withoutCsrf(a, known)).to.equal(withoutCsrf(b, unknown));

      const rows = await linkRows();
      expect(rows.map((r) => r.notification)).to.deep.equal([
        { email: known, lang: 'en' },
        { email: unknown, lang: 'en' },
      ]);
      for (const r of rows) {
        expect(r).to.include({ kind: 'sign_in_link', ticket_id: null, attempts: 0 });
        expect(r.key).to.match(/^sign-in:[0-9a-f-]{36}$/);
      }
      // Whether anyone has the address is not looked at on the request's path: no link, no e-mail yet.
      expect(await count('SELECT count(*)::int AS n FROM sign_in_links')).to.equal(before.links);
      expect(await count('SELECT count(*)::int AS n FROM notifications')).to.equal(before.sent);

      // The answer times, many of each, interleaved (the figures are in the report).
      const N = 150;
      const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
      for (let i = 0; i < N; i++) {
        for (const [which, email] of [['known', known], ['unknown', unknown]] as const) {
          const t0 = process.hrtime.bigint();
          const res = await web.request('POST', '/sign-in/link', { _csrf: csrfOf(form.html), email });
          times[which].push(Number(process.hrtime.bigint() - t0) / 1e6);
          expect(res.status).to.equal(200);
        }
      }
      const stats = (xs: number[]) => {
        const s = [...xs].sort((x, y) => x - y);
        const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2);
        return `median ${q(0.5)} ms, p90 ${q(0.9)} ms, mean ${(xs.reduce((x, y) => x + y, 0) / xs.length).toFixed(2)} ms`;
      };
      console.log(`      sign-in link answers, ${N} each: known address ${stats(times.known)}; unknown address ${stats(times.unknown)}`);
      const after = await linkRows();
      expect(after.filter((r) => r.notification.email === known)).to.have.length(N + 1);
      expect(after.filter((r) => r.notification.email === unknown)).to.have.length(N + 1);
      expect(await count('SELECT count(*)::int AS n FROM sign_in_links')).to.equal(before.links);

      // The sender decides, off the path: links for the account up to the mailbox's share (5 in 15
      // minutes), none for the stranger, and every row done with.
      await t.sys.startWorker();
      await eventually(async () => (await linkRows()).length === 0, 30_000, 'the outbox to send or drop every link request');
      await sleep(500);
      expect(t.inbox.find((m) => m.to.includes(known) && m.subject === 'Your sign-in link')).to.have.length(5);
      expect(t.inbox.find((m) => m.to.includes(unknown))).to.have.length(0);
    });

    it('checks the address in time linear in its length: the 100 kB address that took the old pattern seconds is refused at once', async () => {
      const web = new WebClient(t.url);
      const form = await web.get('/sign-in?lang=en');
      // Backtracking through every dot, quadratically, in /^[^\s@]+@[^\s@]+\.[^\s@]+$/ (about 11 s of CPU).
      const attack = 'a@' + '.'.repeat(100_000) + ' ';
      const t0 = Date.now();
      const res = await web.submit(form, '/sign-in/link', { email: attack });
      const elapsed = Date.now() - t0;
      expect(res.status).to.equal(400);
      expect(res.html).to.contain('Write an e-mail address such as');
      expect(elapsed, `${elapsed} ms`).to.be.lessThan(1_000);
      // What is shown back is cut to an address's length.
      expect(res.html.length).to.be.lessThan(20_000);
    });

    it('follows `next` after signing in only to a path of this site, read the way a browser reads it', async () => {
      const web = new WebClient(t.url);
      const form = await web.get('/sign-in');
      const signInWith = async (next: string) => {
        const res = await fetch(t.url + '/sign-in/token', {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `lc_csrf=${web.cookie('lc_csrf')}` },
          body: new URLSearchParams({ _csrf: csrfOf(form.html), token: t.techToken, next }).toString(),
        });
        expect(res.status, next).to.equal(303);
        return res.headers.get('location');
      };
      for (const elsewhere of ['//evil.example/x', '/\\evil.example', '/\t/evil.example', '/\n/evil.example', 'https://evil.example/', 'javascript:alert(1)', '/' + 'a'.repeat(100_000)]) {
        expect(await signInWith(elsewhere), JSON.stringify(elsewhere.slice(0, 30))).to.equal('/console');
      }
      expect(await signInWith('/console?assignee=me&impact=A')).to.equal('/console?assignee=me&impact=A');
      expect(await signInWith('/tickets/%2F%2Fevil.example')).to.equal('/tickets/%2F%2Fevil.example');
    });
  });
});
