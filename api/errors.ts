// The API's one error shape: {"error": {"code", "message", "details"}}, produced only by
// errorHandler below. Services throw DomainError (domain/errors.ts) and know no HTTP: its kind
// becomes a status here, in HTTP_STATUS. ApiError is for what is born in the API itself (a bearer
// token, a body or a route it cannot read); library errors are let through and mapped here too.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ConnectionError, TimeoutError } from 'sequelize';
import { ZodError } from 'zod';
import { DomainError, type ErrorKind } from '../domain/errors';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

// body-parser marks its errors with `type`; map each to a stable code.
const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'MALFORMED_JSON', 'the request body is not valid JSON'],
  'entity.too.large': [413, 'PAYLOAD_TOO_LARGE', 'the request body is too large'],
  'encoding.unsupported': [415, 'UNSUPPORTED_ENCODING', 'the request body encoding is not supported'],
  'charset.unsupported': [415, 'UNSUPPORTED_CHARSET', 'the request body charset is not supported'],
  'request.aborted': [400, 'REQUEST_ABORTED', 'the request was aborted'],
  'request.size.invalid': [400, 'REQUEST_SIZE_INVALID', 'the request body length does not match its Content-Length'],
  'parameters.too.many': [413, 'TOO_MANY_PARAMETERS', 'too many form parameters'],
};

/** The one place a kind of refusal becomes an HTTP status (the pages answer with the same ones). */
const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  upstream_failed: 502,
  unavailable: 503,
};

export const httpStatusOf = (kind: ErrorKind): number => HTTP_STATUS[kind];

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DomainError) return new ApiError(HTTP_STATUS[err.kind], err.code, err.message, err.details);
  if (err instanceof ZodError) {
    return new ApiError(400, 'VALIDATION_FAILED', 'the request is invalid', err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  // Postgres down or its pool exhausted: the caller can retry, and must know it may.
  if (err instanceof ConnectionError || err instanceof TimeoutError) {
    return new ApiError(503, 'DATABASE_UNAVAILABLE', 'the database is unreachable; the request was not completed: retry it (with the same Idempotency-Key)');
  }
  const type = (err as { type?: string } | null)?.type;
  if (type && BODY_PARSER_ERRORS[type]) {
    const [status, code, message] = BODY_PARSER_ERRORS[type];
    return new ApiError(status, code, message);
  }
  return new ApiError(500, 'INTERNAL', 'something went wrong on our side; the error was logged');
}

/** The seconds a refusal says to wait (429 RATE_LIMITED), for its Retry-After header. */
export function retryAfterOf(err: { details?: unknown }): number | undefined {
  const s = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof s === 'number' && Number.isFinite(s) ? s : undefined;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const apiError = toApiError(err);
  if (apiError.status >= 500) req.log?.error({ err }, 'request failed');
  if (res.headersSent) return;
  const retryAfter = retryAfterOf(apiError);
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  const body: { error: { code: string; message: string; details?: unknown } } = { error: { code: apiError.code, message: apiError.message } };
  if (apiError.details !== undefined) body.error.details = apiError.details;
  res.status(apiError.status).type('application/json').send(JSON.stringify(body));
};
