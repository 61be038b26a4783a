// Builds the Temporal worker that runs ticket workflows and their activities.
import { readFileSync } from 'node:fs';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { bundleWorkflows, bundlerLog } from './workflow-bundle';

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
  /** Longest synchronous run of one call into the workflow sandbox, 0 = no limit (default: DEFAULT_ISOLATE_TIMEOUT_MS). */
  isolateTimeoutMs?: number;
  /** Threads that run workflow code (default: DEFAULT_WORKFLOW_THREADS). */
  workflowThreads?: number;
  /**
   * Whether workflows answer the stack trace query (the Temporal UI's "Stack Trace" tab, `temporal
   * workflow stack`: where a workflow waits). The SDK pays for it by recording a stack trace, with
   * source-map lookups, for every promise a workflow creates, again on every replay of a ticket
   * outside the cache: +39 % CPU a replayed workflow task (bench/sandbox-cost.ts, 3,271 → 4,554 µs),
   * half of the workflow thread's time under load (npm run bench on-time). Off by default (needs
   * patches/); the query is then refused ("Workflow stack traces are not enabled on this worker",
   * which its caller reads as "Encoded failure": temporal/failure-converter.ts).
   * WORKER_STACK_TRACES=on turns it back on while someone investigates a stuck ticket.
   */
  stackTraces?: boolean;
  /** The deadlock guard on replayed activations too (default false: see DEFAULT_ISOLATE_TIMEOUT_MS). */
  guardReplay?: boolean;
  /** What the worker hands Temporal goes through it: the codec encrypts (temporal/data-converter.ts). */
  dataConverter: WorkerOptions['dataConverter'];
}

/**
 * Workflows kept in memory between their tasks. The SDK's default follows the heap limit (about
 * 2,300 here) and grows the worker past any fixed budget. With 10,000 open tickets (npm run bench
 * held-open, idle 222 MiB): 150 came to 355 MiB, all 10,000 cached to 2.0 GiB (~180 KiB each, most
 * of it outside the V8 heap); before the local record and without promise stack traces, 400 came
 * to 516 MiB and 150 to 424–503. A ticket outside the cache is replayed from its
 * history on its next timer or step: more CPU per alarm, never a lost one.
 * WORKER_MAX_CACHED_WORKFLOWS trades memory for that CPU.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 150;

/**
 * The SDK's deadlock guard: a workflow that runs synchronously for 5 s (a loop that never awaits,
 * in our code or a library's) is stopped there, its workflow task fails with "Script execution
 * timed out" (in its history, the worker's log and temporal_workflow_task_execution_failed) and is
 * retried, while every other ticket on the worker goes on. Without it such a loop holds one of the
 * worker's workflow threads for good and every ticket on it waits, silently.
 *
 * The guard is Node's vm `timeout`, which starts and joins a watchdog thread on every call into the
 * sandbox: about 112 µs of CPU and 255 µs of the workflow thread's time a call, 5.1 calls a
 * workflow task on the recorded histories. Replaying them (bench/sandbox-cost.ts: what an alarm of
 * a ticket outside the cache does) took 3,271 → 5,009 µs of CPU a workflow task with it (+53 %).
 * An alarm of a ticket outside the cache replays every earlier workflow task of its history before
 * the one that is new, so the guard cost it one watchdog per call of each (see docs/benchmarks.md,
 * "The deadlock guard and on time": breach lateness p99 9.9 s with it against 1.3 s without).
 *
 * So the guard watches the activations that run new code (and queries), not the replayed ones
 * (patches/: WORKFLOW_GUARD_REPLAY=off, the default). A replayed activation already ran to its end
 * once with the same inputs: its history holds the completed workflow task. Only different code
 * could loop there, and code that changes how a history replays is what the replay tests catch
 * before it ships (test/integration/replay.test.ts runs them with the SDK's guard on every call).
 * WORKER_GUARD_REPLAY=on guards replayed activations too, at the old cost.
 * WORKER_ISOLATE_TIMEOUT_MS=0 turns the guard off (patches/ makes 0 mean "none"; the SDK refuses
 * 0): an opt-in for a worker that needs that CPU more than the guard, measured first.
 */
export const DEFAULT_ISOLATE_TIMEOUT_MS = 5_000;

/**
 * Threads that run workflow code: 2 where the SDK runs 1 (with its reusable V8 context). The deadlock
 * guard starts and joins a watchdog thread on every call into the sandbox of an activation that runs
 * new code, about 11 calls for an alarm of a ticket outside the cache; on a loaded machine the join
 * waits until the watchdog is given a CPU, and a lone workflow thread waits with it: a third of its
 * time went to the native vm call under npm run bench on-time (2,000 tickets at 25 a second on the
 * file store, CPU profile: 14.2 s of 80 s), where without the guard it was 0.4 s. With a second
 * thread one runs while the other waits: breach lateness p99 1,112 → 514 ms, max 1,599 → 804 ms
 * (the guard kept; without it 416 / 535 ms). A run goes to the thread with fewer workflows and stays
 * there while it is cached; each thread holds its own copy of the workflow code.
 */
export const DEFAULT_WORKFLOW_THREADS = 2;

/**
 * The most V8 may give each workflow thread's young generation (new objects), in MB; its default,
 * 48, is what a thread grows to under load and then keeps. The second workflow thread had put the
 * worker over its memory goal (npm run bench held-open, 10,000 open tickets: 541 MiB). Back to back
 * on one machine (2026-12-03, file store): held 485 → 461 MiB, peak while the tickets were filed
 * 620 → 528 MiB; on-time at 2,000 tickets the worker's CPU stayed at 0.75 of a core, and breaches
 * were no later (p99 12.6 s → 4.0 s, in a slow hour). Applied by patches/ (the SDK does not pass
 * resource limits to its threads).
 */
export const WORKFLOW_THREAD_YOUNG_GENERATION_MB = 16;

/**
 * How long a workflow task waits on this worker's sticky queue (the tickets it has cached) before
 * the server hands it to any worker of the task queue: 1 s instead of the SDK's 10 s. With more open
 * tickets than the cache holds, most alarms find their ticket evicted; the worker then fetches the
 * whole history in a second call, a few at a time, and under a burst of deadlines its task slots
 * fill with those while the sticky queue waits out its timeout. npm run bench on-time, 10,000
 * tickets, one machine: breach lateness p50 10.3 s → 1.1 s, and 34.7 → 41.8 breaches recorded a
 * second while they fall due (at 4,000 tickets it did not move). A task on the task queue
 * carries its whole history. The same timeout is how long a killed worker's tickets wait before
 * another worker takes them.
 */
export const STICKY_QUEUE_TIMEOUT_MS = 1_000;

/**
 * Half of the worker's workflow task pollers on the task queue, half on its sticky queue (the SDK:
 * 2 of 10 on the task queue). When alarms come faster than the machine settles them, a task that
 * waited out the sticky queue goes to the task queue, and with 2 pollers there it waited ~190 s
 * while newer alarms went through the sticky queue in 1–2 s (npm run bench on-time-burst, 10,000
 * tickets). Two pairs of runs at 4,000 tickets (79 and ~107 deadlines a second): breach lateness
 * p99 33.8 → 26.6 s and 35.6 → 25.1 s, mean −29 %, breaches settled +10 % and +30 %; 8 of 10 on
 * the task queue was worse than either (p50 33 s: every alarm waited out the sticky queue).
 */
export const NON_STICKY_POLL_RATIO = 0.5;

/**
 * Whether `patches/@temporalio+worker+*.patch` is applied: it lets 0 mean "no vm timeout", lets
 * WORKFLOW_PROMISE_STACKS=off leave out the stack trace of every workflow promise, and gives the
 * workflow threads their young generation's limit. An install that
 * skipped postinstall scripts (`npm ci --ignore-scripts`) has the SDK as published, which would
 * throw on every workflow activation with 0, and records the stack traces whatever is asked.
 */
export function workerPatchApplied(): boolean {
  const source = (file: string) => readFileSync(require.resolve(`@temporalio/worker/lib/workflow/${file}`), 'utf8');
  return source('reusable-vm.js').includes('WORKFLOW_GUARD_REPLAY') && source('vm-shared.js').includes('WORKFLOW_PROMISE_STACKS') && source('threaded-vm.js').includes('WORKFLOW_THREAD_YOUNG_GENERATION_MB');
}

/** The limit the worker runs with: the one asked for, or the guard when "none" cannot be had. */
export function effectiveIsolateTimeoutMs(requested = DEFAULT_ISOLATE_TIMEOUT_MS): number {
  return requested === 0 && !workerPatchApplied() ? DEFAULT_ISOLATE_TIMEOUT_MS : requested;
}

export async function createTicketWorker(o: TicketWorkerOptions): Promise<Worker> {
  const requested = o.isolateTimeoutMs ?? DEFAULT_ISOLATE_TIMEOUT_MS;
  const isolateTimeoutMs = effectiveIsolateTimeoutMs(requested);
  if ((requested === 0 || !o.stackTraces || !o.guardReplay) && !workerPatchApplied()) {
    // The safe direction (a guard, stack traces) at a cost in CPU; test/unit/worker-patches.test.ts
    // fails on an install like this one, so it is not how the tests or the image run.
    Runtime.instance().logger.warn("the @temporalio/worker patch is not applied (installed with --ignore-scripts?): the worker keeps the SDK's vm timeout and its promise stack traces, at a cost in CPU; run npx patch-package", { isolateTimeoutMs });
  }
  // Read by the patched SDK when a workflow thread first creates a workflow: the threads start
  // with a copy of this process's environment, so it is set before the worker creates them.
  process.env.WORKFLOW_PROMISE_STACKS = o.stackTraces ? 'on' : 'off';
  process.env.WORKFLOW_GUARD_REPLAY = o.guardReplay ? 'on' : 'off';
  process.env.WORKFLOW_THREAD_YOUNG_GENERATION_MB = String(WORKFLOW_THREAD_YOUNG_GENERATION_MB);
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    dataConverter: o.dataConverter,
    activities: createActivities(o.activityDeps),
    // Bundled here unless given (WORKFLOW_BUNDLE_PATH, the tests' shared bundle): the one way of bundling, quietly.
    workflowBundle: o.workflowBundle ?? (await bundleWorkflows(undefined, undefined, bundlerLog(Runtime.instance().logger))),
    shutdownGraceTime: o.shutdownGraceTime ?? '10 seconds',
    maxCachedWorkflows: o.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    stickyQueueScheduleToStartTimeout: STICKY_QUEUE_TIMEOUT_MS,
    nonStickyToStickyPollRatio: NON_STICKY_POLL_RATIO,
    // The SDK's own default with its reusable V8 context is 1.
    workflowThreadPoolSize: o.workflowThreads ?? DEFAULT_WORKFLOW_THREADS,
    // Read by the SDK although its type does not list it ("not exposed at the moment").
    ...({ isolateExecutionTimeout: isolateTimeoutMs } as Partial<WorkerOptions>),
  });
}
