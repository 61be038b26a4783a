// The thin HTTP layer: parse, validate, hand over to services, answer in one error shape.
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import pinoHttp from 'pino-http';
import type { Logger } from 'pino';
import type { Sequelize } from 'sequelize';
import type { Client } from '@temporalio/client';
import type { TicketService } from '../services/tickets';
import { requireAuth } from './auth';
import { ApiError, errorHandler, unknownRoute } from './errors';
import { refuseUnstorableText, requireContentType } from './middleware';
import { metricsRoute, requestMetrics } from './observability';
import { REDACT_PATHS, redactUrl } from '../runtime/logger';
import { runWithRequestLog } from '../observability/log-context';
import { auditRoutes, slaPolicyRoutes } from './routes/admin';
import { customerRoutes } from './routes/customers';
import { meRoute, userRoutes } from './routes/users';
import { createCustomerService } from '../services/customers';
import { createUserService } from '../services/users';
import { ticketRoutes } from './routes/tickets';
import { sessionRoutes } from './routes/sessions';
import { brandRoutes } from './routes/brands';
import { reportRoutes } from './routes/reports';
import { createSessionService } from '../services/sessions';
import { createBrandService } from '../services/brands';
import { webRouter, type WebDeps } from '../web';
import type { HeldMailService } from '../services/held-mail';
import { heldMailRoutes } from './routes/held-mail';
import { noStore, securityHeaders } from './security-headers';
import type { RateLimits } from '../services/rate-limits';
import type { TrustProxy } from '../domain/client-address';
import { codecRoutes } from './routes/codec';
import { createCodecLimit } from '../services/codec-limit';
import type { AesGcmPayloadCodec } from '../temporal/payload-codec';
import type { Limit } from '../domain/rate-limits';

export interface AppDeps {
  tickets: TicketService;
  sequelize: Sequelize;
  temporal: Client;
  log: Logger;
  temporalUiUrl: string;
  namespace: string;
  adminToken?: string;
  /** Largest JSON body accepted; bigger ones get 413. */
  bodyLimit?: string;
  /** True once shutdown began: readiness fails first so traffic moves away before the server stops. */
  draining?: () => boolean;
  /** Inbound mail held for a person to judge (its sender is not authenticated): /api/held-mail and the console's page. */
  heldMail?: HeldMailService;
  /** The people's pages (web/); without it the app serves the API alone. */
  web?: Omit<WebDeps, 'tickets' | 'sessions' | 'log' | 'sequelize' | 'heldMail' | 'limits'>;
  /** Where this process's Temporal worker serves its metrics, appended to /metrics (none: ours only). */
  temporalMetricsAddress?: () => string | undefined;
  /** /metrics on this app's port (default true); a deployment serves it on an internal port instead (METRICS_PORT). */
  serveMetrics?: boolean;
  /** The flood limits, counted in Postgres across API processes. */
  limits: RateLimits;
  /** Whose X-Forwarded-For names the client (Express `trust proxy`); default: nobody's, the socket's address. */
  trustProxy?: TrustProxy;
  /** The site is served over HTTPS (PUBLIC_URL): browsers are told to keep to it (HSTS). */
  https?: boolean;
  /** The codec server (/codec): the engine's payload codec, the Temporal UI's origin, requests per staff member. */
  codec?: { codec: AesGcmPayloadCodec; uiOrigin: string; limit: Limit };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(securityHeaders({ https: deps.https ?? false }));
  app.use(requestMetrics());
  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: (req, res) => {
        const id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // req.log carries just the request id; the access-log line also has the request and response.
      quietReqLogger: true,
      // Never log credentials: headers, cookies, and secrets in URLs (one-time sign-in links).
      redact: REDACT_PATHS,
      serializers: {
        req: (req: { url?: string }) => Object.assign(req, { url: redactUrl(req.url) }),
      },
      // Filled in while the request runs (tagRequest): e.g. the ticket it touched.
      customProps: (_req, res) => (res as { locals?: { logFields?: Record<string, unknown> } }).locals?.logFields ?? {},
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    }),
  );
  app.use((req, res, next) => {
    const fields: Record<string, unknown> = {};
    res.locals.logFields = fields;
    runWithRequestLog(req.log, fields, next);
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (deps.serveMetrics !== false) app.get('/metrics', metricsRoute(deps.temporalMetricsAddress ?? (() => undefined)));
  app.get('/readyz', async (_req, res) => {
    if (deps.draining?.()) throw new ApiError(503, 'NOT_READY', 'shutting down', { draining: true });
    const checks = await Promise.all([
      deps.sequelize.authenticate().then(() => 'ok', (e: Error) => `down: ${e.message}`),
      deps.temporal.connection.withDeadline(Date.now() + 2_000, () => deps.temporal.workflowService.getSystemInfo({})).then(() => 'ok', (e: Error) => `down: ${e.message}`),
    ]);
    const [postgres, temporal] = checks;
    const ready = checks.every((c) => c === 'ok');
    if (!ready) throw new ApiError(503, 'NOT_READY', 'a dependency is unreachable', { postgres, temporal });
    res.json({ status: 'ready', postgres, temporal });
  });

  const sessions = createSessionService({ tickets: deps.tickets, temporal: deps.temporal, temporalUiUrl: deps.temporalUiUrl, namespace: deps.namespace, log: deps.log });
  // A new specialist or brand contact serves the requests that were waiting for one at once.
  const users = createUserService(deps.sequelize, { staffAvailable: (technologies) => sessions.wakeWaiting({ technologies }) });
  const brands = createBrandService({ contactAdded: (brand) => sessions.wakeWaiting({ brand }) });
  const api = express.Router();
  // Who is calling comes first: nothing of a request is looked at for a caller without a valid token.
  api.use(requireAuth(deps.adminToken, deps.limits));
  api.use(requireContentType('application/json'));
  api.use(express.json({ limit: deps.bodyLimit ?? '100kb' }));
  api.use(refuseUnstorableText());
  api.use('/me', meRoute());
  api.use('/tickets', sessionRoutes(sessions));
  api.use('/tickets', ticketRoutes(deps.tickets));
  api.use('/brands', brandRoutes(brands));
  api.use('/sla-policy', slaPolicyRoutes());
  api.use('/customers', customerRoutes(createCustomerService(deps.sequelize), users));
  api.use('/users', userRoutes(users));
  api.use('/audit-log', auditRoutes());
  api.use('/reports', reportRoutes(deps.sequelize));
  if (deps.heldMail) api.use('/held-mail', heldMailRoutes(deps.heldMail));
  // Nothing the API answers (a ticket, a new token, a refusal) is kept by a browser or a proxy.
  app.use('/api', noStore, api);
  // Beside /api, not in it: the UI in a browser signs in with the console's session, not a token.
  if (deps.codec) {
    app.use(
      '/codec',
      codecRoutes({
        codec: deps.codec.codec,
        uiOrigin: deps.codec.uiOrigin,
        namespace: deps.namespace,
        adminToken: deps.adminToken,
        limits: deps.limits,
        codecLimit: createCodecLimit(deps.sequelize, deps.codec.limit),
        web: deps.web ? { auth: deps.web.auth, secret: deps.web.secret } : undefined,
      }),
    );
  }
  // After /api, so the API keeps its JSON answers and its one error shape.
  if (deps.web) app.use(webRouter({ ...deps.web, tickets: deps.tickets, sessions, log: deps.log, sequelize: deps.sequelize, heldMail: deps.heldMail, limits: deps.limits }));

  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}
