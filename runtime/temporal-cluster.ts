// Temporal as production runs it, on this machine: the release's server binary (npm run
// setup:cluster) as one process per service (frontend, history, matching, worker) on Postgres with
// SQL visibility, and the UI server; the SQL tool's schema steps before them. The settings are
// ops/temporal/cluster.env, the file docker-compose.yml gives its Temporal containers, rendered by
// the release's own config template; what differs between the shapes is only where each process
// listens and how it reaches Postgres. Used by npm run start:cluster and the topology fault tests.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from './free-port';
import { managedProcess, type ManagedProcess, type ManagedProcessOptions } from './managed-process';
import { projectRoot, type ClusterBinaries } from './temporal-binary';

export const TEMPORAL_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface ServicePorts {
  grpc: number;
  membership: number;
  /** Its Prometheus endpoint (the server's own metrics), on loopback. */
  metrics: number;
}

export interface TemporalClusterPorts {
  services: Record<TemporalService, ServicePorts>;
  /** The frontend's HTTP API. */
  frontendHttp: number;
  ui: number;
}

/**
 * The release template's layout around one frontend port: at 7233 its own defaults (history 7234,
 * matching 7235, worker 7239, HTTP 7243, membership 300 below each), metrics from 20 above. The
 * membership ports must stay below 32768 (see freeMembershipPort).
 */
export function portLayout(frontend: number, ui: number): TemporalClusterPorts {
  const offset: Record<TemporalService, number> = { frontend: 0, history: 1, matching: 2, worker: 6 };
  const services = Object.fromEntries(
    TEMPORAL_SERVICES.map((s, i) => [s, { grpc: frontend + offset[s], membership: frontend - 300 + offset[s], metrics: frontend + 20 + i }]),
  ) as Record<TemporalService, ServicePorts>;
  return { services, frontendHttp: frontend + 10, ui };
}

/** Every port a free one (tests: several clusters and the shared dev server side by side). */
export async function freePortLayout(): Promise<TemporalClusterPorts> {
  const services = {} as Record<TemporalService, ServicePorts>;
  for (const s of TEMPORAL_SERVICES) services[s] = { grpc: await freePort(), membership: await freeMembershipPort(), metrics: await freePort() };
  return { services, frontendHttp: await freePort(), ui: await freePort() };
}

/**
 * A free port the membership table can hold: it keeps ports as SMALLINT, so one of the system's
 * ephemeral ports (above 32767) stops the service at start ("out of range for type smallint").
 */
async function freeMembershipPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768 for a Temporal membership port');
}

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface TemporalClusterOptions {
  binaries: ClusterBinaries;
  /** ops/temporal/cluster.env (runtime/temporal-binary.ts clusterSettings()). */
  settings: Record<string, string>;
  /** Where Temporal's two databases are (created when missing: the user needs CREATEDB). */
  postgres: PostgresServer;
  /** Each process's log goes here: temporal-<service>.log, temporal-ui.log, temporal-schema.log. */
  logDir: string;
  ports: TemporalClusterPorts;
  /** The namespace the UI opens on. */
  namespace: string;
  /** Run the UI server too (default true). */
  ui?: boolean;
  /** The codec server the UI decodes payloads with, calling it with the browser's credentials (the console's session). */
  codecEndpoint?: string;
  /** Niceness of the server processes (runtime/priority.ts). */
  nice?: number;
  /** Start a process again when it exits by itself (npm run start:cluster); tests kill and start them on purpose. */
  keepRunning?: Omit<NonNullable<ManagedProcessOptions['keepRunning']>, 'onRestart'> & { onRestart?: (name: string) => void };
}

export interface TemporalCluster {
  /** The frontend, for clients and workers. */
  address: string;
  uiUrl?: string;
  services: Record<TemporalService, ManagedProcess>;
  ui?: ManagedProcess;
  stop(): Promise<void>;
}

/** The environment the release's config template renders from, for one shape: this machine's. */
export function serverEnvironment(o: Pick<TemporalClusterOptions, 'settings' | 'postgres' | 'ports'>): NodeJS.ProcessEnv {
  const p = o.ports.services;
  // Nothing of the app's environment (its secrets) reaches the server processes.
  return {
    ...o.settings,
    POSTGRES_SEEDS: o.postgres.host,
    DB_PORT: String(o.postgres.port),
    // The template reads the visibility store's port from this one (or POSTGRES_PORT), not DB_PORT.
    VISIBILITY_DB_PORT: String(o.postgres.port),
    POSTGRES_USER: o.postgres.user,
    POSTGRES_PWD: o.postgres.password,
    BIND_ON_IP: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(p.frontend.grpc),
    FRONTEND_HTTP_PORT: String(o.ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(p.frontend.membership),
    HISTORY_GRPC_PORT: String(p.history.grpc),
    HISTORY_MEMBERSHIP_PORT: String(p.history.membership),
    MATCHING_GRPC_PORT: String(p.matching.grpc),
    MATCHING_MEMBERSHIP_PORT: String(p.matching.membership),
    WORKER_GRPC_PORT: String(p.worker.grpc),
    WORKER_MEMBERSHIP_PORT: String(p.worker.membership),
    DYNAMIC_CONFIG_FILE_PATH: path.join(projectRoot(), 'ops', 'temporal', 'dynamicconfig.yaml'),
  };
}

/** The UI server's environment, rendered by its config template (config/docker.yaml): nothing of the app's. */
export function uiEnvironment(o: Pick<TemporalClusterOptions, 'ports' | 'namespace' | 'codecEndpoint'>, frontendAddress: string): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: frontendAddress,
    TEMPORAL_UI_PORT: String(o.ports.ui),
    TEMPORAL_DEFAULT_NAMESPACE: o.namespace,
    TEMPORAL_CORS_ORIGINS: `http://localhost:${o.ports.ui},http://127.0.0.1:${o.ports.ui}`,
    // No internet to ask for new versions on.
    TEMPORAL_NOTIFY_ON_NEW_VERSION: 'false',
    // The browser calls the codec server with its cookies: the console's session says who reads.
    ...(o.codecEndpoint ? { TEMPORAL_CODEC_ENDPOINT: o.codecEndpoint, TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true' } : {}),
  };
}

/** ops/temporal/setup-schema.sh with the release's SQL tool: creates or upgrades both stores. */
export async function setupTemporalSchema(o: Pick<TemporalClusterOptions, 'binaries' | 'settings' | 'postgres' | 'ports' | 'logDir'>): Promise<void> {
  mkdirSync(o.logDir, { recursive: true });
  const logFile = path.join(o.logDir, 'temporal-schema.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  let tail = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    // The tool by its full path, sh by its own: the script needs nothing found on a PATH.
    const child = spawn('/bin/sh', [path.join(projectRoot(), 'ops', 'temporal', 'setup-schema.sh')], {
      env: { ...serverEnvironment(o), TEMPORAL_SQL_TOOL: o.binaries.sqlTool },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      log.write(d);
      tail = (tail + d.toString('utf8')).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', reject);
    child.once('exit', resolve);
  });
  await new Promise((r) => log.end(r));
  if (code !== 0) throw new Error(`the Temporal schema setup failed (exit ${code}); see ${logFile}:\n${tail}`);
}

export async function startTemporalCluster(o: TemporalClusterOptions): Promise<TemporalCluster> {
  await setupTemporalSchema(o);
  const env = serverEnvironment(o);
  const address = `127.0.0.1:${o.ports.services.frontend.grpc}`;
  const keepRunning = (name: string): ManagedProcessOptions['keepRunning'] =>
    o.keepRunning ? { ...o.keepRunning, onRestart: () => o.keepRunning!.onRestart?.(name) } : undefined;

  const services = Object.fromEntries(
    TEMPORAL_SERVICES.map((service) => [
      service,
      managedProcess({
        name: `temporal-${service}`,
        command: o.binaries.server,
        args: ['--root', o.binaries.serverRoot, '--config', 'config', '--env', 'docker', '--allow-no-auth', 'start', '--service', service],
        env: { ...env, PROMETHEUS_ENDPOINT: `127.0.0.1:${o.ports.services[service].metrics}` },
        logFile: path.join(o.logDir, `temporal-${service}.log`),
        // The frontend is ready when it answers from its stores; the others once they are in the
        // membership ring (the worker service has no gRPC port of its own to ask).
        ready: service === 'frontend' ? () => frontendAnswers(address) : () => listening(o.ports.services[service].membership),
        readyTimeoutMs: 90_000,
        nice: o.nice,
        keepRunning: keepRunning(`temporal-${service}`),
      }),
    ]),
  ) as Record<TemporalService, ManagedProcess>;

  const started: ManagedProcess[] = [];
  let ui: ManagedProcess | undefined;
  const stop = async () => {
    // The frontend first (no new requests), the ring last.
    const order = [ui, services.frontend, services.worker, services.matching, services.history].filter((p): p is ManagedProcess => Boolean(p) && started.includes(p!));
    for (const p of order) await p.stop();
  };
  try {
    // History alone first: on a fresh database each service would write the cluster's metadata,
    // and the ones that lose that race exit ("failed to initialize current cluster metadata").
    const [first, ...rest] = TEMPORAL_SERVICES;
    started.push(services[first]);
    await services[first].start();
    await Promise.all(
      rest.map(async (s) => {
        started.push(services[s]);
        await services[s].start();
      }),
    );
    if (o.ui !== false) {
      const uiUrl = `http://127.0.0.1:${o.ports.ui}`;
      ui = managedProcess({
        name: 'temporal-ui',
        command: o.binaries.ui,
        args: ['--root', o.binaries.uiRoot, '--config', 'config', '--env', 'docker', 'start'],
        env: uiEnvironment(o, address),
        logFile: path.join(o.logDir, 'temporal-ui.log'),
        ready: async () => (await fetch(uiUrl)).ok,
        nice: o.nice,
        keepRunning: keepRunning('temporal-ui'),
      });
      started.push(ui);
      await ui.start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl: ui ? `http://localhost:${o.ports.ui}` : undefined, services, ui, stop };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The frontend answers a call that reads its stores (the system namespace always exists). */
async function frontendAnswers(address: string): Promise<boolean> {
  if (!(await listening(Number(address.split(':').pop())))) return false;
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.describeNamespace({ namespace: 'temporal-system' }));
    return true;
  } finally {
    await connection.close();
  }
}
