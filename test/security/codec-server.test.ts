// The codec server (/codec) as an outsider meets it: it decrypts what Temporal keeps from everyone,
// so it answers staff only (a bearer token, or the console's session from the Temporal UI's origin),
// grants CORS to that origin alone, reads no body before it knows the caller, refuses malformed and
// oversized requests in the API's one error shape, and stops a flood of guesses or of requests.
import { expect } from 'chai';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ADMIN_TOKEN, startTestSystem, type TestSystem } from '../support/harness';
import { WebClient } from '../support/web-client';
import { keysOf, testCodec, testKeyEntry } from '../support/codec';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';
import { CODEC_MAX_PAYLOADS } from '../../api/routes/codec';

const UI = 'http://localhost:8233';
const LIMIT = { points: 25, windowS: 3600 };
const FAILED_TOKENS = { points: 6, windowS: 3600 };

type Wire = { metadata?: Record<string, string>; data?: string };
const toWire = (p: Payload): Wire => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromWire = (w: Wire): Payload => ({
  metadata: Object.fromEntries(Object.entries(w.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(w.data ?? '', 'base64'),
});
const secret = { customerName: 'Ferretería Núñez', email: 'ana@ferreteria.test' };
const encrypted = () => toWire(testCodec.encodeOne(defaultPayloadConverter.toPayload(secret)!));

describe('security: the codec server', function () {
  this.timeout(120_000);
  let t: TestSystem;
  let requesterToken: string;

  before(async () => {
    t = await startTestSystem({ label: 'codecsrv', codecLimit: LIMIT, rateLimits: { failedTokens: FAILED_TOKENS }, temporalUiUrl: UI });
    requesterToken = (await t.createCustomerFixture('advanced')).requesterToken;
  });
  after(async () => t?.stop());

  async function codec(path: string, o: { token?: string; cookie?: string; origin?: string; body?: unknown; raw?: string; headers?: Record<string, string>; method?: string } = {}) {
    const res = await fetch(`${t.url}/codec${path}`, {
      method: o.method ?? 'POST',
      headers: {
        'content-type': 'application/json',
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(o.cookie ? { cookie: o.cookie } : {}),
        ...(o.origin ? { origin: o.origin } : {}),
        ...o.headers,
      },
      body: o.method === 'OPTIONS' ? undefined : (o.raw ?? JSON.stringify(o.body ?? { payloads: [encrypted()] })),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: a test that expects JSON fails on it.
    }
    return { status: res.status, body, headers: res.headers };
  }

  /** A browser's session cookie, signed in to the pages with this token. */
  async function sessionOf(token: string): Promise<string> {
    const web = new WebClient(t.url);
    await web.submit('/sign-in?lang=en', '/sign-in/token', { token });
    const value = web.cookie('lc_session');
    if (!value) throw new Error('no session cookie');
    return `lc_session=${value}`;
  }

  it('staff decode with a bearer token (the CLI): exactly the payloads, plainly, kept by no cache', async () => {
    // The CLI sends X-Namespace empty when it was not told one (its default namespace).
    const res = await codec('/decode', { token: t.techToken, headers: { 'x-namespace': '' }, body: { payloads: [encrypted(), toWire(defaultPayloadConverter.toPayload('plain')!)] } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(res.body.payloads).to.have.length(2);
    expect(defaultPayloadConverter.fromPayload(fromWire(res.body.payloads[0]))).to.deep.equal(secret);
    expect(defaultPayloadConverter.fromPayload(fromWire(res.body.payloads[1]))).to.equal('plain');
    // Proto JSON's Payload fields and nothing else: the Go CLI refuses any other.
    for (const p of res.body.payloads) expect(Object.keys(p).every((k) => k === 'metadata' || k === 'data')).to.equal(true);
    // The bootstrap admin and a lead may too; encode then decode is the identity.
    const encoded = await codec('/encode', { token: ADMIN_TOKEN, body: { payloads: [toWire(defaultPayloadConverter.toPayload(secret)!)] } });
    expect(encoded.status).to.equal(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).to.equal('binary/encrypted');
    expect(Buffer.from(encoded.body.payloads[0].data, 'base64').toString('latin1')).to.not.contain('Ferreter');
    expect(defaultPayloadConverter.fromPayload(testCodec.decodeOne(fromWire(encoded.body.payloads[0])))).to.deep.equal(secret);
  });

  it('the Temporal UI in a signed-in browser: its preflight is granted, its call with the console session decodes', async () => {
    const preflight = await codec('/decode', { method: 'OPTIONS', origin: UI, headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    expect(preflight.status).to.equal(204);
    expect(preflight.headers.get('access-control-allow-origin')).to.equal(UI);
    expect(preflight.headers.get('access-control-allow-credentials')).to.equal('true');
    expect(preflight.headers.get('access-control-allow-methods')).to.equal('POST');
    expect(preflight.headers.get('access-control-allow-headers')!.toLowerCase()).to.contain('content-type').and.contain('x-namespace');
    const cookie = await sessionOf(t.techToken);
    const res = await codec('/decode', { cookie, origin: UI, headers: { 'x-namespace': 'default' } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.headers.get('access-control-allow-origin')).to.equal(UI);
    expect(res.headers.get('access-control-allow-credentials')).to.equal('true');
    expect(res.headers.get('vary')).to.match(/origin/i);
    // Not helmet's same-origin resource policy: the answer is for the UI's page.
    expect(res.headers.get('cross-origin-resource-policy')).to.equal('cross-origin');
    expect(defaultPayloadConverter.fromPayload(fromWire(res.body.payloads[0]))).to.deep.equal(secret);
  });

  it('strangers get 401 and requesters 403, by token or by session, and learn nothing of the payloads', async () => {
    for (const [who, o, status, code] of [
      ['no credentials', {}, 401, 'UNAUTHENTICATED'],
      ['no credentials, from the UI', { origin: UI }, 401, 'UNAUTHENTICATED'],
      ['a made-up session', { cookie: 'lc_session=s%3Aforged.forged' }, 401, 'UNAUTHENTICATED'],
      ['a requester token', { token: requesterToken }, 403, 'FORBIDDEN'],
      ['a requester session', { cookie: await sessionOf(requesterToken), origin: UI }, 403, 'FORBIDDEN'],
    ] as const) {
      for (const path of ['/decode', '/encode']) {
        const res = await codec(path, o);
        expect(res.status, `${who} ${path}`).to.equal(status);
        expect(res.body.error.code, who).to.equal(code);
        expect(JSON.stringify(res.body)).to.not.contain('Ferreter');
      }
    }
    // The UI can read why (its origin is granted even on a refusal).
    expect((await codec('/decode', { origin: UI })).headers.get('access-control-allow-origin')).to.equal(UI);
  });

  it('another origin gets no CORS grant and no answer, even with a staff session: no other site uses a signed-in person', async () => {
    const cookie = await sessionOf(t.techToken);
    for (const origin of ['https://evil.example', 'http://localhost:8234', t.url, 'null']) {
      const preflight = await codec('/decode', { method: 'OPTIONS', origin, headers: { 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('access-control-allow-origin'), origin).to.equal(null);
      expect(preflight.status, origin).to.equal(403);
      const res = await codec('/decode', { cookie, origin });
      expect(res.status, origin).to.equal(403);
      expect(res.body.error.code).to.equal('ORIGIN_NOT_ALLOWED');
      expect(res.headers.get('access-control-allow-origin')).to.equal(null);
      expect(JSON.stringify(res.body)).to.not.contain('Ferreter');
    }
  });

  it('malformed JSON, bodies and payloads are 400 in the one error shape; another media type 415; another namespace 400', async () => {
    const staff = { token: t.techToken };
    const cases: Array<[string, Parameters<typeof codec>[1], number, string]> = [
      ['not JSON', { ...staff, raw: '{"payloads": [' }, 400, 'MALFORMED_JSON'],
      ['no payloads', { ...staff, body: {} }, 400, 'VALIDATION_FAILED'],
      ['payloads not a list', { ...staff, body: { payloads: 'x' } }, 400, 'VALIDATION_FAILED'],
      ['data not base64', { ...staff, body: { payloads: [{ data: 'not base64!' }] } }, 400, 'VALIDATION_FAILED'],
      ['metadata not base64', { ...staff, body: { payloads: [{ metadata: { encoding: 'json/plain' } }] } }, 400, 'VALIDATION_FAILED'],
      ['too many payloads', { ...staff, body: { payloads: Array.from({ length: CODEC_MAX_PAYLOADS + 1 }, () => ({})) } }, 400, 'VALIDATION_FAILED'],
      ['text/plain', { ...staff, headers: { 'content-type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['another namespace', { ...staff, headers: { 'x-namespace': 'someone-else' } }, 400, 'NAMESPACE_NOT_SERVED'],
    ];
    for (const [what, o, status, code] of cases) {
      const res = await codec('/decode', o);
      expect(res.status, what).to.equal(status);
      expect(Object.keys(res.body), what).to.deep.equal(['error']);
      expect(res.body.error.code, what).to.equal(code);
      expect(res.body.error.message, what).to.be.a('string');
    }
  });

  it('a tampered payload, or one under a key the server does not hold, is 400 naming which and why', async () => {
    const tampered = encrypted();
    const bytes = Buffer.from(tampered.data!, 'base64');
    bytes[20] ^= 0xff;
    tampered.data = bytes.toString('base64');
    const foreign = toWire(new AesGcmPayloadCodec(keysOf(testKeyEntry('elsewhere'))).encodeOne(defaultPayloadConverter.toPayload(secret)!));
    for (const [what, payload, reason] of [
      ['tampered', tampered, 'NOT_AUTHENTIC'],
      ['another key', foreign, 'UNKNOWN_KEY_ID'],
    ] as const) {
      const res = await codec('/decode', { token: t.techToken, body: { payloads: [encrypted(), payload] } });
      expect(res.status, what).to.equal(400);
      expect(res.body.error.code).to.equal('PAYLOAD_NOT_DECODABLE');
      expect(res.body.error.details).to.deep.equal({ index: 1, reason });
      expect(JSON.stringify(res.body)).to.not.contain('Ferreter');
    }
  });

  it('an oversized body is 413 for staff, and is never read for a stranger (401)', async () => {
    const huge = JSON.stringify({ payloads: [{ data: Buffer.alloc(5 * 1024 * 1024, 1).toString('base64') }] });
    const res = await codec('/decode', { token: t.techToken, raw: huge });
    expect(res.status).to.equal(413);
    expect(res.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
    expect((await codec('/decode', { raw: huge })).status).to.equal(401);
  });

  // Last: they use up this system's limits.
  it('a flood of requests from one staff member is 429 past the codec limit, with Retry-After; others go on', async () => {
    const lead = await t.admin('POST', '/api/users', { name: 'Lea Lead', email: `lea.${Date.now()}@lastcall.test`, role: 'lead' });
    // The requests the tests above spent count too: go until the limit answers.
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof codec>> | undefined;
    for (let i = 0; i < LIMIT.points + 1 && last?.status !== 429; i++) {
      last = await codec('/decode', { token: t.techToken });
      statuses.push(last.status);
    }
    expect(last!.status, statuses.join(',')).to.equal(429);
    expect(statuses.slice(0, -1).every((s) => s === 200)).to.equal(true);
    expect(last!.body.error.code).to.equal('RATE_LIMITED');
    expect(last!.body.error.details).to.include({ limit: 'codec_requests_per_user', max: LIMIT.points, windowSeconds: LIMIT.windowS });
    expect(Number(last!.headers.get('retry-after'))).to.be.greaterThan(0);
    // Counted per person: the session of the same technician is limited too, a lead is not.
    expect((await codec('/decode', { cookie: await sessionOf(t.techToken), origin: UI })).status).to.equal(429);
    expect((await codec('/decode', { token: lead.body.token })).status).to.equal(200);
  });

  it('guessing tokens at the codec server counts against the API\'s failed-token limit: 429, then even a right token waits', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < FAILED_TOKENS.points + 1; i++) statuses.push((await codec('/decode', { token: `lcs_guess-${i}` })).status);
    expect(statuses.slice(0, FAILED_TOKENS.points)).to.deep.equal(Array(FAILED_TOKENS.points).fill(401));
    expect(statuses[FAILED_TOKENS.points]).to.equal(429);
    const right = await codec('/decode', { token: ADMIN_TOKEN });
    expect(right.status).to.equal(429);
    expect(right.body.error.details.limit).to.equal('failed_tokens');
  });
});
