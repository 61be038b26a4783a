// Authentication (bearer tokens, see services/access.ts) and the role checks of domain/roles.ts.
import type { RequestHandler, Response } from 'express';
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
    const client = clientKey(req.ip);
    const check = async () => {
      // Side by side: the limit's check adds no wait to every call.
      const [, r] = await Promise.all([limits.checkTokenClient(client), authenticate(token, bootstrapAdminToken)]);
      if (!r.ok && r.code === 'INVALID_TOKEN') await limits.tokenFailed(client);
      return r;
    };
    check().then((r) => {
      if (!r.ok) return next(new ApiError(401, r.code, r.message));
      res.locals.principal = r.principal;
      req.log?.setBindings?.({ actor: r.principal.label });
      next();
    }, next);
  };
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
