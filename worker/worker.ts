// Builds the Temporal worker that runs ticket workflows and their activities.
import { readFileSync } from 'node:fs';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { PRELOADED_MODULES, WORKFLOWS_PATH } from './workflow-bundle';

export interface TicketWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activityDeps: ActivityDeps;
  /** A pre-built bundle (tests build one and share it); otherwise the workflows are bundled here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Workflows kept in memory between tasks (default: DEFAULT_MAX_CACHED_WORKFLOWS). */
  maxCachedWorkflows?: WorkerOptions['maxCachedWorkflows'];
  /** Longest synchronous run of one workflow activation, 0 = no limit (default: DEFAULT_ISOLATE_TIMEOUT_MS). */
  isolateTimeoutMs?: number;
  /** Whether workflows answer the stack trace query (default: false, see stackTracesPatched). */
  stackTraces?: boolean;
}

/**
 * Workflows kept in memory between their tasks. The SDK's default follows the heap limit (about
 * 2,300 here) and grows the worker past any fixed budget (4.5 GiB with 10,000 open tickets). With
 * 10,000 open tickets (npm run bench held-open, idle 226 MiB): 400 came to 516 MiB, 250 to 525,
 * 150 to 424 and 453 in two runs; most of the growth past idle is not the cache itself. 150 is the
 * largest measured that stays under 512 MiB. A ticket outside the cache is replayed from its
 * history on its next timer or step: more CPU per alarm, never a lost one.
 * WORKER_MAX_CACHED_WORKFLOWS trades memory for that CPU.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 150;

/**
 * No limit on how long one workflow activation may run synchronously. The SDK enforces its limit
 * (5 s) with Node's vm `timeout`, which starts and joins a thread on every call into the workflow
 * sandbox: ~70 µs of CPU, several calls per activation, and a ticket outside the cache replays its
 * whole history on its next alarm. That was half of the workflow thread's time under load (on time,
 * 1,500 tickets: breach lateness p99 47 s with it, 25 s without). `patches/@temporalio+worker+*.patch`
 * makes 0 mean "no vm timeout" (the SDK refuses 0 otherwise). What the limit guarded against is a
 * workflow stuck in a synchronous loop; ours are this repository's code, and the replay and
 * integration tests run every loop they have. WORKER_ISOLATE_TIMEOUT_MS=5000 restores the SDK's guard.
 */
export const DEFAULT_ISOLATE_TIMEOUT_MS = 0;

/** The SDK's own limit, used when "none" is asked for but the patch is not applied. */
const SDK_ISOLATE_TIMEOUT_MS = 5_000;

/**
 * Whether the patch that lets 0 mean "no vm timeout" is applied: an install that skipped
 * postinstall scripts (`npm ci --ignore-scripts`) has the SDK as published, which would throw on
 * every workflow activation with 0.
 */
export function isolateTimeoutPatched(): boolean {
  return readFileSync(require.resolve('@temporalio/worker/lib/workflow/reusable-vm.js'), 'utf8').includes('isolateExecutionTimeoutMs > 0');
}

/**
 * The SDK records a stack trace (with source-map lookups) for every promise a workflow creates, so
 * that the stack trace query (the Temporal UI's "Stack Trace" tab, `temporal workflow stack`) can
 * say where a workflow waits. A ticket outside the cache replays its whole history on each alarm,
 * creating every promise again: under load (npm run bench on-time) that was half of the workflow
 * thread's time. Off by default; the query then answers "Workflow stack traces are not enabled on
 * this worker". WORKER_STACK_TRACES=on turns it back on while someone investigates a stuck ticket.
 * `patches/` makes the SDK read WORKFLOW_PROMISE_STACKS; without the patch they stay on.
 */
export function stackTracesPatched(): boolean {
  return readFileSync(require.resolve('@temporalio/worker/lib/workflow/vm-shared.js'), 'utf8').includes('WORKFLOW_PROMISE_STACKS');
}

/** The limit the worker runs with: the one asked for, or the SDK's when "none" cannot be had. */
export function effectiveIsolateTimeoutMs(requested = DEFAULT_ISOLATE_TIMEOUT_MS): number {
  return requested === 0 && !isolateTimeoutPatched() ? SDK_ISOLATE_TIMEOUT_MS : requested;
}

export function createTicketWorker(o: TicketWorkerOptions): Promise<Worker> {
  const requested = o.isolateTimeoutMs ?? DEFAULT_ISOLATE_TIMEOUT_MS;
  const isolateTimeoutMs = effectiveIsolateTimeoutMs(requested);
  if (isolateTimeoutMs !== requested) {
    Runtime.instance().logger.warn("the @temporalio/worker patch is not applied (installed with --ignore-scripts?): the worker keeps the SDK's vm timeout, at a cost in CPU; run npx patch-package", { isolateTimeoutMs });
  }
  // Read by the patched SDK when a workflow thread first creates a workflow: the threads start
  // with a copy of this process's environment, so it is set before the worker creates them.
  process.env.WORKFLOW_PROMISE_STACKS = o.stackTraces ? 'on' : 'off';
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    activities: createActivities(o.activityDeps),
    ...(o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: PRELOADED_MODULES } }),
    shutdownGraceTime: o.shutdownGraceTime ?? '10 seconds',
    maxCachedWorkflows: o.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    // Read by the SDK although its type does not list it ("not exposed at the moment").
    ...({ isolateExecutionTimeout: isolateTimeoutMs } as Partial<WorkerOptions>),
  });
}
