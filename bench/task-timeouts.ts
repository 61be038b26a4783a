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
