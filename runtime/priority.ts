// CPU priority of the background work (the ticket worker, the Temporal dev server) where it shares
// a machine with the API. Intake answers a person who waits for it; an alarm or a receipt that comes
// some milliseconds later still keeps targets counted in hours. Linux schedules threads, not
// processes, so every thread is lowered; threads started later inherit it from their parent thread.
import { readdirSync } from 'node:fs';
import os from 'node:os';

/** The niceness BACKGROUND_NICE defaults to: below the API, above batch jobs at 19. */
export const DEFAULT_BACKGROUND_NICE = 10;

/** Lower (never raise) the priority of every thread of `pid` to `nice`; 0 leaves it alone. */
export function lowerPriority(pid: number, nice: number): void {
  if (nice <= 0) return;
  let tids = [pid];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    // No /proc (macOS): the process as the system sees it.
  }
  for (const tid of tids) {
    try {
      if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
    } catch {
      // A thread that ended meanwhile.
    }
  }
}
