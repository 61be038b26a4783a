// One isolated engine per test file: its own database on the shared Postgres, its own task queue
// on the shared Temporal dev server, its own SMTP inbox and HTTP port.
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import pino from 'pino';
import { startSystem, type System } from '../../runtime/system';
import { DEFAULT_SLA_POLICY, type SlaPolicy } from '../../domain/sla-policy';
import { Inbox } from './inbox';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const LEAD = 'lead@lastcall.test';

/** Second-scale targets so warning, breach and escalation paths run for real in a test. */
export function secondsPolicy(overrides: Partial<SlaPolicy['targets']['standard']> = {}): SlaPolicy {
  return {
    ...DEFAULT_SLA_POLICY,
    warningThreshold: 0.5,
    autoCloseAfter: 'PT1H',
    targets: {
      standard: { ...DEFAULT_SLA_POLICY.targets.standard, A: { response: 'PT3S', resolution: 'PT6S' }, ...overrides },
      advanced: { ...DEFAULT_SLA_POLICY.targets.advanced, A: { response: 'PT2S', resolution: 'PT4S' } },
    },
  };
}

export interface TestSystem {
  sys: System;
  inbox: Inbox;
  url: string;
  dbName: string;
  taskQueue: string;
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  admin<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  createCustomer(plan?: 'standard' | 'advanced'): Promise<string>;
  createTicket(customerId: string, extra?: Record<string, unknown>): Promise<any>;
  stop(): Promise<void>;
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through mocha's global fixtures (npm test)`);
  return v;
}

export async function startTestSystem(opts: { policy?: SlaPolicy; label: string }): Promise<TestSystem> {
  const serverUrl = env('TEST_PG_SERVER_URL');
  const suffix = randomBytes(4).toString('hex');
  const dbName = `t_${opts.label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${suffix}`;
  const admin = new PgClient({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${dbName}`;

  const inbox = await new Inbox().start();
  const taskQueue = `test-${opts.label}-${suffix}`;
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const sys = await startSystem({
    databaseUrl: databaseUrl.toString(),
    temporalAddress: env('TEST_TEMPORAL_ADDRESS'),
    namespace: 'default',
    taskQueue,
    temporalUiUrl: 'http://localhost:8233',
    smtpUrl: inbox.url,
    mailFrom: 'Last Call Support <support@lastcall.test>',
    supportLeadEmail: LEAD,
    adminToken: ADMIN_TOKEN,
    port: 0,
    log,
    workflowBundle: { codePath: env('TEST_WORKFLOW_BUNDLE') },
    sweepIntervalMs: 500,
    stepTimeoutMs: 10_000,
  });
  // All test files share one Temporal namespace; distinct ticket numbers keep workflow ids apart.
  const start = 1001 + Math.floor(Math.random() * 1e9) * 1000;
  await sys.sequelize.query(`ALTER SEQUENCE ticket_number_seq RESTART WITH ${start}`);

  const url = sys.url!;
  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(url + path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
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
  const adminCall = (method: string, path: string, body?: unknown) => api(method, path, body, { authorization: `Bearer ${ADMIN_TOKEN}` });

  if (opts.policy) {
    const res = await adminCall('PUT', '/api/sla-policy', opts.policy);
    if (res.status !== 200) throw new Error(`policy rejected: ${JSON.stringify(res.body)}`);
  }

  return {
    sys,
    inbox,
    url,
    dbName,
    taskQueue,
    api,
    admin: adminCall,
    async createCustomer(plan = 'standard') {
      const res = await adminCall('POST', '/api/customers', { name: `Customer ${randomBytes(2).toString('hex')}`, plan });
      if (res.status !== 201) throw new Error(`customer not created: ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    async createTicket(customerId, extra = {}) {
      const res = await api('POST', '/api/tickets', {
        customerId,
        requester: { name: 'Ana Pérez', email: `ana.${randomBytes(3).toString('hex')}@customer.test` },
        type: 'problem',
        impact: 'A',
        subject: 'Mail server down',
        description: 'Nobody can send mail since 9:00.',
        ...extra,
      });
      if (res.status !== 201) throw new Error(`ticket not created: ${res.status} ${JSON.stringify(res.body)}`);
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
