// The outside edges of signing in, against the running system as an outsider meets it: browser
// sessions end with their user's tokens (revoked or reissued, also one opened while the revocation
// was under way), and the security headers of every answer (HSTS only over HTTPS) and what browsers
// may keep.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { System } from '../../runtime/system';
import { revokeTokens } from '../../services/access';
import { startApiReplica, startTestSystem, type TestSystem } from '../support/harness';
import { WebClient } from '../support/web-client';

describe('access edges: sessions, headers, sign-in links', function () {
  this.timeout(180_000);
  let t: TestSystem;
  const replicas: System[] = [];

  before(async () => {
    t = await startTestSystem({ label: 'edges' });
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
});
