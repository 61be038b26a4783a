// The bare limit of a timer: a workflow that only sleeps until an instant (epoch ms) and completes.
import { sleep } from '@temporalio/workflow';

export async function sleepUntil(atMs: number): Promise<void> {
  // Date.now() in a workflow is the time of its current task, replayed the same.
  const ms = atMs - Date.now();
  if (ms > 0) await sleep(ms);
}
