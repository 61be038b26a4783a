// How the workflow code is bundled: one place for the worker, the tests, the replay tests and the
// benchmarks, so that all of them run the same bundle.
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { Logger, LogLevel } from '@temporalio/common';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * The pure domain modules the workflows import, evaluated once per workflow thread and shared by
 * every workflow run instead of once per run: a ticket that left the worker's cache is rebuilt on
 * its next timer, and evaluating luxon, the lifecycle and their caches anew for each run cost most
 * of a worker's CPU and memory. What qualifies: no per-workflow state, no workflow API at module
 * scope, and exports that may be frozen (the SDK deep-freezes shared modules). zod does not: its
 * regular expressions keep lastIndex, so step-bodies stays per run and loads on first use.
 */
export const PRELOADED_MODULES = [
  '../domain/business-calendar',
  '../domain/sla-clock',
  '../domain/escalation',
  '../domain/plans',
  '../domain/sessions',
  '../domain/ticket-lifecycle',
  '../domain/notifications',
  '../temporal/search-attributes',
].map((m) => require.resolve(m));

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/**
 * The bundler's log one level down: it writes webpack's whole report (every module of the bundle,
 * a few hundred lines) at info, which would fill the default log at every worker start. At debug it
 * is there for LOG_LEVEL=debug; warnings and errors stay what they are.
 */
export function bundlerLog(log: Logger): Logger {
  const down = (level: LogLevel): LogLevel => (level === 'INFO' ? 'DEBUG' : level);
  return {
    log: (level, message, meta) => log.log(down(level), message, meta),
    trace: (message, meta) => log.trace(message, meta),
    debug: (message, meta) => log.debug(message, meta),
    info: (message, meta) => log.debug(message, meta),
    warn: (message, meta) => log.warn(message, meta),
    error: (message, meta) => log.error(message, meta),
  };
}

/**
 * The engine's workflows by default; other workflow code (a test fixture, the bench's no-op) may
 * preload none. Every bundle carries the engine's failure converter: the failures a workflow writes
 * (its own, a refused update, the deadlock guard's) keep their text in an encrypted payload.
 */
export function bundleWorkflows(workflowsPath: string = WORKFLOWS_PATH, preloadModules: string[] = PRELOADED_MODULES, logger: Logger = quiet): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, preloadModules, logger, failureConverterPath: FAILURE_CONVERTER_PATH });
}
