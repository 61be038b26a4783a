// 3. held-open: N open tickets (timers pending, deadlines hours away) on ONE worker process: its
// resident memory, measured alone. Then the ticket list API at BENCH_LIST_TOTAL tickets (the rest
// inserted with SQL; they need no workflows): p50/p99 over BENCH_LIST_CALLS calls, and EXPLAIN
// ANALYZE of the exact SQL the list runs, to name the cause when it is slow.
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { Sequelize } from 'sequelize';
import { initModels } from '../db/models';
import { listTicketsQuery } from '../api/schemas';
import { createTicketService } from '../services/tickets';
import { cacheSetting, cfg } from './config';
import { fig, type BenchResult, type Figure } from './report';
import { ADMIN_TOKEN, createTickets, startStack, waitSettled, type EngineProc, type Stack } from './stack';
import { round, rssMiB, rssSampler, sleep, summarize } from './stats';

/** Inserts tickets with SQL until the table holds `total`: a year of history, mostly closed. */
async function fillTickets(stack: Stack, total: number): Promise<{ inserted: number; ms: number }> {
  const have = Number((await stack.db.query('SELECT count(*)::int AS n FROM tickets')).rows[0].n);
  const extra = total - have;
  if (extra <= 0) return { inserted: 0, ms: 0 };
  const rs = stack.fx.requesters;
  const t0 = Date.now();
  await stack.db.query(
    `INSERT INTO tickets (id, customer_id, requester_id, requester_name, requester_email, product_id, plan, impact, type, channel,
                          subject, description, status, received_at, targets, response_due_at, resolution_due_at, next_due_at,
                          breached, snapshot_version, workflow_id, workflow_started_at, resolved_at, closed_at)
     SELECT gen_random_uuid(), x.customer_id, x.requester_id, 'Requester', 'requester@customer.bench', x.product_id,
            CASE WHEN random() < 0.6 THEN 'standard' ELSE 'advanced' END,
            (ARRAY['A','B','B','C','C'])[1 + floor(random() * 5)::int],
            'problem', 'web', 'Old ticket ' || x.i, 'Inserted by the held-open benchmark.',
            x.status, x.received_at,
            '{"responseMs":3600000,"resolutionMs":14400000,"autoCloseAfterMs":604800000}'::jsonb,
            x.received_at + interval '1 hour', x.received_at + interval '4 hours',
            CASE WHEN x.status IN ('resolved','closed') THEN NULL ELSE x.received_at + interval '4 hours' END,
            x.received_at < now() - interval '4 hours' AND x.status NOT IN ('resolved','closed'),
            3, 'ticket-old-' || x.i, x.received_at,
            CASE WHEN x.status IN ('resolved','closed') THEN x.received_at + interval '3 hours' END,
            CASE WHEN x.status = 'closed' THEN x.received_at + interval '7 days' END
       FROM (SELECT i,
                    ($1::uuid[])[1 + i % $4] AS customer_id, ($2::uuid[])[1 + i % $4] AS requester_id, ($3::uuid[])[1 + i % $4] AS product_id,
                    CASE WHEN r < 0.70 THEN 'closed' WHEN r < 0.75 THEN 'resolved' WHEN r < 0.85 THEN 'open'
                         WHEN r < 0.95 THEN 'in_progress' ELSE 'waiting_on_customer' END AS status,
                    now() - random() * interval '365 days' AS received_at
               FROM (SELECT i, random() AS r FROM generate_series(1, $5) AS i) g) x`,
    [rs.map((r) => r.customerId), rs.map((r) => r.id), rs.map((r) => r.productId), rs.length, extra],
  );
  await stack.db.query('ANALYZE tickets');
  return { inserted: extra, ms: Date.now() - t0 };
}

/** The exact SQL the list use case runs for a query, captured from Sequelize in this process, with EXPLAIN ANALYZE of each statement. */
async function explainList(stack: Stack, query: Record<string, string>, principal: Record<string, unknown>) {
  const statements: Array<{ sql: string; ms: number }> = [];
  const sequelize = new Sequelize(stack.databaseUrl, {
    dialect: 'postgres',
    benchmark: true,
    logging: (sql: string, ms?: number) => statements.push({ sql: sql.replace(/^Executed \([^)]*\): /, ''), ms: ms ?? NaN }),
    pool: { max: 2 },
  });
  initModels(sequelize);
  try {
    const service = createTicketService({
      sequelize,
      temporal: {} as never, // list() never calls Temporal
      taskQueue: stack.taskQueue,
      temporalUiUrl: 'http://localhost:8233',
      namespace: 'default',
      log: pino({ level: 'silent' }),
    });
    const q = listTicketsQuery.parse(query);
    await service.list(q, principal as never); // warm
    statements.length = 0;
    const t0 = performance.now();
    await service.list(q, principal as never);
    const serviceMs = round(performance.now() - t0);
    const plans = [];
    for (const s of statements) {
      const { rows } = await stack.db.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql.replace(/;\s*$/, '')}`);
      const plan = rows.map((x: Record<string, string>) => x['QUERY PLAN']);
      const exec = Number(/Execution Time: ([\d.]+) ms/.exec(plan.join('\n'))?.[1] ?? NaN);
      plans.push({ sql: s.sql, sequelizeMs: s.ms, executionMs: exec, plan });
    }
    return { serviceMs, statements: plans };
  } finally {
    await sequelize.close();
  }
}

/** Lets the worker sit with its tickets for 10 s, then reads its RSS each second for 10 s (max). */
async function holdAndMeasure(w: EngineProc, sampler: ReturnType<typeof rssSampler>) {
  await sleep(10_000);
  const held: number[] = [];
  for (let i = 0; i < 10; i++) {
    held.push(rssMiB(w.pid)?.rss ?? NaN);
    await sleep(1_000);
  }
  const during = sampler.stop();
  const mem = await w.mem();
  return { rss: Math.max(...held), held, during, mem };
}

async function timeList(stack: Stack, path: string, token: string, calls: number) {
  for (let i = 0; i < 10; i++) await stack.http.must('GET', path, token, undefined, 200);
  const lat: number[] = [];
  let total = 0;
  for (let i = 0; i < calls; i++) {
    const reply = await stack.http.call('GET', path, token);
    if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    total = reply.body.total;
    lat.push(reply.ms);
  }
  return { path, total, latency: summarize(lat) };
}

export async function heldOpenBench(r: BenchResult): Promise<void> {
  const N = cfg.tickets;
  const stack = await startStack('held-open', { apiDbPool: 2 * cfg.createConcurrency + 8 });
  try {
    const w = stack.worker!;
    await sleep(3_000);
    const idle = rssMiB(w.pid);
    const sampler = rssSampler(() => stack.worker?.pid);
    const created = await createTickets(stack, N, { concurrency: cfg.createConcurrency, impact: (i) => (['A', 'B', 'C'] as const)[i % 3], maxBacklog: cfg.createMaxBacklog || undefined });
    if (created.created === 0) throw new Error(`no ticket created: ${created.errors.join(' | ')}`);
    const lo = Math.min(...created.numbers);
    const hi = Math.max(...created.numbers);
    const settleMs = await waitSettled(stack, lo, hi, created.created);
    // Every ticket's workflow is running with a timer pending (its warning, 45 min or more away).
    const connection = await Connection.connect({ address: stack.temporal.address });
    const running = (await new Client({ connection }).workflow.count(`WorkflowType = 'ticketWorkflow' AND ExecutionStatus = 'Running'`)).count;
    await connection.close();
    const hold = await holdAndMeasure(w, sampler);
    const heldRss = hold.rss;
    const mem = hold.mem;
    const during = hold.during;

    // Over the goal: a worker with a bounded workflow cache, each size of BENCH_HELD_RETRY_CACHE in
    // turn until one is under. The N tickets stay open on the server; the new worker fills and churns
    // its cache with more new tickets (several times the cache size), then its RSS is read again.
    const retries: Array<Record<string, unknown>> = [];
    const bounded: Figure[] = [];
    let last = heldRss;
    for (const size of cfg.heldRetryCache) {
      if (last < 512) break;
      await stack.stopWorker();
      const w2 = await stack.startWorker({ maxCachedWorkflows: size });
      await sleep(3_000);
      const idle2 = rssMiB(w2.pid);
      const sampler2 = rssSampler(() => stack.worker?.pid);
      const more = await createTickets(stack, cfg.heldRetryTickets, {
        concurrency: cfg.createConcurrency,
        impact: (i) => (['A', 'B', 'C'] as const)[i % 3],
        offset: 5_000_000 + retries.length * 100_000,
        maxBacklog: cfg.createMaxBacklog || undefined,
      });
      await waitSettled(stack, Math.min(...more.numbers), Math.max(...more.numbers), more.created);
      const hold2 = await holdAndMeasure(w2, sampler2);
      const open = Number((await stack.db.query(`SELECT count(*)::int AS n FROM tickets WHERE status = 'open'`)).rows[0].n);
      retries.push({ maxCachedWorkflows: size, idle: idle2, openTickets: open, moreTickets: more.created, rss: hold2.rss, held: hold2.held, mem: hold2.mem, peak: hold2.during.peakMiB });
      bounded.push(
        fig({
          key: `held.workerRss.cache${size}`,
          label: `worker RSS with ${open} open tickets, maxCachedWorkflows ${size}`,
          value: hold2.rss,
          unit: 'MiB',
          goal: '< 512 MiB',
          pass: hold2.rss < 512,
          beside: `idle ${idle2?.rss} MiB, peak ${hold2.during.peakMiB} MiB; ${hold2.mem?.cachedWorkflows} cached, after ${more.created} more tickets`,
        }),
      );
      last = hold2.rss;
    }
    const others = { api: rssMiB(stack.api.pid)?.rss, temporal: stack.temporal.pid ? rssMiB(stack.temporal.pid)?.rss : undefined };

    // ---- the ticket list at listTotal tickets
    const fill = await fillTickets(stack, cfg.listTotal);
    const tech = stack.fx.techToken;
    const techPrincipal = { userId: stack.fx.techId, role: 'technician', name: 'Bench Tech', email: 'tech@lastcall.bench', customerId: null, label: 'tech@lastcall.bench', plan: null };
    const plain = await timeList(stack, '/api/tickets?limit=50', tech, cfg.listCalls);
    const filtered = await timeList(stack, '/api/tickets?status=open&plan=advanced&impact=A&limit=50', tech, cfg.listCalls);
    const rq = stack.fx.requesters[0];
    const requester = await timeList(stack, '/api/tickets?limit=50', rq.token, Math.min(cfg.listCalls, 100));
    const explainPlain = await explainList(stack, { limit: '50' }, techPrincipal);
    const explainFiltered = await explainList(stack, { status: 'open', plan: 'advanced', impact: 'A', limit: '50' }, techPrincipal);
    const admin = await stack.http.call('GET', '/api/tickets?limit=1', ADMIN_TOKEN);

    r.figures.push(
      fig({
        key: 'held.workerRss',
        label: `worker RSS with ${created.created} open tickets`,
        value: heldRss,
        unit: 'MiB',
        goal: '< 512 MiB',
        pass: heldRss < 512,
        beside: `idle ${idle?.rss} MiB, peak ${during.peakMiB} MiB; V8 heap ${mem?.heapUsed} MiB; ${mem?.cachedWorkflows} workflows cached (maxCachedWorkflows ${cacheSetting(cfg.maxCachedWorkflows)})`,
      }),
      ...bounded,
      fig({ key: 'held.running', label: 'ticket workflows running (timers pending)', value: running, unit: 'workflows', goal: `>= ${created.created}`, pass: running >= created.created }),
      fig({ key: 'held.create', label: `creating ${N} tickets (API, ${cfg.createConcurrency} callers)`, value: round(created.perSecond), unit: 'tickets/s', beside: `${round(created.ms / 1000)} s` }),
      fig({ key: 'list.p50', label: `GET /api/tickets?limit=50 p50 at ${plain.total} tickets`, value: plain.latency.p50, unit: 'ms' }),
      fig({ key: 'list.p99', label: `GET /api/tickets?limit=50 p99 at ${plain.total} tickets`, value: plain.latency.p99, unit: 'ms', goal: '< 50 ms', pass: plain.latency.p99 < 50 }),
      fig({ key: 'list.filtered.p50', label: 'GET …?status=open&plan=advanced&impact=A p50', value: filtered.latency.p50, unit: 'ms', beside: `${filtered.total} match` }),
      fig({ key: 'list.filtered.p99', label: 'GET …?status=open&plan=advanced&impact=A p99', value: filtered.latency.p99, unit: 'ms', goal: '< 50 ms', pass: filtered.latency.p99 < 50 }),
      fig({ key: 'list.requester.p99', label: "GET /api/tickets as a requester p99 (their customer's)", value: requester.latency.p99, unit: 'ms', beside: `${requester.total} visible, p50 ${requester.latency.p50} ms` }),
    );
    const sqlMs = (e: Awaited<ReturnType<typeof explainList>>) => e.statements.map((s) => `${s.sql.startsWith('SELECT count') ? 'count' : 'rows'} ${s.executionMs} ms`).join(', ');
    r.details = {
      temporalDb: stack.temporal.mode,
      tickets: N,
      maxCachedWorkflows: cacheSetting(cfg.maxCachedWorkflows),
      creation: { created: created.created, failed: created.failed, errors: created.errors, seconds: round(created.ms / 1000), perSecond: round(created.perSecond), latency: summarize(created.latency) },
      settleAfterCreationMs: settleMs,
      runningTicketWorkflows: running,
      workerRssMiB: { idle, heldSamples: hold.held, peakWhileCreating: during.peakMiB, samples: during.samples },
      boundedCache: retries,
      workerMemoryUsageMiB: mem,
      otherRssMiB: others,
      list: {
        filled: fill,
        totalTickets: admin.body?.total,
        plain,
        filtered,
        requester,
        sqlPlain: sqlMs(explainPlain),
        sqlFiltered: sqlMs(explainFiltered),
        explainPlain,
        explainFiltered,
      },
    };
  } finally {
    await stack.stop();
  }
}
