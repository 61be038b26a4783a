// bare-sleep: the limit of same-instant on the same shape. N bare workflows (2,000) that only sleep
// until one instant and complete (bench/sleep-workflow.ts, a worker of their own in the benchmark
// process with the SDK's defaults, their own task queue): how fast this Temporal fires N timers at
// once and a worker completes them, with nothing of the engine in the way (no Postgres write, no
// e-mail). same-instant's figures read as a fraction of this one's.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { cfg } from './config';
import { fig, type BenchResult } from './report';
import { SAME_INSTANT_GOAL_S } from './same-instant';
import { bundle, startStack, waitCount } from './stack';
import { cpuMeter, machineCpu, round, sleep, summarize } from './stats';

const QUEUE = 'bench-sleep';

/** Runs `fn(i)` for i in [0, n) with `concurrency` in flight. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
}

export async function bareSleepBench(r: BenchResult): Promise<void> {
  const N = cfg.instantCount;
  // The same shape as the engine's benchmarks (its Postgres, its Temporal), the engine's worker not started.
  const stack = await startStack('bare-sleep', { worker: false });
  const native = await NativeConnection.connect({ address: stack.temporal.address });
  const connection = await Connection.connect({ address: stack.temporal.address });
  const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue: QUEUE, workflowBundle: { code: await bundle(require.resolve('./sleep-workflow')) } });
  const running = worker.run();
  try {
    const client = new Client({ connection, namespace: 'default' });
    const run = randomUUID().slice(0, 8);
    const id = (i: number) => `sleep-${run}-${i}`;
    // The start rate, with 100 workflows that complete at once (they also warm the worker).
    const p0 = Date.now();
    await pool(100, cfg.createConcurrency, async (i) => void (await client.workflow.start('sleepUntil', { taskQueue: QUEUE, workflowId: `${id(i)}-probe`, args: [0] })));
    const startRate = 100 / ((Date.now() - p0) / 1000);
    // The instant: the N starts done with margin, on a whole second.
    const instant = Math.ceil((Date.now() + (1.5 * N * 1000) / startRate + 10_000) / 1000) * 1000;
    const s0 = Date.now();
    await pool(N, cfg.createConcurrency, async (i) => void (await client.workflow.start('sleepUntil', { taskQueue: QUEUE, workflowId: id(i), args: [instant] })));
    const startedS = (Date.now() - s0) / 1000;
    const startedBeforeInstant = Date.now() < instant;
    if (!startedBeforeInstant) process.stderr.write('[bench] bare-sleep: the starts ran past the instant\n');

    if (instant - 2_000 > Date.now()) await sleep(instant - 2_000 - Date.now());
    const cpu = cpuMeter(() => ({ bench: process.pid, ...stack.pids() }));
    const all = machineCpu();
    // Visibility says how many completed (eventually consistent; the exact close times come after).
    // The stack's Temporal is this run's alone: every sleepUntil is ours (the 100 of the probe included).
    const query = `WorkflowType = 'sleepUntil' AND ExecutionStatus = 'Completed'`;
    const got = await waitCount(async () => (await client.workflow.count(query)).count - 100, N, { stallMs: 120_000, capMs: 20 * 60_000, everyMs: 500 });
    const cores = { ...cpu.read(), machine: all.read() };

    // Each workflow's close time, read after the burst.
    const lateMs: number[] = [];
    let open = 0;
    await pool(N, 8, async (i) => {
      const d = await client.workflow.getHandle(id(i)).describe();
      if (d.closeTime) lateMs.push(d.closeTime.getTime() - instant);
      else open++;
    });
    const late = summarize(lateMs);
    const allDoneS = open === 0 && lateMs.length === N ? round(late.max / 1000) : NaN;
    r.figures.push(
      fig({ key: 'baresleep.start', label: `starting ${N} sleeping workflows (${cfg.createConcurrency} callers)`, value: round(N / startedS), unit: 'workflows/s', beside: `${round(startedS)} s; ${startedBeforeInstant ? 'all before the instant' : 'past the instant'}` }),
      fig({
        key: 'baresleep.allDone',
        label: `all ${N} timers fired and their workflows completed, after the instant`,
        value: allDoneS,
        unit: 's',
        beside: `${round(N / Math.max(0.001, allDoneS), 1)} workflows/s; the same-instant goal is ${SAME_INSTANT_GOAL_S} s`,
      }),
      fig({ key: 'baresleep.late.p50', label: 'completed - instant p50', value: late.p50, unit: 'ms' }),
      fig({ key: 'baresleep.late.p99', label: 'completed - instant p99', value: late.p99, unit: 'ms' }),
      fig({ key: 'baresleep.late.max', label: 'completed - instant max', value: late.max, unit: 'ms', beside: `${open} still open` }),
    );
    r.details = {
      temporal: stack.temporal.mode,
      worker: 'in the benchmark process, SDK defaults (cache, pollers), bundle with nothing preloaded',
      probeStartRate: round(startRate),
      instant: new Date(instant).toISOString(),
      startedS: round(startedS),
      completedCountReachedAfterInstantMs: Number.isFinite(got.reachedAt) ? got.reachedAt - instant : null,
      completedMinusInstantMs: late,
      stillOpen: open,
      cpuFromInstantToAllCompleted: cores,
    };
  } finally {
    worker.shutdown();
    await running.catch(() => {});
    await native.close().catch(() => {});
    await connection.close().catch(() => {});
    await stack.stop();
  }
}
