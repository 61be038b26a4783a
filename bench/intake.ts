// 1. intake: sustained tickets/s and latency of POST /api/tickets through the whole stack, beside
// the bare limits measured on the same Postgres and Temporal server in the same run: a no-op
// workflow started with the Temporal client, and a bare INSERT into a copy of the tickets table.
// Then open loop at half the sustained rate.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Pool } from 'pg';
import { cfg } from './config';
import { fig, type BenchResult } from './report';
import { backlogGate, bundle, startStack, ticketBody, waitSettled, type Stack } from './stack';
import { cpuMeter, machineCpu, round, sleep, summarize } from './stats';

interface LoopResult {
  perSecond: number;
  /** Time callers were held by the backlog gate, in all (ms). */
  heldMs: number;
  latency: ReturnType<typeof summarize>;
  completed: number;
  failed: number;
  errors: string[];
  cpu: Record<string, number>;
}

/**
 * Closed loop: `concurrency` callers, each sends its next call when the last one answered. Calls
 * that finish in the warm-up are not counted; the rate is calls finished in the window / window.
 * With a gate, a caller first waits while the engine is too far behind (not counted as latency).
 */
async function closedLoop(
  stack: Stack,
  concurrency: number,
  warmupS: number,
  windowS: number,
  op: (i: number) => Promise<boolean | string>,
  gate?: Awaited<ReturnType<typeof backlogGate>>,
): Promise<LoopResult> {
  const cpu = cpuMeter(() => stack.pids());
  const all = machineCpu();
  const t0 = performance.now();
  const warmEnd = t0 + warmupS * 1000;
  const end = warmEnd + windowS * 1000;
  let next = 0;
  let measuring = false;
  const lat: number[] = [];
  let failed = 0;
  let heldMs = 0;
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (gate) heldMs += await gate.admit();
        const s = performance.now();
        let ok: boolean | string;
        try {
          ok = await op(next++);
        } catch (err) {
          ok = String(err);
        }
        const e = performance.now();
        if (ok !== true) gate?.refused();
        if (!measuring && e >= warmEnd) {
          measuring = true;
          cpu.reset();
          all.reset();
        }
        if (e < warmEnd || e > end) continue;
        if (ok === true) lat.push(e - s);
        else {
          failed++;
          if (errors.length < 5) errors.push(String(ok));
        }
      }
    }),
  );
  const cores = { ...cpu.read(), machine: all.read() };
  return { perSecond: round(lat.length / windowS), heldMs: round(heldMs), latency: summarize(lat), completed: lat.length, failed, errors, cpu: cores };
}

/** Open loop: calls sent on a schedule (Poisson or fixed gaps) whatever the answers; latency counts from the scheduled time. */
async function openLoop(rate: number, seconds: number, op: (i: number) => Promise<boolean | string>) {
  const n = Math.max(1, Math.round(rate * seconds));
  const sched: number[] = [];
  let t = performance.now() + 200;
  for (let i = 0; i < n; i++) {
    sched.push(t);
    t += cfg.arrivals === 'uniform' ? 1000 / rate : (-Math.log(1 - Math.random()) * 1000) / rate;
  }
  const lat: number[] = [];
  let failed = 0;
  const errors: string[] = [];
  let maxBehind = 0;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n; ) {
    const now = performance.now();
    while (i < n && sched[i] <= now) {
      const at = sched[i];
      maxBehind = Math.max(maxBehind, now - at);
      const idx = i++;
      inflight.push(
        op(idx).then(
          (ok) => {
            if (ok === true) lat.push(performance.now() - at);
            else {
              failed++;
              if (errors.length < 5) errors.push(String(ok));
            }
          },
          (err) => {
            failed++;
            if (errors.length < 5) errors.push(String(err));
          },
        ),
      );
    }
    if (i < n) await sleep(Math.max(0, sched[i] - performance.now()));
  }
  await Promise.all(inflight);
  return { sent: n, seconds: round((sched[n - 1] - sched[0]) / 1000), latency: summarize(lat), failed, errors, schedulerMaxBehindMs: round(maxBehind) };
}

/**
 * Does intake keep answering at this concurrency? `seconds` of closed loop; stalled when calls are
 * in flight but none has finished for `quietMs`. Calls still hanging are left to the caller.
 */
async function stallProbe(concurrency: number, seconds: number, quietMs: number, op: (i: number) => Promise<boolean | string>) {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let next = 0;
  let done = 0;
  let failed = 0;
  let inflight = 0;
  let lastDone = t0;
  const errors: string[] = [];
  const callers = Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      inflight++;
      const ok = await op(next++).catch((err) => String(err));
      inflight--;
      lastDone = performance.now();
      if (ok === true) done++;
      else {
        failed++;
        if (errors.length < 3) errors.push(String(ok));
      }
    }
  });
  const all = Promise.all(callers);
  await Promise.race([all, sleep(seconds * 1000 + quietMs)]);
  const now = performance.now();
  const stalled = inflight > 0 && now - lastDone >= quietMs;
  return { stalled, completed: done, failed, inflightAtEnd: inflight, quietForMs: round(now - lastDone), errors, settle: all };
}

export async function intakeBench(r: BenchResult): Promise<void> {
  // The bare limits are measured with the Temporal server at the priority it starts with.
  const stack = await startStack('intake', { temporalPriorityLater: true });
  try {
    const C = cfg.concurrency;
    const rs = stack.fx.requesters;
    const impacts = ['A', 'B', 'C'] as const;
    const fileTicket = async (i: number) => {
      const q = rs[i % rs.length];
      const reply = await stack.http.call('POST', '/api/tickets', q.token, ticketBody(q, i, impacts[i % 3]));
      return reply.status === 201 ? true : `${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`;
    };

    // ---- Can intake take `C` callers at all with the API's pool as configured (default: the engine's)?
    // A burst from a few customers: half of them (their intakes queue on the customer's row lock).
    const poolLabel = stack.apiDbPool ? `pool ${stack.apiDbPool}` : 'default pool';
    const burstCustomers = Math.max(1, Math.ceil(stack.fx.customers.length / 2));
    const burst = rs.filter((q) => stack.fx.customers.slice(0, burstCustomers).some((c) => c.id === q.customerId));
    const probe = await stallProbe(C, 8, 5_000, async (i) => {
      const q = burst[i % burst.length];
      const reply = await stack.http.call('POST', '/api/tickets', q.token, ticketBody(q, 2_000_000 + i, impacts[i % 3]));
      return reply.status === 201 ? true : `${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`;
    });
    r.figures.push(
      fig({
        key: 'intake.noStall',
        label: `intake answers ${C} callers of ${burstCustomers} customers (${poolLabel})`,
        value: probe.completed,
        unit: 'calls in 8 s',
        goal: 'no stall',
        pass: !probe.stalled,
        beside: probe.stalled ? `STALLED: ${probe.inflightAtEnd} calls hanging, none finished for ${round(probe.quietForMs / 1000)} s` : `${probe.failed} failed`,
      }),
    );
    let measuredPool: number | null = stack.apiDbPool;
    if (probe.stalled) {
      // Measure the rest with a pool big enough that every call can hold two connections.
      measuredPool = 2 * C + 8;
      process.stderr.write(`[bench] intake stalled at ${C} callers with the ${poolLabel}; measuring with pool ${measuredPool}\n`);
      await stack.restartApi(measuredPool);
      await probe.settle.catch(() => {});
      await sleep(6_000); // the new API's outbox sweep starts what the killed one accepted
    } else {
      await probe.settle;
    }

    // ---- bare limit 1: a no-op workflow started by the Temporal client, its own worker and task queue.
    const noopCode = await bundle(require.resolve('./noop-workflow'));
    const native = await NativeConnection.connect({ address: stack.temporal.address });
    const noopWorker = await Worker.create({ connection: native, namespace: 'default', taskQueue: 'bench-noop', workflowBundle: { code: noopCode } });
    const noopRun = noopWorker.run();
    const connection = await Connection.connect({ address: stack.temporal.address });
    const client = new Client({ connection, namespace: 'default' });
    const runId = randomUUID().slice(0, 8);
    const bareStart = await closedLoop(stack, C, cfg.intakeWarmupS, cfg.bareS, async (i) => {
      await client.workflow.start('noopWorkflow', { taskQueue: 'bench-noop', workflowId: `noop-${runId}-${i}` });
      return true;
    });
    noopWorker.shutdown();
    await noopRun;
    await native.close();
    await connection.close();

    // ---- bare limit 2: INSERT into a copy of the tickets table (same columns, defaults and indexes, no foreign keys).
    await stack.db.query('CREATE TABLE bench_bare_tickets (LIKE tickets INCLUDING DEFAULTS INCLUDING INDEXES)');
    const custId = stack.fx.customers[0].id;
    const bare = new Pool({ connectionString: stack.databaseUrl, max: C });
    bare.on('error', () => {});
    const targets = JSON.stringify({ responseMs: 3_600_000, resolutionMs: 14_400_000, autoCloseAfterMs: 604_800_000 });
    const bareInsert = await closedLoop(stack, C, cfg.intakeWarmupS, cfg.bareS, async () => {
      await bare.query(
        `INSERT INTO bench_bare_tickets (id, customer_id, requester_email, requester_name, plan, impact, type, channel, subject, description,
                                         received_at, targets, response_due_at, resolution_due_at, next_due_at, workflow_id)
         VALUES ($1, $2, 'r@customer.bench', 'Requester', 'advanced', 'B', 'problem', 'web', 'Bench ticket: mail queue stuck',
                 'Outgoing mail has been queued since 09:00; the queue holds about 2,000 messages and grows.',
                 now(), $3, now() + interval '1 hour', now() + interval '4 hours', now() + interval '1 hour', 'pending')`,
        [randomUUID(), custId, targets],
      );
      return true;
    });
    await bare.end();
    await stack.db.query('DROP TABLE bench_bare_tickets');

    // ---- intake, closed loop, with the engine's priorities (runtime/priority.ts).
    stack.lowerTemporalPriority();
    const first = Number((await stack.db.query(`SELECT last_value FROM ticket_number_seq`)).rows[0].last_value);
    // Gated like the creation of open tickets in the other benchmarks: callers wait while more than
    // BENCH_CREATE_MAX_BACKLOG accepted tickets are not yet recorded by their workflows, so the rate
    // is what the whole engine sustains, not how fast the API alone answers while a backlog grows.
    const gate = cfg.createMaxBacklog ? await backlogGate(stack, cfg.createMaxBacklog) : undefined;
    const intake = await closedLoop(stack, C, cfg.intakeWarmupS, cfg.intakeS, fileTicket, gate).finally(() => gate?.stop());
    // Does the worker keep up? Time for every workflow of those tickets to record its ticket and send its receipt.
    const last = Number((await stack.db.query(`SELECT last_value FROM ticket_number_seq`)).rows[0].last_value);
    const total = Number((await stack.db.query('SELECT count(*)::int AS n FROM tickets WHERE number > $1 AND number <= $2', [first, last])).rows[0].n);
    const drainMs = await waitSettled(stack, first + 1, last, total, 300_000);

    // ---- one caller at a time: the latency floor of one intake on this machine.
    await sleep(2_000);
    const serialLat: number[] = [];
    for (let i = 0; i < 40; i++) {
      const reply = await stack.http.call('POST', '/api/tickets', rs[i % rs.length].token, ticketBody(rs[i % rs.length], 3_000_000 + i, impacts[i % 3]));
      if (reply.status === 201) serialLat.push(reply.ms);
      await sleep(100);
    }
    const serial = summarize(serialLat);

    // ---- open loop at half the sustained rate.
    await sleep(2_000);
    const half = intake.perSecond / 2;
    const open = await openLoop(half, cfg.openLoopS, (i) => fileTicket(1_000_000 + i));

    const ratio = intake.perSecond / bareStart.perSecond;
    // CPU per call in each process tree: robust to other load on the machine, and what bounds the rate on idle cores.
    const perCall = (l: LoopResult) => {
      const parts: Record<string, number> = {};
      for (const k of ['api', 'worker', 'temporal', 'postgres', 'bench']) parts[k] = round(((l.cpu[k] ?? 0) * 1000) / Math.max(l.perSecond, 0.001));
      const engine = parts.api + parts.worker + parts.temporal + parts.postgres;
      return { parts, engineMs: round(engine), capacityOnIdleCores: round((os.cpus().length * 1000) / Math.max(engine, 0.001)) };
    };
    const cpuIntake = perCall(intake);
    const cpuBare = perCall(bareStart);
    r.figures.push(
      fig({ key: 'intake.rate', label: 'intake, closed loop', value: intake.perSecond, unit: 'tickets/s', goal: '>= 70 % of bare workflow start', pass: ratio >= 0.7, beside: `bare start ${bareStart.perSecond}/s → ${round(ratio * 100)} %` }),
      fig({ key: 'intake.p50', label: 'intake p50 (closed loop)', value: intake.latency.p50, unit: 'ms', beside: `bare start p50 ${bareStart.latency.p50} ms` }),
      fig({ key: 'intake.p99', label: 'intake p99 (closed loop)', value: intake.latency.p99, unit: 'ms', beside: `bare start p99 ${bareStart.latency.p99} ms` }),
      fig({ key: 'bare.start.rate', label: 'bare no-op workflow start', value: bareStart.perSecond, unit: '/s', beside: `p50 ${bareStart.latency.p50} / p99 ${bareStart.latency.p99} ms` }),
      fig({ key: 'bare.insert.rate', label: 'bare INSERT', value: bareInsert.perSecond, unit: '/s', beside: `p50 ${bareInsert.latency.p50} / p99 ${bareInsert.latency.p99} ms` }),
      fig({ key: 'intake.serial.p50', label: 'one caller at a time (100 ms apart) p50', value: serial.p50, unit: 'ms', beside: `p99 ${serial.p99} ms (the floor of one intake)` }),
      fig({ key: 'intake.open.p50', label: `open loop p50 at ${round(half)}/s`, value: open.latency.p50, unit: 'ms' }),
      fig({ key: 'intake.open.p99', label: `open loop p99 at ${round(half)}/s`, value: open.latency.p99, unit: 'ms', goal: '< 50 ms', pass: open.latency.p99 < 50 }),
      fig({
        key: 'intake.cpuPerTicket',
        label: 'CPU per ticket (API + worker + Temporal + Postgres)',
        value: cpuIntake.engineMs,
        unit: 'ms',
        beside: `api ${cpuIntake.parts.api}, worker ${cpuIntake.parts.worker}, temporal ${cpuIntake.parts.temporal}, postgres ${cpuIntake.parts.postgres} → at most ~${cpuIntake.capacityOnIdleCores}/s on ${os.cpus().length} idle cores; bare start ${cpuBare.engineMs} ms (temporal ${cpuBare.parts.temporal})`,
      }),
      fig({ key: 'intake.pool', label: 'API connection pool measured with', value: measuredPool ?? 10, unit: 'connections', beside: measuredPool ? 'raised after the stall above' : 'engine default' }),
      fig({
        key: 'intake.drain',
        label: 'worker caught up after closed loop',
        value: round(drainMs / 1000),
        unit: 's',
        beside: `${total} tickets recorded + receipts sent; callers held ${round((100 * intake.heldMs) / (C * (cfg.intakeWarmupS + cfg.intakeS) * 1000))} % of the loop by the backlog gate (${cfg.createMaxBacklog || 'off'})`,
      }),
    );
    r.details = {
      temporalDb: stack.temporal.mode,
      stallProbe: { ...probe, settle: undefined },
      apiDbPool: measuredPool,
      concurrency: C,
      customers: stack.fx.customers.length,
      requesters: rs.length,
      warmupS: cfg.intakeWarmupS,
      windowS: { intake: cfg.intakeS, bare: cfg.bareS, openLoop: cfg.openLoopS },
      arrivals: cfg.arrivals,
      backlogGate: cfg.createMaxBacklog || null,
      backgroundNice: cfg.backgroundNice,
      intake,
      bareWorkflowStart: bareStart,
      bareInsert,
      serial,
      openLoop: { ratePerSecond: round(half), ...open },
      cpuMsPerCall: { intake: cpuIntake, bareWorkflowStart: cpuBare, note: 'bare start: the no-op worker runs in the bench process' },
      ticketsFiled: total,
      workerDrainMs: drainMs,
      emailsAccepted: stack.smtp.count(),
      smtpConnections: stack.smtp.connections(),
      engineReadyMs: { api: stack.api.readyMs, worker: stack.worker?.readyMs },
      cpuNote: 'cpu: cores used per process tree during the measured window (bench = load generator + SMTP sink)',
    };
  } finally {
    await stack.stop();
  }
}
