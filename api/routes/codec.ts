// The codec server, as Temporal's reference applications run one: POST /codec/decode and
// /codec/encode take {"payloads": [{"metadata": {k: base64}, "data": base64}]} and answer the same
// shape, decrypted or encrypted by the engine's payload codec (temporal/payload-codec.ts). The
// Temporal UI calls it from the browser to show what a ticket's workflow carries, and encrypts
// through it what ops send from the UI (a Signal's input); the CLI with `--codec-endpoint`.
//
// It hands out what Temporal's store keeps from everyone else, so it asks who calls before it reads
// anything: a staff member's bearer token (the CLI, `--codec-auth "Bearer …"`), or their signed-in
// console session (the UI in a browser, which calls cross-origin with credentials); requesters are
// refused. Browsers are let in from the Temporal UI's origin only (TEMPORAL_UI_URL): CORS grants it
// alone, and a request from any other origin is refused before its cookie is looked at, so no other
// site can use a signed-in person's session. Wrong tokens count against the API's failed-token
// limit; each person's requests against the codec's own (services/codec-limit.ts).
import express, { Router, type RequestHandler } from 'express';
import cookieParser from 'cookie-parser';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { ApiError } from '../errors';
import { noStore } from '../security-headers';
import { requireContentType } from '../middleware';
import { actAs, authenticateBearer, bearerToken, principal, requirePermission } from '../auth';
import { PayloadCodecError, type AesGcmPayloadCodec } from '../../temporal/payload-codec';
import type { RateLimits } from '../../services/rate-limits';
import type { CodecLimit } from '../../services/codec-limit';
import type { WebAuth } from '../../services/web-auth';
import { SESSION_COOKIE } from '../../web';

/**
 * The largest request: one payload may be 2 MB (Temporal's blob limit), 2.7 MB in base64. The UI
 * sends one event's payloads a request, the CLI one field's.
 */
export const CODEC_BODY_LIMIT = '4mb';
/** Payloads in one request: far more than an event or a history page's field carries. */
export const CODEC_MAX_PAYLOADS = 1000;
/** How long a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE_S = 600;

export interface CodecServerDeps {
  codec: AesGcmPayloadCodec;
  /** The Temporal UI's origin: the one origin a browser may call from. */
  uiOrigin: string;
  /** The namespace the engine's payloads are in; a request naming another (X-Namespace) is refused. */
  namespace: string;
  adminToken?: string;
  limits: RateLimits;
  codecLimit: CodecLimit;
  /** The pages' sign-in: a console session in the browser admits the UI's calls. Absent: bearer tokens only. */
  web?: { auth: WebAuth; secret: string };
}

const base64 = z.base64();
const payloadsBody = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), base64).nullish(),
        data: base64.nullish(),
      }),
    )
    .max(CODEC_MAX_PAYLOADS),
});

type WirePayload = z.infer<typeof payloadsBody>['payloads'][number];

const fromWire = (p: WirePayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: p.data != null ? Buffer.from(p.data, 'base64') : undefined,
});

// Exactly the fields of Temporal's Payload in proto JSON: the Go CLI reads the answer with
// protojson, which refuses any other.
const toWire = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  ...(p.data && p.data.length > 0 ? { data: Buffer.from(p.data).toString('base64') } : {}),
});

export function codecRoutes(deps: CodecServerDeps): Router {
  const r = Router();
  r.use(noStore);
  r.use(browserOrigin(deps.uiOrigin));
  r.use(authenticateCaller(deps));
  r.use(requirePermission('readCustomerData'));
  r.use((_req, res, next) => {
    const p = principal(res);
    deps.codecLimit.request(p.userId ?? p.label).then(() => next(), next);
  });
  r.use(requireContentType('application/json'));
  r.use(express.json({ limit: CODEC_BODY_LIMIT }));
  r.use((req, _res, next) => {
    // The CLI sends it empty when its namespace is the default one it was not told.
    const namespace = req.get('x-namespace');
    if (namespace && namespace !== deps.namespace) {
      return next(new ApiError(400, 'NAMESPACE_NOT_SERVED', `this codec server holds the keys of namespace ${JSON.stringify(deps.namespace)} only`, { namespace }));
    }
    next();
  });

  r.post('/decode', (req, res) => {
    const { payloads } = payloadsBody.parse(req.body);
    const decoded = payloads.map((p, index) => {
      try {
        return deps.codec.decodeOne(fromWire(p));
      } catch (err) {
        if (err instanceof PayloadCodecError) throw new ApiError(400, 'PAYLOAD_NOT_DECODABLE', err.message, { index, reason: err.code });
        throw err;
      }
    });
    res.json({ payloads: decoded.map(toWire) });
  });

  r.post('/encode', (req, res) => {
    const { payloads } = payloadsBody.parse(req.body);
    res.json({ payloads: payloads.map((p) => toWire(deps.codec.encodeOne(fromWire(p)))) });
  });
  return r;
}

/**
 * CORS for the Temporal UI's origin and no other. A request that carries another Origin is a page of
 * another site (or of ours) calling with the browser's cookies: refused before anything else. The
 * CLI sends no Origin. A preflight from the UI is answered here, before authentication (browsers
 * send no credentials with it).
 */
function browserOrigin(uiOrigin: string): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin !== undefined && origin !== uiOrigin) {
      return next(new ApiError(403, 'ORIGIN_NOT_ALLOWED', 'browsers may call the codec server from the Temporal UI only'));
    }
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      // The answer is meant for the UI's page: helmet's same-origin resource policy would stand in
      // the way of a UI on another host of the site. Every other origin was refused above.
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST');
      // What the UI sends: its JSON, the namespace it shows, and a token when it passes one.
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S));
      return res.status(204).end();
    }
    next();
  };
}

/** A bearer token (the CLI), else the console's session cookie (the UI in the browser that signed in). */
function authenticateCaller(deps: CodecServerDeps): RequestHandler {
  const cookies = deps.web ? cookieParser(deps.web.secret) : undefined;
  const withCookies: RequestHandler = (req, res, next) => (cookies ? cookies(req, res, next) : next());
  return (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (token) return authenticateBearer(req, res, token, deps.adminToken, deps.limits).then(() => next(), next);
    withCookies(req, res, (err?: unknown) => {
      if (err) return next(err);
      const session = (req.signedCookies as Record<string, string | false> | undefined)?.[SESSION_COOKIE];
      if (!deps.web || !session) {
        return next(new ApiError(401, 'UNAUTHENTICATED', 'send a bearer token (Authorization: Bearer <token>), or sign in to the console in this browser'));
      }
      deps.web.auth.principalOf(session).then((result) => {
        if (!result?.ok) return next(new ApiError(401, 'UNAUTHENTICATED', 'the console session has ended: sign in again'));
        actAs(req, res, result.principal);
        next();
      }, next);
    });
  };
}
