// The outside edges of signing in, against the running system as an outsider meets it: the
// security headers of every answer (HSTS only over HTTPS) and what browsers may keep.
import { expect } from 'chai';
import type { System } from '../../runtime/system';
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

  async function signedIn(token: string) {
    const web = new WebClient(t.url);
    const page = await web.submit('/sign-in?lang=en', '/sign-in/token', { token });
    return { web, page };
  }

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
