// How the workflow code is bundled: one place for the worker, the tests, the replay tests and the
// benchmarks, so that all of them run the same bundle.
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

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

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/** The engine's workflows by default; other workflow code (a test fixture, the bench's no-op) may preload none. */
export function bundleWorkflows(workflowsPath: string = WORKFLOWS_PATH, preloadModules: string[] = PRELOADED_MODULES): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, preloadModules, logger: quiet });
}
