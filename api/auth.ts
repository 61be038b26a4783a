// Authentication (bearer tokens, see services/access.ts) and the role checks of domain/roles.ts.
import type { Request, RequestHandler, Response } from 'express';
import { authenticate, type Principal } from '../services/access';
import { may, PERMISSIONS, type Permission } from '../domain/roles';
import { ApiError } from './errors';
import { clientKey } from '../domain/client-address';
import type { RateLimits } from '../services/rate-limits';

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : null;
}

/**
 * Every /api route needs a valid token; the principal is left in res.locals.principal. A client
 * address that sent too many wrong tokens is refused (429) whatever token it sends now, until its
 * window ends; only wrong tokens count (services/rate-limits.ts).
 */
export function requireAuth(bootstrapAdminToken: string | undefined, limits: RateLimits): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token) return next(new ApiError(401, 'UNAUTHENTICATED', 'send a bearer token: Authorization: Bearer <token>'));
    authenticateBearer(req, res, token, bootstrapAdminToken, limits).then(() => next(), next);
  };
}

/**
 * The bearer token checked, its wrong guesses counted against the client's address, and the
 * principal left in res.locals.principal; a wrong or refused token throws 401 (the limit, 429).
 */
export async function authenticateBearer(req: Request, res: Response, token: string, bootstrapAdminToken: string | undefined, limits: RateLimits): Promise<void> {
  const client = clientKey(req.ip);
  // Side by side: the limit's check adds no wait to every call.
  const [, r] = await Promise.all([limits.checkTokenClient(client), authenticate(token, bootstrapAdminToken)]);
  if (!r.ok && r.code === 'INVALID_TOKEN') await limits.tokenFailed(client);
  if (!r.ok) throw new ApiError(401, r.code, r.message);
  actAs(req, res, r.principal);
}

/** Who the request acts as, for the routes (principal()) and the access log. */
export function actAs(req: Request, res: Response, p: Principal): void {
  res.locals.principal = p;
  req.log?.setBindings?.({ actor: p.label });
}

export function principal(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new ApiError(401, 'UNAUTHENTICATED', 'send a bearer token: Authorization: Bearer <token>');
  return p;
}

export function requirePermission(permission: Permission): RequestHandler {
  return (_req, res, next) => {
    const p = principal(res);
    if (!may(p.role, permission)) {
      return next(new ApiError(403, 'FORBIDDEN', `a ${p.role} may not do this; it needs one of: ${PERMISSIONS[permission].join(', ')}`, { role: p.role, permission }));
    }
    next();
  };
}
