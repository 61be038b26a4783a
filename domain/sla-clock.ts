// One SLA clock (response or resolution) as plain data plus pure transitions. The workflow keeps
// two of these; the API turns the same data into the view a person reads. All times are epoch ms.
// A clock with a business calendar counts only working time; without one it runs 24×7.
import { addWorkingMs, workingMsBetween, type BusinessCalendar } from './business-calendar';
import { windowsAddMs, windowsMsBetween, type WorkingWindows } from './working-windows';

export type ClockStatus = 'running' | 'paused' | 'met' | 'breached';

export interface ClockState {
  targetMs: number;
  /** Elapsed running time accumulated before `runningSince` (working time, with a calendar). */
  elapsedMs: number;
  /** Start of the current running stretch; null while paused or stopped. */
  runningSince: number | null;
  /** Start of the current pause (waiting on the customer, or resolved until a reopen). */
  pausedSince: number | null;
  /** Time spent not running, closed stretches only. */
  pausedMs: number;
  /** Set when the clock was stopped (responded / resolved); cleared by a restart. */
  stoppedAt: number | null;
  /** Levels of the escalation chain already passed (fired, or skipped because a later one was due). */
  level: number;
  /** When the first warning level fired. */
  warnedAt: number | null;
  /** The moment the target fell due unmet. Sticky: a breach is never undone. */
  breachedAt: number | null;
  calendar?: BusinessCalendar | null;
  /**
   * The calendar's working time over a stretch, computed once by an activity and recorded: within
   * it the clock never asks the calendar again (a replay decides exactly as the first run did).
   */
  windows?: WorkingWindows;
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

export function startClock(targetMs: number, at: number, calendar: BusinessCalendar | null = null): ClockState {
  return {
    targetMs,
    elapsedMs: 0,
    runningSince: at,
    pausedSince: null,
    pausedMs: 0,
    stoppedAt: null,
    level: 0,
    warnedAt: null,
    breachedAt: null,
    ...(calendar ? { calendar } : {}),
  };
}

/** Clock time between two instants: working time with a calendar (its recorded windows first), wall time without. */
function span(c: ClockState, from: number, to: number): number {
  if (!c.calendar) return Math.max(0, to - from);
  return (c.windows && windowsMsBetween(c.windows, from, to)) ?? workingMsBetween(c.calendar, from, to);
}

/** The instant `ms` of clock time after `from`. */
function after(c: ClockState, from: number, ms: number): number {
  if (!c.calendar) return from + ms;
  return (c.windows && windowsAddMs(c.windows, from, ms)) ?? addWorkingMs(c.calendar, from, ms);
}

export function elapsed(c: ClockState, now: number): number {
  return c.elapsedMs + (c.runningSince !== null ? span(c, c.runningSince, now) : 0);
}

export function pausedTotal(c: ClockState, now: number): number {
  return c.pausedMs + (c.pausedSince !== null ? Math.max(0, now - c.pausedSince) : 0);
}

export function isRunning(c: ClockState): boolean {
  return c.runningSince !== null;
}

/** Due time of a running clock; for a stopped one, the due time it had when it stopped. */
export function dueAt(c: ClockState): number | null {
  // Once missed, the due time is the moment it was missed, whatever pauses or reopens came after.
  if (c.breachedAt !== null) return c.breachedAt;
  if (c.runningSince !== null) return after(c, c.runningSince, c.targetMs - c.elapsedMs);
  if (c.stoppedAt !== null) return after(c, c.stoppedAt, c.targetMs - c.elapsedMs);
  return null;
}

/** Clock time into a target at which a level of the chain falls due (whole milliseconds). */
export function levelElapsedMs(targetMs: number, fraction: number): number {
  return Math.round(targetMs * fraction);
}

/** When a running clock reaches `fraction` of its target (0.75 = the usual warning, 1.5 = half again past due). */
export function reachesAt(c: ClockState, fraction: number): number | null {
  if (c.runningSince === null) return null;
  return after(c, c.runningSince, levelElapsedMs(c.targetMs, fraction) - c.elapsedMs);
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

/** Pass one level of the escalation chain; the first warning's time is kept for the view. */
export function passLevel(c: ClockState, at: number, isWarning: boolean): ClockState {
  return { ...c, level: c.level + 1, warnedAt: isWarning ? (c.warnedAt ?? at) : c.warnedAt };
}

/** Record the breach at the moment the target fell due, not when we noticed it. */
export function markBreached(c: ClockState, at: number): ClockState {
  return { ...passLevel(c, at, false), breachedAt: dueAt(c) };
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
