// Sizes and durations of the benchmarks. Every one can be overridden from the environment, e.g.
// BENCH_TICKETS=1000 BENCH_INTAKE_S=5 for a quick run.
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../worker/worker';
import { DEFAULT_BACKGROUND_NICE } from '../runtime/priority';

function num(name: string, def: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v} is not a non-negative number`);
  return n;
}

function bool(name: string, def: boolean): boolean {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  return v === '1' || v.toLowerCase() === 'true' || v.toLowerCase() === 'yes';
}

function oneOf<T extends string>(name: string, values: readonly T[], def: T): T {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  if (!values.includes(v as T)) throw new Error(`${name}=${v}: expected one of ${values.join(', ')}`);
  return v as T;
}

export const cfg = {
  /** Open tickets in on-time, held-open and recovery. */
  tickets: num('BENCH_TICKETS', 10_000),
  /** Customers (Advanced, annual term: no monthly quota) the tickets are spread over. */
  customers: num('BENCH_CUSTOMERS', 8),
  requestersPerCustomer: num('BENCH_REQUESTERS_PER_CUSTOMER', 2),

  // intake
  concurrency: num('BENCH_CONCURRENCY', 16),
  intakeWarmupS: num('BENCH_INTAKE_WARMUP_S', 5),
  intakeS: num('BENCH_INTAKE_S', 20),
  bareS: num('BENCH_BARE_S', 15),
  /**
   * The open loop at half the sustained rate. A minute: at 10-20 calls a second its p99 is then the
   * 6th-12th slowest of 600-1,200 calls, not the 2nd or 3rd of a few hundred (one hiccup of the
   * machine decided that).
   */
  openLoopS: num('BENCH_OPEN_LOOP_S', 60),
  /** 'poisson' (exponential gaps, independent callers) or 'uniform' (fixed gaps). */
  arrivals: (process.env.BENCH_ARRIVALS ?? 'poisson') as 'poisson' | 'uniform',

  // creating the open tickets of on-time / held-open / recovery through the API
  createConcurrency: num('BENCH_CREATE_CONCURRENCY', 16),
  /**
   * Creating open tickets, callers wait while more than this many accepted tickets are not yet
   * recorded by their workflows: the creation rate is what the whole engine sustains (0 = no limit).
   */
  createMaxBacklog: num('BENCH_CREATE_MAX_BACKLOG', 200),
  /** Tickets created first (default policy, not measured) to learn this machine's creation rate. */
  probeTickets: num('BENCH_PROBE_TICKETS', 300),

  // on-time
  /** Shortest (impact A) response target in seconds; 0 = derived from the measured creation rate. */
  onTimeTargetS: num('BENCH_ONTIME_TARGET_S', 0),
  /** Seconds between the response targets of impacts A, B and C; 0 = a third of the estimated creation time. */
  onTimeStepS: num('BENCH_ONTIME_STEP_S', 0),
  /**
   * on-time: the deadlines (response breaches) of the N tickets fall within this many seconds, one
   * every window/N seconds: the tickets are created at that pace with one response target. 5 minutes
   * for 10,000 tickets: 33.3 deadlines a second. on-time-burst packs them instead (see on-time.ts).
   */
  onTimeWindowS: num('BENCH_ONTIME_WINDOW_S', 300),

  // held-open
  listTotal: num('BENCH_LIST_TOTAL', 100_000),
  listCalls: num('BENCH_LIST_CALLS', 200),
  /** The worker's maxCachedWorkflows in intake and held-open; 0 = the engine's default (worker/worker.ts). */
  maxCachedWorkflows: num('BENCH_MAX_CACHED_WORKFLOWS', 0),
  /** on-time and recovery: the worker's maxCachedWorkflows (0 = the engine's default); see held-open. */
  slaMaxCachedWorkflows: num('BENCH_SLA_MAX_CACHED_WORKFLOWS', 0),
  /** held-open: when the worker is over 512 MiB, try again with these maxCachedWorkflows, in turn, until under (empty = do not). */
  heldRetryCache: (process.env.BENCH_HELD_RETRY_CACHE ?? '150,50').split(',').map(Number).filter((n) => n > 0),
  /** held-open: new tickets that fill and churn the bounded cache before its RSS is read. */
  heldRetryTickets: num('BENCH_HELD_RETRY_TICKETS', 1000),

  // recovery
  downS: num('BENCH_DOWN_S', 60),
  /** SIGKILL the worker instead of a graceful shutdown. */
  killWorker: bool('BENCH_KILL_WORKER', false),

  // same-instant and bare-sleep
  /** Tickets (same-instant) or bare workflows (bare-sleep) whose deadlines fall on one instant. */
  instantCount: num('BENCH_INSTANT_COUNT', 2000),
  /** same-instant: the response target, counted from the calendar's opening (the deadline). */
  instantTargetS: num('BENCH_INSTANT_TARGET_S', 60),

  // the stack
  /**
   * 'dev': the Temporal CLI's dev server, one process (BENCH_TEMPORAL_DB says its store), as npm
   * start and the tests run it; 'cluster': Temporal's four services as separate processes on the
   * benchmark's Postgres with SQL visibility, as npm run start:cluster runs them
   * (runtime/temporal-cluster.ts, ops/temporal/cluster.env).
   */
  topology: oneOf('BENCH_TOPOLOGY', ['dev', 'cluster'] as const, 'dev'),
  /** The dev server's store: 'memory' (as the tests run it) or 'file' (a SQLite file, as npm start runs it). */
  temporalDb: oneOf('BENCH_TEMPORAL_DB', ['memory', 'file'] as const, 'memory'),
  /**
   * The file store's SQLite settings: 'npm-start' (DEV_SERVER_SQLITE_PRAGMAS, what npm start runs)
   * or 'sqlite-defaults' (no pragma: rollback journal, a sync per commit), to compare.
   */
  sqlitePragmas: oneOf('BENCH_SQLITE_PRAGMAS', ['npm-start', 'sqlite-defaults'] as const, 'npm-start'),
  /**
   * Connection pool of the API process. 0 = intake measures the engine's default pool first and
   * falls back to 2 × concurrency + 8 if intake stalls; the other benchmarks, which only use the API
   * to create their tickets, use 2 × BENCH_CREATE_CONCURRENCY + 8.
   */
  apiDbPool: num('BENCH_API_DB_POOL', 0),
  /** Connection pool of the worker process; 0 = the engine's default. */
  workerDbPool: num('BENCH_WORKER_DB_POOL', 0),
  /**
   * Niceness of the worker process and the Temporal server, as BACKGROUND_NICE sets them where the
   * engine runs (runtime/priority.ts); 0 = everything at one priority.
   */
  backgroundNice: num('BENCH_BACKGROUND_NICE', DEFAULT_BACKGROUND_NICE),
  /** Postgres without fsync/synchronous_commit (as the test suite runs it). Default: durable. */
  pgFast: bool('BENCH_PG_FAST', false),
  /** Log level of the engine processes (their logs go to files in the temp folder). */
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
  /** Write a V8 CPU profile of each engine process into the temp folder (use with BENCH_KEEP=1). */
  cpuProf: bool('BENCH_CPU_PROF', false),
  /** Run the engine processes through ts-node instead of the compiled JavaScript of bench/build.ts. */
  tsNode: bool('BENCH_TS_NODE', false),
  /** Keep the temp folder (logs, Postgres, Temporal SQLite) after the run. */
  keep: bool('BENCH_KEEP', false),
};

export type BenchConfig = typeof cfg;

/** A maxCachedWorkflows setting as the results name it (0 = the engine's default). */
export const cacheSetting = (n: number): number | string => {
  if (n) return n;
  // The worker's own setting, which the engine's processes read when the bench sets none.
  const engine = process.env.WORKER_MAX_CACHED_WORKFLOWS;
  return engine !== undefined && engine !== '' ? `WORKER_MAX_CACHED_WORKFLOWS=${engine}` : `engine default (${DEFAULT_MAX_CACHED_WORKFLOWS})`;
};

/** The Temporal shape a run measures, as its results file and the table name it. */
export function temporalShape(c: Pick<BenchConfig, 'topology' | 'temporalDb' | 'sqlitePragmas'> = cfg): { topology: 'dev' | 'cluster'; store: string } {
  if (c.topology === 'cluster') return { topology: 'cluster', store: 'postgres' };
  if (c.temporalDb === 'memory') return { topology: 'dev', store: 'sqlite-memory' };
  return { topology: 'dev', store: c.sqlitePragmas === 'sqlite-defaults' ? 'sqlite-file-defaults' : 'sqlite-file' };
}
