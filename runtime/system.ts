// Wires the whole engine in one process: database, Temporal client, worker, HTTP API, outbox sweep.
// Used by `npm start` (with the embedded services) and by the tests (with theirs).
import type { Server } from 'node:http';
import { NativeConnection, type Worker, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Sequelize } from 'sequelize';
import { connectDatabase, migrate } from '../db';
import { createMailer, type Mailer } from '../mail/mailer';
import { createApp } from '../api/app';
import { createTicketService, type TicketService } from '../services/tickets';
import { connectTemporal } from '../services/temporal';
import { createTicketWorker } from '../worker/worker';
import { createMailOutbox, type MailOutbox } from '../mail/outbox';
import { createTicketMail } from '../activities/ticket-mail';
import { ticketMailDeps, type ActivityDeps } from '../activities';
import { installTemporalRuntime, temporalMetricsAddress } from './temporal-runtime';
import { createHash, randomBytes } from 'node:crypto';
import { readTlsFiles, startInboundSmtp, type InboundSmtp } from '../mail/inbound';
import { createSenderAuth, type DNSResolver } from '../mail/sender-auth';
import { createInboundMailService } from '../services/inbound-mail';
import { createHeldMailService } from '../services/held-mail';
import { addressOf, type Config } from '../config';
import { domainOf } from '../domain/sender-auth';
import { createWebAuth } from '../services/web-auth';
import { ensureSchedulesInTurn, type SchedulesConfig } from '../temporal/schedules';
import { createSignInMail } from '../services/sign-in-mail';
import { createPreparedMailSender } from '../mail/prepared-mail';
import { createRateLimits } from '../services/rate-limits';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from '../domain/rate-limits';
import type { TrustProxy } from '../domain/client-address';
import { countStuckRecordsWith } from '../observability/metrics';
import { countStuck } from '../services/stuck-records';
import type { CodecKeys } from '../temporal/codec-keys';
import { AesGcmPayloadCodec } from '../temporal/payload-codec';
import { engineDataConverter } from '../temporal/data-converter';
import type { Limit } from '../domain/rate-limits';
import { DEFAULT_CODEC_LIMIT } from '../config';

export interface SystemOptions {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  temporalUiUrl: string;
  smtpUrl: string;
  mailFrom: string;
  supportLeadEmail: string;
  supportManagerEmail?: string;
  adminToken?: string;
  port: number;
  publicUrl?: string;
  log: Logger;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Run the worker in this process (default true). */
  worker?: boolean;
  /** Serve HTTP (default true). */
  api?: boolean;
  sweepIntervalMs?: number;
  stepTimeoutMs?: number;
  /** Ticket and session workflows continue as new past this many history events (default: when the server suggests it). */
  workflowHistoryLimit?: number;
  /** Size of the Sequelize connection pool (default: connectDatabase's). */
  dbPoolMax?: number;
  /** The worker's workflow cache size (default: worker/worker.ts's). */
  maxCachedWorkflows?: number;
  /** The worker's limit on one synchronous workflow activation, 0 = none (default: worker/worker.ts's). */
  isolateTimeoutMs?: number;
  /** Threads that run workflow code (default: worker/worker.ts's). */
  workflowThreads?: number;
  /** The workflow stack trace query (default: worker/worker.ts's, off). */
  stackTraces?: boolean;
  /** The deadlock guard on replayed activations too (default: worker/worker.ts's, off). */
  guardReplay?: boolean;
  /** On stop: how long readiness reports false, still serving, before the server closes (load balancers move away). */
  shutdownDrainMs?: number;
  /** Inbound SMTP listener (with the API): its port (0 = any free one); undefined = none. */
  inboundSmtpPort?: number;
  inboundSmtpHost?: string;
  inboundMaxMessageBytes?: number;
  /** The only recipients the inbound listener takes (default: mailFrom's address). */
  inboundSupportAddresses?: string[];
  /** Inbound connections at once, recipients per message, idle time per client (default: mail/inbound.ts's). */
  inboundMaxClients?: number;
  inboundMaxRecipients?: number;
  inboundSocketTimeoutMs?: number;
  /** PEM certificate and key: the inbound listener offers STARTTLS with them (and only with them). */
  inboundTls?: { cert: string | Buffer; key: string | Buffer };
  /** The DNS lookups of sender authentication (SPF, DKIM, DMARC); tests serve their own records. Default: the system's resolver. */
  inboundDnsResolver?: DNSResolver;
  /** Relays whose Authentication-Results header with inboundAuthservId is believed (IPs, CIDR blocks). */
  inboundTrustedRelays?: string[];
  inboundAuthservId?: string;
  attachmentMaxBytes?: number;
  /** Signs the pages' session cookie and CSRF tokens; default derived from adminToken, else random. */
  webSecret?: string;
  /** Create or update the Temporal Schedules of the scheduled work (with the worker); off unless given. */
  schedules?: Omit<SchedulesConfig, 'taskQueue'>;
  /** host:port for the Temporal worker's Prometheus exporter; the API's /metrics appends what it serves. */
  temporalMetricsAddress?: string;
  /** /metrics on the API's public port (default true: npm start, tests); the standalone API serves it on METRICS_PORT. */
  metricsOnApi?: boolean;
  /** The flood limits (default: domain/rate-limits.ts's DEFAULT_RATE_LIMITS). */
  rateLimits?: RateLimitSettings;
  /** Whose X-Forwarded-For names the client the per-address limits count (default: nobody's). */
  trustProxy?: TrustProxy;
  /** The payload codec's keys: what the client and the worker hand Temporal is encrypted with them. */
  codecKeys: CodecKeys;
  /** Requests to the codec server per staff member (default: config's DEFAULT_CODEC_LIMIT). */
  codecLimit?: Limit;
}

export interface System {
  sequelize: Sequelize;
  temporal: Client;
  tickets: TicketService;
  server?: Server;
  url?: string;
  inboundSmtp?: InboundSmtp;
  worker?: Worker;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  /** Graceful stop; `drainMs` overrides the configured shutdownDrainMs. */
  stop(drainMs?: number): Promise<void>;
}

export async function startSystem(o: SystemOptions): Promise<System> {
  installTemporalRuntime(o.log, { metricsAddress: o.temporalMetricsAddress });
  const sequelize = connectDatabase(o.databaseUrl, { poolMax: o.dbPoolMax });
  await migrate(sequelize);
  const codec = new AesGcmPayloadCodec(o.codecKeys);
  const dataConverter = engineDataConverter(codec);
  const temporal = await connectTemporal(o.temporalAddress, o.namespace, dataConverter);
  // Counted in Postgres, so every API process of a deployment shares the counts.
  const limits = createRateLimits(sequelize, o.rateLimits ?? DEFAULT_RATE_LIMITS);
  const tickets = createTicketService({
    sequelize,
    temporal,
    taskQueue: o.taskQueue,
    temporalUiUrl: o.temporalUiUrl,
    namespace: o.namespace,
    log: o.log,
    stepTimeoutMs: o.stepTimeoutMs,
    historyLimit: o.workflowHistoryLimit,
    limits,
  });
  // Where links in e-mails and pages point: PUBLIC_URL, never a request's Host header.
  const publicUrl = () => o.publicUrl ?? sys.url ?? `http://localhost:${o.port}`;

  let mailer: Mailer | undefined;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let outbox: MailOutbox | undefined;

  async function startWorker() {
    mailer ??= createMailer(o.smtpUrl, o.mailFrom);
    nativeConnection ??= await NativeConnection.connect({ address: o.temporalAddress });
    const activityDeps: ActivityDeps = {
      sequelize,
      mailer,
      supportLeadEmail: o.supportLeadEmail,
      supportManagerEmail: o.supportManagerEmail,
      // The ticket's page: requesters see theirs, the support team is sent on to the console.
      ticketUrl: o.publicUrl ? (id) => `${o.publicUrl}/tickets/${id}` : undefined,
      publicUrl: o.publicUrl,
      staffTimezone: o.schedules?.timezone,
      mailQueued: () => outbox?.kick(),
    };
    // The worker sends every e-mail: those its ticket records queue, the sign-in links the pages
    // queue, and the answers to inbound mail the listener queues.
    outbox ??= createMailOutbox({
      sequelize,
      log: o.log,
      senders: {
        ticket_notification: createTicketMail(ticketMailDeps(activityDeps)),
        sign_in_link: createSignInMail({ mailer, publicUrl }),
        prepared_mail: createPreparedMailSender(mailer),
      },
    });
    worker = await createTicketWorker({
      connection: nativeConnection,
      namespace: o.namespace,
      taskQueue: o.taskQueue,
      workflowBundle: o.workflowBundle,
      maxCachedWorkflows: o.maxCachedWorkflows,
      isolateTimeoutMs: o.isolateTimeoutMs,
      workflowThreads: o.workflowThreads,
      stackTraces: o.stackTraces,
      guardReplay: o.guardReplay,
      dataConverter,
      activityDeps,
    });
    const w = worker;
    workerRun = w.run().catch((err) => o.log.error({ err }, 'worker stopped with an error'));
    sys.worker = w;
    outbox.start();
    // The stuck-record gauge counts from the database at each scrape, in the process that runs the worker.
    countStuckRecordsWith(() => countStuck(sequelize));
  }

  async function stopWorker() {
    if (!worker) return;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    // After the worker, whose last records may still kick it; what is left queued waits in the table.
    await outbox?.stop();
    countStuckRecordsWith(null);
    worker = undefined;
    sys.worker = undefined;
  }

  const sys: System = { sequelize, temporal, tickets, startWorker, stopWorker, stop: async () => {} };
  if (o.worker !== false) await startWorker();
  if (o.worker !== false && o.schedules) {
    // Every worker replica brings them up to date when it starts, one at a time.
    const ids = await ensureSchedulesInTurn(o.databaseUrl, temporal, { ...o.schedules, taskQueue: o.taskQueue });
    o.log.info({ schedules: ids }, 'schedules ready');
  }

  let sweepTimer: NodeJS.Timeout | undefined;
  let draining = false;
  if (o.api !== false) {
    // The API process sends no mail itself: sign-in links and answers to inbound mail are queued in
    // the outbox, which a worker sends (this process's, when it runs one: told at once).
    const supportAddress = addressOf(o.mailFrom);
    const supportAddresses = o.inboundSupportAddresses ?? [supportAddress.toLowerCase()];
    // Built with the API (not only with the listener): held mail is worked from the console and the API.
    const inbound = createInboundMailService({
      tickets,
      mailQueued: () => outbox?.kick(),
      log: o.log,
      supportAddresses,
      attachmentMaxBytes: o.attachmentMaxBytes ?? 10 * 1024 * 1024,
      limits,
      verifySender: createSenderAuth({
        resolver: o.inboundDnsResolver,
        trustedRelays: o.inboundTrustedRelays,
        authservId: o.inboundAuthservId,
        mta: domainOf(supportAddress),
        log: o.log,
      }),
    });
    const heldMail = createHeldMailService({ inbound, log: o.log });
    const https = (o.publicUrl ?? '').startsWith('https:');
    const app = createApp({
      tickets,
      sequelize,
      temporal,
      log: o.log,
      adminToken: o.adminToken,
      temporalUiUrl: o.temporalUiUrl,
      namespace: o.namespace,
      draining: () => draining,
      heldMail,
      // Only a worker in this process has metrics to add (an API-only process has none).
      temporalMetricsAddress: () => (o.worker !== false ? temporalMetricsAddress() : undefined),
      serveMetrics: o.metricsOnApi,
      limits,
      trustProxy: o.trustProxy,
      https,
      codec: { codec, uiOrigin: new URL(o.temporalUiUrl).origin, limit: o.codecLimit ?? DEFAULT_CODEC_LIMIT },
      web: {
        auth: createWebAuth(sequelize, o.adminToken),
        secret: webSecret(o),
        secureCookies: https,
        publicUrl,
        supportAddress,
      },
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(o.port, '0.0.0.0', () => resolve(s));
      s.once('error', reject);
    });
    // An idle keep-alive connection stays open longer than a balancer keeps its own (60 s is the
    // common idle timeout) and than a client waits before reusing one: whoever reuses a connection
    // must never find that we closed it first (Node's 5 s lost that race to a busy client, and a
    // balancer answers 502 for it). Headers must still arrive within a bounded time.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    sys.server = server;
    sys.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // The intake outbox: tickets accepted while Temporal was unreachable start here.
    const sweep = () =>
      tickets.starter
        .sweep()
        .catch((err) => o.log.warn({ err }, 'outbox sweep failed'))
        .finally(() => {
          sweepTimer = setTimeout(sweep, o.sweepIntervalMs ?? 5_000);
          sweepTimer.unref();
        });
    void sweep();

    if (o.inboundSmtpPort !== undefined) {
      sys.inboundSmtp = await startInboundSmtp({
        port: o.inboundSmtpPort,
        host: o.inboundSmtpHost,
        maxMessageBytes: o.inboundMaxMessageBytes ?? 25 * 1024 * 1024,
        supportAddresses,
        maxClients: o.inboundMaxClients,
        maxRecipients: o.inboundMaxRecipients,
        socketTimeoutMs: o.inboundSocketTimeoutMs,
        tls: o.inboundTls,
        log: o.log,
        handle: inbound.handle,
      });
    }
  }

  // Graceful: readiness goes false first, requests in flight finish, the worker finishes its
  // activity tasks (shutdownGraceTime), and only then do the connections close.
  sys.stop = async (drainMs = o.shutdownDrainMs) => {
    draining = true;
    if (sweepTimer) clearTimeout(sweepTimer);
    await sys.inboundSmtp?.stop();
    if (sys.server) {
      if (drainMs) await new Promise((r) => setTimeout(r, drainMs));
      const server = sys.server;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections?.();
      // Keep-alive clients that never go idle do not hold the shutdown forever.
      const force = setTimeout(() => server.closeAllConnections?.(), 10_000);
      await closed;
      clearTimeout(force);
    }
    // Starts already handed over finish (or fail, for the next sweep) before the client closes.
    await tickets.starter.drain();
    await stopWorker();
    mailer?.close();
    limits.stop();
    await nativeConnection?.close();
    await temporal.connection.close();
    await sequelize.close();
  };
  return sys;
}

/**
 * WEB_SECRET if given; else one derived from the admin token, so every API process of a deployment
 * agrees on it and sessions survive a restart; else random (sessions end with the process).
 */
function webSecret(o: SystemOptions): string {
  if (o.webSecret) return o.webSecret;
  if (o.adminToken) return createHash('sha256').update(`last-call-web-secret:${o.adminToken}`).digest('hex');
  o.log.warn('no WEB_SECRET and no ADMIN_TOKEN: web sessions will not survive a restart');
  return randomBytes(32).toString('hex');
}

/** The inbound listener's settings as the environment gives them (config/index.ts), for startSystem. */
export function inboundOptions(inbound: Config['inbound']): Pick<SystemOptions, 'inboundSmtpHost' | 'inboundMaxMessageBytes' | 'inboundSupportAddresses' | 'inboundMaxClients' | 'inboundMaxRecipients' | 'inboundSocketTimeoutMs' | 'inboundTls' | 'inboundTrustedRelays' | 'inboundAuthservId' | 'attachmentMaxBytes'> {
  return {
    inboundSmtpHost: inbound.host,
    inboundMaxMessageBytes: inbound.maxMessageBytes,
    inboundSupportAddresses: inbound.supportAddresses,
    inboundMaxClients: inbound.maxClients,
    inboundMaxRecipients: inbound.maxRecipients,
    inboundSocketTimeoutMs: inbound.socketTimeoutMs,
    inboundTls: readTlsFiles(inbound.tls),
    inboundTrustedRelays: inbound.trustedRelays,
    inboundAuthservId: inbound.authservId,
    attachmentMaxBytes: inbound.attachmentMaxBytes,
  };
}
