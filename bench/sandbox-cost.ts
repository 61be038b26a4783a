// What the workflow sandbox's two costly options cost, measured where they cost: replaying ticket
// histories, which is what every alarm of a ticket outside the worker's cache does. Not a test.
//
//   npx ts-node --transpile-only bench/sandbox-cost.ts [rounds=5] [replays=20]
//
// Each round runs every variant once, in a process of its own (the SDK installs its promise hook
// once per thread, and a replay runs workflows on the main thread), in a different order each round
// (a shared machine drifts): the deadlock guard (WORKER_ISOLATE_TIMEOUT_MS: the SDK's vm timeout,
// 5 s, or none; WORKER_GUARD_REPLAY: on replayed activations too, or, the default, not) and the
// per-promise stack traces (WORKER_STACK_TRACES). A process replays every
// history in test/histories once to warm up, then `replays` times, measured: its CPU time (all
// threads, so the watchdog threads the vm timeout starts count) per replayed workflow task.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import pino from 'pino';
import { installTemporalRuntime } from '../runtime/temporal-runtime';
import { bundleWorkflows } from '../worker/workflow-bundle';
import { workerPatchApplied } from '../worker/worker';
import { loadAvg, round, summarize } from './stats';

const HISTORIES = path.join(__dirname, '..', 'test', 'histories');

interface Variant {
  name: string;
  isolateTimeoutMs: number;
  /** The guard on replayed activations too (WORKER_GUARD_REPLAY); every activation here is one. */
  guardReplay: boolean;
  stackTraces: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'guard 5 s on replays too, stacks off', isolateTimeoutMs: 5_000, guardReplay: true, stackTraces: false },
  { name: 'guard 5 s (the default),   stacks off', isolateTimeoutMs: 5_000, guardReplay: false, stackTraces: false },
  { name: 'no guard,                  stacks off', isolateTimeoutMs: 0, guardReplay: false, stackTraces: false },
  { name: 'guard 5 s on replays too, stacks on ', isolateTimeoutMs: 5_000, guardReplay: true, stackTraces: true },
  { name: 'no guard,                  stacks on ', isolateTimeoutMs: 0, guardReplay: false, stackTraces: true },
];

/** One variant in this process: CPU µs per replayed workflow task. */
async function measure(v: Variant, replays: number): Promise<number> {
  installTemporalRuntime(pino({ level: 'warn' }));
  const histories = readdirSync(HISTORIES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, f), 'utf8'))) }));
  const tasks = histories.reduce((n, h) => n + (h.history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length, 0);
  const bundle = await bundleWorkflows();
  const run = async (times: number) => {
    const all = function* () {
      for (let i = 0; i < times; i++) for (const h of histories) yield { ...h, workflowId: `${h.workflowId}-${i}` };
    };
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, ...({ isolateExecutionTimeout: v.isolateTimeoutMs } as Partial<WorkerOptions>) }, all())) {
      if (r.error) throw new Error(`${r.workflowId}: ${r.error.message}`);
    }
  };
  await run(1);
  const cpu0 = process.cpuUsage();
  await run(replays);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / (tasks * replays);
}

async function main() {
  if (!workerPatchApplied()) throw new Error('patches/ is not applied: "no guard" and "stacks off" cannot be measured');
  if (process.argv[2] === '--variant') {
    const v = VARIANTS[Number(process.argv[3])];
    // Read by the patched SDK when it installs its hooks, once per thread (worker/worker.ts).
    process.env.WORKFLOW_PROMISE_STACKS = v.stackTraces ? 'on' : 'off';
    process.env.WORKFLOW_GUARD_REPLAY = v.guardReplay ? 'on' : 'off';
    process.stdout.write(JSON.stringify(await measure(v, Number(process.argv[4]))));
    return;
  }
  const rounds = Number(process.argv[2] ?? 5);
  const replays = Number(process.argv[3] ?? 20);
  const perTask: number[][] = VARIANTS.map(() => []);
  const before = loadAvg();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const i = (k + r) % VARIANTS.length;
      const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--variant', String(i), String(replays)], { encoding: 'utf8' });
      perTask[i].push(JSON.parse(out));
    }
  }
  const after = loadAvg();
  const tasks = readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).length;
  process.stdout.write(`${tasks} histories replayed ${replays}× per process, ${rounds} processes per variant; node ${process.version}\n`);
  process.stdout.write(`load before ${before.load1} ${before.load5} ${before.load15}, after ${after.load1} ${after.load5} ${after.load15}\n`);
  process.stdout.write('CPU µs per replayed workflow task (process, all threads): median, min, max of the processes\n');
  VARIANTS.forEach((v, i) => {
    const s = summarize(perTask[i]);
    process.stdout.write(`  ${v.name}  ${round(s.p50)}  ${round(Math.min(...perTask[i]))}  ${round(s.max)}\n`);
  });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
