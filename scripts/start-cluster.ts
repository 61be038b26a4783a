// `npm run start:cluster`: the production shape on this machine. Postgres (embedded, or
// DATABASE_URL's server), Temporal's four services as separate processes on it with SQL
// visibility, the Temporal UI, CLUSTER_WORKERS worker processes and CLUSTER_APIS API processes
// (inbound SMTP on the first), each with its own log under DATA_DIR/cluster/logs. Ctrl-C stops it
// all; the next start resumes on the same data. A process that exits by itself is started again,
// a few times, as an orchestrator would.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { createLogger } from '../runtime/logger';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres';
import { startMailCatcher } from '../runtime/mail-catcher';
import { clusterSettings, ensureClusterBinaries } from '../runtime/temporal-binary';
import { portLayout, startTemporalCluster, type PostgresServer } from '../runtime/temporal-cluster';
import { appProcess } from '../runtime/app-process';
import type { ManagedProcess } from '../runtime/managed-process';
import { localAdminToken } from '../runtime/admin-token';
import { localCodecKeys } from '../runtime/codec-keys-file';
import { bundleWorkflows } from '../worker/workflow-bundle';

/** Where Temporal finds the server DATABASE_URL names (same host and credentials, its own databases). */
function postgresOf(databaseUrl: string): PostgresServer {
  const u = new URL(databaseUrl);
  return { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

/** One line of the summary: the label in a column of its own. */
const row = (label: string, text: string) => `${label.padEnd(21)} ${text}`;

/** What is running, stopped in reverse order (also when the start fails half-way). */
const stops: Array<() => Promise<void>> = [];

async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop().catch((err) => process.stderr.write(`stop failed: ${String(err)}\n`));
}

async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'last-call-sla-cluster');
  if (config.temporal.address) throw new Error('npm run start:cluster runs its own Temporal cluster: unset TEMPORAL_ADDRESS (or use the standalone processes against yours)');
  const started = Date.now();
  const dir = path.join(config.dataDir, 'cluster');
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const lines: string[] = [];

  const binaries = ensureClusterBinaries();
  if (!binaries) throw new Error('the Temporal server, its SQL tool and the UI server are not built and there is no Go toolchain to build them (npm run setup:cluster)');

  let databaseUrl = config.databaseUrl;
  let postgres: PostgresServer;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), log: (m) => log.debug({ postgres: m.trim() }) });
    databaseUrl = await pg.createDatabase('last_call_sla');
    postgres = postgresOf(pg.serverUrl);
    stops.push(() => pg.stop());
    lines.push(`Postgres (embedded)   ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}  data: ${pg.dir}`);
  } else {
    postgres = postgresOf(databaseUrl);
    lines.push(`Postgres              DATABASE_URL (Temporal's databases on the same server)`);
  }

  let shuttingDown = false;
  const giveUp = (reason: string) => {
    log.error({ reason }, 'a process keeps failing: stopping the cluster');
    void shutdown('failure', 1);
  };
  const keepRunning = (name: string) => ({
    maxRestarts: 5,
    windowMs: 60_000,
    active: () => !shuttingDown,
    onRestart: () => log.warn({ process: name }, 'exited by itself; starting it again'),
    onGiveUp: giveUp,
  });

  const base = config.web.publicUrl ?? `http://localhost:${config.port}`;
  const settings = clusterSettings();
  const temporal = await startTemporalCluster({
    binaries,
    settings,
    postgres,
    logDir,
    ports: portLayout(config.temporal.port, config.temporal.uiPort),
    namespace: config.temporal.namespace,
    nice: config.backgroundNice,
    codecEndpoint: `${base}/codec`,
    keepRunning: { maxRestarts: 5, windowMs: 60_000, active: () => !shuttingDown, onRestart: (name) => log.warn({ process: name }, 'exited by itself; starting it again'), onGiveUp: giveUp },
  });
  stops.push(() => temporal.stop());
  const uiUrl = temporal.uiUrl!;
  lines.push(
    row(`Temporal ${binaries.serverVersion}`, `${temporal.address}  frontend, history, matching, worker: 4 processes, ${settings.NUM_HISTORY_SHARDS} history shards, SQL visibility`),
    `Temporal Web UI       ${uiUrl}/namespaces/${config.temporal.namespace}/workflows  (UI ${binaries.uiVersion})`,
    `Scheduled work        ${uiUrl}/namespaces/${config.temporal.namespace}/schedules  (monthly reports, Advanced terms, lead digest)`,
  );

  let smtpUrl = config.mail.smtpUrl;
  if (!smtpUrl) {
    // Where npm start puts them too: the README's walk-through reads them there.
    const catcher = await startMailCatcher({ dir: path.join(config.dataDir, 'mail') });
    smtpUrl = catcher.url;
    stops.push(() => catcher.stop());
    lines.push(`E-mail (local catch)  ${catcher.url}  every message saved as .eml in ${catcher.dir}`);
  } else {
    lines.push(`E-mail                SMTP_URL`);
  }

  let adminToken = config.adminToken;
  if (!adminToken) {
    const local = localAdminToken(config.dataDir);
    adminToken = local.token;
    lines.push(`Admin token           ${local.file} (set ADMIN_TOKEN to choose your own)`);
  }

  // Every app process encrypts with the same keys: TEMPORAL_CODEC_KEYS (passed on with the
  // environment), else this data folder's.
  let localKeys: string | undefined;
  if (!config.temporal.codecKeys) {
    const local = localCodecKeys(config.dataDir);
    localKeys = local.text;
    lines.push(`Payload codec key     ${local.file} (set TEMPORAL_CODEC_KEYS to choose your own)`);
  }

  // Bundled once here instead of once per worker process: they start faster, and run the same code.
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows()).code);

  // What every app process shares; the rest of the environment (MAIL_FROM, RATE_LIMIT_*, …) as given.
  const shared: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_UI_URL: uiUrl,
    SMTP_URL: smtpUrl,
    ADMIN_TOKEN: adminToken,
    ...(localKeys ? { TEMPORAL_CODEC_KEYS: localKeys } : {}),
    PUBLIC_URL: base,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    // Nothing balances between the local APIs, so nothing needs time to move away from one.
    SHUTDOWN_DRAIN_MS: process.env.SHUTDOWN_DRAIN_MS ?? '0',
    // Scraped from this machine: the counts are nobody's business on the network (in containers
    // the compose network is what keeps them in).
    METRICS_HOST: process.env.METRICS_HOST ?? '127.0.0.1',
  };
  const { apis: apiCount, workers: workerCount } = config.cluster;
  const metricsPort = (k: number) => config.metrics.port + k;
  const workers: ManagedProcess[] = Array.from({ length: workerCount }, (_, i) =>
    appProcess({
      role: 'worker',
      name: `worker-${i + 1}`,
      from: 'dist',
      env: {
        ...shared,
        METRICS_PORT: String(metricsPort(apiCount + i)),
        TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${metricsPort(apiCount + workerCount + i)}`,
      },
      logFile: path.join(logDir, `worker-${i + 1}.log`),
      keepRunning: keepRunning(`worker-${i + 1}`),
    }),
  );
  const apis: ManagedProcess[] = Array.from({ length: apiCount }, (_, i) =>
    appProcess({
      role: 'api',
      name: `api-${i + 1}`,
      from: 'dist',
      env: {
        ...shared,
        PORT: String(config.port + i),
        METRICS_PORT: String(metricsPort(i)),
        // One listener for inbound mail: the MX points at one address.
        INBOUND_SMTP: i === 0 ? 'on' : 'off',
      },
      logFile: path.join(logDir, `api-${i + 1}.log`),
      keepRunning: keepRunning(`api-${i + 1}`),
    }),
  );
  // The APIs stop first (no new work comes in), then the workers finish theirs.
  stops.push(async () => {
    await Promise.all(workers.map((w) => w.stop()));
  });
  stops.push(async () => {
    await Promise.all(apis.map((a) => a.stop()));
  });
  await Promise.all([...workers, ...apis].map((p) => p.start()));

  lines.unshift(
    ...apis.map((_, i) => row(`API ${i + 1}`, `http://localhost:${config.port + i}/api  (health: /healthz, /readyz; metrics: http://127.0.0.1:${metricsPort(i)}/metrics${i === 0 ? `; inbound e-mail: smtp://localhost:${config.inbound.port}` : ''})`)),
    `Requesters' pages     ${base}/tickets  (sign in at ${base}/sign-in)`,
    `Technicians' console  ${base}/console`,
    `Codec server          ${base}/codec  (staff read ticket data decrypted in the Temporal UI and CLI: docs/operations.md)`,
    ...workers.map((_, i) => row(`Worker ${i + 1}`, `metrics: http://127.0.0.1:${metricsPort(apiCount + i)}/metrics`)),
  );
  lines.push(`Logs                  ${logDir}  (one file per process)`);
  process.stdout.write(`\nLast Call SLA engine is up as a cluster (${((Date.now() - started) / 1000).toFixed(1)} s)\n  ${lines.join('\n  ')}\n  Stop with Ctrl-C.\n\n`);

  async function shutdown(signal: string, code = 0) {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down the cluster');
    await stopAll();
    process.exit(code);
  }
  // embedded-postgres stops its servers and exits on these signals by itself (async-exit-hook):
  // Postgres would go first and the processes on it be left behind. The stop above does it in order.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch(async (err) => {
  process.stderr.write(`failed to start the cluster: ${err instanceof Error ? err.stack : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
