// The whole stack of one benchmark, on free ports in its own temp folder: embedded Postgres, the
// Temporal dev server from the cached CLI binary (search attributes registered at start), an
// in-process SMTP sink, and the engine as two child processes (API, worker) through startSystem.
// Everything is torn down by stop(). BENCH_TOPOLOGY=cluster puts Temporal's four services, as
// separate processes on the same Postgres, in place of the dev server.
import type { EscalationLevel } from '../domain/escalation';
import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedDb } from '../runtime/embedded-postgres';
import { startTemporalDevServer, type DevServer } from '../runtime/temporal-dev-server';
import { lowerPriority } from '../runtime/priority';
import { clusterSettings, ensureTemporalBinary, findClusterBinaries, projectRoot } from '../runtime/temporal-binary';
import { freePortLayout, startTemporalCluster, TEMPORAL_SERVICES } from '../runtime/temporal-cluster';
import { scrapeUrl } from '../observability/exposition';
import { prepareNamespace } from '../temporal/prepare-namespace';
import { bundleWorkflows, PRELOADED_MODULES, WORKFLOWS_PATH } from '../worker/workflow-bundle';
import { buildEngine } from './build';
import { cfg } from './config';
import type { EngineMessage, EngineOptions } from './engine-process';
import { newCodecKeyEntry } from '../temporal/codec-keys';
import { createClient, type HttpClient, type Reply } from './http';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { sleep } from './stats';

// Passes the ADMIN_TOKEN rule (domain/secret-strength.ts).
export const ADMIN_TOKEN = 'bench-admin-4Rk8Vn2Qw7Lz3Xc9Tb6Mh1Pj5Gs0Fd';

const bundles = new Map<string, Promise<string>>();

/**
 * Workflow code bundled once per run (bundling takes seconds): the engine's as the worker bundles
 * it, anything else (the bare no-op workflow) with nothing preloaded.
 */
export function bundle(workflowsPath: string): Promise<string> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflows(workflowsPath, workflowsPath === WORKFLOWS_PATH ? PRELOADED_MODULES : []).then((x) => x.code);
    bundles.set(workflowsPath, b);
  }
  return b;
}

export interface EngineProc {
  role: EngineOptions['role'];
  child: ChildProcess;
  pid: number;
  url?: string;
  /** A worker's SDK core metrics (Prometheus text). */
  metricsUrl?: string;
  /** From fork() to "ready" (migrations done, worker polling, API listening). */
  readyMs: number;
  forkedAt: number;
  readyAt: number;
  /** process.memoryUsage() of the engine process (MiB) and the worker's cached workflows. */
  mem(): Promise<{ rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; heapLimit: number; cachedWorkflows?: number } | null>;
  /** Graceful (SIGTERM → System.stop) or SIGKILL; resolves with how long it took to exit. */
  stop(kill?: boolean): Promise<number>;
}

async function spawnEngine(o: EngineOptions): Promise<EngineProc> {
  const out = openSync(`${o.logFile}.stdout`, 'a');
  const forkedAt = Date.now();
  // Compiled JavaScript (bench/build.ts), unless BENCH_TS_NODE=1.
  const entry = cfg.tsNode ? path.join(__dirname, 'engine-process.ts') : buildEngine().engine;
  const child = fork(entry, [], {
    cwd: projectRoot(),
    // BENCH_CPU_PROF=1: V8 CPU profiles of each engine process (one per thread), next to its log, at exit.
    execArgv: [
      ...(cfg.tsNode ? ['-r', 'ts-node/register/transpile-only'] : []),
      ...(cfg.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.logFile.replace(/\.log$/, '.cpuprofiles')}`] : []),
    ],
    env: { ...process.env, BENCH_ENGINE: JSON.stringify(o) },
    stdio: ['ignore', out, out, 'ipc'],
  });
  closeSync(out);
  const msg = await new Promise<EngineMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine (${o.role}) not ready after 180 s; see ${o.logFile}`)), 180_000);
    child.once('message', (m: EngineMessage) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      let tail = '';
      try {
        tail = readFileSync(`${o.logFile}.stdout`, 'utf8').trim().split('\n').slice(0, 8).join('\n');
      } catch {
        // no output
      }
      reject(new Error(`engine (${o.role}) exited with code ${code} before it was ready:\n${tail}`));
    });
  });
  if (msg.type === 'failed') throw new Error(`engine (${o.role}) failed to start: ${msg.error}`);
  if (msg.type !== 'ready') throw new Error(`engine (${o.role}): unexpected first message ${msg.type}`);
  const readyAt = Date.now();
  let exited: Promise<void> | undefined;
  return {
    role: o.role,
    child,
    pid: child.pid!,
    url: msg.url,
    forkedAt,
    readyAt,
    readyMs: readyAt - forkedAt,
    mem() {
      return new Promise((resolve) => {
        if (!child.connected) return resolve(null);
        const timer = setTimeout(() => {
          child.off('message', on);
          resolve(null);
        }, 5_000);
        const on = (m: EngineMessage) => {
          if (m.type !== 'mem') return;
          clearTimeout(timer);
          child.off('message', on);
          const MiB = (x: number) => Math.round((x / 1048576) * 10) / 10;
          const u = m.usage;
          resolve({ rss: MiB(u.rss), heapUsed: MiB(u.heapUsed), heapTotal: MiB(u.heapTotal), external: MiB(u.external), arrayBuffers: MiB(u.arrayBuffers), heapLimit: MiB(m.heapLimit), cachedWorkflows: m.cachedWorkflows });
        };
        child.on('message', on);
        child.send({ type: 'mem' });
      });
    },
    async stop(kill = false) {
      const t0 = Date.now();
      if (child.exitCode !== null || child.signalCode !== null) return 0;
      exited ??= new Promise<void>((r) => child.once('exit', () => r()));
      if (kill) child.kill('SIGKILL');
      else child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(force);
      return Date.now() - t0;
    },
  };
}

export interface Requester {
  id: string;
  token: string;
  customerId: string;
  productId: string;
}

export interface Fixtures {
  techToken: string;
  techId: string;
  customers: Array<{ id: string; productId: string }>;
  requesters: Requester[];
}

export interface Stack {
  name: string;
  dir: string;
  pg: EmbeddedDb;
  databaseUrl: string;
  /** The benchmark's own connection pool (reads, SQL inserts, EXPLAIN). */
  db: Pool;
  temporal: TemporalServer;
  smtp: SmtpSink;
  taskQueue: string;
  bundlePath: string;
  api: EngineProc;
  /** The API process's pool size when the benchmark set one (null: the engine's default). */
  apiDbPool: number | null;
  worker?: EngineProc;
  http: HttpClient;
  /** Replaces the API process (SIGKILL; tickets it accepted are started by the next one's outbox sweep). */
  restartApi(dbPoolMax?: number): Promise<void>;
  fx: Fixtures;
  startWorker(extra?: Partial<EngineOptions>): Promise<EngineProc>;
  stopWorker(kill?: boolean): Promise<number>;
  /** Process-tree roots for the CPU meter. */
  pids(): Record<string, number | undefined>;
  /** Lowers the Temporal server's priority as npm start does (BENCH_BACKGROUND_NICE); startStack does it unless told to wait. */
  lowerTemporalPriority(): void;
  postgresPid(): number | undefined;
  stop(): Promise<void>;
}

export interface TemporalServer {
  address: string;
  /** The process that fires the timers: the dev server, or the cluster's history service. */
  pid?: number;
  /** Every Temporal process, for the CPU meter (the cluster's as temporal:<service>). */
  pids(): Record<string, number | undefined>;
  /** 'memory' | 'file' (the dev server's store) | 'cluster'. */
  mode: 'memory' | 'file' | 'cluster';
  /** The server's own Prometheus metrics: the dev server's, or the cluster's history and matching services' (bench/server-tasks.ts). */
  metricsUrls: string[];
  stop(): Promise<void>;
}

/**
 * Temporal in the shape BENCH_TOPOLOGY names. 'dev': the dev server from the cached CLI binary,
 * with the ticket search attributes; 'memory' (default): in-memory SQLite, as the test suite runs
 * it (its global fixtures start the same binary through TestWorkflowEnvironment.createLocal);
 * 'file': a SQLite file in the temp folder, as `npm start` runs it (runtime/temporal-dev-server.ts,
 * its SQLite settings included). 'cluster': runtime/temporal-cluster.ts on the benchmark's
 * Postgres, as npm run start:cluster runs it.
 */
async function startTemporal(dir: string, pg: Promise<EmbeddedDb>, nice: number | undefined): Promise<TemporalServer> {
  if (cfg.topology === 'cluster') {
    const binaries = findClusterBinaries();
    if (!binaries) throw new Error('BENCH_TOPOLOGY=cluster: the cluster binaries are not built (npm run setup:cluster)');
    const server = new URL((await pg).serverUrl);
    const ports = await freePortLayout();
    const cluster = await startTemporalCluster({
      binaries,
      settings: clusterSettings(),
      postgres: { host: server.hostname, port: Number(server.port), user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) },
      logDir: dir,
      ports,
      namespace: 'default',
      ui: false,
      nice,
    });
    try {
      // What each engine process does when it starts (runtime/server-process.ts); the bench's call startSystem directly.
      await prepareNamespace({ address: cluster.address, namespace: 'default', retentionDays: 1 });
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    const pids = () => Object.fromEntries(TEMPORAL_SERVICES.map((s) => [`temporal:${s}`, cluster.services[s].child?.pid]));
    const metricsUrls = (['history', 'matching'] as const).map((s) => scrapeUrl(`127.0.0.1:${ports.services[s].metrics}`));
    return { address: cluster.address, get pid() { return cluster.services.history.child?.pid; }, pids, mode: 'cluster', metricsUrls, stop: () => cluster.stop() };
  }
  const binary = ensureTemporalBinary();
  if (!binary) throw new Error('no Temporal CLI binary (run npm run setup:temporal)');
  const metricsPort = await freePort();
  const metricsUrls = [scrapeUrl(`127.0.0.1:${metricsPort}`)];
  // 'file': what npm start runs (its SQLite settings included, unless told to compare with
  // SQLite's defaults); 'memory': the same server without a file.
  const file = cfg.temporalDb === 'file';
  const dev: DevServer = await startTemporalDevServer({
    binary,
    port: await freePort(),
    ...(file ? { uiPort: await freePort() } : {}),
    metricsPort,
    namespace: 'default',
    ...(file ? { dbFile: path.join(dir, 'temporal.sqlite') } : {}),
    logFile: path.join(dir, 'temporal.log'),
    ...(cfg.sqlitePragmas === 'sqlite-defaults' ? { sqlitePragmas: [] } : {}),
  });
  if (nice) lowerPriority(dev.process.pid!, nice);
  return { address: dev.address, pid: dev.process.pid, pids: () => ({ temporal: dev.process.pid }), mode: file ? 'file' : 'memory', metricsUrls, stop: () => dev.stop() };
}

export async function startStack(
  name: string,
  opts: { worker?: boolean; apiDbPool?: number; workerOptions?: Partial<EngineOptions>; temporalPriorityLater?: boolean } = {},
): Promise<Stack> {
  const dir = mkdtempSync(path.join(tmpdir(), `last-call-bench-${name}-`));
  // Postgres runs as its own user when the bench runs as root: it must be able to enter the folder.
  chmodSync(dir, 0o755);
  // Everything started so far, stopped in reverse order if a later step fails.
  const undo: Array<() => Promise<unknown>> = [async () => (cfg.keep ? process.stderr.write(`[bench] kept ${dir}\n`) : rmSync(dir, { recursive: true, force: true }))];
  const unwind = async () => {
    for (const u of undo.splice(0).reverse()) await u().catch(() => {});
  };
  try {
    // The cluster's stores are on this Postgres (as npm run start:cluster's are): Temporal waits for it.
    const pgStarting = startEmbeddedPostgres({ dir: path.join(dir, 'pg'), fast: cfg.pgFast });
    const [pgR, temporalR, codeR] = await Promise.allSettled([
      pgStarting,
      startTemporal(dir, pgStarting, opts.temporalPriorityLater ? undefined : cfg.backgroundNice),
      bundle(WORKFLOWS_PATH),
    ]);
    if (pgR.status === 'fulfilled') undo.push(() => pgR.value.stop());
    if (temporalR.status === 'fulfilled') undo.push(() => temporalR.value.stop());
    for (const x of [pgR, temporalR, codeR]) if (x.status === 'rejected') throw x.reason;
    const pg = (pgR as PromiseFulfilledResult<EmbeddedDb>).value;
    const temporal = (temporalR as PromiseFulfilledResult<TemporalServer>).value;
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(bundlePath, (codeR as PromiseFulfilledResult<string>).value);
    const databaseUrl = await pg.createDatabase('last_call_bench');
    const db = new Pool({ connectionString: databaseUrl, max: 4 });
    // An idle client losing its connection (Postgres stopped under us) must fail the benchmark, not crash the run.
    db.on('error', (err) => process.stderr.write(`[bench] ${name}: Postgres connection lost: ${err.message}\n`));
    undo.push(() => db.end());
    const smtp = await startSmtpSink();
    undo.push(() => smtp.stop());
    const taskQueue = `bench-${name}`;
    const base: EngineOptions = {
      role: 'api',
      databaseUrl,
      temporalAddress: temporal.address,
      taskQueue,
      smtpUrl: smtp.url,
      adminToken: ADMIN_TOKEN,
      // The engine as it ships encrypts what it hands Temporal: its cost is part of what is measured.
      codecKeys: newCodecKeyEntry('bench'),
      bundlePath,
      logLevel: cfg.logLevel,
      logFile: path.join(dir, 'api.log'),
      backgroundNice: cfg.backgroundNice,
    };
    const apiPool = cfg.apiDbPool || opts.apiDbPool;
    // The API first: it runs the migrations.
    const api = await spawnEngine({ ...base, ...(apiPool ? { dbPoolMax: apiPool } : {}) });
    let workerN = 0;
    let apiN = 1;
    const stack: Stack = {
      name,
      dir,
      pg,
      databaseUrl,
      db,
      temporal,
      smtp,
      taskQueue,
      bundlePath,
      api,
      apiDbPool: apiPool ?? null,
      http: createClient(api.url!),
      fx: undefined as unknown as Fixtures,
      async restartApi(dbPoolMax) {
        stack.http.close();
        await stack.api.stop(true);
        stack.api = await spawnEngine({ ...base, logFile: path.join(dir, `api-${++apiN}.log`), ...(dbPoolMax ? { dbPoolMax } : {}) });
        stack.apiDbPool = dbPoolMax ?? null;
        stack.http = createClient(stack.api.url!);
      },
      async startWorker(extra = {}) {
        if (stack.worker) throw new Error('worker already running');
        const temporalMetricsAddress = `127.0.0.1:${await freePort()}`;
        const w = await spawnEngine({
          ...base,
          role: 'worker',
          logFile: path.join(dir, `worker-${++workerN}.log`),
          temporalMetricsAddress,
          ...(cfg.workerDbPool ? { dbPoolMax: cfg.workerDbPool } : {}),
          ...(cfg.maxCachedWorkflows ? { maxCachedWorkflows: cfg.maxCachedWorkflows } : {}),
          ...opts.workerOptions,
          ...extra,
        });
        w.metricsUrl = scrapeUrl(temporalMetricsAddress);
        process.stderr.write(`[bench] ${name}: worker-${workerN}'s core metrics at ${w.metricsUrl}\n`);
        stack.worker = w;
        return w;
      },
      async stopWorker(kill = false) {
        const w = stack.worker;
        if (!w) return 0;
        stack.worker = undefined;
        return w.stop(kill);
      },
      postgresPid() {
        try {
          return Number(readFileSync(path.join(pg.dir, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
        } catch {
          return undefined;
        }
      },
      lowerTemporalPriority() {
        for (const pid of Object.values(temporal.pids())) if (pid) lowerPriority(pid, cfg.backgroundNice);
      },
      pids() {
        return { bench: process.pid, api: stack.api.pid, worker: stack.worker?.pid, ...temporal.pids(), postgres: stack.postgresPid() };
      },
      async stop() {
        stack.http.close();
        await stack.stopWorker().catch(() => {});
        await stack.api.stop().catch(() => {});
        await unwind();
      },
    };
    undo.push(async () => {
      await stack.stopWorker();
      await stack.api.stop();
    });
    if (opts.worker !== false) await stack.startWorker();
    stack.fx = await createFixtures(stack.http);
    return stack;
  } catch (err) {
    await unwind();
    throw err;
  }
}

/** Staff, and Advanced customers (annual term: no monthly quota) each with a product in support and requesters. */
async function createFixtures(http: HttpClient): Promise<Fixtures> {
  const A = ADMIN_TOKEN;
  const tech = await http.must('POST', '/api/users', A, { name: 'Bench Tech', email: 'tech@lastcall.bench', role: 'technician', technologies: ['email'] }, 201);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  const customers: Fixtures['customers'] = [];
  const perCustomer: Requester[][] = [];
  for (let i = 0; i < cfg.customers; i++) {
    const c = await http.must('POST', '/api/customers', A, { name: `Bench Customer ${i + 1}` }, 201);
    const p = await http.must(
      'POST',
      `/api/customers/${c.id}/products`,
      A,
      { brand: 'Zimbra', name: 'Collaboration Suite', technology: 'email', purchaseConfirmedAt: yesterday, licensesDeliveredAt: yesterday },
      201,
    );
    await http.must('POST', `/api/customers/${c.id}/subscriptions`, A, { plan: 'advanced', term: 'annual' }, 201);
    customers.push({ id: c.id, productId: p.id });
    const mine: Requester[] = [];
    for (let j = 0; j < cfg.requestersPerCustomer; j++) {
      const r = await http.must('POST', `/api/customers/${c.id}/users`, A, { name: `Requester ${i + 1}.${j + 1}`, email: `r${i + 1}.${j + 1}@customer${i + 1}.bench` }, 201);
      mine.push({ id: r.id, token: r.token, customerId: c.id, productId: p.id });
    }
    perCustomer.push(mine);
  }
  // Interleaved, so consecutive tickets go to different customers.
  const requesters: Requester[] = [];
  for (let j = 0; j < cfg.requestersPerCustomer; j++) for (const mine of perCustomer) requesters.push(mine[j]);
  return { techToken: tech.token, techId: tech.id, customers, requesters };
}

/** A ticket body as a requester files it (web form, a product in support). */
export function ticketBody(r: Requester, i: number, impact: 'A' | 'B' | 'C') {
  return {
    type: 'problem',
    impact,
    channel: 'web',
    productId: r.productId,
    subject: `Bench ticket ${i}: mail queue stuck`,
    description: 'Outgoing mail has been queued since 09:00; the queue holds about 2,000 messages and grows.',
  };
}

export interface CreateResult {
  created: number;
  failed: number;
  ms: number;
  perSecond: number;
  latency: number[];
  numbers: number[];
  errors: string[];
  /** Time spent waiting because the worker was more than `maxBacklog` tickets behind. */
  throttledMs: number;
}

/**
 * Counts the tickets accepted from now on that their workflows have not recorded yet (the engine
 * is behind). `admit` holds a caller while more than `max` are, and counts its ticket as accepted;
 * `refused` takes back one that was not. Returns the time held.
 */
export async function backlogGate(stack: Stack, max: number) {
  const after = Number((await stack.db.query('SELECT last_value FROM ticket_number_seq')).rows[0].last_value);
  let accepted = 0;
  let recorded = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      recorded = Number((await stack.db.query('SELECT count(*)::int AS n FROM tickets WHERE number > $1 AND snapshot_version >= 0', [after])).rows[0].n);
      await sleep(250);
    }
  })();
  return {
    async admit(): Promise<number> {
      const w0 = performance.now();
      while (accepted - recorded > max) await sleep(50);
      accepted++;
      return performance.now() - w0;
    },
    refused(): void {
      accepted--;
    },
    async stop(): Promise<void> {
      polling = false;
      await poller;
    },
  };
}

/**
 * Files `count` tickets through POST /api/tickets with a fixed number of callers in flight. With
 * `maxBacklog`, a caller waits while more than that many accepted tickets are not yet recorded by
 * their workflow (the worker is behind): the rate is then what the whole engine sustains, and every
 * ticket has its timer set soon after the last one is accepted.
 */
export async function createTickets(
  stack: Stack,
  count: number,
  o: { concurrency: number; impact: (i: number) => 'A' | 'B' | 'C'; offset?: number; maxBacklog?: number; perSecond?: number },
): Promise<CreateResult> {
  const rs = stack.fx.requesters;
  let next = 0;
  const res: CreateResult = { created: 0, failed: 0, ms: 0, perSecond: 0, latency: [], numbers: [], errors: [], throttledMs: 0 };
  const gate = o.maxBacklog !== undefined ? await backlogGate(stack, o.maxBacklog) : null;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, count) }, async () => {
        for (;;) {
          const i = next++;
          if (i >= count) return;
          // Paced: ticket i is not sent before i / perSecond seconds (deadlines as evenly apart).
          if (o.perSecond) {
            const due = t0 + (i * 1000) / o.perSecond;
            if (performance.now() < due) await sleep(due - performance.now());
          }
          if (gate) res.throttledMs += await gate.admit();
          const r = rs[i % rs.length];
          try {
            // Keyed, so a call lost to a reset keep-alive socket is retried without a second ticket.
            const key = `bench-${stack.name}-${(o.offset ?? 0) + i}`;
            const body = ticketBody(r, (o.offset ?? 0) + i, o.impact(i));
            let reply: Reply;
            for (let attempt = 1; ; attempt++) {
              try {
                reply = await stack.http.call('POST', '/api/tickets', r.token, body, { 'idempotency-key': key });
                break;
              } catch (err) {
                if (attempt >= 3 || !/ECONNRESET|socket hang up/.test(String(err))) throw err;
              }
            }
            if (reply.status === 201) {
              res.created++;
              res.latency.push(reply.ms);
              res.numbers.push(reply.body.number);
            } else {
              gate?.refused();
              res.failed++;
              if (res.errors.length < 5) res.errors.push(`${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
            }
          } catch (err) {
            gate?.refused();
            res.failed++;
            if (res.errors.length < 5) res.errors.push(String(err));
          }
          if (res.failed > 100) throw new Error(`ticket creation keeps failing: ${res.errors.join(' | ')}`);
        }
      }),
    );
  } finally {
    await gate?.stop();
  }
  res.ms = performance.now() - t0;
  res.perSecond = res.created / (res.ms / 1000);
  res.throttledMs = Math.round(res.throttledMs);
  return res;
}

/** Replace the SLA policy through the API: the current one, changed by `edit`. */
export async function editPolicy(stack: Stack, edit: (p: any) => void): Promise<any> {
  const cur = await stack.http.must('GET', '/api/sla-policy', ADMIN_TOKEN, undefined, 200);
  const policy = JSON.parse(JSON.stringify(cur.policy));
  edit(policy);
  await stack.http.must('PUT', '/api/sla-policy', ADMIN_TOKEN, policy, 200);
  return policy;
}

/** Polls until `fn` returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Polls a count until it reaches `expected`; gives up only when it has not moved for `stallMs`, or
 * after `capMs` in all. Returns the last count and when it reached `expected` (NaN if it did not).
 */
export async function waitCount(count: () => Promise<number>, expected: number, o: { stallMs: number; capMs: number; everyMs?: number }): Promise<{ n: number; reachedAt: number }> {
  const t0 = Date.now();
  let last = -1;
  let movedAt = t0;
  for (;;) {
    const n = await count();
    const now = Date.now();
    if (n >= expected) return { n, reachedAt: now };
    if (n !== last) {
      last = n;
      movedAt = now;
    }
    if (now - movedAt > o.stallMs || now - t0 > o.capMs) return { n, reachedAt: NaN };
    await sleep(o.everyMs ?? 250);
  }
}

/**
 * Waits until every ticket in [lo, hi] has had its workflow record it (first task done, timer set)
 * and its receipt e-mail sent; gives up when nothing moved for 2 minutes (or after `capMs`).
 */
export async function waitSettled(stack: Stack, lo: number, hi: number, expected: number, capMs = 40 * 60_000): Promise<number> {
  const t0 = Date.now();
  const got = await waitCount(
    async () => {
      const { rows } = await stack.db.query(
        `SELECT count(*) FILTER (WHERE snapshot_version >= 0)::int AS recorded,
                (SELECT count(*)::int FROM notifications n JOIN tickets t2 ON t2.id = n.ticket_id
                  WHERE t2.number BETWEEN $1 AND $2 AND n.kind = 'received' AND n.state = 'sent') AS mailed
           FROM tickets WHERE number BETWEEN $1 AND $2`,
        [lo, hi],
      );
      return Math.min(rows[0].recorded, rows[0].mailed);
    },
    expected,
    { stallMs: 120_000, capMs, everyMs: 500 },
  );
  if (got.n < expected) throw new Error(`only ${got.n} of ${expected} tickets were recorded by their workflows`);
  return Date.now() - t0;
}

/**
 * How fast this machine creates open tickets right now, end to end: `cfg.probeTickets` tickets
 * (default policy, deadlines hours away; not measured) until their workflows have recorded them.
 */
export async function probeRate(stack: Stack) {
  const t0 = Date.now();
  const probe = await createTickets(stack, cfg.probeTickets, { concurrency: cfg.createConcurrency, impact: () => 'B', maxBacklog: cfg.createMaxBacklog || undefined });
  if (probe.created === 0) throw new Error(`no ticket created: ${probe.errors.join(' | ')}`);
  await waitSettled(stack, Math.min(...probe.numbers), Math.max(...probe.numbers), probe.created);
  const endToEndPerSecond = probe.created / ((Date.now() - t0) / 1000);
  return { created: probe.created, apiPerSecond: Math.round(probe.perSecond * 10) / 10, endToEndPerSecond: Math.round(endToEndPerSecond * 10) / 10 };
}

// ---- on-time and recovery: deadlines of many tickets packed into a short window ----

/** A stack whose worker keeps the SLA benchmarks' workflow cache (BENCH_SLA_MAX_CACHED_WORKFLOWS). */
export function startSlaStack(name: string): Promise<Stack> {
  return startStack(name, {
    apiDbPool: 2 * cfg.createConcurrency + 8,
    workerOptions: cfg.slaMaxCachedWorkflows ? { maxCachedWorkflows: cfg.slaMaxCachedWorkflows } : {},
  });
}

/**
 * Advanced response targets that shrink by `step` from C to A (the shortest, `shortestS`), so
 * tickets created C first, then B, then A have their deadlines close together. Brand meetings on
 * breach are off: they are not part of these measures. `escalation` replaces the policy's chain.
 */
export async function staggerResponseTargets(stack: Stack, shortestS: number, step: number, escalation?: EscalationLevel[]): Promise<Record<'A' | 'B' | 'C', number>> {
  const targets = { A: shortestS, B: shortestS + step, C: shortestS + 2 * step };
  await editPolicy(stack, (p) => {
    for (const impact of ['A', 'B', 'C'] as const) p.targets.advanced[impact] = { response: `PT${targets[impact]}S`, resolution: 'PT8H' };
    if (escalation) p.escalation = escalation;
    p.autoBrandMeeting = { plans: [], impacts: [], on: [] };
  });
  return targets;
}

export const PACED_CHAIN: EscalationLevel[] = [
  { at: 0.5, notify: 'assignee_or_lead' },
  { at: 1, notify: 'lead' },
  { at: 1.5, notify: 'manager' },
];

/**
 * One Advanced response target for every impact, and an escalation chain whose warning (at 50 %) and
 * manager escalation (at 150 %) fall outside a window of `windowS` after the first deadline when
 * the target is at least twice the window: with real targets (hours) a burst of deadlines does not
 * meet the warnings of the same tickets either.
 */
export function pacedResponseTarget(stack: Stack, targetS: number): Promise<Record<'A' | 'B' | 'C', number>> {
  return staggerResponseTargets(stack, targetS, 0, PACED_CHAIN);
}

/**
 * The widest spread of the deadlines (s) that keeps PACED_CHAIN's other levels off them: the last
 * ticket's warning comes (1 - warning) × target before its deadline, the first ticket's escalation
 * (escalation - 1) × target after its own.
 */
export function pacedChainClearSpreadS(targetS: number): number {
  const ats = PACED_CHAIN.map((l) => l.at);
  return Math.min(1 - Math.min(...ats), Math.max(...ats) - 1) * targetS;
}

/** N tickets in three groups for staggerResponseTargets: impact C first, then B, then A. */
export function createStaggeredTickets(stack: Stack, n: number, offset: number) {
  const third = Math.ceil(n / 3);
  return createTickets(stack, n, { concurrency: cfg.createConcurrency, impact: (i) => (i < third ? 'C' : i < 2 * third ? 'B' : 'A'), offset, maxBacklog: cfg.createMaxBacklog || undefined });
}
