// Shared start-up for the standalone server processes (`api/main.ts`, `worker/main.ts`), used where
// Postgres, Temporal and SMTP already run elsewhere (docker-compose, a real deployment).
import { loadConfig, type Config } from '../config';
import { createLogger } from './logger';
import { inboundOptions, startSystem, type System } from './system';
import { prepareNamespace } from '../temporal/prepare-namespace';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server';
import { temporalMetricsAddress } from './temporal-runtime';
import { lowerPriority } from './priority';
import { HOW_TO_MAKE_A_KEY } from '../temporal/codec-keys';

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is required for a standalone server process (npm start provides embedded defaults instead)`);
  return value;
}

export async function runServerProcess(role: 'api' | 'worker'): Promise<void> {
  const config: Config = loadConfig();
  const log = createLogger(config.logLevel, `last-call-sla-${role}`);
  const temporalAddress = required(config.temporal.address, 'TEMPORAL_ADDRESS');
  const databaseUrl = required(config.databaseUrl, 'DATABASE_URL');
  // Without keys a server would hand Temporal its customers' data in the clear: it does not start.
  const codecKeys = config.temporal.codecKeys;
  if (!codecKeys) throw new Error(`TEMPORAL_CODEC_KEYS is required for a standalone server process: the keys that encrypt what the engine hands Temporal (${HOW_TO_MAKE_A_KEY}); every API and worker process of a deployment shares them`);
  // Before the worker starts its threads, so they inherit it. A no-op across containers (each has its own share).
  if (role === 'worker') lowerPriority(process.pid, config.backgroundNice);
  // Any replica of either role may come up first on a fresh cluster: they take turns, and what
  // exists is kept.
  const prepared = await prepareNamespace({ address: temporalAddress, namespace: config.temporal.namespace, retentionDays: config.temporal.retentionDays, databaseUrl });
  if (prepared.createdNamespace) log.info({ namespace: config.temporal.namespace, retentionDays: config.temporal.retentionDays }, 'created the Temporal namespace');
  if (prepared.addedSearchAttributes.length) log.info({ added: prepared.addedSearchAttributes }, 'registered search attributes');

  const system: System = await startSystem({
    databaseUrl,
    temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    temporalUiUrl: config.temporal.uiUrl,
    // Only the worker sends e-mail.
    smtpUrl: role === 'worker' ? required(config.mail.smtpUrl, 'SMTP_URL') : (config.mail.smtpUrl ?? ''),
    mailFrom: config.mail.from,
    supportLeadEmail: config.mail.supportLeadEmail,
    supportManagerEmail: config.mail.supportManagerEmail,
    adminToken: config.adminToken,
    port: config.port,
    publicUrl: config.web.publicUrl,
    log,
    // The API process also listens for inbound mail, unless another replica does (INBOUND_SMTP=off).
    inboundSmtpPort: role === 'api' && config.inbound.enabled ? config.inbound.port : undefined,
    ...inboundOptions(config.inbound),
    webSecret: config.web.secret,
    api: role === 'api',
    worker: role === 'worker',
    // The worker keeps the schedules of the scheduled work up to date.
    schedules: config.schedules ?? undefined,
    // Behind a load balancer: time for it to see /readyz fail before the port closes.
    shutdownDrainMs: config.shutdownDrainMs ?? 5_000,
    workflowBundle: config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined,
    temporalMetricsAddress: config.metrics.temporalAddress,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    isolateTimeoutMs: config.workerIsolateTimeoutMs,
    workflowThreads: config.workerWorkflowThreads,
    workflowHistoryLimit: config.workflowHistoryLimit,
    stackTraces: config.workerStackTraces,
    guardReplay: config.workerGuardReplay,
    rateLimits: config.rateLimits,
    trustProxy: config.trustProxy,
    codecKeys,
    codecLimit: config.codecLimit,
    // Counts of tickets by plan and channel, request routes and timings are nobody's business
    // outside: the public port does not serve them.
    metricsOnApi: false,
  });
  // Both roles serve /metrics on METRICS_PORT, kept off the network's edge (compose exposes it to
  // Prometheus only). A taken port costs the metrics, not the process: the tickets matter more.
  const metrics: MetricsServer | undefined = await startMetricsServer({ port: config.metrics.port, host: config.metrics.host, temporalMetricsAddress }).catch((err) => {
    log.error({ err, port: config.metrics.port }, 'metrics are off: METRICS_PORT could not be opened');
    return undefined;
  });
  log.info({ role, port: role === 'api' ? config.port : undefined, metricsPort: metrics?.port }, 'started');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // The worker finishes in-flight activity tasks (shutdownGraceTime) before this resolves.
    Promise.all([system.stop(), metrics?.stop()]).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

export function main(role: 'api' | 'worker'): void {
  runServerProcess(role).catch((err) => {
    process.stderr.write(`failed to start ${role}: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
