// Every setting comes from the environment, each with a default that works on a fresh clone.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { DEFAULT_BACKGROUND_NICE } from '../runtime/priority';
import { z } from 'zod';
import { secretWeakness } from '../domain/secret-strength';
import { DEFAULT_RATE_LIMITS, LIMIT_NAMES, formatLimit, parseLimit, type LimitName, type RateLimitSettings } from '../domain/rate-limits';
import { isProxyEntry, type TrustProxy } from '../domain/client-address';
import { parseCodecKeys, type CodecKeys } from '../temporal/codec-keys';
import type { Limit } from '../domain/rate-limits';

const port = z.coerce.number().int().min(0).max(65535);

/** "N/window", e.g. 30/15m (units s, m, h, d). */
const limitWith = (byDefault: Limit) =>
  z
    .string()
    .default(formatLimit(byDefault))
    .transform((text, ctx) => {
      const parsed = parseLimit(text.trim());
      if (parsed) return parsed;
      ctx.addIssue({ code: 'custom', message: `write it as count/window, e.g. ${formatLimit(byDefault)} (window units s, m, h, d)` });
      return z.NEVER;
    });
const limit = (name: LimitName) => limitWith(DEFAULT_RATE_LIMITS[name]);

/**
 * Requests to the codec server (api/routes/codec.ts) per staff member. The Temporal UI decodes each
 * event's payloads in a request of its own, so a ticket's page costs about one request per event
 * (30 to 200); 1,200 a minute lets a person read pages as fast as they like and caps how fast a
 * stolen staff credential can have Temporal's store decrypted.
 */
export const DEFAULT_CODEC_LIMIT: Limit = { points: 1200, windowS: 60 };

/** The variable that sets each limit. */
export const RATE_LIMIT_VARIABLES = {
  failedTokens: 'RATE_LIMIT_FAILED_TOKENS',
  signInLinksPerClient: 'RATE_LIMIT_SIGN_IN_LINKS_PER_CLIENT',
  signInLinksPerAddress: 'RATE_LIMIT_SIGN_IN_LINKS_PER_ADDRESS',
  intakePerRequester: 'RATE_LIMIT_INTAKE_PER_REQUESTER',
  intakePerCustomer: 'RATE_LIMIT_INTAKE_PER_CUSTOMER',
  endUserCopies: 'RATE_LIMIT_END_USER_COPIES',
  heldMailPerClient: 'RATE_LIMIT_HELD_MAIL_PER_CLIENT',
  heldMailPerSender: 'RATE_LIMIT_HELD_MAIL_PER_SENDER',
} as const satisfies Record<LimitName, string>;

const trustProxy = z
  .string()
  .default('off')
  .transform((text, ctx): TrustProxy => {
    const value = text.trim();
    if (value === '' || value === 'off' || value === 'false' || value === '0') return false;
    const hops = Number(value);
    if (Number.isSafeInteger(hops) && hops > 0 && String(hops) === value) return hops;
    const entries = value.split(',').map((x) => x.trim());
    const wrong = entries.filter((x) => !isProxyEntry(x));
    // "true" would believe any client that writes the header itself: the limits per address would be theirs to choose.
    if (wrong.length === 0) return entries;
    ctx.addIssue({ code: 'custom', message: `not a proxy address, CIDR range, hop count or loopback/linklocal/uniquelocal: ${wrong.join(', ')} (trusting every client, "true", is not offered)` });
    return z.NEVER;
  });

const schema = z.object({
  PORT: port.default(3000),
  DATABASE_URL: z.string().min(1).optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('tickets'),
  TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // The payload codec's keys (temporal/codec-keys.ts), checked with TEMPORAL_CODEC_KEY_ID below.
  TEMPORAL_CODEC_KEYS: z.string().optional(),
  // Empty is unset: compose passes an unset variable on as "".
  TEMPORAL_CODEC_KEY_ID: z.string().optional().transform((v) => (v === '' ? undefined : v)),
  SMTP_URL: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).default('Last Call Support <support@lastcall.example>'),
  SUPPORT_LEAD_EMAIL: z.string().email().default('support-lead@lastcall.example'),
  SUPPORT_MANAGER_EMAIL: z.string().email().default('support-manager@lastcall.example'),
  DATA_DIR: z.string().min(1).default('.data'),
  ADMIN_TOKEN: z
    .string()
    .superRefine((token, ctx) => {
      const weakness = secretWeakness(token);
      if (weakness) ctx.addIssue({ code: 'custom', message: `ADMIN_TOKEN is too weak: ${weakness}. Use a random one, e.g. the output of \`openssl rand -hex 24\`` });
    })
    .optional(),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).optional(),
  INBOUND_SMTP: z.enum(['on', 'off']).default('on'),
  INBOUND_SMTP_PORT: port.default(2525),
  INBOUND_SMTP_HOST: z.string().min(1).default('0.0.0.0'),
  INBOUND_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
  INBOUND_ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(0).default(10 * 1024 * 1024),
  // The outside edge of inbound mail (mail/inbound.ts, mail/sender-auth.ts).
  INBOUND_SUPPORT_ADDRESSES: z.string().optional().transform((v, ctx) => list(v, ctx, (a) => z.email().safeParse(a).success, 'an e-mail address')),
  INBOUND_MAX_CLIENTS: z.coerce.number().int().min(1).max(10_000).default(100),
  INBOUND_MAX_RECIPIENTS: z.coerce.number().int().min(1).max(1000).default(10),
  INBOUND_SOCKET_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  INBOUND_TLS_CERT_FILE: z.string().min(1).optional(),
  INBOUND_TLS_KEY_FILE: z.string().min(1).optional(),
  INBOUND_TRUSTED_RELAYS: z.string().optional().transform((v, ctx) => list(v, ctx, isIpOrCidr, 'an IP address or CIDR block')),
  INBOUND_AUTHSERV_ID: z.string().min(1).optional(),
  WEB_SECRET: z.string().min(32, 'WEB_SECRET must be at least 32 characters').optional(),
  PUBLIC_URL: z.string().url().optional(),
  SCHEDULES: z.enum(['on', 'off']).default('on'),
  SCHEDULE_TIMEZONE: z.string().min(1).default('America/Santiago'),
  SCHEDULE_HOUR: z.coerce.number().int().min(0).max(23).default(8),
  TERM_CHECK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  TEMPORAL_METRICS_ADDRESS: z.string().regex(/^(?:\[[0-9a-fA-F:]+\]|[^\s:[\]]+):\d{1,5}$/, 'TEMPORAL_METRICS_ADDRESS must be host:port').optional(),
  METRICS_PORT: port.default(9464),
  METRICS_HOST: z.string().refine((h) => isIP(h) !== 0, 'METRICS_HOST must be an IP address').default('0.0.0.0'),
  // 0 would turn the cache off, and with it the local activity that records each change of a
  // ticket: the SDK drops every record's result and the task is redone (docs/benchmarks.md).
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(1, 'WORKER_MAX_CACHED_WORKFLOWS is at least 1: with no cache, every record (a local activity) is lost to its workflow task and done again')
    .optional(),
  WORKER_ISOLATE_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000, 'WORKER_ISOLATE_TIMEOUT_MS is at most 60000 (a minute): a looping workflow holds every ticket of the worker that long').optional(),
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16, 'WORKER_WORKFLOW_THREADS is at most 16: each thread holds its own copy of the workflow code').optional(),
  WORKER_STACK_TRACES: z.enum(['on', 'off']).default('off'),
  WORKER_GUARD_REPLAY: z.enum(['on', 'off']).default('off'),
  WORKFLOW_HISTORY_LIMIT: z.coerce.number().int().min(100, 'WORKFLOW_HISTORY_LIMIT is at least 100 events: a run must have room for a step and its alarms').max(50_000, 'WORKFLOW_HISTORY_LIMIT is at most 50000: Temporal ends a workflow at 51,200 events').optional(),
  // Built by scripts/build-workflow-bundle.ts (the Docker image does it at build time): the worker starts without bundling.
  WORKFLOW_BUNDLE_PATH: z
    .string()
    .min(1)
    .superRefine((f, ctx) => {
      if (!existsSync(f)) ctx.addIssue({ code: 'custom', message: `no workflow bundle at ${f} (build one with node dist/scripts/build-workflow-bundle.js ${f})` });
    })
    .optional(),
  BACKGROUND_NICE: z.coerce.number().int().min(0).max(19).default(DEFAULT_BACKGROUND_NICE),
  // npm run start:cluster: how many of each app process it runs (scripts/start-cluster.ts).
  CLUSTER_APIS: z.coerce.number().int().min(1).max(8).default(2),
  CLUSTER_WORKERS: z.coerce.number().int().min(1).max(8).default(2),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: trustProxy,
  RATE_LIMIT_FAILED_TOKENS: limit('failedTokens'),
  RATE_LIMIT_SIGN_IN_LINKS_PER_CLIENT: limit('signInLinksPerClient'),
  RATE_LIMIT_SIGN_IN_LINKS_PER_ADDRESS: limit('signInLinksPerAddress'),
  RATE_LIMIT_INTAKE_PER_REQUESTER: limit('intakePerRequester'),
  RATE_LIMIT_INTAKE_PER_CUSTOMER: limit('intakePerCustomer'),
  RATE_LIMIT_END_USER_COPIES: limit('endUserCopies'),
  RATE_LIMIT_HELD_MAIL_PER_CLIENT: limit('heldMailPerClient'),
  RATE_LIMIT_HELD_MAIL_PER_SENDER: limit('heldMailPerSender'),
  RATE_LIMIT_CODEC_PER_USER: limitWith(DEFAULT_CODEC_LIMIT),
})
  .refine((e) => Boolean(e.INBOUND_TLS_CERT_FILE) === Boolean(e.INBOUND_TLS_KEY_FILE), { path: ['INBOUND_TLS_KEY_FILE'], message: 'INBOUND_TLS_CERT_FILE and INBOUND_TLS_KEY_FILE go together' })
  .refine((e) => e.INBOUND_TRUSTED_RELAYS.length === 0 || Boolean(e.INBOUND_AUTHSERV_ID), { path: ['INBOUND_AUTHSERV_ID'], message: 'INBOUND_TRUSTED_RELAYS needs INBOUND_AUTHSERV_ID (the relay\'s name in its Authentication-Results header)' })
  .superRefine((e, ctx) => {
    if (e.TEMPORAL_CODEC_KEYS === undefined) {
      if (e.TEMPORAL_CODEC_KEY_ID !== undefined) ctx.addIssue({ code: 'custom', path: ['TEMPORAL_CODEC_KEY_ID'], message: 'TEMPORAL_CODEC_KEY_ID names a key of TEMPORAL_CODEC_KEYS, which is not set' });
      return;
    }
    const parsed = parseCodecKeys(e.TEMPORAL_CODEC_KEYS, e.TEMPORAL_CODEC_KEY_ID);
    if ('problems' in parsed) for (const message of parsed.problems) ctx.addIssue({ code: 'custom', path: ['TEMPORAL_CODEC_KEYS'], message });
  });

/** Every variable read here: docs/configuration.md has a row for each (test/unit/docs.test.ts keeps the two together). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

/** A comma-separated list, each item checked; empty or unset: none. */
function list(v: string | undefined, ctx: z.RefinementCtx, valid: (item: string) => boolean, what: string): string[] {
  const items = (v ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const item of items) if (!valid(item)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(item)} is not ${what}` });
  return items;
}

function isIpOrCidr(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/');
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return bits !== '' && Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

/** The address of a From line: "Support <support@x>" → "support@x"; a bare address as it is. */
export function addressOf(mailbox: string): string {
  const open = mailbox.lastIndexOf('<');
  const close = mailbox.indexOf('>', open + 1);
  return (open >= 0 && close > open + 1 ? mailbox.slice(open + 1, close) : mailbox).trim();
}

export type Env = z.infer<typeof schema>;

export interface Config {
  port: number;
  databaseUrl?: string;
  temporal: {
    address?: string;
    port: number;
    uiPort: number;
    uiUrl: string;
    namespace: string;
    taskQueue: string;
    /** Days a closed ticket's workflow history is kept, for a namespace this engine creates (a cluster's; the dev server makes its own). */
    retentionDays: number;
    /** The payload codec's keys; unset: npm start keeps its own (runtime/codec-keys-file.ts), a standalone process refuses to start. */
    codecKeys?: CodecKeys;
  };
  mail: { smtpUrl?: string; from: string; supportLeadEmail: string; supportManagerEmail: string };
  dataDir: string;
  adminToken?: string;
  inbound: {
    /** The standalone API process listens for inbound mail (off on the replicas behind the one that does). */
    enabled: boolean;
    port: number;
    host: string;
    maxMessageBytes: number;
    attachmentMaxBytes: number;
    /** The only recipients taken (RCPT TO); default: MAIL_FROM's address. */
    supportAddresses: string[];
    maxClients: number;
    maxRecipients: number;
    socketTimeoutMs: number;
    /** STARTTLS is offered only with a certificate. */
    tls?: { certFile: string; keyFile: string };
    /** Relays whose Authentication-Results header (with authservId) is believed. */
    trustedRelays: string[];
    authservId?: string;
  };
  web: { secret?: string; publicUrl?: string };
  /** The Temporal Schedules of the scheduled work; null = not managed by this process. */
  schedules: { timezone: string; hour: number; termCheckEvery: number } | null;
  /** temporalAddress: where the Temporal worker's exporter binds; port: the standalone worker's /metrics. */
  metrics: { temporalAddress?: string; port: number; host: string };
  /** Ticket workflows the worker keeps in memory; unset: worker/worker.ts's default. */
  workerMaxCachedWorkflows?: number;
  /** How long one workflow activation may run synchronously; 0 = no limit; unset: worker/worker.ts's default. */
  workerIsolateTimeoutMs?: number;
  /** Threads that run workflow code in the worker; unset: worker/worker.ts's default. */
  workerWorkflowThreads?: number;
  /** The workflow stack trace query (Temporal UI, `temporal workflow stack`); costly under load. */
  workerStackTraces: boolean;
  /** The deadlock guard on replayed activations too (worker/worker.ts); default off: on the activations that run new code. */
  workerGuardReplay: boolean;
  /** Ticket and session workflows continue as new past this many history events (unset: when the server suggests it). */
  workflowHistoryLimit?: number;
  /** A workflow bundle built beforehand; unset: the worker bundles the workflow code as it starts. */
  workflowBundlePath?: string;
  /** Niceness of the standalone worker process and of the Temporal dev server npm start runs (runtime/priority.ts); 0 = as the API. */
  backgroundNice: number;
  logLevel: Env['LOG_LEVEL'];
  /** Unset: the caller's default (standalone processes drain, npm start does not). */
  shutdownDrainMs?: number;
  /** The flood limits (domain/rate-limits.ts), each from its RATE_LIMIT_* variable. */
  rateLimits: RateLimitSettings;
  /** npm run start:cluster's API and worker processes. */
  cluster: { apis: number; workers: number };
  /** Whose X-Forwarded-For names the client the per-address limits count (TRUST_PROXY). */
  trustProxy: TrustProxy;
  /** Requests to the codec server per staff member (RATE_LIMIT_CODEC_PER_USER). */
  codecLimit: Limit;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${lines}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      retentionDays: e.TEMPORAL_RETENTION_DAYS,
      codecKeys: codecKeysOf(e),
    },
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM, supportLeadEmail: e.SUPPORT_LEAD_EMAIL, supportManagerEmail: e.SUPPORT_MANAGER_EMAIL },
    dataDir: path.resolve(e.DATA_DIR),
    adminToken: e.ADMIN_TOKEN,
    inbound: {
      enabled: e.INBOUND_SMTP === 'on',
      port: e.INBOUND_SMTP_PORT,
      host: e.INBOUND_SMTP_HOST,
      maxMessageBytes: e.INBOUND_MAX_MESSAGE_BYTES,
      attachmentMaxBytes: e.INBOUND_ATTACHMENT_MAX_BYTES,
      supportAddresses: (e.INBOUND_SUPPORT_ADDRESSES.length ? e.INBOUND_SUPPORT_ADDRESSES : [addressOf(e.MAIL_FROM)]).map((a) => a.toLowerCase()),
      maxClients: e.INBOUND_MAX_CLIENTS,
      maxRecipients: e.INBOUND_MAX_RECIPIENTS,
      socketTimeoutMs: e.INBOUND_SOCKET_TIMEOUT_MS,
      tls: e.INBOUND_TLS_CERT_FILE && e.INBOUND_TLS_KEY_FILE ? { certFile: e.INBOUND_TLS_CERT_FILE, keyFile: e.INBOUND_TLS_KEY_FILE } : undefined,
      trustedRelays: e.INBOUND_TRUSTED_RELAYS,
      authservId: e.INBOUND_AUTHSERV_ID,
    },
    web: { secret: e.WEB_SECRET, publicUrl: e.PUBLIC_URL?.replace(/\/+$/, '') },
    schedules: e.SCHEDULES === 'on' ? { timezone: e.SCHEDULE_TIMEZONE, hour: e.SCHEDULE_HOUR, termCheckEvery: e.TERM_CHECK_SECONDS * 1000 } : null,
    metrics: { temporalAddress: e.TEMPORAL_METRICS_ADDRESS, port: e.METRICS_PORT, host: e.METRICS_HOST },
    workerMaxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    workerIsolateTimeoutMs: e.WORKER_ISOLATE_TIMEOUT_MS,
    workerWorkflowThreads: e.WORKER_WORKFLOW_THREADS,
    workerStackTraces: e.WORKER_STACK_TRACES === 'on',
    workerGuardReplay: e.WORKER_GUARD_REPLAY === 'on',
    workflowHistoryLimit: e.WORKFLOW_HISTORY_LIMIT,
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    backgroundNice: e.BACKGROUND_NICE,
    logLevel: e.LOG_LEVEL,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    rateLimits: Object.fromEntries(LIMIT_NAMES.map((n) => [n, e[RATE_LIMIT_VARIABLES[n]]])) as RateLimitSettings,
    trustProxy: e.TRUST_PROXY,
    codecLimit: e.RATE_LIMIT_CODEC_PER_USER,
    cluster: { apis: e.CLUSTER_APIS, workers: e.CLUSTER_WORKERS },
  };
}

/** The keys the schema has checked already. */
function codecKeysOf(e: Env): CodecKeys | undefined {
  if (e.TEMPORAL_CODEC_KEYS === undefined) return undefined;
  const parsed = parseCodecKeys(e.TEMPORAL_CODEC_KEYS, e.TEMPORAL_CODEC_KEY_ID);
  return 'keys' in parsed ? parsed.keys : undefined;
}
