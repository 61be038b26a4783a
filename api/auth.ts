// Bearer-token checks. Today one admin token from the environment; the entitlements work adds
// per-user tokens and roles behind the same middleware names.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : null;
}

export function requireAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken ? digest(adminToken) : null;
  return (req, _res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (!token) return next(new ApiError(401, 'UNAUTHENTICATED', 'this endpoint needs an admin bearer token (Authorization: Bearer …)'));
    if (!expected || !timingSafeEqual(digest(token), expected)) return next(new ApiError(401, 'INVALID_TOKEN', 'the bearer token is not valid'));
    res_locals(req).actor = 'admin';
    next();
  };
}

function res_locals(req: Parameters<RequestHandler>[0]): Record<string, unknown> {
  return req.res!.locals;
}
