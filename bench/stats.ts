// Percentiles, machine facts, load average, and per-process RSS / CPU read from /proc.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of a sorted array. */
export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(pct(s, 50)), p90: r(pct(s, 90)), p99: r(pct(s, 99)), max: r(s[s.length - 1] ?? NaN), mean: r(mean) };
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function loadAvg(): { at: string; load1: number; load5: number; load15: number; uptime: string } {
  const [load1, load5, load15] = os.loadavg().map((x) => round(x, 2));
  let uptime = '';
  try {
    uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    uptime = `load average: ${load1}, ${load5}, ${load15}`;
  }
  return { at: new Date().toISOString(), load1, load5, load15, uptime };
}

export function machine() {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: Number(sh('nproc', [])) || os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    freeM: sh('free', ['-m']),
    memTotalMiB: Math.round(os.totalmem() / 1048576),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    load: loadAvg(),
    // What was measured: the commit and the files changed on top of it (the tree is shared).
    git: gitState(sh('git', ['rev-parse', '--short', 'HEAD']), sh('git', ['status', '--short', '--untracked-files=all'])),
  };
}

/**
 * The commit and the files changed on top of it. Dirty when any file but the results themselves
 * changed (bench/results/: a run's file must not make the next run's tree dirty).
 */
export function gitState(head: string | null, status: string | null): { head: string | null; dirty: boolean; changed: string[] } {
  const changed = status?.split('\n').filter(Boolean) ?? [];
  return { head, dirty: changed.some((l) => !/^\s*\S+\s+"?bench\/results\//.test(l)), changed };
}

/** Resident memory of one process, from /proc/<pid>/status (MiB); null once it is gone. */
export function rssMiB(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: round(kb('VmRSS') / 1024), hwm: round(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped: peak and last value. */
export function rssSampler(pid: () => number | undefined, everyMs = 500) {
  const samples: Array<{ t: number; rss: number }> = [];
  const timer = setInterval(() => {
    const p = pid();
    const r = p ? rssMiB(p) : null;
    if (r) samples.push({ t: Date.now(), rss: r.rss });
  }, everyMs);
  timer.unref();
  return {
    samples,
    stop() {
      clearInterval(timer);
      const vals = samples.map((s) => s.rss);
      return { peakMiB: vals.length ? Math.max(...vals) : NaN, lastMiB: vals.length ? vals[vals.length - 1] : NaN, samples: vals.length };
    },
  };
}

const CLK_TCK = 100;

interface ProcTimes {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number;
}

function procTimes(): ProcTimes[] {
  const out: ProcTimes[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = s.lastIndexOf(')');
      const comm = s.slice(s.indexOf('(') + 1, close);
      const f = s.slice(close + 2).split(' ');
      // fields after comm: state(0) ppid(1) … utime(11) stime(12)
      out.push({ pid: Number(d), ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU used by named process trees over a window, in cores (1.0 = one core busy all the time).
 * `roots` maps a label to the pid whose whole subtree counts under it.
 */
export function cpuMeter(roots: () => Record<string, number | undefined>) {
  const take = () => {
    const procs = procTimes();
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    const rootMap = roots();
    const labelOf = new Map<number, string>();
    for (const [label, pid] of Object.entries(rootMap)) if (pid) labelOf.set(pid, label);
    const ticks: Record<string, number> = {};
    for (const p of procs) {
      let cur: ProcTimes | undefined = p;
      let label: string | undefined;
      for (let hops = 0; cur && hops < 20; hops++) {
        label = labelOf.get(cur.pid);
        if (label) break;
        cur = byPid.get(cur.ppid);
      }
      if (label) ticks[label] = (ticks[label] ?? 0) + p.ticks;
      // A part of several processes (temporal:history, temporal:frontend, … on the cluster) also counts in its whole.
      if (label?.includes(':')) ticks[label.split(':')[0]] = (ticks[label.split(':')[0]] ?? 0) + p.ticks;
      // Processes that left in the window are missed; the windows here are seconds long.
    }
    return { at: Date.now(), ticks };
  };
  let start = take();
  return {
    reset() {
      start = take();
    },
    /** Cores used per label since the start (or the last reset). */
    read(): Record<string, number> {
      const end = take();
      const secs = (end.at - start.at) / 1000;
      const out: Record<string, number> = {};
      for (const label of new Set([...Object.keys(start.ticks), ...Object.keys(end.ticks)])) {
        const used = Math.max(0, (end.ticks[label] ?? 0) - (start.ticks[label] ?? 0));
        out[label] = round(used / CLK_TCK / secs, 2);
      }
      return out;
    },
  };
}

/** Whole-machine CPU busy fraction between two reads of /proc/stat, in cores. */
export function machineCpu() {
  const read = () => {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = line[3] + (line[4] ?? 0);
    const total = line.reduce((a, b) => a + b, 0);
    return { idle, total };
  };
  let a = read();
  return {
    reset() {
      a = read();
    },
    read() {
      const b = read();
      const busy = 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
      return round(busy * os.cpus().length, 2);
    },
  };
}

/** The newest direct child of this process with that command name (e.g. a server the SDK spawned). */
export function childPid(comm: string): number | undefined {
  const mine = procTimes().filter((p) => p.ppid === process.pid && p.comm === comm);
  return mine.length ? Math.max(...mine.map((p) => p.pid)) : undefined;
}
