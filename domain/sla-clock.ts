// One SLA clock (response or resolution) as plain data plus pure transitions. The workflow keeps
// two of these; the API turns the same data into the view a person reads. All times are epoch ms.

export type ClockStatus = 'running' | 'paused' | 'met' | 'breached';

export interface ClockState {
  targetMs: number;
  /** Elapsed running time accumulated before `runningSince`. */
  elapsedMs: number;
  /** Start of the current running stretch; null while paused or stopped. */
  runningSince: number | null;
  /** Start of the current pause (waiting on the customer, or resolved until a reopen). */
  pausedSince: number | null;
  /** Time spent not running, closed stretches only. */
  pausedMs: number;
  /** Set when the clock was stopped (responded / resolved); cleared by a restart. */
  stoppedAt: number | null;
  warningAfterMs: number;
  warnedAt: number | null;
  /** The moment the target fell due unmet. Sticky: a breach is never undone. */
  breachedAt: number | null;
}

export interface ClockView {
  status: ClockStatus;
  targetMs: number;
  /** When the target falls due if the clock keeps its state; null while paused. */
  dueAt: string | null;
  remainingMs: number;
  elapsedMs: number;
  pausedMs: number;
  metAt: string | null;
  breachedAt: string | null;
  warnedAt: string | null;
}

export function startClock(targetMs: number, warningThreshold: number, at: number): ClockState {
  return {
    targetMs,
    elapsedMs: 0,
    runningSince: at,
    pausedSince: null,
    pausedMs: 0,
    stoppedAt: null,
    warningAfterMs: Math.round(targetMs * warningThreshold),
    warnedAt: null,
    breachedAt: null,
  };
}

export function elapsed(c: ClockState, now: number): number {
  return c.elapsedMs + (c.runningSince !== null ? Math.max(0, now - c.runningSince) : 0);
}

export function pausedTotal(c: ClockState, now: number): number {
  return c.pausedMs + (c.pausedSince !== null ? Math.max(0, now - c.pausedSince) : 0);
}

export function isRunning(c: ClockState): boolean {
  return c.runningSince !== null;
}

/** Due time of a running clock; for a stopped one, the due time it had when it stopped. */
export function dueAt(c: ClockState): number | null {
  if (c.runningSince !== null) return c.runningSince + (c.targetMs - c.elapsedMs);
  if (c.stoppedAt !== null) return c.stoppedAt + (c.targetMs - c.elapsedMs);
  return null;
}

export function warningAt(c: ClockState): number | null {
  if (c.runningSince === null || c.warnedAt !== null || c.breachedAt !== null) return null;
  return c.runningSince + (c.warningAfterMs - c.elapsedMs);
}

export function pause(c: ClockState, at: number): ClockState {
  if (c.runningSince === null) return c;
  return { ...c, elapsedMs: elapsed(c, at), runningSince: null, pausedSince: at };
}

export function resume(c: ClockState, at: number): ClockState {
  if (c.pausedSince === null) return c;
  return { ...c, pausedMs: pausedTotal(c, at), pausedSince: null, runningSince: at };
}

/** Stop the clock: the target is met unless it had already been breached. */
export function stop(c: ClockState, at: number): ClockState {
  // A stop that lands after the due time, before the breach timer was handled, is still a breach.
  const breachedAt = c.breachedAt ?? (c.runningSince !== null && elapsed(c, at) >= c.targetMs ? dueAt(c) : null);
  return { ...c, elapsedMs: elapsed(c, at), pausedMs: pausedTotal(c, at), runningSince: null, pausedSince: null, stoppedAt: at, breachedAt };
}

/** Run a stopped clock again from where it stopped; the stopped stretch counts as paused. */
export function restart(c: ClockState, at: number): ClockState {
  if (c.stoppedAt === null) return c;
  return { ...c, pausedMs: c.pausedMs + Math.max(0, at - c.stoppedAt), stoppedAt: null, runningSince: at };
}

export function markWarned(c: ClockState, at: number): ClockState {
  return { ...c, warnedAt: at };
}

/** Record the breach at the moment the target fell due, not when we noticed it. */
export function markBreached(c: ClockState): ClockState {
  return { ...c, breachedAt: dueAt(c) };
}

export function clockStatus(c: ClockState, now: number): ClockStatus {
  if (c.breachedAt !== null) return 'breached';
  if (c.stoppedAt !== null) return 'met';
  if (c.runningSince !== null && elapsed(c, now) >= c.targetMs) return 'breached';
  return c.runningSince !== null ? 'running' : 'paused';
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function clockView(c: ClockState, now: number): ClockView {
  const status = clockStatus(c, now);
  const due = dueAt(c);
  const breachedAt = c.breachedAt ?? (status === 'breached' ? due : null);
  return {
    status,
    targetMs: c.targetMs,
    dueAt: iso(due),
    remainingMs: c.targetMs - elapsed(c, now),
    elapsedMs: elapsed(c, now),
    pausedMs: pausedTotal(c, now),
    metAt: status === 'met' ? iso(c.stoppedAt) : null,
    breachedAt: iso(breachedAt),
    warnedAt: iso(c.warnedAt),
  };
}
