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
import { sweepUnstartedTickets } from '../services/workflow-starter';
import { createTicketWorker } from '../worker/worker';
import { installTemporalRuntime } from './temporal-runtime';

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
  /** Size of the Sequelize connection pool (default: connectDatabase's). */
  dbPoolMax?: number;
  /** The worker's workflow cache size (default: the SDK's). */
  maxCachedWorkflows?: number;
  /** On stop: how long readiness reports false, still serving, before the server closes (load balancers move away). */
  shutdownDrainMs?: number;
}

export interface System {
  sequelize: Sequelize;
  temporal: Client;
  tickets: TicketService;
  server?: Server;
  url?: string;
  worker?: Worker;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  /** Graceful stop; `drainMs` overrides the configured shutdownDrainMs. */
  stop(drainMs?: number): Promise<void>;
}

export async function startSystem(o: SystemOptions): Promise<System> {
  installTemporalRuntime(o.log);
  const sequelize = connectDatabase(o.databaseUrl, { poolMax: o.dbPoolMax });
  await migrate(sequelize);
  const temporal = await connectTemporal(o.temporalAddress, o.namespace);
  const tickets = createTicketService({
    sequelize,
    temporal,
    taskQueue: o.taskQueue,
    temporalUiUrl: o.temporalUiUrl,
    namespace: o.namespace,
    log: o.log,
    stepTimeoutMs: o.stepTimeoutMs,
  });

  let mailer: Mailer | undefined;
  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;

  async function startWorker() {
    mailer ??= createMailer(o.smtpUrl, o.mailFrom);
    nativeConnection ??= await NativeConnection.connect({ address: o.temporalAddress });
    worker = await createTicketWorker({
      connection: nativeConnection,
      namespace: o.namespace,
      taskQueue: o.taskQueue,
      workflowBundle: o.workflowBundle,
      maxCachedWorkflows: o.maxCachedWorkflows,
      activityDeps: {
        sequelize,
        mailer,
        supportLeadEmail: o.supportLeadEmail,
        supportManagerEmail: o.supportManagerEmail,
        ticketUrl: o.publicUrl ? (id) => `${o.publicUrl}/api/tickets/${id}` : undefined,
      },
    });
    const w = worker;
    workerRun = w.run().catch((err) => o.log.error({ err }, 'worker stopped with an error'));
    sys.worker = w;
  }

  async function stopWorker() {
    if (!worker) return;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    worker = undefined;
    sys.worker = undefined;
  }

  const sys: System = { sequelize, temporal, tickets, startWorker, stopWorker, stop: async () => {} };
  if (o.worker !== false) await startWorker();

  let sweepTimer: NodeJS.Timeout | undefined;
  let draining = false;
  if (o.api !== false) {
    const app = createApp({
      tickets,
      sequelize,
      temporal,
      log: o.log,
      adminToken: o.adminToken,
      temporalUiUrl: o.temporalUiUrl,
      namespace: o.namespace,
      draining: () => draining,
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(o.port, '0.0.0.0', () => resolve(s));
      s.once('error', reject);
    });
    sys.server = server;
    sys.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // The intake outbox: tickets accepted while Temporal was unreachable start here.
    const sweep = () =>
      sweepUnstartedTickets(temporal, o.taskQueue, o.log)
        .catch((err) => o.log.warn({ err }, 'outbox sweep failed'))
        .finally(() => {
          sweepTimer = setTimeout(sweep, o.sweepIntervalMs ?? 5_000);
          sweepTimer.unref();
        });
    void sweep();
  }

  // Graceful: readiness goes false first, requests in flight finish, the worker finishes its
  // activity tasks (shutdownGraceTime), and only then do the connections close.
  sys.stop = async (drainMs = o.shutdownDrainMs) => {
    draining = true;
    if (sweepTimer) clearTimeout(sweepTimer);
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
    await stopWorker();
    mailer?.close();
    await nativeConnection?.close();
    await temporal.connection.close();
    await sequelize.close();
  };
  return sys;
}
