// Fault: malformed and hostile input, generated (fast-check). Whatever arrives, the API never
// answers 5xx, never leaks a stack trace, and every refusal has the one error shape.
import { expect } from 'chai';
import fc from 'fast-check';
import { ADMIN_TOKEN, startTestSystem, type TestSystem } from '../../support/harness';
import { LONG } from '../../support/faults';

describe('fault: hostile input to the API (property-based)', function () {
  this.timeout(LONG ? 900_000 : 120_000);
  let t: TestSystem;
  let ticket: any;
  let requesterToken: string;

  before(async () => {
    // A fifth of the runs send a garbage token, all from 127.0.0.1: with the default budget of
    // wrong tokens (30 in 15 minutes) the rest of the run would only see 429s, and the fuzz is
    // about what lies behind authentication. The limit itself is test/security/rate-limits.test.ts's.
    t = await startTestSystem({ label: 'fuzz', rateLimits: { failedTokens: { points: 100_000, windowS: 900 } } });
    const c = await t.createCustomerFixture('advanced');
    requesterToken = c.requesterToken;
    ticket = await t.createTicket(c.id, { impact: 'C' });
  });
  after(async () => t?.stop());

  const json = fc.jsonValue({ maxDepth: 4 });
  const hostile = fc.oneof(
    fc.constant('__proto__'),
    fc.constant('constructor'),
    fc.constant('../../etc/passwd'),
    fc.constant("' OR 1=1 --"),
    fc.constant('<script>alert(1)</script>'),
    fc.constant('\u0000'),
    fc.constant('9'.repeat(40)),
    fc.string({ maxLength: 50 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  );
  const field = fc.oneof(json, hostile, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  const body = fc.oneof(
    fc.dictionary(fc.oneof(hostile, fc.constantFrom('type', 'impact', 'subject', 'description', 'channel', 'productId', 'endUser', 'requesterId', 'via', 'message', 'resolution', 'assigneeId', 'outcome', 'notes', 'startsAt', 'technology', 'reason')), field, { maxKeys: 8 }),
    json,
    hostile,
  );
  const pathOf = (id: string) =>
    fc.oneof(
      fc.constant('/api/tickets'),
      fc.constantFrom(...['respond', 'resolve', 'assign', 'reopen', 'close', 'wait-for-customer', 'customer-replied', 'specialist-session', 'brand-meeting', 'remote-session', 'sessions'].map((s) => `/api/tickets/${id}/${s}`)),
      fc.constantFrom('/api/sla-policy', '/api/customers', '/api/users', '/api/brands/x/contacts', '/api/audit-log', '/api/me', '/readyz'),
      hostile.map((h) => `/api/tickets/${encodeURIComponent(h)}`),
      hostile.map((h) => `/api/tickets?status=${encodeURIComponent(h)}&limit=${encodeURIComponent(h)}`),
    );
  const contentType = fc.constantFrom('application/json', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8');
  const raw = fc.oneof(body.map((b) => JSON.stringify(b) ?? 'null'), fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"a":', '[1,2', '{"__proto__":{"admin":true}}', 'null', '"x"', '1e999'));

  it('never a 5xx, never a stack trace, always the one error shape', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
          path: pathOf(String(ticket.number)),
          raw,
          contentType,
          who: fc.constantFrom('tech', 'requester', 'admin', 'none', 'garbage'),
          key: fc.option(hostile, { nil: undefined }),
        }),
        async (r) => {
          const auth = { tech: t.techToken, requester: requesterToken, admin: ADMIN_TOKEN, none: '', garbage: 'x'.repeat(300) }[r.who];
          const headers: Record<string, string> = { 'content-type': r.contentType };
          if (auth) headers.authorization = `Bearer ${auth}`;
          if (r.key !== undefined) headers['idempotency-key'] = r.key.replace(/[\r\n\u0000]/g, '');
          let res: Response;
          try {
            res = await fetch(t.url + r.path, { method: r.method, headers, body: r.method === 'GET' || r.method === 'DELETE' ? undefined : r.raw });
          } catch {
            return; // the HTTP client itself refused to send it (e.g. an invalid header): not the API's answer
          }
          const text = await res.text();
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          expect(res.status, `${r.method} ${r.path} ${text}`).to.be.lessThan(500);
          expect(text, 'stack trace').to.not.match(/\n\s+at .+\(.*:\d+:\d+\)|node_modules|\.ts:\d+/);
          if (res.status >= 400) {
            const parsed = JSON.parse(text);
            expect(Object.keys(parsed)).to.deep.equal(['error']);
            expect(parsed.error.code).to.match(/^[A-Z_]+$/);
            expect(parsed.error.message).to.be.a('string').and.not.empty;
          }
        },
      ),
      { numRuns: LONG ? 5_000 : 400, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    // The generator reached past authentication and validation, not only the front door.
    expect([...seen.keys()].some((s) => s === 200 || s === 201 || s === 202 || s === 409 || s === 422), JSON.stringify([...seen])).to.equal(true);
  });
});
