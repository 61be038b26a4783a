// /metrics after real tickets' lives on the real engine (second-scale policy): the counters move by
// exactly the events that happened. Counters are per process and other test files may have run in
// this one before, so every check is a difference between a scrape before and one after.
import { expect } from 'chai';
import { LEAD, eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { Scrape } from '../support/prometheus';
import { directRecord } from '../support/direct-record';
import { temporalMetricsAddress } from '../../runtime/temporal-runtime';

type Expected = Array<[name: string, labels: Record<string, string>, delta: number]>;

describe('metrics (/metrics in Prometheus format)', function () {
  let t: TestSystem;

  before(async () => {
    // Standard A: response 3 s, resolution 6 s, a warning at half of each; Standard B keeps the
    // default hours, so a ticket worked by hand never breaches.
    t = await startTestSystem({ label: 'metrics', policy: secondsPolicy() });
  });
  after(async () => t?.stop());

  async function scrape(): Promise<Scrape> {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    return new Scrape(await res.text());
  }

  const deltas = (before: Scrape, after: Scrape, expected: Expected) => expected.map(([name, labels]) => after.value(name, labels) - before.value(name, labels));

  /** Waits until every expected delta is reached (events land asynchronously), then lets any extra one show. */
  async function moved(before: Scrape, expected: Expected): Promise<Scrape> {
    await eventually(async () => deltas(before, await scrape(), expected).every((d, i) => d >= expected[i][2]), 20_000, 'the counters to move');
    await sleep(1_000);
    const after = await scrape();
    const described = (values: number[]) => expected.map(([name, labels], i) => `${name}${JSON.stringify(labels)} ${values[i]}`);
    expect(described(deltas(before, after, expected))).to.deep.equal(described(expected.map((e) => e[2])));
    return after;
  }

  it('is open like /healthz and carries no ids, tokens or addresses', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).to.equal(200);
    const text = await res.text();
    expect(text).to.include('# TYPE lastcall_tickets_received_total counter');
    expect(text).to.include('# TYPE lastcall_http_request_duration_seconds histogram');
    expect(text).to.include('lastcall_process_cpu_seconds_total');
    expect(text).not.to.include(t.techToken);
    expect(text).not.to.include(t.techEmail);
  });

  it("a ticket's life (intake, assign, respond, resolve) moves tickets, steps, targets met, e-mails and latency by exactly its events", async () => {
    const c = await t.createCustomerFixture('standard');
    const before = await scrape();
    const ticket = await t.createTicket(c.id, { impact: 'B' });
    for (const [step, body] of [
      ['assign', { assigneeId: t.techId }],
      ['respond', { via: 'email', message: 'Restarting the MTA' }],
      ['resolve', { resolution: 'The queue drained' }],
    ] as const) {
      const res = await t.api('POST', `/api/tickets/${ticket.id}/${step}`, body);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    }
    expect((await t.api('GET', `/api/tickets/${ticket.number}`)).status).to.equal(200);
    await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.subject.includes(`#${ticket.number}`) && m.subject.includes('Resolved'));

    const std = { plan: 'standard', impact: 'B' };
    const after = await moved(before, [
      ['lastcall_tickets_received_total', { ...std, channel: 'api' }, 1],
      ['lastcall_ticket_steps_total', { step: 'assigned' }, 1],
      ['lastcall_ticket_steps_total', { step: 'responded' }, 1],
      ['lastcall_ticket_steps_total', { step: 'resolved' }, 1],
      ['lastcall_ticket_steps_total', { step: 'closed' }, 0],
      ['lastcall_sla_targets_total', { ...std, clock: 'response', outcome: 'met' }, 1],
      ['lastcall_sla_targets_total', { ...std, clock: 'resolution', outcome: 'met' }, 1],
      ['lastcall_sla_targets_total', { ...std, outcome: 'breached' }, 0],
      ['lastcall_emails_total', { kind: 'received', outcome: 'sent' }, 1],
      ['lastcall_emails_total', { kind: 'responded', outcome: 'sent' }, 1],
      ['lastcall_emails_total', { kind: 'resolved', outcome: 'sent' }, 1],
      ['lastcall_emails_total', { outcome: 'failed' }, 0],
      ['lastcall_http_request_duration_seconds_count', { method: 'POST', route: '/api/tickets', status: '201' }, 1],
      ['lastcall_http_request_duration_seconds_count', { method: 'POST', route: '/api/tickets/:id/:step', status: '200' }, 3],
      ['lastcall_http_request_duration_seconds_count', { method: 'GET', route: '/api/tickets/:id', status: '200' }, 1],
    ]);
    // Route patterns, never the request's own path: a ticket's id or number is no label value.
    const routes = new Set(after.samples.filter((s) => s.name === 'lastcall_http_request_duration_seconds_count').map((s) => s.labels.route));
    expect([...routes].filter((r) => r.includes(ticket.id) || r.includes(String(ticket.number)))).to.deep.equal([]);
    expect(after.value('lastcall_http_request_duration_seconds_bucket', { route: '/api/tickets/:id/:step', status: '200', le: '+Inf' })).to.be.at.least(3);
  });

  it('a ticket nobody answers counts its warnings and both targets breached, once each', async () => {
    const c = await t.createCustomerFixture('standard');
    const before = await scrape();
    const ticket = await t.createTicket(c.id, { impact: 'A' });
    await t.inbox.waitFor((m) => m.to.includes(LEAD) && m.subject.includes(`#${ticket.number}`) && m.subject.includes('BREACHED: resolution'));

    const std = { plan: 'standard', impact: 'A' };
    await moved(before, [
      ['lastcall_tickets_received_total', { ...std, channel: 'api' }, 1],
      ['lastcall_sla_warnings_total', { ...std, clock: 'response' }, 1],
      ['lastcall_sla_warnings_total', { ...std, clock: 'resolution' }, 1],
      ['lastcall_sla_targets_total', { ...std, clock: 'response', outcome: 'breached' }, 1],
      ['lastcall_sla_targets_total', { ...std, clock: 'resolution', outcome: 'breached' }, 1],
      ['lastcall_sla_targets_total', { ...std, outcome: 'met' }, 0],
      // The test policy's chain ends at the breach: no level past it.
      ['lastcall_sla_escalations_total', std, 0],
      ['lastcall_emails_total', { kind: 'received', outcome: 'sent' }, 1],
      ['lastcall_emails_total', { kind: 'sla_warning', outcome: 'sent' }, 2],
      ['lastcall_emails_total', { kind: 'sla_breached', outcome: 'sent' }, 2],
      ['lastcall_ticket_steps_total', {}, 0],
    ]);
  });

  it('an e-mail the SMTP server refuses counts as failed on each attempt, then once as sent', async () => {
    const c = await t.createCustomerFixture('standard');
    const before = await scrape();
    const refusedBefore = t.inbox.refused;
    t.inbox.refusing = true;
    let ticket: any;
    try {
      ticket = await t.createTicket(c.id, { impact: 'B' });
      await eventually(async () => t.inbox.refused > refusedBefore, 20_000, 'the SMTP server to refuse the received e-mail');
    } finally {
      t.inbox.refusing = false;
    }
    await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.subject.includes(`#${ticket.number}`), 30_000);
    await moved(before, [
      ['lastcall_emails_total', { kind: 'received', outcome: 'sent' }, 1],
      // One refused recipient per attempt: each refusal is one failed send.
      ['lastcall_emails_total', { kind: 'received', outcome: 'failed' }, t.inbox.refused - refusedBefore],
    ]);
  });

  it('recordTicket retried with the same events (and one more) counts only what it newly inserted', async () => {
    // Impact C: labels no other test here touches. Its workflow records seqs from 1; these are far ahead.
    const { ticket, state, record: recordTicket, close } = await directRecord(t);
    // Decided by a task after any of the workflow's own (its records are at history lengths below
    // 1000), at the version of these events: the workflow's own events are left as they are.
    const snapshot = { version: 902, status: 'open' as const, assignee: null, respondedVia: null, response: state.response, resolution: state.resolution, breached: false, resolvedAt: null, closedAt: null };
    const at = Date.now();
    const assigned = { seq: 900, type: 'assigned' as const, at, actor: 'test', data: {} };
    const met = { seq: 901, type: 'sla_met' as const, at, actor: 'system', data: { clock: 'response' } };
    const resolvedMet = { seq: 902, type: 'sla_met' as const, at, actor: 'system', data: { clock: 'resolution' } };
    const labels = (clock: string) => ({ plan: 'standard', impact: 'C', clock, outcome: 'met' });

    const before = await scrape();
    const attempt = { ticketId: ticket.id, snapshot, notifications: [], decidedIn: 1000 };
    await recordTicket({ ...attempt, events: [assigned, met] });
    await recordTicket({ ...attempt, events: [assigned, met] });
    await recordTicket({ ...attempt, events: [assigned, met, resolvedMet] });
    close();
    await moved(before, [
      ['lastcall_ticket_steps_total', { step: 'assigned' }, 1],
      ['lastcall_sla_targets_total', labels('response'), 1],
      ['lastcall_sla_targets_total', labels('resolution'), 1],
    ]);
    const seqs = (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.map((e: any) => e.seq).filter((q: number) => q >= 900);
    expect(seqs).to.deep.equal([900, 901, 902]);
  });

  it("includes the Temporal worker's own metrics (this process runs the worker), under their own prefix", async () => {
    expect(temporalMetricsAddress(), 'the test processes run the worker with its exporter on').to.be.a('string');
    const s = await scrape();
    const ours = s.samples.filter((x) => x.labels.task_queue === t.taskQueue);
    expect(ours.length, 'series of this test\'s task queue').to.be.above(0);
    expect(ours.every((x) => x.name.startsWith('temporal_'))).to.equal(true);
    // The ticket record runs as a local activity.
    expect(s.value('temporal_local_activity_execution_latency_count', { task_queue: t.taskQueue, activity_type: 'recordTicket' })).to.be.above(0);
    // Each family once: a name declared twice would make Prometheus reject the scrape.
    const declared = s.text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(declared.length).to.equal(new Set(declared).size);
  });
});
