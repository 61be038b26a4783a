// The API's answers to bad input: one error shape, the right status, never a stack trace or HTML.
import { expect } from 'chai';
import { ADMIN_TOKEN, startTestSystem, type TestSystem } from '../support/harness';

function expectErrorShape(res: { status: number; body: any; headers: Headers }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers.get('content-type')).to.match(/^application\/json/);
  expect(res.body).to.have.all.keys('error');
  expect(res.body.error.code).to.equal(code);
  expect(res.body.error.message).to.be.a('string').and.not.match(/at .+\.(ts|js):\d+/);
}

describe('API errors and health', function () {
  let t: TestSystem;
  let customerId: string;
  const valid = () => ({
    requesterId: t.customer(customerId).requesterId,
    type: 'query',
    impact: 'C',
    subject: 'How do I renew?',
    description: 'Where is the renewal form?',
  });

  before(async () => {
    t = await startTestSystem({ label: 'errors' });
    customerId = await t.createCustomer('standard');
  });
  after(async () => t?.stop());

  it('400 MALFORMED_JSON for a body that is not JSON, without a stack trace or HTML', async () => {
    const res = await t.api('POST', '/api/tickets', '{"customerId": ');
    expectErrorShape(res, 400, 'MALFORMED_JSON');
  });

  it('400 VALIDATION_FAILED with the offending fields', async () => {
    const res = await t.api('POST', '/api/tickets', { ...valid(), impact: 'Z', endUser: { email: 'not-an-email' } });
    expectErrorShape(res, 400, 'VALIDATION_FAILED');
    const paths = res.body.error.details.map((d: any) => d.path);
    expect(paths).to.include('impact').and.to.include('endUser.email');
    expectErrorShape(await t.api('POST', '/api/tickets', [1, 2]), 400, 'VALIDATION_FAILED');
    expectErrorShape(await t.api('POST', '/api/tickets', { ...valid(), extra: true }), 400, 'VALIDATION_FAILED');
    expectErrorShape(await t.api('POST', '/api/tickets/x/respond', { via: 'carrier-pigeon', message: 'hi' }), 400, 'VALIDATION_FAILED');
  });

  it('415 for a body that is not JSON by content type', async () => {
    const res = await t.api('POST', '/api/tickets', 'subject=hi', { 'content-type': 'text/plain' });
    expectErrorShape(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('413 for a body over the limit', async () => {
    const res = await t.api('POST', '/api/tickets', { ...valid(), description: 'x'.repeat(200_000) });
    expectErrorShape(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('404 for an unknown ticket, an unknown step and an unknown route', async () => {
    expectErrorShape(await t.api('GET', '/api/tickets/00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    expectErrorShape(await t.api('GET', '/api/tickets/999999999'), 404, 'NOT_FOUND');
    expectErrorShape(await t.api('GET', '/api/tickets/../../etc/passwd'), 404, 'ROUTE_NOT_FOUND');
    expectErrorShape(await t.api('POST', '/api/tickets/00000000-0000-4000-8000-000000000000/respond', { via: 'email', message: 'hi' }), 404, 'NOT_FOUND');
    const ticket = await t.createTicket(customerId);
    expectErrorShape(await t.api('POST', `/api/tickets/${ticket.id}/escalate-to-mars`, {}), 404, 'UNKNOWN_STEP');
    expectErrorShape(await t.api('GET', '/nope'), 404, 'ROUTE_NOT_FOUND');
  });

  it('422 for a ticket filed for a requester that does not exist, and nothing is stored', async () => {
    const before = (await t.api('GET', '/api/tickets')).body.total;
    const res = await t.api('POST', '/api/tickets', { ...valid(), requesterId: '00000000-0000-4000-8000-000000000000' });
    expectErrorShape(res, 422, 'UNKNOWN_REQUESTER');
    expect((await t.api('GET', '/api/tickets')).body.total).to.equal(before);
  });

  it('401 without a token or with a wrong one, 403 for a role that may not', async () => {
    expectErrorShape(await t.api('PUT', '/api/sla-policy', {}, { authorization: '' }), 401, 'UNAUTHENTICATED');
    expectErrorShape(await t.api('GET', '/api/tickets', undefined, { authorization: 'Bearer wrong-token' }), 401, 'INVALID_TOKEN');
    expectErrorShape(await t.api('POST', '/api/customers', { name: 'X' }, { authorization: '' }), 401, 'UNAUTHENTICATED');
    expectErrorShape(await t.api('PUT', '/api/sla-policy', {}), 403, 'FORBIDDEN');
    const ok = await t.api('GET', '/api/customers', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok.status).to.equal(200);
  });

  it('the SLA policy can be read by anyone signed in, and replacing it validates every duration', async () => {
    const current = await t.api('GET', '/api/sla-policy');
    expect(current.status).to.equal(200);
    expect(current.body.policy.targets.standard.A).to.deep.equal({ response: 'PT2H', resolution: 'PT8H' });
    const bad = structuredClone(current.body.policy);
    bad.targets.advanced.B.response = 'two hours';
    bad.targets.standard.C.resolution = 'P1M';
    const res = await t.admin('PUT', '/api/sla-policy', bad);
    expectErrorShape(res as any, 400, 'VALIDATION_FAILED');
    const paths = (res.body as any).error.details.map((d: any) => d.path);
    expect(paths).to.include('targets.advanced.B.response').and.to.include('targets.standard.C.resolution');
    // A rejected policy changes nothing.
    expect((await t.api('GET', '/api/sla-policy')).body).to.deep.equal(current.body);
  });

  it('healthz says the process is up; readyz checks Postgres and Temporal', async () => {
    const h = await t.api('GET', '/healthz');
    expect(h.status).to.equal(200);
    const r = await t.api('GET', '/readyz');
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({ status: 'ready', postgres: 'ok', temporal: 'ok' });
  });

  it('an idle connection is kept longer than a balancer keeps its own (65 s), so nobody reuses one we closed', async () => {
    const h = await t.api('GET', '/healthz');
    expect(h.headers.get('keep-alive')).to.equal('timeout=65');
  });

  it('every response carries a request id', async () => {
    const res = await t.api('GET', '/healthz', undefined, { 'x-request-id': 'abc-123' });
    expect(res.headers.get('x-request-id')).to.equal('abc-123');
  });
});
