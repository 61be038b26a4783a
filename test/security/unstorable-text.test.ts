// U+0000 and an unpaired UTF-16 surrogate (text Postgres cannot keep, domain/storable-text.ts) in
// every string field of every API body, query and path, in every page form, and in every ops Signal
// and Update, step and session Update sent straight to real workflows with the Temporal client.
// Each is refused in the same words: 400 VALIDATION_FAILED naming the field (the pages: the 400
// page; Temporal: VALIDATION_FAILED, or a step_refused event for a Signal, which has no caller) —
// never a 500, never a stuck ticket, and nothing half-stored.
import { expect } from 'chai';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { QueryTypes } from 'sequelize';
import { ADMIN_TOKEN, eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { WebClient } from '../support/web-client';
import { TicketEventRow } from '../../db/models';
import { UNSTORABLE_TEXT } from '../../domain/storable-text';
import {
  OPS_STEP_NAMES,
  OPS_STEP_SIGNALS,
  OPS_STEP_UPDATES,
  STEP_UPDATES,
  VALIDATION_FAILED,
  confirmSessionUpdate,
  customerMessageUpdate,
  declineSessionUpdate,
  opsRetryRecordSignal,
  opsRetryRecordUpdate,
  requestSessionUpdate,
  retryRecordUpdate,
  sessionEventSignal,
  sessionOutcomeUpdate,
  sessionStateQuery,
  slaStateQuery,
} from '../../workflows/definitions';
import type { StepKind } from '../../domain/ticket-lifecycle';

const BAD = { nul: 'bad\u0000text', surrogate: 'bad\ud800text' } as const;
type Bad = keyof typeof BAD;

/** Every string in a value, as the dotted path the refusal names ('technologies.0', 'endUser.name'). */
function stringPaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, prefix ? `${prefix}.${i}` : String(i)));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringPaths(v, prefix ? `${prefix}.${k}` : k));
  return [];
}

/** A copy of `value` with the string at `path` spoiled (the bad text put inside the good one, so formats still fail on it alone). */
function spoil<T>(value: T, path: string, bad: string): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys.at(-1)!;
  const good = String(at[last]);
  at[last] = good.slice(0, 1) + bad + good.slice(1);
  return copy as T;
}

describe('text no store can keep, everywhere', function () {
  this.timeout(300_000);
  let t: TestSystem;
  let lead: { token: string; email: string };
  let adv: { id: string; requesterToken: string; requesterEmail: string; requesterId: string };
  let productId: string;
  let ticket: { id: string; number: number; workflowId: string };
  let sessionId: string;
  let policy: unknown;

  before(async () => {
    // Far targets and session times: nothing fires while the test runs, so every change to a ticket is one of ours.
    const p = secondsPolicy(
      { A: { response: 'PT30M', resolution: 'PT2H' } },
      { sessions: { leadTime: 'PT1H', confirmWithin: 'PT1H', reminderBefore: 'PT10M', duration: 'PT30M', followUpEvery: 'PT1H', maxAttempts: 2, retryEvery: 'PT1H' } },
    );
    p.targets.advanced.A = { response: 'PT30M', resolution: 'PT2H' };
    t = await startTestSystem({ label: 'unstorable', policy: p });
    const l = await t.admin('POST', '/api/users', { name: 'Lea Lead', email: `lea.${Date.now()}@lastcall.test`, role: 'lead' });
    lead = { token: l.body.token, email: l.body.email };
    const a = await t.createCustomerFixture('advanced');
    adv = { id: a.id, requesterToken: a.requesterToken, requesterEmail: a.requesterEmail, requesterId: a.requesterId };
    productId = (await t.admin('GET', `/api/customers/${adv.id}/products`)).body.products[0].id;
    await t.admin('POST', '/api/brands/Zimbra/contacts', { name: 'Eng', email: 'eng@zimbra.test' });
    const x = await t.createTicket(adv.id, { productId });
    ticket = { id: x.id, number: x.number, workflowId: x.workflowId };
    const s = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: 'email', agenda: 'Look together' });
    expect(s.status, JSON.stringify(s.body)).to.equal(202);
    sessionId = s.body.id;
    // Proposed, and the ticket's history says so: from here on the ticket and its session stand still.
    await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.some((e: any) => e.type === 'session_proposed'), 20_000, 'the session proposed');
    policy = (await t.admin('GET', '/api/sla-policy')).body.policy;
  });
  after(async () => t?.stop());

  /** What a refused request must not have changed: every table a body could reach. */
  async function counts(): Promise<Record<string, number>> {
    const tables = ['customers', 'products', 'subscriptions', 'users', 'api_tokens', 'tickets', 'ticket_events', 'sessions', 'brand_contacts', 'sla_policies', 'audit_log', 'mail_outbox', 'ticket_records_stuck'];
    const out: Record<string, number> = {};
    for (const table of tables) out[table] = (await t.sys.sequelize.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`, { type: QueryTypes.SELECT }))[0].n;
    return out;
  }
  /**
   * The counts once the e-mails the set-up queued (the session's invitation, the tickets' receipts)
   * have left the outbox: the worker sends them in the background, whatever the test refuses.
   */
  async function settledCounts(): Promise<Record<string, number>> {
    await eventually(
      async () => (await t.sys.sequelize.query<{ n: number }>("SELECT count(*)::int AS n FROM mail_outbox WHERE due_at < 'infinity'", { type: QueryTypes.SELECT }))[0].n === 0,
      30_000,
      'the outbox to send what the set-up queued',
    );
    return counts();
  }
  const stuckTickets = async () => (await t.sys.sequelize.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket_records_stuck', { type: QueryTypes.SELECT }))[0].n;

  type Call = { method: string; path: string; token: string; body?: unknown; query?: Record<string, string> };

  /** Every API request that takes text, with a body (or query) it would take. */
  function apiCalls(): Call[] {
    const id = ticket.id;
    const tech = t.techToken;
    const steps: [StepKind, Record<string, unknown>][] = [
      ['assign', { assigneeEmail: t.techEmail }],
      ['assign', { assigneeId: t.techId }],
      ['respond', { via: 'email', message: 'On it' }],
      ['reply', { via: 'email', message: 'Try this' }],
      ['wait-for-customer', { message: 'Logs please' }],
      ['customer-replied', { message: 'Sent' }],
      ['resolve', { resolution: 'Restarted' }],
      ['reopen', { reason: 'Again' }],
      ['close', { reason: 'Done' }],
    ];
    return [
      { method: 'POST', path: '/api/tickets', token: adv.requesterToken, body: { type: 'problem', impact: 'B', subject: 'Mail down', description: 'Since 9', channel: 'api', productId, endUser: { name: 'Eva', email: 'eva@customer.test' } } },
      { method: 'POST', path: '/api/tickets', token: tech, body: { type: 'problem', impact: 'B', subject: 'By phone', description: 'Called', channel: 'phone', requesterId: adv.requesterId } },
      { method: 'GET', path: '/api/tickets', token: tech, query: { status: 'open', plan: 'advanced', impact: 'A', customerId: adv.id, breached: 'false', assignee: 'me', limit: '5', offset: '0' } },
      ...steps.map(([step, body]): Call => ({ method: 'POST', path: `/api/tickets/${id}/${step}`, token: tech, body })),
      { method: 'POST', path: `/api/tickets/${id}/retry-record`, token: lead.token, body: { note: 'nothing' } },
      { method: 'POST', path: `/api/tickets/${id}/specialist-session`, token: tech, body: { technology: 'email', startsAt: new Date(Date.now() + 86_400_000).toISOString(), agenda: 'Agenda' } },
      { method: 'POST', path: `/api/tickets/${id}/remote-session`, token: tech, body: { hostId: t.techId, startsAt: new Date(Date.now() + 86_400_000).toISOString(), agenda: 'Agenda' } },
      { method: 'POST', path: `/api/tickets/${id}/brand-meeting`, token: tech, body: { reason: 'Vendor bug', startsAt: new Date(Date.now() + 86_400_000).toISOString(), agenda: 'Agenda' } },
      { method: 'POST', path: `/api/tickets/${id}/sessions/${sessionId}/decline`, token: tech, body: { reason: 'Busy' } },
      { method: 'POST', path: `/api/tickets/${id}/sessions/${sessionId}/outcome`, token: tech, body: { outcome: 'rescheduled', notes: 'Later', startsAt: new Date(Date.now() + 86_400_000).toISOString() } },
      { method: 'POST', path: `/api/tickets/${id}/sessions/${sessionId}/confirm`, token: tech, body: { note: 'x' } },
      { method: 'POST', path: '/api/customers', token: ADMIN_TOKEN, body: { name: 'New Co', timezone: 'America/Santiago' } },
      { method: 'POST', path: `/api/customers/${adv.id}/products`, token: ADMIN_TOKEN, body: { brand: 'Veeam', name: 'Backup', technology: 'backup', purchaseConfirmedAt: '2026-01-01T00:00:00Z', licensesDeliveredAt: '2026-01-02T00:00:00Z', inForceUntil: '2027-01-01T00:00:00Z' } },
      { method: 'PATCH', path: `/api/customers/${adv.id}/products/${productId}`, token: ADMIN_TOKEN, body: { brand: 'Zimbra', name: 'Suite', technology: 'email', purchaseConfirmedAt: '2026-01-01T00:00:00Z' } },
      { method: 'POST', path: `/api/customers/${adv.id}/subscriptions`, token: ADMIN_TOKEN, body: { plan: 'advanced', term: 'monthly', startsAt: '2027-06-01T00:00:00Z' } },
      { method: 'POST', path: `/api/customers/${adv.id}/subscriptions/current/renew`, token: ADMIN_TOKEN, body: { term: 'annual' } },
      { method: 'POST', path: `/api/customers/${adv.id}/users`, token: ADMIN_TOKEN, body: { name: 'Rita', email: 'rita@customer.test', phone: '+56 2 1234' } },
      { method: 'POST', path: '/api/users', token: ADMIN_TOKEN, body: { name: 'Tina', email: 'tina@lastcall.test', role: 'technician', phone: '+56 9 1', technologies: ['email', 'backup'] } },
      { method: 'GET', path: '/api/users', token: ADMIN_TOKEN, query: { role: 'technician', customerId: adv.id } },
      { method: 'POST', path: '/api/brands/Zimbra/contacts', token: ADMIN_TOKEN, body: { name: 'Eng Two', email: 'eng2@zimbra.test', phone: '+1 555' } },
      { method: 'PUT', path: '/api/sla-policy', token: ADMIN_TOKEN, body: policy },
      {
        method: 'GET', path: '/api/reports/sla', token: lead.token,
        query: { from: '2026-10-01', to: '2026-11-01', groupBy: 'impact', timezone: 'UTC', customerId: adv.id, plan: 'advanced', impact: 'A', type: 'problem', channel: 'api', technician: t.techEmail, format: 'json', include: 'breaches' },
      },
      { method: 'GET', path: '/api/reports/sla', token: lead.token, query: { month: '2026-10' } },
      { method: 'GET', path: '/api/audit-log', token: ADMIN_TOKEN, query: { limit: '5', offset: '0', targetType: 'user', targetId: 'x' } },
    ];
  }

  async function send(c: Call, body: unknown, rawQuery?: string) {
    const qs = rawQuery ?? (c.query ? new URLSearchParams(c.query).toString() : '');
    const res = await fetch(`${t.url}${c.path}${qs ? `?${qs}` : ''}`, {
      method: c.method,
      headers: { authorization: `Bearer ${c.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // left as text: the assertion shows it
    }
    return { status: res.status, body: parsed };
  }

  function expectRefused(r: { status: number; body: any }, path: string, what: string) {
    expect(r.status, `${what}: ${JSON.stringify(r.body)}`).to.equal(400);
    expect(r.body.error.code, what).to.equal('VALIDATION_FAILED');
    expect(r.body.error.details, what).to.deep.include({ path, message: UNSTORABLE_TEXT });
  }

  it('the API: every string of every body and query, and keys, get 400 VALIDATION_FAILED naming the place; nothing changes', async () => {
    const before = await settledCounts();
    let cases = 0;
    for (const c of apiCalls()) {
      for (const path of stringPaths(c.body)) {
        for (const bad of Object.keys(BAD) as Bad[]) {
          expectRefused(await send(c, spoil(c.body, path, BAD[bad])), path, `${c.method} ${c.path} body ${path} (${bad})`);
          cases++;
        }
      }
      // A key that cannot be stored is named too (written with escapes).
      if (c.body !== undefined) {
        expectRefused(await send(c, { ...(c.body as object), ['k\u0000']: 'x' }), 'k\\u0000', `${c.method} ${c.path} key`);
        cases++;
      }
      // A query arrives as UTF-8 bytes: U+0000 (%00) can be sent, an unpaired surrogate cannot (it is
      // not UTF-8; %ED%A0%80 decodes to U+FFFD, which is storable), so it must not fail either.
      for (const [k, v] of Object.entries(c.query ?? {})) {
        const others = Object.entries(c.query!).filter(([x]) => x !== k).map(([x, y]) => `${x}=${encodeURIComponent(y)}`);
        expectRefused(await send(c, undefined, [...others, `${k}=${encodeURIComponent(v.slice(0, 1))}%00${encodeURIComponent(v.slice(1))}`].join('&')), `query.${k}`, `${c.method} ${c.path} query ${k}`);
        const replaced = await send(c, undefined, [...others, `${k}=%ED%A0%80`].join('&'));
        expect(replaced.status, `${c.path} query ${k} (broken UTF-8): ${JSON.stringify(replaced.body)}`).to.be.below(500);
        cases++;
      }
    }
    expect(cases).to.be.above(150);
    expect(await counts()).to.deep.equal(before);
  });

  it('the API: a path that carries one is refused too (an id, a brand, a session), never a 500', async () => {
    const before = await settledCounts();
    const paths = [
      ['GET', `/api/tickets/1%00`],
      ['GET', `/api/tickets/${ticket.id}/sessions`.replace(ticket.id, `${ticket.id}%00`)],
      ['POST', `/api/tickets/${ticket.id}/sessions/${sessionId}%00/confirm`],
      ['GET', '/api/brands/Zim%00bra/contacts'],
      ['POST', '/api/brands/Zim%00bra/contacts'],
      ['GET', `/api/customers/${adv.id}%00/products`],
      ['GET', `/api/customers/${adv.id}%00/entitlement`],
      ['GET', `/api/users/${t.techId}%00`],
      ['POST', `/api/users/${t.techId}%00/disable`],
      ['PATCH', `/api/customers/${adv.id}/products/${productId}%00`],
    ];
    for (const [method, path] of paths) {
      const body = method === 'GET' ? undefined : method === 'PATCH' ? { name: 'x' } : { name: 'Eng', email: 'e@zimbra.test' };
      const r = await send({ method, path, token: ADMIN_TOKEN }, body);
      expectRefused(r, 'path', `${method} ${path}`);
      // Bytes that are not UTF-8 in a path are a client's error, not ours.
      const broken = await send({ method, path: path.replace('%00', '%ED%A0%80'), token: ADMIN_TOKEN }, body);
      expect(broken.status, `${method} ${path} (broken UTF-8): ${JSON.stringify(broken.body)}`).to.be.below(500);
    }
    expect(await counts()).to.deep.equal(before);
  });

  it('the pages: every form (sign-in, new ticket, console steps and sessions, phone) and query answer the 400 page; nothing changes', async () => {
    const before = await settledCounts();
    const refusedPage = (r: { status: number; html: string }, what: string) => {
      expect(r.status, what).to.equal(400);
      expect(r.html, what).to.match(/no se puede guardar|cannot be stored/);
    };
    const nul = (s: string) => s.slice(0, 1) + '\u0000' + s.slice(1);
    // Signed out: the sign-in forms.
    const anon = new WebClient(t.url);
    refusedPage(await anon.submit('/sign-in', '/sign-in/token', { token: nul(adv.requesterToken) }), 'sign-in token');
    refusedPage(await anon.submit('/sign-in', '/sign-in/link', { email: nul(adv.requesterEmail) }), 'sign-in link');
    // A requester's new ticket.
    const requester = new WebClient(t.url);
    await requester.submit('/sign-in', '/sign-in/token', { token: adv.requesterToken });
    const ticketForm = { type: 'problem', impact: 'B', productId, subject: 'Mail down', description: 'Since 9', endUserName: 'Eva', endUserEmail: 'eva@customer.test' };
    for (const field of Object.keys(ticketForm)) {
      refusedPage(await requester.submit('/tickets/new', '/tickets', { ...ticketForm, [field]: nul((ticketForm as Record<string, string>)[field]) }), `new ticket ${field}`);
    }
    // The console: every step's form, the session forms, the phone form, a query.
    const tech = new WebClient(t.url);
    await tech.submit('/sign-in', '/sign-in/token', { token: t.techToken });
    const page = `/console/tickets/${ticket.number}`;
    const forms: [string, Record<string, string>][] = [
      ['steps/assign', { assigneeId: t.techId }],
      ['steps/respond', { via: 'email', message: 'On it' }],
      ['steps/reply', { via: 'email', message: 'Try this' }],
      ['steps/wait-for-customer', { message: 'Logs' }],
      ['steps/customer-replied', { message: 'Sent' }],
      ['steps/resolve', { resolution: 'Done' }],
      ['steps/reopen', { reason: 'Again' }],
      ['steps/close', { reason: 'Done' }],
      ['sessions/request/remote', { agenda: 'Agenda', startsAt: '2030-01-01T10:00' }],
      ['sessions/request/brand', { reason: 'Bug', agenda: 'Agenda' }],
      [`sessions/${sessionId}/decline`, { reason: 'Busy' }],
      [`sessions/${sessionId}/outcome`, { outcome: 'rescheduled', notes: 'Later' }],
    ];
    for (const [action, form] of forms) {
      for (const field of Object.keys(form)) refusedPage(await tech.submit(page, `${page}/${action}`, { ...form, [field]: nul(form[field]), _key: `k-${action}-${field}` }), `console ${action} ${field}`);
    }
    const phone = { requesterEmail: adv.requesterEmail, type: 'problem', impact: 'A', productId, subject: 'Called', description: 'By phone', endUserName: 'Eva', endUserEmail: 'eva@customer.test' };
    for (const field of Object.keys(phone)) refusedPage(await tech.submit('/console/phone', '/console/phone', { ...phone, [field]: nul((phone as Record<string, string>)[field]) }), `phone ${field}`);
    refusedPage(await tech.get('/console?status=op%00en'), 'console query');
    refusedPage(await tech.get(`/console/tickets/${ticket.number}%00`), 'console path');
    refusedPage(await tech.get('/console/tickets/%ED%A0%80'), 'console path, not UTF-8');
    refusedPage(await requester.get(`/tickets/${ticket.number}%00`), 'requester path');
    refusedPage(await tech.get(`/console/phone?requesterEmail=${encodeURIComponent(nul(adv.requesterEmail))}`), 'phone lookup query');
    const leadWeb = new WebClient(t.url);
    await leadWeb.submit('/sign-in', '/sign-in/token', { token: lead.token });
    refusedPage(await leadWeb.get('/reports?from=2026-10-01%00'), 'report query');
    refusedPage(await leadWeb.submit(page, `${page}/retry-record`, { note: nul('x') }), 'retry-record');
    expect(await counts()).to.deep.equal(before);
  });

  describe('straight to the workflows, with the Temporal client', function () {
    const handle = () => t.sys.temporal.workflow.getHandle(ticket.workflowId);
    const events = async () => (await TicketEventRow.findAll({ where: { ticketId: ticket.id }, order: [['seq', 'ASC']] })).map((e) => e.get({ plain: true }));
    async function refusedUpdate(p: Promise<unknown>, what: string): Promise<void> {
      const err = await p.then(() => null, (e) => e);
      expect(err, what).to.be.instanceOf(WorkflowUpdateFailedError);
      expect(err.cause, what).to.be.instanceOf(ApplicationFailure);
      expect((err.cause as ApplicationFailure).type, what).to.equal(VALIDATION_FAILED);
    }
    const opsPayloads: [StepKind, Record<string, unknown>][] = [
      ['assign', { assigneeEmail: 'tom@lastcall.test' }],
      ['respond', { via: 'email', message: 'On it' }],
      ['reply', { via: 'email', message: 'Try this' }],
      ['wait-for-customer', { message: 'Logs' }],
      ['customer-replied', { message: 'Sent' }],
      ['resolve', { resolution: 'Done' }],
      ['reopen', { reason: 'Again' }],
      ['close', { reason: 'Done' }],
    ];

    it('ops Signals are recorded as step_refused naming the field (never under an actor that cannot be stored), and change nothing else', async () => {
      // Every ops step has its case here.
      expect(opsPayloads.map(([k]) => k).sort()).to.deep.equal(Object.keys(OPS_STEP_NAMES).sort());
      const before = await events();
      const state = await handle().query(slaStateQuery);
      let sent = 0;
      const expected: { step: string; path: string; actor: string }[] = [];
      for (const [kind, body] of [...opsPayloads, ['retry-record', {}] as [string, Record<string, unknown>]]) {
        const payload = { actor: lead.email, ...body };
        for (const path of stringPaths(payload)) {
          for (const bad of Object.values(BAD)) {
            const signal = kind === 'retry-record' ? opsRetryRecordSignal : OPS_STEP_SIGNALS[kind as StepKind];
            await handle().signal(signal, spoil(payload, path, bad));
            expected.push({ step: kind, path, actor: path === 'actor' ? 'ops:unknown' : `ops:${lead.email}` });
            sent++;
          }
        }
      }
      const es = await eventually(async () => {
        const now = await events();
        return now.length === before.length + sent ? now : null;
      }, 30_000, 'every refusal recorded');
      const refusals = es.slice(before.length);
      refusals.forEach((e, i) => {
        expect(e.type).to.equal('step_refused');
        expect(e.actor).to.equal(expected[i].actor);
        expect(e.data.step).to.equal(expected[i].step);
        expect((e.data.issues as string[]).join(' ')).to.contain(`${expected[i].path}: ${UNSTORABLE_TEXT}`);
      });
      // The ticket is as it was; nothing is stuck.
      const after = await handle().query(slaStateQuery);
      expect([after.status, after.assignee, after.respondedVia, after.recordStuck]).to.deep.equal([state.status, state.assignee, state.respondedVia, null]);
      expect(await stuckTickets()).to.equal(0);
    });

    it('ops and step Updates, the customer\'s message, a session request and a retry are refused before they are accepted: VALIDATION_FAILED, nothing recorded', async () => {
      const before = (await events()).length;
      for (const [kind, body] of opsPayloads) {
        const payload = { actor: lead.email, ...body };
        for (const path of stringPaths(payload)) for (const bad of Object.values(BAD)) await refusedUpdate(handle().executeUpdate(OPS_STEP_UPDATES[kind], { args: [spoil(payload, path, bad)] }), `ops ${kind} ${path}`);
      }
      for (const bad of Object.values(BAD)) await refusedUpdate(handle().executeUpdate(opsRetryRecordUpdate, { args: [{ actor: spoil({ a: lead.email }, 'a', bad).a }] }), 'ops retry-record');
      // Texts travel as references to what the API stored (domain/ticket-texts.ts).
      const ref = { textId: '6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', chars: 5 };
      const stepArgs: Record<StepKind, Record<string, unknown>> = {
        assign: { actor: t.techEmail, assignee: { name: 'Tom', email: 'tom@lastcall.test' } },
        respond: { actor: t.techEmail, via: 'email', message: ref },
        reply: { actor: t.techEmail, via: 'email', message: ref },
        'wait-for-customer': { actor: t.techEmail, message: ref },
        'customer-replied': { actor: t.techEmail, message: ref },
        resolve: { actor: t.techEmail, resolution: ref },
        reopen: { actor: t.techEmail, reason: 'Again' },
        close: { actor: t.techEmail, reason: 'Done' },
      };
      for (const [kind, args] of Object.entries(stepArgs) as [StepKind, Record<string, unknown>][]) {
        for (const path of stringPaths(args)) for (const bad of Object.values(BAD)) await refusedUpdate(handle().executeUpdate(STEP_UPDATES[kind] as never, { args: [spoil(args, path, bad)] }), `step ${kind} ${path}`);
      }
      const message = { actor: adv.requesterEmail, via: 'email', message: ref, subject: 'Re', messageId: '<m@x>', attachments: [{ id: 'a1', filename: 'log.txt', size: 3 }] };
      for (const path of stringPaths(message)) for (const bad of Object.values(BAD)) await refusedUpdate(handle().executeUpdate(customerMessageUpdate, { args: [spoil(message, path, bad) as never] }), `customer message ${path}`);
      const session = {
        actor: t.techEmail, kind: 'remote', reason: 'Why', technology: 'email', brand: 'zimbra', agenda: 'Agenda', host: { name: 'Tom', email: t.techEmail },
        requester: { name: 'Ana', email: adv.requesterEmail }, endUser: { name: 'Eva', email: 'eva@customer.test' },
        timings: { leadTimeMs: 6000, confirmWithinMs: 4000, reminderBeforeMs: 3000, durationMs: 2000, followUpEveryMs: 2000, maxAttempts: 2, retryEveryMs: 60000, calendar: null },
      };
      for (const path of stringPaths(session).filter((p) => p !== 'kind')) for (const bad of Object.values(BAD)) await refusedUpdate(handle().executeUpdate(requestSessionUpdate, { args: [spoil(session, path, bad) as never] }), `session request ${path}`);
      for (const bad of Object.values(BAD)) await refusedUpdate(handle().executeUpdate(retryRecordUpdate, { args: [{ actor: spoil({ a: lead.email }, 'a', bad).a }] }), 'retry-record');
      // The session's own Updates.
      const s = t.sys.temporal.workflow.getHandle(sessionId);
      const sessionBefore = await s.query(sessionStateQuery);
      for (const bad of Object.values(BAD)) {
        await refusedUpdate(s.executeUpdate(confirmSessionUpdate, { args: [{ actor: spoil({ a: t.techEmail }, 'a', bad).a }] }), 'session confirm');
        await refusedUpdate(s.executeUpdate(declineSessionUpdate, { args: [{ actor: t.techEmail, reason: bad }] }), 'session decline');
        await refusedUpdate(s.executeUpdate(sessionOutcomeUpdate, { args: [{ actor: t.techEmail, outcome: 'rescheduled', notes: bad }] }), 'session outcome');
      }
      await sleep(500);
      expect((await events()).length, 'nothing recorded').to.equal(before);
      expect((await s.query(sessionStateQuery)).status).to.equal(sessionBefore.status);
      expect(await stuckTickets()).to.equal(0);
    });

    it('a session event signal that carries one is dropped, not recorded (it would leave the ticket stuck)', async () => {
      const before = (await events()).length;
      for (const bad of Object.values(BAD)) {
        await handle().signal(sessionEventSignal, { sessionId, kind: 'specialist', type: 'declined', at: Date.now(), actor: 'tom@lastcall.test', status: 'waiting', attempt: 1, startsAt: null, host: null, data: { reason: bad } });
      }
      await sleep(1_000);
      expect((await events()).length).to.equal(before);
      expect((await handle().query(slaStateQuery)).recordStuck).to.equal(null);
      expect(await stuckTickets()).to.equal(0);
      // And the ticket still takes a step, recorded as ever.
      const r = await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Still here' });
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      await eventually(async () => (await events()).some((e) => e.type === 'responded'), 20_000, 'responded recorded');
    });
  });
});
