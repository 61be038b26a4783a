// One engine process of a benchmark: runtime/system.ts startSystem as the API (api: true,
// worker: false), as the worker alone (api: false), or both, like the docker-compose deployment
// runs them. Its own process, so its resident memory and CPU are measured alone. Started by
// bench/stack.ts with fork(); options in BENCH_ENGINE (JSON), logs to a file, "ready" over IPC.
import v8 from 'node:v8';
import pino from 'pino';
import { createLogger } from '../runtime/logger';
import { startSystem, type SystemOptions } from '../runtime/system';
import { lowerPriority } from '../runtime/priority';
import { DEFAULT_RATE_LIMITS } from '../domain/rate-limits';
import { loadConfig } from '../config';

const BENCH_LIMIT = { points: 1_000_000_000, windowS: 3600 };

export interface EngineOptions {
  role: 'api' | 'worker' | 'both';
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  smtpUrl: string;
  adminToken: string;
  /** TEMPORAL_CODEC_KEYS of the run: every engine process of it shares them. */
  codecKeys: string;
  bundlePath: string;
  logLevel: string;
  logFile: string;
  /** Passed to the worker when set (needs worker/worker.ts and runtime/system.ts to take it). */
  maxCachedWorkflows?: number;
  /** Sequelize pool size (runtime/system.ts dbPoolMax); unset = the engine's default. */
  dbPoolMax?: number;
  /** host:port for the worker's SDK core metrics (Prometheus); the bench gives every worker one. */
  temporalMetricsAddress?: string;
  /** The worker's niceness, as runtime/server-process.ts sets it from BACKGROUND_NICE. */
  backgroundNice: number;
}

export type EngineMessage =
  | { type: 'ready'; url?: string; pid: number; startedMs: number }
  | { type: 'failed'; error: string }
  | { type: 'mem'; usage: NodeJS.MemoryUsage; heapLimit: number; cachedWorkflows?: number };

async function main() {
  const t0 = Date.now();
  const o = JSON.parse(process.env.BENCH_ENGINE ?? '{}') as EngineOptions;
  const sandbox = loadConfig(process.env);
  const codecKeys = loadConfig({ TEMPORAL_CODEC_KEYS: o.codecKeys }).temporal.codecKeys!;
  if (o.role === 'worker') lowerPriority(process.pid, o.backgroundNice);
  // The engine's own logger (its redaction included), writing to the bench's log file.
  const log = createLogger(o.logLevel, `bench-${o.role}`, pino.destination({ dest: o.logFile, sync: false, mkdir: true }));
  const options: SystemOptions & { maxCachedWorkflows?: number } = {
    databaseUrl: o.databaseUrl,
    temporalAddress: o.temporalAddress,
    namespace: 'default',
    taskQueue: o.taskQueue,
    temporalUiUrl: 'http://localhost:8233',
    smtpUrl: o.smtpUrl,
    mailFrom: 'Last Call Support <support@lastcall.bench>',
    supportLeadEmail: 'lead@lastcall.bench',
    supportManagerEmail: 'manager@lastcall.bench',
    adminToken: o.adminToken,
    port: 0,
    log,
    workflowBundle: { codePath: o.bundlePath },
    worker: o.role !== 'api',
    api: o.role !== 'worker',
    ...(o.dbPoolMax ? { dbPoolMax: o.dbPoolMax } : {}),
    // The bench's own cache setting first; else the worker's as the engine reads it (WORKER_MAX_CACHED_WORKFLOWS=0: no cache, no sticky queue).
    ...(o.maxCachedWorkflows ? { maxCachedWorkflows: o.maxCachedWorkflows } : sandbox.workerMaxCachedWorkflows !== undefined ? { maxCachedWorkflows: sandbox.workerMaxCachedWorkflows } : {}),
    // The workflow sandbox's settings as the engine's processes read them (WORKER_ISOLATE_TIMEOUT_MS=0 npm run bench on-time).
    isolateTimeoutMs: sandbox.workerIsolateTimeoutMs,
    workflowThreads: sandbox.workerWorkflowThreads,
    stackTraces: sandbox.workerStackTraces,
    guardReplay: sandbox.workerGuardReplay,
    // The worker's core serves its task slots, polls and cache (bench/worker-tasks.ts reads them).
    ...(o.role !== 'api' && o.temporalMetricsAddress ? { temporalMetricsAddress: o.temporalMetricsAddress } : {}),
    // The benchmark files thousands of tickets for a few customers on purpose: the intake limits
    // are counted as in production (their cost is part of what is measured) but never reached.
    rateLimits: { ...DEFAULT_RATE_LIMITS, intakePerRequester: BENCH_LIMIT, intakePerCustomer: BENCH_LIMIT },
    codecKeys,
  };
  const sys = await startSystem(options);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await sys.stop().catch((err) => log.error({ err }, 'stop failed'));
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') void stop();
    // Where the memory is: V8 heap vs. the rest (native core, buffers, code).
    if (m?.type === 'mem') {
      const status = sys.worker?.getStatus() as { numCachedWorkflows?: number } | undefined;
      process.send?.({ type: 'mem', usage: process.memoryUsage(), heapLimit: v8.getHeapStatistics().heap_size_limit, cachedWorkflows: status?.numCachedWorkflows } satisfies EngineMessage);
    }
  });
  // The benchmark went away: do not linger.
  process.on('disconnect', () => void stop());
  process.send?.({ type: 'ready', url: sys.url, pid: process.pid, startedMs: Date.now() - t0 } satisfies EngineMessage);
}

main().catch((err) => {
  process.send?.({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies EngineMessage);
  process.stderr.write(`engine failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
