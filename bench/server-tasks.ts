// What Temporal itself says of the benchmark's workflow tasks while its deadlines fall, read from
// the server's own Prometheus metrics (the dev server's, or the cluster's history and matching
// services'): how long after they were due history processed the timers, how many workflow tasks it
// handed to matching for them, and how long matching held those in its backlog before a worker's
// poll took them, on the worker's sticky queue or on the task queue. Beside the worker's side
// (bench/worker-tasks.ts) it says where an alarm's task waited: in history, in matching's backlog,
// or at the worker. Histograms are in seconds (the server's Prometheus reporter).
import { fig, type Figure } from './report';
import { round } from './stats';
import { metricSum } from './worker-tasks';

const NS = { namespace: 'default' };
const STICKY = { ...NS, task_type: 'Workflow', partition: '__sticky__' };
const WORKFLOW = { ...NS, task_type: 'Workflow' };

interface Sample {
  at: number;
  timers: number;
  timersQueueS: number;
  workflowTasks: number;
  backlog: number;
  backlogS: number;
  stickyBacklog: number;
  waitingPoller: number;
  handedOut: number;
  stickyHandedOut: number;
}

/** One scrape of every URL, summed (each metric comes from one service). */
export function serverSampleOf(texts: string[], at: number): Sample {
  const sum = (name: string, labels: Record<string, string>) => texts.reduce((n, t) => n + metricSum(t, name, labels), 0);
  return {
    at,
    timers: sum('task_latency_queue_count', { ...NS, task_type: 'TimerActiveTaskUserTimer' }),
    timersQueueS: sum('task_latency_queue_sum', { ...NS, task_type: 'TimerActiveTaskUserTimer' }),
    workflowTasks: sum('task_latency_queue_count', { ...NS, task_type: 'TransferActiveTaskWorkflowTask' }),
    backlog: sum('asyncmatch_latency_count', WORKFLOW),
    backlogS: sum('asyncmatch_latency_sum', WORKFLOW),
    stickyBacklog: sum('asyncmatch_latency_count', STICKY),
    waitingPoller: sum('syncmatch_latency_count', WORKFLOW),
    handedOut: sum('poll_success', WORKFLOW),
    stickyHandedOut: sum('poll_success', STICKY),
  };
}

export interface ServerTasks {
  seconds: number;
  /** User timers history processed, and how long after they were due (mean). */
  timers: number;
  timerQueueMeanMs: number;
  /** Workflow tasks history handed to matching (a task that waited out the sticky queue counts twice). */
  workflowTasks: number;
  /** Workflow tasks a worker's poll took, a second, and how many of them from the sticky queue. */
  handedOutPerS: number;
  handedOut: number;
  stickyHandedOut: number;
  /** Matched from matching's backlog (no poll waiting when they came), their mean wait there, and how many on the sticky queue. */
  backlog: number;
  backlogMeanMs: number;
  stickyBacklog: number;
  /** Matched at once to a poll that was waiting. */
  waitingPoller: number;
}

export function serverTasksBetween(a: Sample, b: Sample): ServerTasks {
  const d = (k: keyof Sample) => b[k] - a[k];
  const seconds = Math.max(0.001, (b.at - a.at) / 1000);
  return {
    seconds: round(seconds),
    timers: d('timers'),
    timerQueueMeanMs: d('timers') > 0 ? Math.round((1000 * d('timersQueueS')) / d('timers')) : 0,
    workflowTasks: d('workflowTasks'),
    handedOutPerS: round(d('handedOut') / seconds, 1),
    handedOut: d('handedOut'),
    stickyHandedOut: d('stickyHandedOut'),
    backlog: d('backlog'),
    backlogMeanMs: d('backlog') > 0 ? Math.round((1000 * d('backlogS')) / d('backlog')) : 0,
    stickyBacklog: d('stickyBacklog'),
    waitingPoller: d('waitingPoller'),
  };
}

/** Scrapes `urls` now and at read(); null when the server served no metrics either time. */
export function serverTaskMeter(urls: string[]) {
  const take = async (): Promise<Sample | null> => {
    try {
      const texts = await Promise.all(
        urls.map(async (u) => {
          const res = await fetch(u, { signal: AbortSignal.timeout(5_000) });
          if (!res.ok) throw new Error(`${u}: ${res.status}`);
          return res.text();
        }),
      );
      return serverSampleOf(texts, Date.now());
    } catch {
      return null;
    }
  };
  const first = take();
  return {
    async read(): Promise<ServerTasks | null> {
      const a = await first;
      const b = await take();
      return a && b ? serverTasksBetween(a, b) : null;
    },
  };
}

/** The figure row: the mean wait in matching's backlog, with what history and matching did beside it. */
export function serverTasksFigure(key: string, when: string, t: ServerTasks | null): Figure {
  const label = `Temporal's workflow tasks ${when}: wait in matching's backlog, mean`;
  if (!t) return fig({ key, label, value: NaN, unit: 'ms', beside: 'the server served no metrics' });
  return fig({
    key,
    label,
    value: t.backlogMeanMs,
    unit: 'ms',
    beside:
      `${t.timers} timers processed ${t.timerQueueMeanMs} ms after due (mean); ${t.workflowTasks} workflow tasks to matching; ` +
      `${t.handedOut} taken by polls (${t.handedOutPerS}/s; ${t.stickyHandedOut} from the sticky queue), ${t.backlog} of them from the backlog (${t.stickyBacklog} sticky), ${t.waitingPoller} by a waiting poll`,
  });
}
