// One process of a multi-process topology (npm run start:cluster, the topology fault tests): its
// own log file, a readiness check, and a handle to kill it (as a fault would) and start it again
// with the same command. Optionally kept running: started again when it exits by itself, a
// bounded number of times.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { lowerPriority } from './priority';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  /** The whole environment of the process (nothing is inherited unless the caller passes it). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Resolves once the process serves; called again until it does or `readyTimeoutMs` passes. */
  ready: (p: ManagedProcess) => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Niceness to lower the process to once started (runtime/priority.ts). */
  nice?: number;
  /**
   * Started again when it exits by itself: at most `maxRestarts` within `windowMs`, then `onGiveUp`;
   * never once `active` says no (a Ctrl-C in a terminal reaches every child along with the parent).
   */
  keepRunning?: {
    maxRestarts: number;
    windowMs: number;
    active?: () => boolean;
    onRestart?: (code: number | null, signal: NodeJS.Signals | null) => void;
    onGiveUp: (reason: string) => void;
  };
}

export interface ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess | undefined;
  /** The last 64 kB of its output (stdout and stderr), for readiness checks and error messages. */
  output(): string;
  start(): Promise<void>;
  /** Sends `signal` and waits for the exit; not started again by keepRunning. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_BYTES = 64 * 1024;

/** Every child still running: none outlives the process that started it, however that one ends. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function managedProcess(o: ManagedProcessOptions): ManagedProcess {
  mkdirSync(path.dirname(o.logFile), { recursive: true });
  let child: ChildProcess | undefined;
  let log: WriteStream | undefined;
  let tail = '';
  let stopping = false;
  const restarts: number[] = [];

  const handle: ManagedProcess = {
    name: o.name,
    logFile: o.logFile,
    get child() {
      return child;
    },
    output: () => tail,
    start,
    async kill(signal = 'SIGKILL') {
      stopping = true;
      await exit(child, signal);
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await exit(c, 'SIGTERM');
      clearTimeout(timer);
    },
  };

  function spawnOnce(): ChildProcess {
    log ??= createWriteStream(o.logFile, { flags: 'a' });
    log.write(`\n---- ${new Date().toISOString()} starting ${o.name}: ${o.command} ${o.args.join(' ')}\n`);
    // What the last run said is no evidence about this one.
    tail = '';
    const c = spawn(o.command, o.args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(c);
    const keep = (d: Buffer) => {
      log!.write(d);
      tail = (tail + d.toString('utf8')).slice(-TAIL_BYTES);
    };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    c.once('exit', (code, signal) => {
      live.delete(c);
      log?.write(`---- ${new Date().toISOString()} ${o.name} exited (${signal ?? code})\n`);
      if (stopping || c !== child || !o.keepRunning || o.keepRunning.active?.() === false) return;
      const now = Date.now();
      while (restarts.length && restarts[0] < now - o.keepRunning.windowMs) restarts.shift();
      if (restarts.length >= o.keepRunning.maxRestarts) {
        o.keepRunning.onGiveUp(`${o.name} exited ${restarts.length + 1} times within ${o.keepRunning.windowMs / 1000} s; see ${o.logFile}`);
        return;
      }
      restarts.push(now);
      o.keepRunning.onRestart?.(code, signal);
      // A moment's pause per recent restart: a process that cannot start does not spin.
      setTimeout(() => {
        if (!stopping && o.keepRunning!.active?.() !== false) start().catch((err) => o.keepRunning!.onGiveUp(`${o.name} did not start again: ${(err as Error).message}`));
      }, 1_000 * restarts.length);
    });
    return c;
  }

  async function start(): Promise<void> {
    stopping = false;
    const c = (child = spawnOnce());
    if (c.pid && o.nice) lowerPriority(c.pid, o.nice);
    const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) {
        throw new Error(`${o.name} exited (${c.signalCode ?? c.exitCode}) before it was ready; see ${o.logFile}:\n${tail.slice(-3000)}`);
      }
      if (await o.ready(handle).catch(() => false)) return;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`${o.name} not ready within ${(o.readyTimeoutMs ?? 60_000) / 1000} s; see ${o.logFile}:\n${tail.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  return handle;
}

function exit(c: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill(signal);
  });
}
