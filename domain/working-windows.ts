// A business calendar's working time over a stretch of instants, computed once (by an activity, from
// the calendar module and the running Node's time-zone rules) and carried in the clock's state, so
// every later answer a ticket's workflow gives about working time is arithmetic on recorded numbers:
// a replay, a continued run or a tzdata change (Chile moves its DST often) cannot change a decision
// that was already taken. Outside the stretch the clock asks the calendar itself (sla-clock.ts).

export interface WorkingWindows {
  /** The stretch these windows describe: every working interval within [from, to) is listed. */
  from: number;
  to: number;
  /** Working intervals, flat and in order: start0, end0, start1, end1, … (clipped to [from, to)). */
  open: number[];
}

/** Working milliseconds in [fromMs, toMs), or null when the windows do not describe that stretch. */
export function windowsMsBetween(w: WorkingWindows, fromMs: number, toMs: number): number | null {
  if (toMs <= fromMs) return 0;
  if (fromMs < w.from || toMs > w.to) return null;
  let total = 0;
  for (let i = 0; i < w.open.length; i += 2) {
    const start = Math.max(w.open[i], fromMs);
    const end = Math.min(w.open[i + 1], toMs);
    if (end > start) total += end - start;
  }
  return total;
}

/**
 * The instant `ms` of working time after fromMs (addWorkingMs's answer), or null when it lies past
 * the windows' stretch. A budget that runs out at a closing time is due at that closing time.
 */
export function windowsAddMs(w: WorkingWindows, fromMs: number, ms: number): number | null {
  if (ms <= 0) return fromMs;
  if (fromMs < w.from) return null;
  let remaining = ms;
  for (let i = 0; i < w.open.length; i += 2) {
    const end = w.open[i + 1];
    if (end <= fromMs) continue;
    const start = Math.max(w.open[i], fromMs);
    if (remaining <= end - start) return start + remaining;
    remaining -= end - start;
  }
  return null;
}
