// Why a ticket's alarm was late, from its history: workflow tasks that timed out before a worker
// took them (sticky queue: schedule-to-start) or while it held them (start-to-close).
import { Connection, WorkflowClient } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Stack } from './stack';

const { EventType, TimeoutType } = temporal.api.enums.v1;

export interface TaskTimeouts {
  histories: number;
  events: number;
  workflowTasks: number;
  scheduleToStart: number;
  startToClose: number;
  ticketsWithATimeout: number;
}

/** Workflow task timeouts in the histories of the tickets with these workflow ids. */
export async function taskTimeouts(stack: Stack, workflowIds: string[]): Promise<TaskTimeouts> {
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new WorkflowClient({ connection, namespace: 'default' });
  const out: TaskTimeouts = { histories: 0, events: 0, workflowTasks: 0, scheduleToStart: 0, startToClose: 0, ticketsWithATimeout: 0 };
  try {
    for (const id of workflowIds) {
      const history = await client.getHandle(id).fetchHistory();
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
  } finally {
    await connection.close();
  }
  return out;
}

/**
 * What happened to a late alarm: each ticket's history events from half a second before its
 * deadline on (at most 16), as "TYPE +ms" after the deadline.
 */
export async function alarmTimelines(stack: Stack, alarms: Array<{ workflowId: string; dueMs: number }>): Promise<Array<{ workflowId: string; events: string[] }>> {
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new WorkflowClient({ connection, namespace: 'default' });
  try {
    const out = [];
    for (const { workflowId, dueMs } of alarms) {
      const history = await client.getHandle(workflowId).fetchHistory();
      const ms = (t: unknown) => {
        const x = t as { seconds?: unknown; nanos?: number } | null | undefined;
        return Number(x?.seconds ?? 0) * 1000 + Math.round((x?.nanos ?? 0) / 1e6);
      };
      const events = (history.events ?? [])
        .filter((e) => ms(e.eventTime) >= dueMs - 500)
        .slice(0, 16)
        .map((e) => `${String(EventType[e.eventType ?? 0]).replace('EVENT_TYPE_', '')} +${ms(e.eventTime) - dueMs}`);
      out.push({ workflowId, events });
    }
    return out;
  } finally {
    await connection.close();
  }
}
