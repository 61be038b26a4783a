// Starts the Temporal CLI dev server (real server, SQLite file, Web UI) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { stopChild } from './child-process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from '../temporal/search-attributes';

export interface DevServer {
  address: string;
  /** Null when it runs without the UI. */
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The SQLite settings of the dev server's file (npm start, and the benchmarks' file store): the
 * one definition of "the store npm start runs". SQLite's defaults (a rollback journal, synchronous
 * FULL) sync the file to disk on every commit, and the server commits on every workflow step: at
 * 2,000 deadlines in a minute on this machine that missed the on-time goal by two orders of
 * magnitude (docs/production.md, "Temporal's store under npm start", has the figures). In WAL mode
 * with synchronous=NORMAL a commit is appended to the log without a sync, and the log is synced at
 * checkpoints: a process crash (the server killed) loses nothing, a power loss or a kernel crash
 * can lose the last commits. npm start is the one-machine, try-it-out shape; a deployment that
 * cannot lose a second of commits runs npm run start:cluster (Temporal on Postgres).
 */
export const DEV_SERVER_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

/** The dev server's flags for its store: a SQLite file with `pragmas` (default: DEV_SERVER_SQLITE_PRAGMAS). */
export function devServerStoreArgs(dbFile: string, pragmas: readonly string[] = DEV_SERVER_SQLITE_PRAGMAS): string[] {
  return ['--db-filename', dbFile, ...pragmas.flatMap((p) => ['--sqlite-pragma', p])];
}

/**
 * Dynamic config the dev server runs with, the same values as the cluster's
 * (ops/temporal/dynamicconfig.yaml; test/integration/task-queue-partitions.test.ts holds the two together).
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, number>> = {
  // One partition per task queue instead of four: why, in ops/temporal/dynamicconfig.yaml.
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

export function devServerDynamicConfigArgs(): string[] {
  return Object.entries(DEV_SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}

export interface DevServerOptions {
  binary: string;
  port: number;
  /** The Web UI's port; unset: no UI (a server a test restarts binds no second port another process may take meanwhile). */
  uiPort?: number;
  namespace: string;
  /** The server's own Prometheus metrics on loopback; unset: a port the CLI picks (and only logs). */
  metricsPort?: number;
  /** Persistent SQLite file; the dev server keeps workflows across restarts with it. Unset: in memory (the benchmarks' default store). */
  dbFile?: string;
  logFile: string;
  /** SQLite pragmas of the file; default DEV_SERVER_SQLITE_PRAGMAS (the benchmarks compare with [] = SQLite's defaults). */
  sqlitePragmas?: readonly string[];
  /**
   * The codec server the Web UI decodes payloads with (api/routes/codec.ts). The CLI's dev server
   * passes the UI no "include credentials" setting, so the browser sends the console's session only
   * once a person ticks it in the UI's codec settings (docs/operations.md).
   */
  codecEndpoint?: string;
}

export async function startTemporalDevServer(o: DevServerOptions): Promise<DevServer> {
  if (o.dbFile) mkdirSync(path.dirname(o.dbFile), { recursive: true });
  const log = createWriteStream(o.logFile, { flags: 'a' });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(o.port),
    ...(o.uiPort !== undefined ? ['--ui-port', String(o.uiPort)] : ['--headless']),
    ...(o.metricsPort !== undefined ? ['--metrics-port', String(o.metricsPort)] : []),
    ...(o.dbFile ? devServerStoreArgs(o.dbFile, o.sqlitePragmas) : []),
    '--namespace', o.namespace,
    '--log-level', 'warn',
    ...(o.codecEndpoint ? ['--ui-codec-endpoint', o.codecEndpoint] : []),
    ...devServerSearchAttributeArgs(),
    ...devServerDynamicConfigArgs(),
  ];
  const child = spawn(o.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const address = `127.0.0.1:${o.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal dev server exited with code ${code}; see ${o.logFile}`))),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const conn = await Promise.race([Connection.connect({ address, connectTimeout: 1_000 }), exited]);
      await conn.workflowService.describeNamespace({ namespace: o.namespace });
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline || (err as Error).message.includes('exited with code')) {
        child.kill('SIGKILL');
        throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: o.uiPort !== undefined ? `http://localhost:${o.uiPort}` : null,
    process: child,
    stop: () => stopChild(child),
  };
}
