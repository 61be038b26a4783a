// One file per benchmark run under bench/results/: what ran (commit, whether the tree had changes,
// the machine and its load before and after, the Temporal shape, the settings) and what it measured
// (figures with their goals, details). Written by the code only; bench/results-table.ts renders the
// tables of docs/benchmarks.md and README.md from them, the newest run of each benchmark per shape.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchResult, Figure } from './report';
import type { loadAvg, machine } from './stats';

export const RESULTS_DIR = path.join(__dirname, 'results');

export interface ResultFile {
  /** Bumped when the shape of this file changes. */
  format: 1;
  benchmark: string;
  ok: boolean;
  error?: string;
  startedAt: string;
  durationS: number;
  commit: string | null;
  /** Files other than bench/results/ differed from the commit when the run started. */
  dirty: boolean;
  changed: string[];
  machine: { nproc: number; cpuModel: string | null; memTotalMiB: number; node: string; platform: string };
  load: BenchResult['load'];
  /** 'dev' (the CLI's dev server) or 'cluster' (Temporal's services on Postgres). */
  topology: 'dev' | 'cluster';
  /** Temporal's store: sqlite-memory, sqlite-file (what npm start runs), sqlite-file-defaults, postgres. */
  store: string;
  /** bench/config.ts as the run had it. */
  settings: Record<string, unknown>;
  figures: Figure[];
  details: Record<string, unknown>;
}

export function toResultFile(r: BenchResult, m: ReturnType<typeof machine>, shape: { topology: 'dev' | 'cluster'; store: string }): ResultFile {
  return {
    format: 1,
    benchmark: r.name,
    ok: r.ok,
    ...(r.error ? { error: r.error } : {}),
    startedAt: r.startedAt,
    durationS: r.durationS,
    commit: m.git.head,
    dirty: m.git.dirty,
    changed: m.git.changed,
    machine: { nproc: m.nproc, cpuModel: m.cpuModel, memTotalMiB: m.memTotalMiB, node: m.node, platform: m.platform },
    load: r.load,
    topology: shape.topology,
    store: shape.store,
    settings: r.config ?? {},
    figures: r.figures,
    details: r.details,
  };
}

/** bench/results/<start, UTC>-<benchmark>-<topology>-<store>.json (or BENCH_RESULTS_DIR); returns the path. */
export function writeResultFile(r: BenchResult, m: ReturnType<typeof machine>, shape: { topology: 'dev' | 'cluster'; store: string }, dir = process.env.BENCH_RESULTS_DIR || RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = path.join(dir, `${stamp}-${r.name}-${shape.topology}-${shape.store}.json`);
  // Non-finite figures (a count that could not be read) are written as null by JSON.
  writeFileSync(file, JSON.stringify(toResultFile(r, m, shape), null, 2) + '\n');
  return file;
}

export function readResultFiles(dir = RESULTS_DIR): ResultFile[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.sort().map((n) => JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as ResultFile);
}
