// `npm start`: everything on embedded defaults (or what the environment points at), in one command.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { createLogger } from '../runtime/logger';
import { freePort } from '../runtime/free-port';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres';
import { startMailCatcher } from '../runtime/mail-catcher';
import { startTemporalDevServer } from '../runtime/temporal-dev-server';
import { inboundOptions, startSystem } from '../runtime/system';
import { ensureTemporalBinary } from '../runtime/temporal-binary';
import { lowerPriority } from '../runtime/priority';
import { prepareNamespace } from '../temporal/prepare-namespace';
import { localAdminToken } from '../runtime/admin-token';
import { localCodecKeys } from '../runtime/codec-keys-file';


async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'last-call-sla');
  mkdirSync(config.dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const lines: string[] = [];

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), log: (m) => log.debug({ postgres: m.trim() }) });
    databaseUrl = await pg.createDatabase('last_call_sla');
    stops.push(() => pg.stop());
    lines.push(`Postgres (embedded)   ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}  data: ${pg.dir}`);
  } else {
    lines.push(`Postgres              DATABASE_URL`);
  }

  const base = config.web.publicUrl ?? `http://localhost:${config.port}`;
  let temporalAddress = config.temporal.address;
  let uiUrl = config.temporal.uiUrl;
  if (!temporalAddress) {
    const binary = ensureTemporalBinary();
    if (!binary) throw new Error('no `temporal` binary and no Go toolchain to build one: install the Temporal CLI or set TEMPORAL_ADDRESS');
    const dev = await startTemporalDevServer({
      binary,
      port: config.temporal.port,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      dbFile: path.join(config.dataDir, 'temporal.sqlite'),
      logFile: path.join(config.dataDir, 'temporal.log'),
      codecEndpoint: `${base}/codec`,
    });
    // The API (in this process) goes first when the machine is busy; see runtime/priority.ts.
    if (dev.process.pid) lowerPriority(dev.process.pid, config.backgroundNice);
    temporalAddress = dev.address;
    uiUrl = dev.uiUrl ?? uiUrl;
    stops.push(() => dev.stop());
    lines.push(`Temporal dev server   ${dev.address}  (log: ${path.join(config.dataDir, 'temporal.log')})`);
  } else {
    lines.push(`Temporal              ${temporalAddress} (TEMPORAL_ADDRESS)`);
  }
  const prepared = await prepareNamespace({ address: temporalAddress, namespace: config.temporal.namespace, retentionDays: config.temporal.retentionDays, databaseUrl });
  if (prepared.addedSearchAttributes.length) log.info({ added: prepared.addedSearchAttributes }, 'registered search attributes');
  lines.push(`Temporal Web UI       ${uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
  lines.push(`Scheduled work        ${uiUrl}/namespaces/${config.temporal.namespace}/schedules  (monthly reports, Advanced terms, lead digest)`);

  let smtpUrl = config.mail.smtpUrl;
  if (!smtpUrl) {
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

  // A serious default: what the engine hands Temporal is encrypted, with a key of this data folder's.
  let codecKeys = config.temporal.codecKeys;
  if (!codecKeys) {
    const local = localCodecKeys(config.dataDir);
    codecKeys = local.keys;
    lines.push(`Payload codec key     ${local.file} (set TEMPORAL_CODEC_KEYS to choose your own)`);
  } else {
    lines.push(`Payload codec key     TEMPORAL_CODEC_KEYS (encrypting with ${codecKeys.current})`);
  }

  // The worker's own metrics: its exporter listens on loopback only, /metrics appends them.
  const temporalMetricsAddress = config.metrics.temporalAddress ?? `127.0.0.1:${await freePort()}`;

  const system = await startSystem({
    databaseUrl,
    temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    temporalUiUrl: uiUrl,
    smtpUrl,
    mailFrom: config.mail.from,
    supportLeadEmail: config.mail.supportLeadEmail,
    supportManagerEmail: config.mail.supportManagerEmail,
    adminToken,
    port: config.port,
    publicUrl: config.web.publicUrl ?? `http://localhost:${config.port}`,
    log,
    shutdownDrainMs: config.shutdownDrainMs ?? 0,
    inboundSmtpPort: config.inbound.port,
    ...inboundOptions(config.inbound),
    webSecret: config.web.secret,
    schedules: config.schedules ?? undefined,
    temporalMetricsAddress,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    isolateTimeoutMs: config.workerIsolateTimeoutMs,
    workflowThreads: config.workerWorkflowThreads,
    workflowHistoryLimit: config.workflowHistoryLimit,
    stackTraces: config.workerStackTraces,
    guardReplay: config.workerGuardReplay,
    workflowBundle: config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined,
    rateLimits: config.rateLimits,
    trustProxy: config.trustProxy,
    codecKeys,
    codecLimit: config.codecLimit,
  });
  lines.unshift(
    `API                   ${base}/api  (health: /healthz, /readyz)`,
    `Requesters' pages     ${base}/tickets  (sign in at ${base}/sign-in)`,
    `Technicians' console  ${base}/console`,
    `SLA reports           ${base}/reports  (leads, admins, and requesters for their own customer)`,
    `Metrics (Prometheus)  ${base}/metrics  (with the Temporal worker's, exported on ${temporalMetricsAddress})`,
    `Codec server          ${base}/codec  (staff read ticket data decrypted in the Temporal UI and CLI: docs/operations.md)`,
    `Inbound e-mail        smtp://localhost:${system.inboundSmtp!.port}  (a requester's authenticated e-mail becomes a ticket; unauthenticated ones wait in ${base}/console/held-mail)`,
  );
  process.stdout.write(`\nLast Call SLA engine is up\n  ${lines.join('\n  ')}\n  Stop with Ctrl-C.\n\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await system.stop().catch((err) => log.error({ err }, 'stop failed'));
    for (const stop of stops.reverse()) await stop().catch((err) => log.error({ err }, 'stop failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
