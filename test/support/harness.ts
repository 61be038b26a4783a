// One isolated engine per test file: its own database on the shared Postgres, its own task queue
// on the shared Temporal dev server, its own SMTP inbox and HTTP port.
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import pino, { type Logger } from 'pino';
import { freePort } from '../../runtime/embedded-postgres';
import { startSystem, type System, type SystemOptions } from '../../runtime/system';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from '../../domain/rate-limits';
import type { TrustProxy } from '../../domain/client-address';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../domain/sla-policy';
import { Inbox } from './inbox';
import { initModels } from '../../db/models';
import { testDns } from './mail-auth';
import { TEST_CODEC_KEYS } from './codec';
import type { Limit } from '../../domain/rate-limits';

// Passes the ADMIN_TOKEN rule (domain/secret-strength.ts): 32+ characters, no run, no repeated piece.
export const ADMIN_TOKEN = 'test-admin-9f3Kq2Lx7RvB4mWc8TzN6pHd1YsE5gJu';
export const LEAD = 'lead@lastcall.test';
export const MANAGER = 'manager@lastcall.test';

/** Second-scale targets so warning, breach and escalation paths run for real in a test. */
export function secondsPolicy(overrides: Partial<SlaPolicy['targets']['standard']> = {}, extra: Partial<SlaPolicy> = {}): SlaPolicy {
  return {
    ...DEFAULT_SLA_POLICY,
    // One warning at half the target, the breach; the manager level only where a test asks for it.
    escalation: [
      { at: 0.5, notify: 'assignee_or_lead' },
      { at: 1, notify: 'lead' },
    ],
    autoCloseAfter: 'PT1H',
    sessions: { leadTime: 'PT6S', confirmWithin: 'PT4S', reminderBefore: 'PT3S', duration: 'PT2S', followUpEvery: 'PT2S', maxAttempts: 2, retryEvery: 'PT1M' },
    // Off unless a test turns it on: second-scale breaches would start brand meetings everywhere.
    autoBrandMeeting: { plans: [], impacts: [], on: [] },
    ...extra,
    targets: {
      standard: { ...DEFAULT_SLA_POLICY.targets.standard, A: { response: 'PT3S', resolution: 'PT6S' }, ...overrides },
      advanced: { ...DEFAULT_SLA_POLICY.targets.advanced, A: { response: 'PT2S', resolution: 'PT4S' } },
    },
  };
}

export type ApiCall = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: T; headers: Headers }>;

export interface CustomerFixture {
  id: string;
  requesterId: string;
  requesterToken: string;
  requesterEmail: string;
}

export interface TestSystem {
  sys: System;
  /** What the system was started with (for a second API process on the same database). */
  options: SystemOptions;
  /** The database this system uses (for a worker process of its own). */
  databaseUrl: string;
  inbox: Inbox;
  url: string;
  dbName: string;
  taskQueue: string;
  techId: string;
  techToken: string;
  techEmail: string;
  /** Calls as the technician, unless `headers.authorization` says otherwise ('' = no token). */
  api: ApiCall;
  as(token: string): ApiCall;
  admin: ApiCall;
  /** A customer with a product in support, its primary requester and, for advanced, an annual term. */
  createCustomer(plan?: 'standard' | 'advanced'): Promise<string>;
  createCustomerFixture(plan?: 'standard' | 'advanced'): Promise<CustomerFixture>;
  customer(id: string): CustomerFixture;
  /** POST /api/tickets as the customer's requester; waits for the ticket's workflow unless `running` is false (Temporal is down). */
  createTicket(customerId: string, extra?: Record<string, unknown>, opts?: { running?: boolean }): Promise<any>;
  stop(): Promise<void>;
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through mocha's global fixtures (npm test)`);
  return v;
}

export interface TestSystemOptions {
  policy?: SlaPolicy;
  label: string;
  /** Run the worker in this process (default true); fault tests run it as a process of its own. */
  worker?: boolean;
  /** A Temporal server / Postgres of the test's own instead of the shared ones (fault tests stop them). */
  temporalAddress?: string;
  pgServerUrl?: string;
  inbox?: Inbox;
  attachmentMaxBytes?: number;
  /** The system's logger (default: silent, or TEST_LOG_LEVEL); the logging test captures lines with it. */
  log?: Logger;
  /** Settings of the inbound SMTP listener and its sender checks (DNS: test/support/mail-auth.ts's zone unless given). */
  inbound?: Partial<Pick<SystemOptions, 'inboundMaxMessageBytes' | 'inboundMaxClients' | 'inboundMaxRecipients' | 'inboundSocketTimeoutMs' | 'inboundTls' | 'inboundDnsResolver' | 'inboundTrustedRelays' | 'inboundAuthservId' | 'inboundSupportAddresses'>>;
  /** Flood limits other than the defaults (the rate-limit tests' small ones, the load tests' large ones). */
  rateLimits?: Partial<RateLimitSettings>;
  trustProxy?: TrustProxy;
  publicUrl?: string;
  /** Ticket and session workflows continue as new past this many events (the long-lived tests' small limit). */
  workflowHistoryLimit?: number;
  /** How often this system sweeps the intake outbox (default 500 ms); the cluster tests leave it to the API processes. */
  sweepIntervalMs?: number;
  /** Other workflow code than the engine's (the deadlock guard's test adds a looping workflow to it). */
  workflowBundle?: SystemOptions['workflowBundle'];
  /** Requests to the codec server per staff member (default: the engine's). */
  codecLimit?: Limit;
  /** Where the Temporal UI is, whose origin alone may call the codec server from a browser (default http://localhost:8233). */
  temporalUiUrl?: string;
}

export async function startTestSystem(opts: TestSystemOptions): Promise<TestSystem> {
  const serverUrl = opts.pgServerUrl ?? env('TEST_PG_SERVER_URL');
  const suffix = randomBytes(4).toString('hex');
  const dbName = `t_${opts.label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${suffix}`;
  const admin = new PgClient({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${dbName}`;

  const inbox = opts.inbox ?? (await new Inbox().start());
  const taskQueue = `test-${opts.label}-${suffix}`;
  const log = opts.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const options: SystemOptions = {
    databaseUrl: databaseUrl.toString(),
    temporalAddress: opts.temporalAddress ?? env('TEST_TEMPORAL_ADDRESS'),
    namespace: 'default',
    taskQueue,
    temporalUiUrl: opts.temporalUiUrl ?? 'http://localhost:8233',
    smtpUrl: inbox.url,
    mailFrom: 'Last Call Support <support@lastcall.test>',
    supportLeadEmail: LEAD,
    supportManagerEmail: MANAGER,
    adminToken: ADMIN_TOKEN,
    port: 0,
    log,
    workflowBundle: opts.workflowBundle ?? { codePath: env('TEST_WORKFLOW_BUNDLE') },
    sweepIntervalMs: opts.sweepIntervalMs ?? 500,
    stepTimeoutMs: 10_000,
    worker: opts.worker,
    inboundSmtpPort: 0,
    inboundSmtpHost: '127.0.0.1',
    // Sender authentication looks up the tests' own mail domains (there is no network here).
    inboundDnsResolver: testDns.resolver,
    ...opts.inbound,
    attachmentMaxBytes: opts.attachmentMaxBytes,
    // Effective only where this is the first system of its process (the runtime is one per process).
    temporalMetricsAddress: `127.0.0.1:${await freePort()}`,
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits },
    trustProxy: opts.trustProxy,
    publicUrl: opts.publicUrl,
    workflowHistoryLimit: opts.workflowHistoryLimit,
    codecKeys: TEST_CODEC_KEYS,
    codecLimit: opts.codecLimit,
  };
  const sys = await startSystem(options);
  // All test files share one Temporal namespace; distinct ticket numbers keep workflow ids apart.
  const start = 1001 + Math.floor(Math.random() * 1e9) * 1000;
  await sys.sequelize.query(`ALTER SEQUENCE ticket_number_seq RESTART WITH ${start}`);

  const url = sys.url!;
  async function call(token: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(url + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }).catch((err: Error & { cause?: Error & { code?: string } }) => {
      // fetch says only "fetch failed"; the cause (a reset, a refused header) is what a red run needs.
      throw new Error(`${method} ${path}: ${err.message}: ${err.cause?.code ?? ''} ${err.cause?.message ?? ''}`, { cause: err });
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: the test sees the raw text (and will fail if it expected JSON).
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  }
  const adminCall = (method: string, path: string, body?: unknown) => call(ADMIN_TOKEN, method, path, body);
  const must = async (res: Promise<{ status: number; body: any }>, status: number, what: string) => {
    const r = await res;
    if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  if (opts.policy) await must(adminCall('PUT', '/api/sla-policy', opts.policy), 200, 'policy rejected');
  const tech = await must(
    adminCall('POST', '/api/users', { name: 'Tomás Tech', email: `tech.${suffix}@lastcall.test`, role: 'technician', technologies: ['email'] }),
    201,
    'technician not created',
  );
  const customers = new Map<string, CustomerFixture>();

  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  async function createCustomerFixture(plan: 'standard' | 'advanced' = 'standard'): Promise<CustomerFixture> {
    const c = await must(adminCall('POST', '/api/customers', { name: `Customer ${randomBytes(2).toString('hex')}` }), 201, 'customer not created');
    await must(
      adminCall('POST', `/api/customers/${c.id}/products`, { brand: 'Zimbra', name: 'Collaboration Suite', technology: 'email', purchaseConfirmedAt: yesterday, licensesDeliveredAt: yesterday }),
      201,
      'product not created',
    );
    if (plan === 'advanced') await must(adminCall('POST', `/api/customers/${c.id}/subscriptions`, { plan: 'advanced', term: 'annual' }), 201, 'subscription not created');
    const email = `ana.${randomBytes(3).toString('hex')}@customer.test`;
    const r = await must(adminCall('POST', `/api/customers/${c.id}/users`, { name: 'Ana Pérez', email }), 201, 'requester not created');
    const fixture = { id: c.id as string, requesterId: r.id as string, requesterToken: r.token as string, requesterEmail: email };
    customers.set(fixture.id, fixture);
    return fixture;
  }

  return {
    sys,
    options,
    databaseUrl: databaseUrl.toString(),
    inbox,
    url,
    dbName,
    taskQueue,
    techId: tech.id,
    techToken: tech.token,
    techEmail: tech.email,
    // Technician steps are what most tests do; pass an authorization header to call as someone else.
    api: (method, path, body, headers = {}) => {
      const { authorization, ...rest } = headers;
      return authorization === undefined ? call(tech.token, method, path, body, rest) : call(null, method, path, body, authorization ? headers : rest);
    },
    as: (token) => (method, path, body, headers) => call(token, method, path, body, headers),
    admin: adminCall,
    async createCustomer(plan = 'standard') {
      return (await createCustomerFixture(plan)).id;
    },
    createCustomerFixture,
    customer: (id) => customers.get(id)!,
    async createTicket(customerId, extra = {}, opts = {}) {
      const c = customers.get(customerId);
      if (!c) throw new Error(`no fixture for customer ${customerId}: create it with createCustomer`);
      const res = await call(c.requesterToken, 'POST', '/api/tickets', {
        type: 'problem',
        impact: 'A',
        subject: 'Mail server down',
        description: 'Nobody can send mail since 9:00.',
        ...extra,
      });
      if (res.status !== 201) throw new Error(`ticket not created: ${res.status} ${JSON.stringify(res.body)}`);
      // Intake answers once the ticket is stored and starts its workflow in the background; tests
      // that go on to query or signal the workflow itself need it running.
      if (opts.running === false) return res.body;
      const handle = sys.temporal.workflow.getHandle(res.body.workflowId);
      await eventually(() => handle.describe().then(() => true, () => false), 10_000, `workflow of #${res.body.number}`);
      return res.body;
    },
    async stop() {
      await sys.stop();
      await inbox.stop();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `fn` returns a truthy value (or throw with the last value seen). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await fn();
    if (last) return last as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * A second API process on the test system's database (no worker, no inbound SMTP), as a deployment
 * runs several behind a load balancer; `overrides` for what differs. Its own Sequelize pool, rate
 * limiter and HTTP server. The models are one per OS process and follow the last database
 * connected, so they follow this one until it stops, then the test system's again.
 */
export async function startApiReplica(t: TestSystem, overrides: Partial<SystemOptions> = {}): Promise<System> {
  const replica = await startSystem({ ...t.options, worker: false, api: true, inboundSmtpPort: undefined, schedules: undefined, ...overrides });
  const stop = replica.stop;
  replica.stop = async (drainMs) => {
    await stop(drainMs);
    initModels(t.sys.sequelize);
  };
  return replica;
}
