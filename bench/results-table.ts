// npm run bench:table: renders the benchmark tables from the files under bench/results/ into
// docs/benchmarks.md (every figure, side by side per Temporal shape) and README.md (the headline
// figures), each between its markers, from the newest run of each benchmark on each shape. Nothing
// in those tables is written by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fmt } from './report';
import { readResultFiles, type ResultFile } from './results-file';

/** Columns, in this order when present: the dev server on each store, then the cluster. */
const SHAPES = ['dev/sqlite-memory', 'dev/sqlite-file-defaults', 'dev/sqlite-file', 'cluster/postgres'];
const SHAPE_LABEL: Record<string, string> = {
  'dev/sqlite-memory': 'dev server, in-memory SQLite (the tests)',
  'dev/sqlite-file-defaults': "dev server, SQLite file, SQLite's defaults",
  'dev/sqlite-file': 'dev server, SQLite file as `npm start` runs it (WAL)',
  'cluster/postgres': 'cluster on Postgres (`npm run start:cluster`)',
};
/** The order of the benchmarks (bench/run.ts) and the settings that size each. */
const BENCHES: Array<[string, string[]]> = [
  ['on-time', ['tickets', 'onTimeWindowS']],
  ['same-instant', ['instantCount', 'instantTargetS']],
  ['bare-sleep', ['instantCount']],
  ['on-time-burst', ['tickets']],
  ['intake', ['concurrency', 'intakeS', 'openLoopS']],
  ['held-open', ['tickets']],
  ['recovery', ['tickets', 'downS']],
  ['reports', []],
];
/**
 * The README's table: the two shapes of issue 23 (the dev server as `npm start` runs it, and the
 * cluster), and the figures with a goal, or that a goal is read against, of every benchmark that
 * runs on Temporal (reports reads its own Postgres, whatever the shape). The other stores, and every
 * figure, are in docs/benchmarks.md.
 */
export const HEADLINE_SHAPES = ['dev/sqlite-file', 'cluster/postgres'];
export const HEADLINE: Array<[benchmark: string, key: string]> = [
  ['on-time', 'ontime.late.p99'],
  ['on-time', 'ontime.late.max'],
  ['same-instant', 'sameinstant.allRecorded'],
  ['same-instant', 'sameinstant.late.p99'],
  ['bare-sleep', 'baresleep.allDone'],
  ['on-time-burst', 'ontime.late.p99'],
  ['intake', 'intake.rate'],
  ['intake', 'intake.open.p99'],
  ['held-open', 'held.workerRss'],
  ['held-open', 'list.p99'],
  ['recovery', 'recovery.time'],
];

export const MARKERS = {
  full: ['<!-- bench-table:start (npm run bench:table writes this part) -->', '<!-- bench-table:end -->'],
  headline: ['<!-- bench-headline:start (npm run bench:table writes this part) -->', '<!-- bench-headline:end -->'],
} as const;

const shapeOf = (f: ResultFile) => `${f.topology}/${f.store}`;
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const sizeKeysOf = (bench: string) => BENCHES.find(([b]) => b === bench)?.[1] ?? [];
const sizeOf = (f: ResultFile) => sizeKeysOf(f.benchmark).map((k) => `${k} ${String(f.settings[k])}`).join(', ');

/**
 * The newest run of each benchmark on each shape, by section: a benchmark run at more than one size
 * (on-time at 2,000 and at 10,000 tickets) gets a section per size, so no row sets a small run
 * beside a large one.
 */
export function newest(files: ResultFile[]): Map<string, Map<string, ResultFile>> {
  const sizes = new Map<string, Set<string>>();
  for (const f of files) sizes.set(f.benchmark, (sizes.get(f.benchmark) ?? new Set()).add(sizeOf(f)));
  const section = (f: ResultFile) => (sizes.get(f.benchmark)!.size > 1 ? `${f.benchmark}, ${sizeOf(f)}` : f.benchmark);
  const by = new Map<string, Map<string, ResultFile>>();
  for (const f of files) {
    const shapes = by.get(section(f)) ?? new Map<string, ResultFile>();
    by.set(section(f), shapes);
    const cur = shapes.get(shapeOf(f));
    if (!cur || f.startedAt > cur.startedAt) shapes.set(shapeOf(f), f);
  }
  // In the order of BENCHES; of one benchmark's sections, the one run on the most shapes first.
  const rank = (b: string) => {
    const i = BENCHES.findIndex(([x]) => x === b);
    return i < 0 ? BENCHES.length : i;
  };
  const benchOf = (shapes: Map<string, ResultFile>) => [...shapes.values()][0].benchmark;
  return new Map(
    [...by].sort(
      ([ta, a], [tb, b]) =>
        rank(benchOf(a)) - rank(benchOf(b)) || benchOf(a).localeCompare(benchOf(b)) || b.size - a.size || ta.localeCompare(tb),
    ),
  );
}

function columns(files: ResultFile[]): string[] {
  const present = new Set(files.map(shapeOf));
  return [...SHAPES.filter((s) => present.has(s)), ...[...present].filter((s) => !SHAPES.includes(s)).sort()];
}

function cell(f: ResultFile | undefined, key: string): string {
  if (!f) return '';
  const x = f.figures.find((g) => g.key === key);
  if (!x) return f.ok ? '' : 'failed';
  const v = x.value === null || x.value === undefined ? NaN : x.value;
  const mark = x.pass === undefined ? '' : x.pass ? ' ✓' : ' ✗';
  // Ten seconds and more read as seconds.
  const shown = x.unit === 'ms' && Math.abs(v) >= 10_000 ? fmt(v / 1000, 's') : fmt(v, x.unit);
  return esc(`${shown}${mark}`);
}

function runLine(f: ResultFile, sizeKeys: string[]): string {
  const l = f.load;
  const sizes = sizeKeys.map((k) => `${k} ${String(f.settings[k])}`).join(', ');
  return esc(
    `${f.startedAt.slice(0, 16).replace('T', ' ')} UTC, \`${f.commit ?? '?'}\`${f.dirty ? ' + uncommitted changes' : ''}, ` +
      `${sizes ? `${sizes}, ` : ''}load ${l.before.load1} → ${l.after?.load1 ?? '?'}${l.during ? ` (during: mean ${l.during.mean}, max ${l.during.max})` : ''}, ${f.machine.nproc} × ${f.machine.cpuModel ?? '?'}` +
      `${f.ok ? '' : `; **failed**: ${(f.error ?? '').split('\n')[0].slice(0, 120)}`}`,
  );
}

/** Every figure of every benchmark, a column per shape; then which run each column shows. */
export function renderFull(files: ResultFile[]): string {
  if (!files.length) return '_No results yet: `npm run bench` writes them to bench/results/._';
  const out: string[] = [];
  for (const [title, shapes] of newest(files)) {
    const cols = columns([...shapes.values()]);
    const runs = cols.map((c) => shapes.get(c));
    const keys: string[] = [];
    const label = new Map<string, { label: string; goal?: string }>();
    for (const f of runs) for (const g of f?.figures ?? []) if (!label.has(g.key)) keys.push(g.key), label.set(g.key, { label: g.label, goal: g.goal });
    // A figure's words as the newest run puts them.
    for (const f of [...runs].filter(Boolean).sort((a, b) => a!.startedAt.localeCompare(b!.startedAt))) for (const g of f!.figures) label.set(g.key, { label: g.label, goal: g.goal });
    out.push(`### ${title}`, '');
    out.push(`| figure | goal | ${cols.map((c) => SHAPE_LABEL[c] ?? c).join(' | ')} |`);
    out.push(`|---|---|${cols.map(() => '---|').join('')}`);
    for (const k of keys) out.push(`| ${esc(label.get(k)!.label)} | ${esc(label.get(k)!.goal ?? '')} | ${runs.map((f) => cell(f, k)).join(' | ')} |`);
    if (!keys.length) out.push(`| (no figures) | | ${runs.map((f) => (f && !f.ok ? 'failed' : '')).join(' | ')} |`);
    out.push('');
    const sizeKeys = sizeKeysOf([...shapes.values()][0].benchmark);
    for (const [i, c] of cols.entries()) out.push(`- ${SHAPE_LABEL[c] ?? c}: ${runLine(runs[i]!, sizeKeys)}`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/** The headline figures only, a column per shape of HEADLINE_SHAPES (README.md). */
export function renderHeadline(files: ResultFile[]): string {
  const shown = files.filter((f) => HEADLINE_SHAPES.includes(shapeOf(f)));
  if (!shown.length) return '_No results yet._';
  const by = newest(shown);
  const cols = columns(shown);
  const out = [`| figure | goal | ${cols.map((c) => SHAPE_LABEL[c] ?? c).join(' | ')} |`, `|---|---|${cols.map(() => '---|').join('')}`];
  const used = new Set<string>();
  for (const [bench, key] of HEADLINE) {
    // Of the benchmark's sections (one per size) with this figure, the one run on the most shapes,
    // then the one whose oldest column is newest: the table shows one sweep, not a mix of sizes.
    const oldest = (shapes: Map<string, ResultFile>) => [...shapes.values()].map((f) => f.startedAt).sort()[0];
    const hit = [...by]
      .filter(([, shapes]) => [...shapes.values()].some((f) => f.benchmark === bench && f.figures.some((g) => g.key === key)))
      .sort(([, a], [, b]) => b.size - a.size || oldest(b).localeCompare(oldest(a)))[0];
    if (!hit) continue;
    const [title, runs] = hit;
    used.add(title);
    const any = [...runs.values()].flatMap((f) => f.figures).find((g) => g.key === key)!;
    out.push(`| ${esc(`${title}: ${any.label}`)} | ${esc(any.goal ?? '')} | ${cols.map((c) => cell(runs.get(c), key)).join(' | ')} |`);
  }
  const runsOf = (c: string) =>
    [...by]
      .filter(([title]) => used.has(title))
      .map(([, shapes]) => shapes.get(c))
      .filter((f): f is ResultFile => Boolean(f));
  const all = cols.flatMap(runsOf);
  out.push(`| runs (commit, date, load average before → after, max during) | | ${cols.map((c) => esc(runsLine(runsOf(c), all))).join(' | ')} |`);
  return out.join('\n');
}

/**
 * Which runs a column shows: the machine is shared, and its load says how far to trust a figure.
 * When every run of the table is of one commit, it says so once a column instead of once a run.
 */
function runsLine(runs: ResultFile[], all: ResultFile[]): string {
  const label = (f: ResultFile) => `\`${f.commit ?? '?'}\`${f.dirty ? '+' : ''}`;
  const oneCommit = all.length > 0 && all.every((f) => f.commit && !f.dirty && f.commit === all[0].commit);
  const load = (f: ResultFile) => `load ${f.load.before.load1} → ${f.load.after?.load1 ?? '?'}${f.load.during ? ` (max ${f.load.during.max})` : ''}`;
  if (!oneCommit) return runs.map((f) => `${f.benchmark} ${label(f)} ${f.startedAt.slice(0, 10)}, ${load(f)}`).join('; ');
  const at = runs.map((f) => f.startedAt).sort();
  const span = at.length ? `${at[0].slice(0, 16).replace('T', ' ')} – ${at[at.length - 1].slice(11, 16)} UTC` : '';
  const maxLoad = Math.max(...runs.map((f) => f.load.during?.max ?? f.load.before.load1));
  return `every run of the table at ${label(all[0])}, ${span} (runs started), load max ${maxLoad}`;
}

/** `doc` with the text between `markers` replaced by `body`; throws when the markers are missing. */
export function between(doc: string, markers: readonly [string, string], body: string): string {
  const a = doc.indexOf(markers[0]);
  const b = doc.indexOf(markers[1]);
  if (a < 0 || b < a) throw new Error(`markers not found: ${markers[0]} … ${markers[1]}`);
  return `${doc.slice(0, a + markers[0].length)}\n${body}\n${doc.slice(b)}`;
}

function main() {
  const root = path.join(__dirname, '..');
  const files = readResultFiles();
  for (const [file, markers, body] of [
    ['docs/benchmarks.md', MARKERS.full, renderFull(files)],
    ['README.md', MARKERS.headline, renderHeadline(files)],
  ] as const) {
    const p = path.join(root, file);
    writeFileSync(p, between(readFileSync(p, 'utf8'), markers, body));
    process.stdout.write(`${file}: ${files.length} result files\n`);
  }
}

if (require.main === module) main();
