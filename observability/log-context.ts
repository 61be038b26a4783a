// The request a piece of code runs for, without passing it down every call: services log through
// the request's logger (so their lines carry its request id), and what they learn about the
// request (the ticket it touched) is added to its one access-log line.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

interface RequestLogContext {
  log: Logger;
  /** Fields the access-log line gets when the response is finished. */
  fields: Record<string, unknown>;
}

const storage = new AsyncLocalStorage<RequestLogContext>();

export function runWithRequestLog<T>(log: Logger, fields: Record<string, unknown>, fn: () => T): T {
  return storage.run({ log, fields }, fn);
}

/** The current request's logger, else `fallback` (inbound mail, the worker, start-up). */
export function logFor(fallback: Logger): Logger {
  return storage.getStore()?.log ?? fallback;
}

/** Add fields (e.g. ticket number and workflow id) to the current request's access-log line. */
export function tagRequest(fields: Record<string, unknown>): void {
  const ctx = storage.getStore();
  if (ctx) Object.assign(ctx.fields, fields);
}

/** A logger for one ticket: its number and workflow id on every line, and the request id when there is one. */
export function ticketLog(fallback: Logger, ticket: { number: number | string; workflowId: string }): Logger {
  const fields = { ticketNumber: Number(ticket.number), workflowId: ticket.workflowId };
  tagRequest(fields);
  return logFor(fallback).child(fields);
}
