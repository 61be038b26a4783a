// What a benchmark hands back: figures (each with its goal or the limit it is compared with),
// the load before and after, and details; and the short table printed at the end.
import type { loadAvg } from './stats';

export interface Figure {
  /** Stable key, e.g. intake.rate. */
  key: string;
  label: string;
  value: number;
  unit: string;
  /** Human-readable goal, e.g. "< 50 ms" or ">= 70 % of bare workflow start". */
  goal?: string;
  pass?: boolean;
  /** What it is measured against in the same run (the bare limit), shown beside it. */
  beside?: string;
}

export interface BenchResult {
  name: string;
  ok: boolean;
  error?: string;
  startedAt: string;
  durationS: number;
  /** The 1-minute load average before, after, and sampled every 5 s during the run (the machine may be shared). */
  load: { before: ReturnType<typeof loadAvg>; after?: ReturnType<typeof loadAvg>; during?: { max: number; mean: number; samples: number } };
  /** The sizes it ran with (bench/config.ts). */
  config?: Record<string, unknown>;
  figures: Figure[];
  details: Record<string, unknown>;
}

export type Bench = (r: BenchResult) => Promise<void>;

export function fig(f: Figure): Figure {
  return f;
}

export const fmt = (v: number, unit: string) => {
  if (!Number.isFinite(v)) return String(v);
  const n = Math.abs(v) >= 100 ? Math.round(v).toString() : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${n} ${unit}`.trim();
};

export function table(results: BenchResult[]): string {
  const rows: string[][] = [['benchmark', 'figure', 'value', 'goal / beside', 'result']];
  for (const r of results) {
    if (!r.ok) rows.push([r.name, 'ERROR', r.error?.split('\n')[0].slice(0, 80) ?? '', '', 'FAIL']);
    for (const f of r.figures) {
      rows.push([r.name, f.label, fmt(f.value, f.unit), [f.goal, f.beside].filter(Boolean).join('; '), f.pass === undefined ? '' : f.pass ? 'pass' : 'FAIL']);
    }
    const l = r.load;
    rows.push([r.name, 'load avg 1 min before → after', `${l.before.load1} → ${l.after?.load1 ?? '?'}`, `${r.durationS} s run`, '']);
  }
  const widths = rows[0].map((_, i) => Math.min(70, Math.max(...rows.map((row) => row[i].length))));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
