// The benchmark suite of issue 7 ("Nothing lost, never late"). Prints figures; not a test.
//
//   npx ts-node --transpile-only bench/run.ts [intake] [on-time] [on-time-burst] [held-open] [recovery] [reports]
//
// No name runs all six, one after the other, each on its own stack (temp folder, free ports).
// Sizes come from bench/config.ts (BENCH_TICKETS=1000 … for a quick run). Writes bench/results.json
// (or BENCH_OUT): the benchmarks run replace their own entries, the others are kept.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { installTemporalRuntime } from '../runtime/temporal-runtime';
import { removeBuild } from './build';
import { cfg } from './config';
import { heldOpenBench } from './held-open';
import { intakeBench } from './intake';
import { onTimeBench, onTimeBurstBench } from './on-time';
import { recoveryBench } from './recovery';
import { reportsBench } from './reports';
import { table, type Bench, type BenchResult } from './report';
import { loadAvg, machine, round } from './stats';

const BENCHES: Record<string, Bench> = {
  intake: intakeBench,
  'on-time': onTimeBench,
  'on-time-burst': onTimeBurstBench,
  'held-open': heldOpenBench,
  recovery: recoveryBench,
  reports: reportsBench,
};

async function main() {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !BENCHES[n]);
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  const selected = names.length ? names : Object.keys(BENCHES);
  // bench/results.json keeps the latest run of each benchmark: a run of some replaces only theirs.
  const out = process.env.BENCH_OUT ?? path.join(__dirname, 'results.json');
  let kept: BenchResult[] = [];
  try {
    kept = (JSON.parse(readFileSync(out, 'utf8')) as { benchmarks: BenchResult[] }).benchmarks.filter((b) => !selected.includes(b.name));
  } catch {
    // none yet
  }
  const m = machine();
  const suiteStart = Date.now();
  const results: BenchResult[] = [];
  const write = () => {
    const all = [...kept, ...results].sort((a, b) => Object.keys(BENCHES).indexOf(a.name) - Object.keys(BENCHES).indexOf(b.name));
    writeFileSync(out, JSON.stringify({ machine: m, config: cfg, lastRun: { benchmarks: selected, totalS: round((Date.now() - suiteStart) / 1000) }, benchmarks: all }, null, 2) + '\n');
  };

  for (const name of selected) {
    const r: BenchResult = { name, ok: false, startedAt: new Date().toISOString(), durationS: 0, load: { before: loadAvg() }, config: { ...cfg }, figures: [], details: {} };
    results.push(r);
    process.stderr.write(`[bench] ${name}: start (${r.load.before.uptime})\n`);
    const t0 = Date.now();
    try {
      await BENCHES[name](r);
      r.ok = true;
    } catch (err) {
      r.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`[bench] ${name} failed: ${r.error}\n`);
    }
    r.durationS = round((Date.now() - t0) / 1000);
    r.load.after = loadAvg();
    process.stderr.write(`[bench] ${name}: done in ${r.durationS} s (${r.load.after.uptime})\n`);
    write();
  }
  write();
  if (!cfg.keep) removeBuild();
  process.stdout.write(`\nLast Call SLA engine benchmarks  (${m.nproc} cores, ${m.memTotalMiB} MiB, node ${m.node}, ${m.date})\n\n`);
  process.stdout.write(table(results) + '\n\n');
  process.stdout.write(`figures, goals, load and details: ${path.relative(process.cwd(), out)}\n`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
