// Reports and the ticket list at 100,000 tickets (BENCH_REPORT_TICKETS): a year of tickets with
// their recorded events written straight into Postgres (the SLA engine is not what is measured
// here), then the SLA report's queries and the list API's query, each run repeatedly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { connectDatabase, migrate } from '../db';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres';
import { slaReport } from '../services/reports';
import { createTicketService } from '../services/tickets';
import { BOOTSTRAP_ADMIN } from '../services/access';
import { previousMonth } from '../domain/sla-report';
import { fig, type BenchResult } from './report';
import { summarize } from './stats';

const N = Number(process.env.BENCH_REPORT_TICKETS ?? 100_000);
const RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 15);
const YEAR_START = '2025-11-01T03:00:00Z';

export async function reportsBench(r: BenchResult): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'last-call-bench-reports-'));
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), fast: true });
  const sequelize = connectDatabase(await pg.createDatabase('bench_reports'), { poolMax: 4 });
  try {
    await migrate(sequelize);
    const t0 = Date.now();
    await seed(sequelize);
    const [{ tickets, events }] = await sequelize.query<{ tickets: number; events: number }>(
      'SELECT (SELECT count(*) FROM tickets)::int AS tickets, (SELECT count(*) FROM ticket_events)::int AS events',
      { type: QueryTypes.SELECT },
    );
    r.details.seeded = { tickets, events, seconds: (Date.now() - t0) / 1000 };
    process.stderr.write(`[bench] reports: seeded ${tickets} tickets, ${events} events\n`);

    const time = async (fn: () => Promise<unknown>) => {
      await fn(); // warm
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        await fn();
        ms.push(performance.now() - s);
      }
      return summarize(ms);
    };
    const [{ id: customerId }] = await sequelize.query<{ id: string }>('SELECT customer_id AS id FROM tickets LIMIT 1', { type: QueryTypes.SELECT });
    const october = previousMonth(Date.parse('2026-11-01T12:00:00Z'), 'America/Santiago');
    const year = { from: new Date(YEAR_START), to: new Date('2026-11-01T03:00:00Z'), timezone: 'America/Santiago' };
    const cases: [string, string, () => Promise<unknown>, number][] = [
      ['reports.year.month', 'report: a year (all tickets) by month', () => slaReport(sequelize, year, 'month'), 2000],
      ['reports.month.impact', 'report: one month by impact', () => slaReport(sequelize, october, 'impact'), 500],
      ['reports.month.customer', 'report: one month by customer', () => slaReport(sequelize, october, 'customer'), 500],
      ['reports.customer.month', "report: one customer's month", () => slaReport(sequelize, october, 'none', { customerId }), 200],
    ];
    // The list API's own query (soonest deadline first), as a lead sees the open queue.
    const service = createTicketService({ sequelize, temporal: null as never, taskQueue: 'bench', temporalUiUrl: '', namespace: 'default', log: undefined as never });
    cases.push(['list.all', 'list API query: every ticket, first page (soonest deadline first)', () => service.list({ limit: 50, offset: 0 } as never, BOOTSTRAP_ADMIN), 50]);
    cases.push(['list.open', 'list API query: open tickets, first page', () => service.list({ status: ['open', 'in_progress', 'waiting_on_customer'], limit: 50, offset: 0 } as never, BOOTSTRAP_ADMIN), 50]);
    cases.push(['list.customer', "list API query: one customer's tickets", () => service.list({ customerId, limit: 50, offset: 0 } as never, BOOTSTRAP_ADMIN), 50]);
    for (const [key, label, fn, goalMs] of cases) {
      const s = await time(fn);
      r.figures.push(fig({ key: `${key}.p50`, label: `${label} p50`, value: s.p50, unit: 'ms' }));
      r.figures.push(fig({ key: `${key}.p99`, label: `${label} p99 (max of ${RUNS})`, value: s.max, unit: 'ms', goal: `< ${goalMs} ms`, pass: s.max < goalMs }));
    }
    r.details.tickets = tickets;
  } finally {
    await sequelize.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A year of tickets over 200 customers: most closed in time, some breached, some still open, some waiting on customers. */
export async function seed(sequelize: ReturnType<typeof connectDatabase>): Promise<void> {
  const q = (sql: string) => sequelize.query(sql, { replacements: { n: N, start: YEAR_START } });
  await q(`INSERT INTO customers (id, name, timezone, created_at, updated_at)
           SELECT gen_random_uuid(), 'Customer ' || i, 'America/Santiago', now(), now() FROM generate_series(1, 200) i`);
  await q(`WITH ids AS (SELECT array_agg(id ORDER BY name) AS a FROM customers)
    INSERT INTO tickets (id, customer_id, requester_email, plan, impact, type, channel, subject, description, status, received_at,
                         targets, workflow_id, workflow_started_at, assignee, breached, next_due_at, created_at, updated_at)
    SELECT gen_random_uuid(), ids.a[1 + i % 200], 'requester@bench.test', CASE WHEN i % 4 = 0 THEN 'advanced' ELSE 'standard' END,
      (ARRAY['A','B','C'])[1 + i % 3], (ARRAY['problem','query'])[1 + i % 2], 'email', 'bench ticket ' || i, 'seeded',
      CASE WHEN i % 50 = 0 THEN 'open' WHEN i % 50 = 1 THEN 'in_progress' WHEN i % 50 = 2 THEN 'waiting_on_customer' ELSE 'closed' END,
      CAST(:start AS timestamptz) + (i * (365.0 * 86400 / :n)) * interval '1 second',
      '{"responseMs":7200000,"resolutionMs":28800000,"warningThreshold":0.75}', 'bench-' || i, now(), jsonb_build_object('email', 'tech' || (i % 20) || '@lastcall.test'), i % 7 = 0,
      CASE WHEN i % 50 IN (0, 1) THEN now() + (i % 600) * interval '1 minute' END, now(), now()
    FROM generate_series(1, :n) i, ids`);
  // Events: received; a first response (breached for every 7th); for closed ones a resolve, its
  // target met or breached, and the close; every 5th waited on its customer for an hour.
  await q(`INSERT INTO ticket_events (ticket_id, seq, type, actor, at, data)
    SELECT t.id, s.seq, s.type, 'bench', t.received_at + s.after, s.data
    FROM (SELECT id, received_at, status, (number % 1000000)::int AS k FROM tickets) t
    CROSS JOIN LATERAL (VALUES
      (1, 'received', interval '0', '{}'::jsonb, true),
      (2, 'responded', (t.k % 90) * interval '1 minute', '{}'::jsonb, t.status <> 'open'),
      (3, CASE WHEN t.k % 7 = 0 THEN 'sla_breached' ELSE 'sla_met' END, (t.k % 90) * interval '1 minute', '{"clock":"response"}'::jsonb, t.status <> 'open'),
      (4, 'waiting_on_customer', interval '2 hours', '{}'::jsonb, t.k % 5 = 0 AND t.status IN ('closed', 'waiting_on_customer')),
      (5, 'customer_replied', interval '3 hours', '{}'::jsonb, t.k % 5 = 0 AND t.status = 'closed'),
      (6, 'resolved', (4 + t.k % 20) * interval '1 hour', '{"firstResponse":false}'::jsonb, t.status = 'closed'),
      (7, CASE WHEN t.k % 11 = 0 THEN 'sla_breached' ELSE 'sla_met' END, (4 + t.k % 20) * interval '1 hour', '{"clock":"resolution"}'::jsonb, t.status = 'closed'),
      (8, 'closed', (30 + t.k % 20) * interval '1 hour', '{}'::jsonb, t.status = 'closed')
    ) AS s(seq, type, after, data, present)
    WHERE s.present`);
  // As recordTicket leaves them: when each closed ticket was resolved and closed.
  await q(`UPDATE tickets SET resolved_at = received_at + (4 + (number % 1000000) % 20) * interval '1 hour',
                              closed_at = received_at + (30 + (number % 1000000) % 20) * interval '1 hour'
           WHERE status = 'closed'`);
  await q('ANALYZE');
}
