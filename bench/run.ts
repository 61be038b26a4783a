// The benchmark suite of issue 7 ("Nothing lost, never late"), on either Temporal shape of issue
// 23. Prints figures; not a test.
//
//   npx ts-node --transpile-only bench/run.ts [intake] [on-time] [on-time-burst] [held-open] [recovery] [reports] [same-instant] [bare-sleep]
//
// No name runs them all, one after the other, each on its own stack (temp folder, free ports).
// Sizes come from bench/config.ts (BENCH_TICKETS=1000 … for a quick run); the shape from
// BENCH_TOPOLOGY and BENCH_TEMPORAL_DB. Each benchmark run writes its own file under
// bench/results/ (bench/results-file.ts); npm run bench:table renders the tables from them.
import os from 'node:os';
import path from 'node:path';
import { removeBuild } from './build';
import { cfg, temporalShape } from './config';
import { loadConfig } from '../config';
import { DEFAULT_WORKFLOW_THREADS, effectiveIsolateTimeoutMs } from '../worker/worker';
import { bareSleepBench } from './bare-sleep';
import { heldOpenBench } from './held-open';
import { intakeBench } from './intake';
import { onTimeBench, onTimeBurstBench } from './on-time';
import { recoveryBench } from './recovery';
import { reportsBench } from './reports';
import { table, type Bench, type BenchResult } from './report';
import { RESULTS_DIR, writeResultFile } from './results-file';
import { sameInstantBench } from './same-instant';
import { loadAvg, machine, round } from './stats';

const BENCHES: Record<string, Bench> = {
  intake: intakeBench,
  'on-time': onTimeBench,
  'on-time-burst': onTimeBurstBench,
  'held-open': heldOpenBench,
  recovery: recoveryBench,
  reports: reportsBench,
  'same-instant': sameInstantBench,
  'bare-sleep': bareSleepBench,
};

/** The worker's sandbox settings as the engine's processes read them from this environment (bench/engine-process.ts). */
function workerSandbox() {
  const c = loadConfig(process.env);
  return { isolateTimeoutMs: effectiveIsolateTimeoutMs(c.workerIsolateTimeoutMs), workflowThreads: c.workerWorkflowThreads ?? DEFAULT_WORKFLOW_THREADS, guardReplay: c.workerGuardReplay, stackTraces: c.workerStackTraces, maxCachedWorkflows: c.workerMaxCachedWorkflows ?? null };
}

async function main() {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !BENCHES[n]);
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  const selected = names.length ? names : Object.keys(BENCHES);
  const m = machine();
  const shape = temporalShape();
  const results: BenchResult[] = [];
  const files: string[] = [];

  for (const name of selected) {
    const r: BenchResult = { name, ok: false, startedAt: new Date().toISOString(), durationS: 0, load: { before: loadAvg() }, config: { ...cfg, worker: workerSandbox() }, figures: [], details: {} };
    results.push(r);
    process.stderr.write(`[bench] ${name} on ${shape.topology}/${shape.store}: start (${r.load.before.uptime})\n`);
    const t0 = Date.now();
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(os.loadavg()[0]), 5_000);
    try {
      await BENCHES[name](r);
      r.ok = true;
    } catch (err) {
      r.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`[bench] ${name} failed: ${r.error}\n`);
    }
    r.durationS = round((Date.now() - t0) / 1000);
    clearInterval(sampler);
    r.load.after = loadAvg();
    if (samples.length) r.load.during = { max: round(Math.max(...samples), 2), mean: round(samples.reduce((a, b) => a + b, 0) / samples.length, 2), samples: samples.length };
    process.stderr.write(`[bench] ${name}: done in ${r.durationS} s (${r.load.after.uptime})\n`);
    files.push(writeResultFile(r, m, shape));
  }
  if (!cfg.keep) removeBuild();
  process.stdout.write(`\nLast Call SLA engine benchmarks on ${shape.topology}/${shape.store}  (${m.nproc} cores, ${m.memTotalMiB} MiB, node ${m.node}, ${m.date}, ${m.git.head}${m.git.dirty ? ' + changes' : ''})\n\n`);
  process.stdout.write(table(results) + '\n\n');
  process.stdout.write(`figures, goals, load and details: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  process.stdout.write(`tables: npm run bench:table (from every file in ${path.relative(process.cwd(), RESULTS_DIR)})\n`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
