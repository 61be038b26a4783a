// SLA compliance reports: figures on a seeded month checked against numbers worked out by hand,
// time zones at the month's edges, who may see what, CSV; and on real tickets, agreement with
// each ticket's own SLA state.
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { secondsPolicy, sleep, startTestSystem, eventually, type CustomerFixture, type TestSystem } from '../support/harness';
import { octoberTickets, seedTickets } from '../support/report-seed';

const MIN = 60_000;
const H = 60 * MIN;

describe('SLA reports', function () {
  let t: TestSystem;
  let acme: CustomerFixture;
  let beta: CustomerFixture;
  let leadToken: string;

  before(async () => {
    t = await startTestSystem({ label: 'reports', policy: secondsPolicy() });
    acme = await t.createCustomerFixture('advanced');
    beta = await t.createCustomerFixture('standard');
    const lead = await t.admin('POST', '/api/users', { name: 'Lea Lead', email: `lead.${Date.now()}@lastcall.test`, role: 'lead' });
    expect(lead.status).to.equal(201);
    leadToken = lead.body.token;
    // Filed by each customer's requester: a Standard requester's report is of their own tickets.
    await seedTickets(t.sys.sequelize, octoberTickets(acme.id, beta.id, { [acme.id]: acme.requesterId, [beta.id]: beta.requesterId }));
  });
  after(async () => t?.stop());

  const report = (query: string, token = leadToken) => t.as(token)('GET', `/api/reports/sla?${query}`);

  it('October in Santiago: every figure as worked out by hand', async () => {
    const r = await report('month=2026-10');
    expect(r.status).to.equal(200);
    expect(r.body.period).to.deep.equal({ from: '2026-10-01T03:00:00.000Z', to: '2026-11-01T03:00:00.000Z', timezone: 'America/Santiago' });
    const tot = r.body.totals;
    // T1 T2 T3 T4 T7 T8 (T5 is November, T6 September in Santiago).
    expect(tot.received).to.equal(6);
    // Response: met T1 T3 T7 T8, breached T2, running T4. First responses 30, 90, 45, 60, 60 min.
    expect(tot.response).to.deep.equal({ met: 4, breached: 1, running: 1, compliancePct: 80, medianMs: 60 * MIN, p90Ms: 78 * MIN });
    // Resolution: met T1 T2 T7 (T2's 2 h of waiting paused it), breached T3, running T4 T8.
    // Resolved after 3 h, 5 h, 26 h: median 5 h, p90 5 + 0.8 × 21 = 21.8 h.
    expect(tot.resolution).to.deep.equal({ met: 3, breached: 1, running: 2, compliancePct: 75, medianMs: 5 * H, p90Ms: 21.8 * H });
    expect(tot.compliancePct).to.equal(77.8); // 7 of 9 decided targets
    // T2 waited 2 h; T8 from Oct 25 14:00Z to the end of the month (Nov 1 03:00Z).
    expect(tot.waitingOnCustomerMs).to.equal(2 * H + 157 * H);
    expect(tot.openNow).to.equal(3); // T3, T4, T8
    // Open at the end of October: T4 (30 min old), T8 (6 d 15 h), T3 (11 d 18 h), T6 (31 d).
    expect(r.body.backlog.asOf).to.equal('2026-11-01T03:00:00.000Z');
    expect(r.body.backlog.total).to.equal(4);
    expect(Object.fromEntries(r.body.backlog.buckets.map((b: any) => [b.key, b.count]))).to.deep.equal({ lt1h: 1, '1h-4h': 0, '4h-1d': 0, '1d-3d': 0, '3d-7d': 1, gt7d: 2 });
  });

  it('"where did we not?": the tickets whose targets were missed, with each missed clock', async () => {
    const r = await report(`month=2026-10&customerId=${acme.id}&include=breaches`);
    expect(r.status).to.equal(200);
    expect(r.body.missedTargets.total).to.equal(2);
    expect(r.body.missedTargets.tickets.map((x: any) => [x.subject, x.breaches])).to.deep.equal([
      ['seed T2', [{ clock: 'response', at: '2026-10-10T11:00:00.000Z' }]],
      ['seed T3', [{ clock: 'resolution', at: '2026-10-20T17:00:00.000Z' }]],
    ]);
    // Without asking, the report stays figures only.
    expect((await report('month=2026-10')).body.missedTargets).to.equal(undefined);
  });

  it('slices by customer, impact and technician add up to the totals', async () => {
    const byCustomer = await report('month=2026-10&groupBy=customer');
    const rows = Object.fromEntries(byCustomer.body.groups.map((g: any) => [g.key, g]));
    expect(rows[acme.id].received).to.equal(4);
    expect(rows[acme.id].response).to.include({ met: 3, breached: 1, running: 0 });
    expect(rows[acme.id].resolution).to.include({ met: 3, breached: 1, running: 0 });
    expect(rows[beta.id].received).to.equal(2);
    expect(rows[beta.id].response).to.include({ met: 1, breached: 0, running: 1, compliancePct: 100 });
    expect(rows[beta.id].resolution).to.include({ met: 0, breached: 0, running: 2, compliancePct: null });

    const byImpact = await report('month=2026-10&groupBy=impact');
    const impact = Object.fromEntries(byImpact.body.groups.map((g: any) => [g.key, g]));
    expect(impact.A.received).to.equal(3); // T1 T2 T8
    expect(impact.A.response).to.include({ met: 2, breached: 1 });
    expect(impact.B.resolution).to.include({ breached: 1 }); // T3
    expect(impact.C.received).to.equal(2); // T4 T7

    const byTech = await report('month=2026-10&groupBy=technician');
    const tech = Object.fromEntries(byTech.body.groups.map((g: any) => [g.label, g.received]));
    expect(tech).to.deep.equal({ 'tech1@lastcall.test': 3, 'tech2@lastcall.test': 2, unassigned: 1 });

    const one = await report(`month=2026-10&technician=tech2@lastcall.test`);
    expect(one.body.totals.received).to.equal(2);
  });

  it('a month is cut at midnight in the chosen time zone', async () => {
    const utc = await report('month=2026-10&timezone=UTC');
    // UTC's October holds T6 but not T4.
    expect(utc.body.totals.received).to.equal(6);
    expect(utc.body.period.from).to.equal('2026-10-01T00:00:00.000Z');
    const byDay = await report('from=2026-10-31&to=2026-11-01&groupBy=day');
    expect(byDay.body.groups.map((g: any) => [g.key, g.received])).to.deep.equal([['2026-10-31', 1], ['2026-11-01', 1]]);
    const weeks = await report('month=2026-10&groupBy=week');
    // Every ISO week the month touches, empty ones included.
    expect(weeks.body.groups.map((g: any) => g.label)).to.deep.equal(['2026-W40', '2026-W41', '2026-W42', '2026-W43', '2026-W44']);
    expect(weeks.body.groups.reduce((s: number, g: any) => s + g.received, 0)).to.equal(6);
  });

  it('a requester sees its own customer only; a technician is refused', async () => {
    const own = await report('month=2026-10', beta.requesterToken);
    expect(own.status).to.equal(200);
    expect(own.body.filters.customerId).to.equal(beta.id);
    expect(own.body.totals.received).to.equal(2);
    const other = await report(`month=2026-10&customerId=${acme.id}`, beta.requesterToken);
    expect(other.status).to.equal(404);
    expect(other.body.error.code).to.equal('NOT_FOUND');
    const tech = await report('month=2026-10', t.techToken);
    expect(tech.status).to.equal(403);
    expect(tech.body.error.code).to.equal('FORBIDDEN');
  });

  it('bad periods and slices get one clear error each', async () => {
    const cases: [string, string][] = [
      ['month=2026-13', 'INVALID_PERIOD'],
      ['from=2026-11-01&to=2026-10-01', 'INVALID_PERIOD'],
      ['month=2026-10&from=2026-10-01', 'INVALID_PERIOD'],
      ['from=yesterday', 'INVALID_PERIOD'],
      ['groupBy=colour', 'VALIDATION_FAILED'],
      ['timezone=Mars/Olympus', 'VALIDATION_FAILED'],
      ['from=2020-01-01&to=2026-01-01&groupBy=day', 'PERIOD_TOO_LONG'],
      ['month=2026-10&sql=1', 'VALIDATION_FAILED'],
    ];
    for (const [q, code] of cases) {
      const r = await report(q);
      expect(r.status, q).to.equal(400);
      expect(r.body.error.code, q).to.equal(code);
    }
  });

  it('CSV: one line per group and a total line, times in hours', async () => {
    const res = await fetch(`${t.url}/api/reports/sla?month=2026-10&groupBy=impact`, { headers: { authorization: `Bearer ${leadToken}`, accept: 'text/csv' } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/csv/);
    expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="?sla-report_2026-10-01_2026-11-01_impact\.csv"?$/);
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.key)).to.deep.equal(['A', 'B', 'C', 'total']);
    const total = rows[3];
    expect(total).to.include({ received: '6', response_met: '4', response_breached: '1', response_compliance_pct: '80.0', response_median_hours: '1.00', resolution_p90_hours: '21.80', compliance_pct: '77.8', open_now: '3' });
  });

  it('on real tickets, the report agrees with every ticket\'s own SLA state', async function () {
    this.timeout(60_000);
    const from = new Date().toISOString();
    const fixture = await t.createCustomerFixture('advanced');
    // Advanced A: response 2 s, resolution 4 s. One answered and resolved at once, one answered
    // late, one left to breach both, one waiting on the customer.
    const quick = await t.createTicket(fixture.id, { impact: 'A' });
    const late = await t.createTicket(fixture.id, { impact: 'A' });
    const ignored = await t.createTicket(fixture.id, { impact: 'A' });
    const waiting = await t.createTicket(fixture.id, { impact: 'C' });
    expect((await t.api('POST', `/api/tickets/${quick.id}/resolve`, { resolution: 'Restarted the service' })).status).to.equal(200);
    expect((await t.api('POST', `/api/tickets/${waiting.id}/respond`, { via: 'email', message: 'Which host?' })).status).to.equal(200);
    expect((await t.api('POST', `/api/tickets/${waiting.id}/wait-for-customer`, { message: 'Asked' })).status).to.equal(200);
    await sleep(2_500);
    expect((await t.api('POST', `/api/tickets/${late.id}/respond`, { via: 'phone', message: 'Called back' })).status).to.equal(200);
    const tickets = [quick, late, ignored, waiting];
    // Both of "ignored"'s targets breached and recorded.
    await eventually(async () => (await t.api('GET', `/api/tickets/${ignored.id}`)).body.sla.resolution.status === 'breached', 20_000, 'resolution breach');

    // The report reads recorded events; the ticket's view reads its workflow. Give the last
    // recording a moment, then they must agree clock by clock.
    const snapshot = async () => {
      const states = await Promise.all(tickets.map(async (x) => (await t.api('GET', `/api/tickets/${x.id}`)).body.sla));
      const count = (clock: 'response' | 'resolution', ...s: string[]) => states.filter((v) => s.includes(v[clock].status)).length;
      const r = await report(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&customerId=${fixture.id}`);
      expect(r.status).to.equal(200);
      const tot = r.body.totals;
      const fromStates = {
        response: { met: count('response', 'met'), breached: count('response', 'breached'), running: count('response', 'running', 'paused') },
        resolution: { met: count('resolution', 'met'), breached: count('resolution', 'breached'), running: count('resolution', 'running', 'paused') },
      };
      const fromReport = {
        response: { met: tot.response.met, breached: tot.response.breached, running: tot.response.running },
        resolution: { met: tot.resolution.met, breached: tot.resolution.breached, running: tot.resolution.running },
      };
      return { tot, fromStates, fromReport };
    };
    const agreed = await eventually(async () => {
      const s = await snapshot();
      return JSON.stringify(s.fromStates) === JSON.stringify(s.fromReport) ? s : null;
    }, 15_000, 'report and ticket states to agree').catch(async () => snapshot());
    expect(agreed.fromReport).to.deep.equal(agreed.fromStates);
    const tot = agreed.tot;
    expect(tot.received).to.equal(4);
    // And the expected story: late breached its response and ignored both, whatever the machine's
    // load; quick and waiting met their response, and quick its resolution, if their steps reached
    // the workflow within the 2 s target (their own recorded events say when), as they do unless
    // the machine is starved.
    const answeredAt = async (x: { id: string }, type: string) => {
      const v = (await t.api('GET', `/api/tickets/${x.id}`)).body;
      const e = v.events.find((ev: { type: string }) => ev.type === type);
      const received = v.events.find((ev: { type: string }) => ev.type === 'received');
      return { inTime: !!e && Date.parse(e.at) - Date.parse(received.at) <= v.sla.response.targetMs, v };
    };
    const quickAnswered = await answeredAt(quick, 'resolved');
    const waitingAnswered = await answeredAt(waiting, 'responded');
    const metInTime = [quickAnswered, waitingAnswered].filter((a) => a.inTime).length;
    expect(tot.response).to.include({ met: metInTime, breached: 4 - metInTime, running: 0 });
    expect(tot.resolution.met).to.equal(quickAnswered.v.sla.resolution.status === 'met' ? 1 : 0);
    expect(tot.resolution.breached).to.be.at.least(1);
    expect(tot.waitingOnCustomerMs).to.be.greaterThan(2_000);
  });
});
