// What the HTTP layer adds to metrics and logs: each request timed under its route *pattern*
// (never the raw URL: ids would make a series per ticket), and /metrics itself.
import type { Request, RequestHandler } from 'express';
import { httpDuration } from '../observability/metrics';
import { CONTENT_TYPE, metricsText } from '../observability/exposition';

const UNMATCHED = 'unmatched';

/** The pattern a request was routed by, e.g. `/api/tickets/:id`, from its router's mount path and route path. */
export function routePattern(baseUrl: string, routePath: unknown): string {
  if (typeof routePath !== 'string') return UNMATCHED;
  const joined = `${baseUrl}${routePath === '/' ? '' : routePath}`;
  return joined || '/';
}

/**
 * Times every request. Express forgets the router's mount path once an error leaves the router,
 * so the pattern is taken at the moment a route matches (when the router assigns `req.route`).
 */
export function requestMetrics(): RequestHandler {
  return (req, res, next) => {
    const end = httpDuration.startTimer();
    let route: Request['route'];
    let pattern = UNMATCHED;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set(value: Request['route']) {
        route = value;
        pattern = routePattern(req.baseUrl, value?.path);
      },
    });
    res.once('finish', () => end({ method: req.method, route: pattern, status: String(res.statusCode) }));
    next();
  };
}

/** GET /metrics: open like /healthz; it carries counts and timings only, no ids, addresses or secrets. */
export function metricsRoute(temporalMetricsAddress: () => string | undefined): RequestHandler {
  return async (_req, res) => {
    res.type(CONTENT_TYPE).send(await metricsText(temporalMetricsAddress()));
  };
}
