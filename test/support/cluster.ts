// The production shape for a test file: its own embedded Postgres (restartable), Temporal's four
// services as separate processes on it (runtime/temporal-cluster.ts, free ports, its own folder,
// apart from the suite's shared dev server), and the engine's API and worker processes from the
// sources. Beside them, an in-process TestSystem on the same database and frontend for fixtures and
// checks (expectNothingLost); it neither works tickets (no worker) nor sweeps: that is the
// cluster's processes' job.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedPostgres, type EmbeddedDb } from '../../runtime/embedded-postgres';
import { freePortLayout, startTemporalCluster, type TemporalCluster } from '../../runtime/temporal-cluster';
import { clusterSettings, findClusterBinaries } from '../../runtime/temporal-binary';
import { appProcess } from '../../runtime/app-process';
import type { ManagedProcess } from '../../runtime/managed-process';
import { prepareNamespace } from '../../temporal/prepare-namespace';
import type { SlaPolicy } from '../../domain/sla-policy';
import { formatLimit } from '../../domain/rate-limits';
import { ADMIN_TOKEN, LEAD, MANAGER, startTestSystem, type TestSystem } from './harness';
import { TEST_CODEC_KEYS_TEXT } from './codec';
import { LOAD_LIMITS } from './faults';

export interface TestCluster {
  dir: string;
  pg: EmbeddedDb;
  temporal: TemporalCluster;
  /** Fixtures and checks, on the cluster's database and frontend. */
  t: TestSystem;
  apis: ManagedProcess[];
  workers: ManagedProcess[];
  /** http://127.0.0.1:<port> of API process i. */
  apiUrl(i: number): string;
  /** Stops Postgres (as a restart of its host would) and starts it again on its data and port. */
  restartPostgres(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** The cluster's binaries, or null when npm run setup:cluster has not built them (the test skips). */
export const clusterBinaries = findClusterBinaries;

export async function startTestCluster(o: { label: string; policy: SlaPolicy; apis?: number; workers?: number }): Promise<TestCluster> {
  const binaries = findClusterBinaries();
  if (!binaries) throw new Error('the cluster binaries are not built: npm run setup:cluster');
  const dir = mkdtempSync(path.join(tmpdir(), `last-call-cluster-${o.label}-`));
  // Postgres runs as its own user when the suite runs as root: it must be able to enter the folder.
  chmodSync(dir, 0o755);
  const logDir = path.join(dir, 'logs');
  let pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), fast: true });
  const running: Array<{ stop(): Promise<void> }> = [];
  try {
    const temporal = await startTemporalCluster({
      binaries,
      settings: clusterSettings(),
      postgres: { host: '127.0.0.1', port: pg.port, user: 'lastcall', password: 'lastcall' },
      logDir,
      ports: await freePortLayout(),
      namespace: 'default',
      ui: false,
    });
    running.push(temporal);
    // The processes would do it too; the in-process system below needs it before them.
    await prepareNamespace({ address: temporal.address, namespace: 'default', retentionDays: 1 });
    const t = await startTestSystem({
      label: o.label,
      policy: o.policy,
      worker: false,
      temporalAddress: temporal.address,
      pgServerUrl: pg.serverUrl,
      rateLimits: LOAD_LIMITS,
      sweepIntervalMs: 3_600_000,
    });
    running.push(t);

    const shared: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: t.databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: t.taskQueue,
      SMTP_URL: t.inbox.url,
      MAIL_FROM: 'Last Call Support <support@lastcall.test>',
      SUPPORT_LEAD_EMAIL: LEAD,
      SUPPORT_MANAGER_EMAIL: MANAGER,
      ADMIN_TOKEN,
      TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS_TEXT,
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE,
      TEMPORAL_RETENTION_DAYS: '1',
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_MS: '0',
      METRICS_PORT: '0',
      // The engine lowers its worker below the API it shares a machine with (BACKGROUND_NICE); here
      // its neighbours are other test files running in parallel, which would starve it past its
      // workflow task timeout, a load no deployment puts on it.
      BACKGROUND_NICE: '0',
      // As npm run start:cluster runs them.
      METRICS_HOST: '127.0.0.1',
      RATE_LIMIT_INTAKE_PER_REQUESTER: formatLimit(LOAD_LIMITS.intakePerRequester),
      RATE_LIMIT_INTAKE_PER_CUSTOMER: formatLimit(LOAD_LIMITS.intakePerCustomer),
    };
    const workers = await Promise.all(
      Array.from({ length: o.workers ?? 2 }, async (_, i) =>
        appProcess({ role: 'worker', name: `worker-${i + 1}`, from: 'sources', env: shared, logFile: path.join(logDir, `worker-${i + 1}.log`) }),
      ),
    );
    const apiPorts = await Promise.all(Array.from({ length: o.apis ?? 2 }, () => freePort()));
    const apis = await Promise.all(
      apiPorts.map(async (port, i) =>
        appProcess({
          role: 'api',
          name: `api-${i + 1}`,
          from: 'sources',
          env: { ...shared, PORT: String(port), INBOUND_SMTP: i === 0 ? 'on' : 'off', INBOUND_SMTP_PORT: String(await freePort()), INBOUND_SMTP_HOST: '127.0.0.1' },
          logFile: path.join(logDir, `api-${i + 1}.log`),
        }),
      ),
    );
    const processes = [...workers, ...apis];
    running.push({ stop: async () => void (await Promise.all(processes.map((p) => p.stop(5_000)))) });
    await Promise.all(processes.map((p) => p.start()));

    const cluster: TestCluster = {
      dir,
      get pg() {
        return pg;
      },
      temporal,
      t,
      apis,
      workers,
      apiUrl: (i) => `http://127.0.0.1:${apiPorts[i]}`,
      async restartPostgres(downMs) {
        await pg.stop();
        await new Promise((r) => setTimeout(r, downMs));
        pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: pg.port, fast: true });
      },
      async stop() {
        for (const r of running.reverse()) await r.stop().catch(() => {});
        await pg.stop().catch(() => {});
        // Kept when a test failed and KEEP_CLUSTER_LOGS=1: the processes' logs say why.
        if (process.env.KEEP_CLUSTER_LOGS !== '1') rmSync(dir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (err) {
    for (const r of running.reverse()) await r.stop().catch(() => {});
    await pg.stop().catch(() => {});
    throw err;
  }
}
