// 2. on-time: N open tickets whose response deadlines fall within a few minutes (paced: evenly
// within BENCH_ONTIME_WINDOW_S; on-time-burst: packed as close as the creation rate allows).
// After the deadlines pass, the lateness of each response breach is read from Postgres
// (ticket_events of type sla_breached: data->>'lateByMs', and recorded_at - data->>'dueAt'), and
// every ticket must have exactly one response breach.
import { cacheSetting, cfg } from './config';
import { fig, type BenchResult } from './report';
import { createStaggeredTickets, createTickets, pacedChainClearSpreadS, pacedResponseTarget, probeRate, staggerResponseTargets, startSlaStack, waitCount, waitFor, waitSettled, type Stack } from './stack';
import { lateBreachHistories } from './task-timeouts';
import { cpuMeter, machineCpu, round, rssSampler, sleep, summarize } from './stats';
import { serverTaskMeter, serverTasksFigure } from './server-tasks';
import { workerTaskMeter, workerTasksFigure } from './worker-tasks';

/** Lateness of each ticket's response breach in [lo, hi], and how many breaches each ticket got. */
export async function responseBreaches(stack: Stack, lo: number, hi: number, dueFrom?: Date, dueTo?: Date) {
  const { rows } = await stack.db.query(
    `SELECT t.number,
            (e.data->>'lateByMs')::float8 AS late_ms,
            extract(epoch FROM e.recorded_at - to_timestamp((e.data->>'dueAt')::float8 / 1000)) * 1000 AS recorded_late_ms,
            (e.data->>'dueAt')::float8 AS due_ms,
            extract(epoch FROM e.recorded_at) * 1000 AS recorded_ms
       FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
      WHERE e.type = 'sla_breached' AND e.data->>'clock' = 'response' AND t.number BETWEEN $1 AND $2
        AND ($3::timestamptz IS NULL OR t.response_due_at >= $3) AND ($4::timestamptz IS NULL OR t.response_due_at < $4)`,
    [lo, hi, dueFrom ?? null, dueTo ?? null],
  );
  const per = await stack.db.query(
    `SELECT count(*) FILTER (WHERE n = 1)::int AS one, count(*) FILTER (WHERE n = 0)::int AS none, count(*) FILTER (WHERE n > 1)::int AS more, count(*)::int AS tickets
       FROM (SELECT t.id, count(e.id) AS n
               FROM tickets t LEFT JOIN ticket_events e ON e.ticket_id = t.id AND e.type = 'sla_breached' AND e.data->>'clock' = 'response'
              WHERE t.number BETWEEN $1 AND $2
                AND ($3::timestamptz IS NULL OR t.response_due_at >= $3) AND ($4::timestamptz IS NULL OR t.response_due_at < $4)
              GROUP BY t.id) x`,
    [lo, hi, dueFrom ?? null, dueTo ?? null],
  );
  return {
    rows: rows as Array<{ number: string; late_ms: number; recorded_late_ms: number; due_ms: number; recorded_ms: number }>,
    perTicket: per.rows[0] as { one: number; none: number; more: number; tickets: number },
  };
}

/** Breach e-mails: how many were sent, and how long after the deadline. */
export async function breachMails(stack: Stack, lo: number, hi: number) {
  const { rows } = await stack.db.query(
    `SELECT extract(epoch FROM n.sent_at - t.response_due_at) * 1000 AS late_ms
       FROM notifications n JOIN tickets t ON t.id = n.ticket_id
      WHERE n.kind = 'sla_breached' AND n.state = 'sent' AND t.number BETWEEN $1 AND $2`,
    [lo, hi],
  );
  return rows.map((r: { late_ms: number }) => Number(r.late_ms));
}

/**
 * on-time: N tickets whose response deadlines fall evenly within cfg.onTimeWindowS (10,000 in 5
 * minutes by default). The tickets are created at that pace, all with one target twice the window
 * (plus a margin), so the warnings before and the escalations after fall outside the window, as
 * they do when targets are hours long.
 */
export const onTimeBench = (r: BenchResult) => measureOnTime(r, 'paced');

/**
 * on-time-burst: the deadlines as close together as the creation rate allows (about a third of the
 * time it takes to create the tickets: three times the rate the machine takes tickets in), with the
 * default escalation chain: what the machine sustains when alarms come faster than it can settle.
 */
export const onTimeBurstBench = (r: BenchResult) => measureOnTime(r, 'burst');

async function measureOnTime(r: BenchResult, mode: 'paced' | 'burst'): Promise<void> {
  const N = cfg.tickets;
  const stack = await startSlaStack(mode === 'paced' ? 'on-time' : 'on-time-burst');
  try {
    let setup: { probe?: Awaited<ReturnType<typeof probeRate>>; responseTargetsS: Record<string, number>; pace?: string };
    let created: Awaited<ReturnType<typeof createTickets>>;
    if (mode === 'burst') {
      // How fast does this machine create tickets right now? (default policy: deadlines hours away)
      const probe = await probeRate(stack);
      const estCreateS = N / probe.endToEndPerSecond;
      // Deadlines within about a third of the creation time: impact C first (longest target), then
      // B, then A (shortest), each target a third of the creation time shorter than the one before.
      // The first deadline (C's first ticket) comes after the last ticket is created and its workflow
      // has caught up, with margin: T_A > C/3 + a quarter of C + 60 s.
      const step = cfg.onTimeStepS || Math.ceil(estCreateS / 3);
      const t0S = cfg.onTimeTargetS || Math.ceil(estCreateS / 3 + 0.25 * estCreateS + 60);
      setup = { probe, responseTargetsS: await staggerResponseTargets(stack, t0S, step) };
      created = await createStaggeredTickets(stack, N, 10_000_000);
    } else {
      const perSecond = N / cfg.onTimeWindowS;
      const targetS = cfg.onTimeTargetS || Math.ceil(2 * cfg.onTimeWindowS + 30);
      setup = { responseTargetsS: await pacedResponseTarget(stack, targetS), pace: `${round(perSecond, 1)} tickets/s (one every ${round(1000 / perSecond, 1)} ms)` };
      created = await createTickets(stack, N, {
        concurrency: cfg.createConcurrency,
        impact: (i) => (['A', 'B', 'C'] as const)[i % 3],
        offset: 10_000_000,
        maxBacklog: cfg.createMaxBacklog || undefined,
        perSecond,
      });
    }
    const worker = rssSampler(() => stack.worker?.pid);
    const server = rssSampler(() => stack.temporal.pid);
    const createdAt = Date.now();
    if (created.failed > 0) process.stderr.write(`[bench] on-time: ${created.failed} tickets refused: ${created.errors.join(' | ')}\n`);
    const lo = Math.min(...created.numbers);
    const hi = Math.max(...created.numbers);
    const due = (await stack.db.query('SELECT min(response_due_at) AS first, max(response_due_at) AS last FROM tickets WHERE number BETWEEN $1 AND $2', [lo, hi])).rows[0];
    const firstDue = new Date(due.first).getTime();
    const lastDue = new Date(due.last).getTime();
    // Every workflow has recorded its ticket (timer set) before the first deadline, or we say so.
    const settleMs = await waitSettled(stack, lo, hi, created.created, Math.max(60_000, firstDue - Date.now())).catch((err) => {
      process.stderr.write(`[bench] on-time: ${String(err)} by the first deadline\n`);
      return NaN;
    });

    // The deadlines pass: CPU during the window, then every breach recorded (bounded wait).
    const wait = firstDue - Date.now();
    if (wait > 0) await sleep(wait);
    const cpu = cpuMeter(() => stack.pids());
    const all = machineCpu();
    const tasks = workerTaskMeter(stack.worker!.metricsUrl!);
    const serverTasks = serverTaskMeter(stack.temporal.metricsUrls);
    await sleep(Math.max(0, lastDue - Date.now()));
    const cores = { ...cpu.read(), machine: all.read() };
    const workerTasks = await tasks.read();
    const temporalTasks = await serverTasks.read();
    const expected = created.created;
    // Bounded: gives up when no breach has been recorded for 2 minutes, or after 40 minutes.
    const got = await waitCount(
      async () =>
        Number((await stack.db.query(
          `SELECT count(*)::int AS n FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.type = 'sla_breached' AND e.data->>'clock' = 'response' AND t.number BETWEEN $1 AND $2`,
          [lo, hi],
        )).rows[0].n),
      expected,
      { stallMs: 120_000, capMs: 40 * 60_000, everyMs: 500 },
    );
    if (got.n < expected) process.stderr.write(`[bench] on-time: only ${got.n} of ${expected} response breaches recorded\n`);
    const allRecordedAfterLastDueMs = Date.now() - lastDue;
    const b = await responseBreaches(stack, lo, hi);
    // Breach e-mails go out beside the record; give them a moment.
    await waitFor('breach e-mails', async () => (await breachMails(stack, lo, hi)).length >= expected, 60_000, 500).catch(() => {});
    const mails = await breachMails(stack, lo, hi);
    const rss = worker.stop();
    const serverRss = server.stop();
    // What N open, breached tickets take in Postgres: the engine's database, and on the cluster Temporal's two.
    const sizes = Object.fromEntries(
      (await stack.db.query(`SELECT datname, pg_database_size(datname)::float8 AS bytes FROM pg_database WHERE datname IN ('last_call_bench', 'temporal', 'temporal_visibility')`)).rows.map(
        (x: { datname: string; bytes: number }) => [x.datname, round(x.bytes / 1048576)],
      ),
    ) as Record<string, number>;
    const dbMiB = Object.values(sizes).reduce((a, b) => a + b, 0);

    // The 50 latest breaches and 50 others: what held them up, from their histories.
    const { timeouts, timelines } = await lateBreachHistories(stack, b.rows);
    // A machine that took the tickets in slower than the pace asked spreads their deadlines wider,
    // until the chain's warnings and escalations fall among them.
    const chainInWindow = mode === 'paced' && (lastDue - firstDue) / 1000 > pacedChainClearSpreadS(Math.max(...Object.values(setup.responseTargetsS)));
    const late = summarize(b.rows.map((x) => x.late_ms));
    const rec = summarize(b.rows.map((x) => x.recorded_late_ms));
    const mail = summarize(mails);
    const exactlyOne = b.perTicket.one === b.perTicket.tickets && b.perTicket.tickets === N;
    r.figures.push(
      fig({
        key: 'ontime.create',
        label: `creating ${N} tickets (API, ${cfg.createConcurrency} callers)`,
        value: round(created.perSecond),
        unit: 'tickets/s',
        beside: `${round(created.ms / 1000)} s, worker kept ≤ ${cfg.createMaxBacklog || '∞'} behind; ${created.failed} refused`,
      }),
      fig({
        key: 'ontime.spread',
        label: 'deadlines fall within',
        value: round((lastDue - firstDue) / 1000),
        unit: 's',
        beside: `${mode}; first ${round((firstDue - createdAt) / 1000)} s after the last ticket was created; ${round(N / Math.max(1, (lastDue - firstDue) / 1000), 1)} deadlines/s; ${mode === 'paced' ? (chainInWindow ? 'warnings and escalations INSIDE the window (the tickets took longer to create than the chain leaves room for: more alarms than deadlines); ' : 'warnings and escalations outside the window; ') : ''}maxCachedWorkflows ${cacheSetting(cfg.slaMaxCachedWorkflows)}`,
      }),
      fig({ key: 'ontime.late.p50', label: 'response breach lateness p50 (lateByMs)', value: late.p50, unit: 'ms' }),
      fig({ key: 'ontime.late.p99', label: 'response breach lateness p99 (lateByMs)', value: late.p99, unit: 'ms', goal: '< 1000 ms', pass: late.p99 < 1000 }),
      fig({ key: 'ontime.late.max', label: 'response breach lateness max (lateByMs)', value: late.max, unit: 'ms', goal: '< 5000 ms', pass: late.max < 5000 }),
      fig({ key: 'ontime.recorded.p50', label: 'recorded_at - dueAt p50', value: rec.p50, unit: 'ms' }),
      fig({ key: 'ontime.recorded.p99', label: 'recorded_at - dueAt p99', value: rec.p99, unit: 'ms', goal: '< 1000 ms', pass: rec.p99 < 1000 }),
      fig({ key: 'ontime.recorded.max', label: 'recorded_at - dueAt max', value: rec.max, unit: 'ms', goal: '< 5000 ms', pass: rec.max < 5000 }),
      fig({
        key: 'ontime.exactlyOne',
        label: 'tickets with exactly one response breach',
        value: b.perTicket.one,
        unit: `of ${N}`,
        goal: `= ${N}`,
        pass: exactlyOne,
        beside: `none ${b.perTicket.none}, more than one ${b.perTicket.more}`,
      }),
      fig({ key: 'ontime.mail.p99', label: 'breach e-mail sent - dueAt p99', value: mail.p99, unit: 'ms', beside: `${mails.length} of ${N} sent, max ${mail.max} ms` }),
      'error' in timeouts
        ? fig({ key: 'ontime.taskTimeouts', label: 'sampled histories with a workflow task timeout', value: NaN, unit: '', beside: timeouts.error })
        : fig({
            key: 'ontime.taskTimeouts',
            label: 'sampled histories with a workflow task timeout',
            value: timeouts.ticketsWithATimeout,
            unit: `of ${timeouts.histories}`,
            beside: `schedule-to-start (sticky queue) ${timeouts.scheduleToStart}, start-to-close ${timeouts.startToClose}; ${timeouts.workflowTasks} workflow tasks`,
          }),
      fig({
        key: 'ontime.dbSize',
        label: `Postgres databases (${Object.keys(sizes).sort().join(', ')}) at the end`,
        value: dbMiB,
        unit: 'MiB',
        beside: `${Object.entries(sizes).map(([k, v]) => `${k} ${v} MiB`).join(', ')}; ${N} open tickets with a breach each, and the fixtures; empty databases included`,
      }),
      workerTasksFigure('ontime.workerTasks', 'while deadlines fall', workerTasks),
      serverTasksFigure('ontime.serverTasks', 'while deadlines fall', temporalTasks),
      fig({ key: 'ontime.workerRss', label: 'worker RSS peak', value: rss.peakMiB, unit: 'MiB' }),
      fig({ key: 'ontime.temporalRss', label: `Temporal RSS peak (${stack.temporal.mode === 'cluster' ? 'the history service' : 'the dev server'})`, value: serverRss.peakMiB, unit: 'MiB' }),
    );
    r.details = {
      temporalDb: stack.temporal.mode,
      maxCachedWorkflows: cacheSetting(cfg.slaMaxCachedWorkflows),
      createMaxBacklog: cfg.createMaxBacklog || 'unbounded',
      mode,
      tickets: N,
      ...setup,
      creation: { created: created.created, failed: created.failed, errors: created.errors, seconds: round(created.ms / 1000), throttledS: round(created.throttledMs / 1000), perSecond: round(created.perSecond), latency: summarize(created.latency) },
      deadlines: {
        first: new Date(firstDue).toISOString(),
        last: new Date(lastDue).toISOString(),
        spreadS: round((lastDue - firstDue) / 1000),
        firstAfterCreationEndS: round((firstDue - createdAt) / 1000),
      },
      settleAfterCreationMs: settleMs,
      allRecordedAfterLastDueMs,
      lateByMs: late,
      recordedMinusDueMs: rec,
      perTicket: b.perTicket,
      breachMails: { sent: mails.length, sentMinusDueMs: mail },
      cpuDuringDeadlines: cores,
      // From the worker's SDK core, between the first and the last deadline (bench/worker-tasks.ts).
      workerTasksDuringDeadlines: workerTasks,
      // From Temporal's own metrics over the same window (bench/server-tasks.ts).
      temporalTasksDuringDeadlines: temporalTasks,
      workerRss: rss,
      temporalRss: serverRss,
      databaseMiB: sizes,
      workflowTaskTimeouts: { sample: '50 latest breaches and 50 spread over the rest', ...timeouts },
      latestBreaches: timelines,
      // Lateness by second of the window (due time − first deadline): when the late ones fell due.
      lateBySecond: lateBySecond(b.rows, firstDue),
      emailsAccepted: stack.smtp.count(),
      chainInWindow,
      escalationNote:
        mode === 'paced'
          ? `warning at 50 %, breach, manager at 150 % of a target twice the window: ${chainInWindow ? 'both fell within the window (the deadlines spread wider than the chain leaves room for)' : 'neither falls within the window'}; brand meetings on breach turned off`
          : 'default escalation chain (warning at 75 %, breach, manager at 150 %); brand meetings on breach turned off',
    };
  } finally {
    await stack.stop();
  }
}

/** Per second of the window: how many fell due, and their lateness p50 and max (ms), for seconds with a breach over 1 s late. */
function lateBySecond(rows: Array<{ late_ms: number; due_ms: number }>, firstDue: number) {
  const by = new Map<number, number[]>();
  for (const x of rows) {
    const s = Math.floor((Number(x.due_ms) - firstDue) / 1000);
    if (!by.has(s)) by.set(s, []);
    by.get(s)!.push(Number(x.late_ms));
  }
  return [...by]
    .sort((a, b) => a[0] - b[0])
    .filter(([, l]) => Math.max(...l) > 1000)
    .map(([s, l]) => ({ s, n: l.length, p50: summarize(l).p50, max: Math.max(...l) }));
}
