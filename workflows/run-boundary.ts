// Where one run of a long-lived workflow (a ticket open for months, a session waiting weeks for a
// specialist) hands over to the next: Temporal keeps a workflow's history in one run and warns past
// 10,240 events, so each workflow continues as new (same workflow id: links, queries, signals and
// updates keep working) when the server suggests it or past the deployment's limit, carrying what it
// decided. Shared by the ticket and the session workflows.
import { allHandlersFinished, condition, currentUpdateInfo, setHandler, workflowInfo } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';

/** Updates applied within this long are answered again, not applied twice, in the next run (a client's retry). */
export const UPDATE_DEDUP_WINDOW_MS = 24 * 60 * 60 * 1000;
/** At most this many: ids are short, and a continued run's input must stay small. */
export const UPDATE_DEDUP_MAX = 32;

/** An update a run applied: its id (the API's Idempotency-Key) and what its answer held beyond the ticket's view. */
export interface AppliedUpdate {
  id: string;
  at: number;
  result?: { sessionId?: string; written?: number };
}

/** What every run hands to the next, beside the workflow's own state. */
export interface CarriedRun {
  /** History events of the runs before this one: with this run's length, a count that never goes back. */
  historyBase: number;
  updates: AppliedUpdate[];
  /** How many runs came before this one. */
  runs: number;
}

export const FIRST_RUN: CarriedRun = { historyBase: 0, updates: [], runs: 0 };

export interface RunBoundary {
  /** Events decided so far, over every run of this workflow id: only grows (the ticket record's supersede rule needs that). */
  decidedIn(): number;
  /**
   * Register an update's handler and validator so that an update id this workflow applied in an
   * earlier run is answered again (the current view, with what its answer held) and not applied or
   * refused a second time: Temporal deduplicates update ids within one run only.
   */
  setUpdate<A extends unknown[], R>(def: UpdateDefinition<R, A>, handler: (...args: A) => Promise<R>, validator: ((...args: A) => void) | undefined, again: (earlier: AppliedUpdate) => R): void;
  /** True once this run should hand over: the server suggests it, or the configured limit is reached. */
  due(): boolean;
  /** What the next run starts from, once every handler has finished (call just before continueAsNew). */
  handOver(): Promise<CarriedRun>;
}

export function createRunBoundary(carried: CarriedRun | undefined, historyLimit: number | undefined): RunBoundary {
  const before = carried ?? FIRST_RUN;
  const earlier = new Map(before.updates.map((u) => [u.id, u]));
  const applied = new Map<string, AppliedUpdate>();

  return {
    decidedIn: () => before.historyBase + workflowInfo().historyLength,

    setUpdate<A extends unknown[], R>(def: UpdateDefinition<R, A>, handler: (...args: A) => Promise<R>, validator: ((...args: A) => void) | undefined, again: (earlier: AppliedUpdate) => R) {
      const earlierRun = () => {
        const id = currentUpdateInfo()?.id;
        return id !== undefined ? earlier.get(id) : undefined;
      };
      setHandler(
        def,
        async (...args) => {
          const seen = earlierRun();
          if (seen) return again(seen);
          const result = await handler(...args);
          const id = currentUpdateInfo()?.id;
          if (id !== undefined) applied.set(id, { id, at: Date.now(), result: answerPart(result) });
          return result;
        },
        {
          validator: (...args: A) => {
            // Applied before the boundary: its retry is answered, not checked against the state it made.
            if (earlierRun()) return;
            validator?.(...args);
          },
        },
      );
    },

    due() {
      const info = workflowInfo();
      return info.continueAsNewSuggested || (historyLimit !== undefined && historyLimit > 0 && info.historyLength >= historyLimit);
    },

    async handOver() {
      // An update or signal still running would be cut off by the run's end (its caller would get an error).
      await condition(allHandlersFinished);
      const now = Date.now();
      const updates = [...before.updates, ...applied.values()]
        .filter((u) => now - u.at < UPDATE_DEDUP_WINDOW_MS)
        .sort((a, b) => a.at - b.at)
        .slice(-UPDATE_DEDUP_MAX);
      return { historyBase: before.historyBase + workflowInfo().historyLength, updates, runs: before.runs + 1 };
    },
  };
}

/** The part of an update's answer that is not the ticket's view (which the retry reads fresh). */
function answerPart(result: unknown): AppliedUpdate['result'] {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as { sessionId?: unknown; written?: unknown };
  const part: NonNullable<AppliedUpdate['result']> = {};
  if (typeof r.sessionId === 'string') part.sessionId = r.sessionId;
  if (typeof r.written === 'number') part.written = r.written;
  return Object.keys(part).length ? part : undefined;
}
