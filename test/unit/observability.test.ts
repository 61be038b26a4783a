// The pure parts of metrics and logs: merging two expositions, where to scrape an exporter, route
// patterns, what event counts as what, the settings, and what the loggers censor.
import { expect } from 'chai';
import { mergeExposition, scrapeUrl } from '../../observability/exposition';
import { countRecordedEvents, registry, slaEscalations, slaTargets, slaWarnings, ticketSteps } from '../../observability/metrics';
import { routePattern } from '../../api/observability';
import { createLogger, redactUrl } from '../../runtime/logger';
import { loadConfig } from '../../config';

async function value(counter: { get(): Promise<{ values: Array<{ labels: Record<string, string | number>; value: number }> }> }, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}

describe('metrics exposition', () => {
  const ours = ['# HELP lastcall_x_total x', '# TYPE lastcall_x_total counter', 'lastcall_x_total 3', '# HELP up_time t', '# TYPE up_time gauge', 'up_time 1', ''].join('\n');

  it('appends the other families and leaves out every family whose name ours has, samples included', () => {
    const theirs = [
      '# HELP temporal_request_latency l',
      '# TYPE temporal_request_latency histogram',
      'temporal_request_latency_bucket{le="10"} 1',
      'temporal_request_latency_sum 4',
      'temporal_request_latency_count 1',
      '',
      '# HELP up_time t2',
      '# TYPE up_time gauge',
      'up_time 99',
      'temporal_num_pollers{poller_type="activity_task"} 5',
    ].join('\n');
    const merged = mergeExposition(ours, theirs);
    expect(merged.split('\n')).to.deep.equal([
      ...ours.split('\n').slice(0, -1),
      '# HELP temporal_request_latency l',
      '# TYPE temporal_request_latency histogram',
      'temporal_request_latency_bucket{le="10"} 1',
      'temporal_request_latency_sum 4',
      'temporal_request_latency_count 1',
      'temporal_num_pollers{poller_type="activity_task"} 5',
      '',
    ]);
    expect(merged).not.to.include('up_time 99');
  });

  it('leaves ours as it is when the other has nothing (a worker that has not polled yet)', () => {
    expect(mergeExposition(ours, '')).to.equal(ours);
    expect(mergeExposition(ours, '\n\n')).to.equal(ours);
  });

  it('scrapes an exporter bound to a wildcard address on loopback', () => {
    expect(scrapeUrl('0.0.0.0:9465')).to.equal('http://127.0.0.1:9465/metrics');
    expect(scrapeUrl('[::]:9465')).to.equal('http://127.0.0.1:9465/metrics');
    expect(scrapeUrl('127.0.0.1:40001')).to.equal('http://127.0.0.1:40001/metrics');
    expect(scrapeUrl('worker:9464')).to.equal('http://worker:9464/metrics');
    expect(() => scrapeUrl('9464')).to.throw(/host:port/);
  });
});

describe('route patterns', () => {
  it("joins the router's mount path and the route's path; anything else is unmatched", () => {
    expect(routePattern('/api/tickets', '/:id/:step')).to.equal('/api/tickets/:id/:step');
    expect(routePattern('/api/tickets', '/')).to.equal('/api/tickets');
    expect(routePattern('', '/healthz')).to.equal('/healthz');
    expect(routePattern('', '/')).to.equal('/');
    expect(routePattern('/api', undefined)).to.equal('unmatched');
    expect(routePattern('/api', /x/)).to.equal('unmatched');
  });
});

describe('counting recorded events', () => {
  it('counts targets met and breached by clock, warnings, escalations and steps; other events not at all', async () => {
    // Impact and plan values no other unit test uses, so the deltas are this test's alone.
    const ticket = { plan: 'unit-plan', impact: 'U' };
    const labels = { plan: 'unit-plan', impact: 'U' };
    const before = {
      responseMet: await value(slaTargets, { ...labels, clock: 'response', outcome: 'met' }),
      resolutionBreached: await value(slaTargets, { ...labels, clock: 'resolution', outcome: 'breached' }),
      all: await value(slaTargets, labels),
      warnings: await value(slaWarnings, labels),
      escalations: await value(slaEscalations, { ...labels, clock: 'resolution' }),
      reopened: await value(ticketSteps, { step: 'reopened' }),
      allSteps: await value(ticketSteps, {}),
    };
    countRecordedEvents(ticket, [
      { type: 'received', data: {} },
      { type: 'sla_met', data: { clock: 'response' } },
      { type: 'sla_warning', data: { clock: 'resolution' } },
      { type: 'sla_breached', data: { clock: 'resolution' } },
      { type: 'sla_escalated', data: { clock: 'resolution' } },
      { type: 'reopened', data: { reason: null } },
      { type: 'customer_message', data: {} },
      { type: 'session_requested', data: {} },
    ]);
    expect(await value(slaTargets, { ...labels, clock: 'response', outcome: 'met' })).to.equal(before.responseMet + 1);
    expect(await value(slaTargets, { ...labels, clock: 'resolution', outcome: 'breached' })).to.equal(before.resolutionBreached + 1);
    expect(await value(slaTargets, labels)).to.equal(before.all + 2);
    expect(await value(slaWarnings, labels)).to.equal(before.warnings + 1);
    expect(await value(slaEscalations, { ...labels, clock: 'resolution' })).to.equal(before.escalations + 1);
    expect(await value(ticketSteps, { step: 'reopened' })).to.equal(before.reopened + 1);
    expect(await value(ticketSteps, {})).to.equal(before.allSteps + 1);
  });

  it('names every metric of ours with the lastcall_ prefix', async () => {
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).to.include.members(['lastcall_tickets_received_total', 'lastcall_sla_targets_total', 'lastcall_http_request_duration_seconds', 'lastcall_emails_total']);
    expect(names.filter((n) => !n.startsWith('lastcall_'))).to.deep.equal([]);
  });
});

describe('metrics settings', () => {
  it('takes TEMPORAL_METRICS_ADDRESS as host:port, METRICS_PORT and METRICS_HOST (an IP address) with defaults', () => {
    expect(loadConfig({}).metrics).to.deep.equal({ temporalAddress: undefined, port: 9464, host: '0.0.0.0' });
    expect(loadConfig({ TEMPORAL_METRICS_ADDRESS: '0.0.0.0:9465', METRICS_PORT: '0' }).metrics).to.deep.equal({ temporalAddress: '0.0.0.0:9465', port: 0, host: '0.0.0.0' });
    expect(() => loadConfig({ TEMPORAL_METRICS_ADDRESS: '9465' })).to.throw(/TEMPORAL_METRICS_ADDRESS must be host:port/);
    expect(loadConfig({ METRICS_HOST: '127.0.0.1' }).metrics.host).to.equal('127.0.0.1');
    expect(loadConfig({ METRICS_HOST: '::1' }).metrics.host).to.equal('::1');
    expect(() => loadConfig({ METRICS_HOST: 'localhost' })).to.throw(/METRICS_HOST must be an IP address/);
  });
});

describe('log redaction', () => {
  it('cuts one-time sign-in tokens and secret query parameters out of URLs, and nothing else', () => {
    expect(redactUrl('/sign-in/link/abcDEF-123_x')).to.equal('/sign-in/link/[Redacted]');
    expect(redactUrl('/sign-in/link/abc?lang=en')).to.equal('/sign-in/link/[Redacted]?lang=en');
    expect(redactUrl('/x?lang=es&token=s3cr3t&a=1')).to.equal('/x?lang=es&token=[Redacted]&a=1');
    expect(redactUrl('/api/tickets/1001?limit=5')).to.equal('/api/tickets/1001?limit=5');
    expect(redactUrl(undefined)).to.equal(undefined);
  });

  it('censors credentials wherever a line carries them', () => {
    const out: string[] = [];
    const log = createLogger('info', 'unit', { write: (s: string) => void out.push(s) });
    log.info(
      {
        token: 'T1-secret',
        user: { password: 'P1-secret', name: 'Ana' },
        config: { adminToken: 'A1-secret', webSecret: 'W1-secret', smtpUrl: 'smtp://u:S1-secret@mail' },
        req: { headers: { authorization: 'Bearer B1-secret', cookie: 'lc_session=C1-secret', 'x-csrf-token': 'X1-secret' } },
        res: { headers: { 'set-cookie': 'lc_session=C2-secret' } },
        taskToken: 'K1-secret',
      },
      'hello',
    );
    log.child({ ticketNumber: 1001 }).warn({ err: new Error('boom'), password: 'P2-secret' }, 'child');
    const text = out.join('');
    expect(text.match(/[A-Z]\d-secret/g)).to.equal(null);
    const first = JSON.parse(out[0]);
    expect(first.user.name).to.equal('Ana');
    expect(first.req.headers.authorization).to.equal('[Redacted]');
    expect(JSON.parse(out[1]).ticketNumber).to.equal(1001);
  });
});
