// The system's own log stream, captured line by line while real requests go through it: every line
// is JSON, lines about a ticket carry its number and workflow id, request lines carry the request
// id, and no credential (bearer tokens, the admin token, cookies, CSRF tokens, sign-in links) is in it.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ADMIN_TOKEN, startTestSystem, type TestSystem } from '../support/harness';
import { WebClient, csrfOf } from '../support/web-client';
import { createLogger } from '../../runtime/logger';
import { SESSION_COOKIE } from '../../web';

type Line = Record<string, any>;

describe('structured logs', function () {
  let t: TestSystem;
  const raw: string[] = [];
  const lines = () => raw.map((l) => JSON.parse(l) as Line);

  before(async () => {
    const log = createLogger('info', 'logs-test', { write: (s: string) => void raw.push(s) });
    t = await startTestSystem({ label: 'logs', log });
  });
  after(async () => t?.stop());

  it('carry the request id and the ticket number and workflow id, and never a token', async () => {
    const c = await t.createCustomerFixture('standard');
    const intakeId = `logs-intake-${randomBytes(4).toString('hex')}`;
    const filed = await t.as(c.requesterToken)('POST', '/api/tickets', { type: 'problem', impact: 'B', subject: 'Logs', description: 'Mail is slow' }, { 'x-request-id': intakeId });
    expect(filed.status, JSON.stringify(filed.body)).to.equal(201);
    const ticket = filed.body;
    const stepId = `logs-step-${randomBytes(4).toString('hex')}`;
    const assigned = await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeId: t.techId }, { 'x-request-id': stepId });
    expect(assigned.status, JSON.stringify(assigned.body)).to.equal(200);

    // A one-time sign-in link: its token is in the URL the browser opens.
    const web = new WebClient(t.url);
    const form = await web.get('/sign-in?lang=en');
    await web.submit(form, '/sign-in/link', { email: c.requesterEmail });
    const mail = await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.subject === 'Your sign-in link');
    const linkPath = new URL(/http:\/\/\S+\/sign-in\/link\/\S+/.exec(mail.text)![0]).pathname;
    const linkToken = linkPath.split('/').pop()!;
    const confirm = await web.get(linkPath);
    const signedIn = await web.submit(confirm, linkPath, {});
    expect(signedIn.url).to.match(/\/tickets$/);
    const session = web.cookie(SESSION_COOKIE)!;
    expect(session).to.be.a('string');

    // Access-log lines are written when the response finishes: give the last one a moment.
    await new Promise((r) => setTimeout(r, 200));
    const all = lines();
    const text = raw.join('');
    for (const [what, secret] of [
      ['requester token', c.requesterToken],
      ['technician token', t.techToken],
      ['ADMIN_TOKEN', ADMIN_TOKEN],
      ['sign-in link token', linkToken],
      ['session cookie', session],
      ['CSRF token', csrfOf(form.html)],
    ] as const) {
      expect(text.includes(secret), `${what} in the logs`).to.equal(false);
    }

    const received = all.find((l) => l.msg === 'ticket received' && l.ticketNumber === ticket.number);
    expect(received, 'a "ticket received" line').to.not.equal(undefined);
    expect(received).to.include({ reqId: intakeId, workflowId: ticket.workflowId, plan: 'standard', impact: 'B', channel: 'api' });

    const intakeAccess = all.find((l) => l.reqId === intakeId && l.msg === 'request completed');
    expect(intakeAccess, 'the intake access-log line').to.not.equal(undefined);
    expect(intakeAccess).to.include({ ticketNumber: ticket.number, workflowId: ticket.workflowId });
    expect(intakeAccess!.req).to.include({ method: 'POST', url: '/api/tickets' });
    expect(intakeAccess!.req.headers.authorization).to.equal('[Redacted]');

    const step = all.find((l) => l.msg === 'step applied' && l.reqId === stepId);
    expect(step, 'a "step applied" line').to.not.equal(undefined);
    expect(step).to.include({ ticketNumber: ticket.number, workflowId: ticket.workflowId, step: 'assign' });

    const linkLines = all.filter((l) => typeof l.req?.url === 'string' && l.req.url.startsWith('/sign-in/link/'));
    expect(linkLines.map((l) => l.req.url)).to.deep.equal(['/sign-in/link/[Redacted]', '/sign-in/link/[Redacted]']);
    const signInPost = linkLines.find((l) => l.req.method === 'POST')!;
    expect(signInPost.req.headers.cookie).to.equal('[Redacted]');
    expect(signInPost.res.headers['set-cookie']).to.equal('[Redacted]');

    // Every request line has its request id, and the id is the one the response carried.
    const access = all.filter((l) => l.msg === 'request completed' || l.msg === 'request errored');
    expect(access.length).to.be.above(5);
    for (const l of access) expect(l.reqId, JSON.stringify(l.req)).to.be.a('string').and.equal(l.req.id);
  });
});
