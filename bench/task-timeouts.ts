// Why a ticket's alarm was late, from its history: workflow tasks that timed out before a worker
// took them (sticky queue: schedule-to-start) or while it held them (start-to-close), and the
// events of a late alarm one by one.
import { Connection, WorkflowClient } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { Stack } from './stack';

const { EventType, TimeoutType } = temporal.api.enums.v1;
type History = temporal.api.history.v1.IHistory;

export interface TaskTimeouts {
  histories: number;
  events: number;
  workflowTasks: number;
  scheduleToStart: number;
  startToClose: number;
  ticketsWithATimeout: number;
}

/** The histories of these workflows, each read once, over one connection. */
export async function readHistories(stack: Stack, workflowIds: string[]): Promise<Map<string, History>> {
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new WorkflowClient({ connection, namespace: 'default' });
  try {
    const out = new Map<string, History>();
    for (const id of workflowIds) out.set(id, await client.getHandle(id).fetchHistory());
    return out;
  } finally {
    await connection.close();
  }
}

/** Workflow task timeouts in these histories. */
export function taskTimeouts(histories: Iterable<History>): TaskTimeouts {
  const out: TaskTimeouts = { histories: 0, events: 0, workflowTasks: 0, scheduleToStart: 0, startToClose: 0, ticketsWithATimeout: 0 };
  for (const history of histories) {
    let timedOut = false;
    out.histories++;
    for (const e of history.events ?? []) {
      out.events++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) out.workflowTasks++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) {
        timedOut = true;
        if (e.workflowTaskTimedOutEventAttributes?.timeoutType === TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START) out.scheduleToStart++;
        else out.startToClose++;
      }
    }
    if (timedOut) out.ticketsWithATimeout++;
  }
  return out;
}

/** What happened to a late alarm: the events from half a second before its deadline on (at most 16), as "TYPE +ms" after it. */
export function alarmTimeline(history: History, dueMs: number): string[] {
  return (history.events ?? [])
    .filter((e) => tsToMs(e.eventTime) >= dueMs - 500)
    .slice(0, 16)
    .map((e) => `${String(EventType[e.eventType ?? 0]).replace('EVENT_TYPE_', '')} +${tsToMs(e.eventTime) - dueMs}`);
}

/**
 * What held the breaches up, read from a sample of their histories: the 50 latest and 50 spread
 * over the rest (their task timeouts), and the three latest event by event after their deadlines.
 */
export async function lateBreachHistories(stack: Stack, rows: Array<{ number: string | number; late_ms: number; due_ms: number | string }>) {
  const byLate = [...rows].sort((x, y) => y.late_ms - x.late_ms);
  const sample = [...byLate.slice(0, 50), ...byLate.slice(50).filter((_, i, a) => i % Math.max(1, Math.floor(a.length / 50)) === 0).slice(0, 50)];
  const workflowIds = new Map<string, string>(
    (await stack.db.query('SELECT number, workflow_id FROM tickets WHERE number = ANY($1::bigint[])', [sample.map((x) => x.number)])).rows.map((x: { number: string; workflow_id: string }) => [String(x.number), x.workflow_id]),
  );
  const histories = await readHistories(stack, [...workflowIds.values()]).catch((err: unknown) => ({ error: String(err) }));
  const timeouts = histories instanceof Map ? taskTimeouts(histories.values()) : histories;
  const timelines =
    histories instanceof Map
      ? byLate.slice(0, 3).map((x) => {
          const workflowId = workflowIds.get(String(x.number))!;
          return { workflowId, events: alarmTimeline(histories.get(workflowId)!, Number(x.due_ms)) };
        })
      : [{ workflowId: 'error', events: [histories.error] }];
  return { timeouts, timelines };
}
