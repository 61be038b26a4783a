import type { Request, RequestHandler } from 'express';
import { idempotencyKey } from './schemas';
import { ApiError } from './errors';
import { unstorableIssues } from '../domain/storable-text';

/** A request that carries a body must say it is JSON (or a form, where a route accepts forms). */
export function requireContentType(...types: string[]): RequestHandler {
  return (req, _res, next) => {
    const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody || !['POST', 'PUT', 'PATCH'].includes(req.method)) return next();
    if (!req.is(types)) {
      return next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as ${types.join(' or ')}`, { received: req.get('content-type') ?? null }));
    }
    next();
  };
}

/** The request's Idempotency-Key header, checked. */
export function keyOf(req: Request): string | undefined {
  const r = idempotencyKey.safeParse(req.get('idempotency-key'));
  if (!r.success) throw new ApiError(400, 'VALIDATION_FAILED', 'the request is invalid', r.error.issues.map((i) => ({ path: 'Idempotency-Key', message: i.message })));
  return r.data;
}


/** Text no store can keep (domain/storable-text.ts), anywhere in the body, the query or the path: 400, before any route sees it. */
export function refuseUnstorableText(): RequestHandler {
  return (req, _res, next) => {
    const path = decodedPath(req.path);
    if (path === null) return next(new ApiError(400, 'VALIDATION_FAILED', 'the request path is not valid percent-encoded UTF-8', [{ path: 'path', message: 'is not valid percent-encoded UTF-8' }]));
    const issues = [...(unstorableIssues(path, 'path') ?? []), ...(unstorableIssues(req.body) ?? []), ...(unstorableIssues(req.query, 'query') ?? [])];
    if (issues.length > 0) return next(new ApiError(400, 'VALIDATION_FAILED', 'the request carries text that cannot be stored', issues));
    next();
  };
}

/** The path as the routes read its parameters (percent-decoded); null when it cannot be decoded (bytes that are not UTF-8). */
export function decodedPath(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}
