// What the worker's SDK core says of its workflow tasks while a benchmark's deadlines fall, read
// from the Prometheus exporter the bench gives every worker process: whether an alarm's task waited
// for a worker that had no slot free (its tasks slow on a machine short of CPU) or waited while the
// worker had room (something in the server). The core counts; the bench takes differences.
import { fig, type Figure } from './report';
import { round } from './stats';

/** One sample's counters and gauges, summed over their labels. */
interface Sample {
  at: number;
  tasks: number;
  scheduleToStartMs: number;
  executions: number;
  executionMs: number;
  stickyMisses: number;
  slotsUsed: number;
  slotsFree: number;
}

/** `name{labels} value` lines of the text format; the sum over every series of a name (with the labels asked for). */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

function sampleOf(text: string, at: number): Sample {
  const wf = { worker_type: 'WorkflowWorker' };
  return {
    at,
    tasks: metricSum(text, 'temporal_workflow_task_queue_poll_succeed'),
    scheduleToStartMs: metricSum(text, 'temporal_workflow_task_schedule_to_start_latency_sum'),
    executions: metricSum(text, 'temporal_workflow_task_execution_latency_count'),
    executionMs: metricSum(text, 'temporal_workflow_task_execution_latency_sum'),
    stickyMisses: metricSum(text, 'temporal_sticky_cache_miss'),
    slotsUsed: metricSum(text, 'temporal_worker_task_slots_used', wf),
    slotsFree: metricSum(text, 'temporal_worker_task_slots_available', wf),
  };
}

/** Between two samples: tasks a second, their mean schedule-to-start and execution (ms), sticky cache misses a second. */
function between(a: Sample, b: Sample) {
  const s = Math.max(0.001, (b.at - a.at) / 1000);
  const tasks = b.tasks - a.tasks;
  const executions = b.executions - a.executions;
  return {
    tasksPerS: round(tasks / s, 1),
    scheduleToStartMeanMs: tasks > 0 ? Math.round((b.scheduleToStartMs - a.scheduleToStartMs) / tasks) : 0,
    executionMeanMs: executions > 0 ? Math.round((b.executionMs - a.executionMs) / executions) : 0,
    stickyMissesPerS: round((b.stickyMisses - a.stickyMisses) / s, 1),
  };
}

export type WorkerTasks = ReturnType<typeof between> & {
  seconds: number;
  /** Share of the once-a-second samples in which every workflow task slot was taken. */
  slotsAllTakenShare: number;
  slotsUsedMax: number;
  slots: number;
  /** Every 5 s of the window. */
  series: Array<{ s: number; slotsUsed: number } & ReturnType<typeof between>>;
};

/** Samples `url` (the worker's /metrics) once a second from now until read(); null when it never answered. */
export function workerTaskMeter(url: string) {
  const samples: Sample[] = [];
  const take = async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(900) });
      if (res.ok) samples.push(sampleOf(await res.text(), Date.now()));
    } catch {
      // A missed second on a loaded machine; the differences span whatever samples there are.
    }
  };
  const first = take();
  const timer = setInterval(() => void take(), 1000);
  return {
    async read(): Promise<WorkerTasks | null> {
      clearInterval(timer);
      await first;
      await take();
      if (samples.length < 2) return null;
      const a = samples[0];
      const b = samples[samples.length - 1];
      const series = [];
      for (let i = 0, j = 0; i < samples.length - 1; i = j) {
        j = samples.findIndex((x, k) => k > i && x.at - samples[i].at >= 5000);
        if (j < 0) j = samples.length - 1;
        series.push({ s: round((samples[i].at - a.at) / 1000), slotsUsed: samples[j].slotsUsed, ...between(samples[i], samples[j]) });
      }
      return {
        seconds: round((b.at - a.at) / 1000),
        ...between(a, b),
        slotsAllTakenShare: round(samples.filter((x) => x.slotsFree === 0).length / samples.length, 2),
        slotsUsedMax: Math.max(...samples.map((x) => x.slotsUsed)),
        slots: a.slotsUsed + a.slotsFree,
        series,
      };
    },
  };
}

/** The figure row: mean schedule-to-start, with what the worker did beside it. */
export function workerTasksFigure(key: string, when: string, t: WorkerTasks | null): Figure {
  const label = `worker's workflow tasks ${when}: schedule-to-start mean`;
  if (!t) return fig({ key, label, value: NaN, unit: 'ms', beside: 'the worker served no metrics' });
  return fig({
    key,
    label,
    value: t.scheduleToStartMeanMs,
    unit: 'ms',
    beside: `execution mean ${t.executionMeanMs} ms; ${t.tasksPerS} tasks/s, ${t.stickyMissesPerS}/s not in its cache; every slot taken in ${Math.round(t.slotsAllTakenShare * 100)} % of seconds (most taken ${t.slotsUsedMax} of ${t.slots})`,
  });
}
