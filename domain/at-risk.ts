// "At risk", defined once: a clock that still counts and has passed the first warning level of its
// ticket's escalation chain (the level that warns the assignee), or that the workflow has already
// warned about. The console's colours, the requester's pages and the pages' live countdown all read
// it from here, so a policy whose chain warns at 50 % colours its tickets at 50 %.
import { escalationChain, type EscalationLevel } from './escalation';
import { levelElapsedMs, type ClockView } from './sla-clock';
import type { ClockName, TicketStatus } from './ticket-lifecycle';

export type ClockRisk = 'ok' | 'at-risk' | 'breached' | 'done';

/**
 * The fraction of a target's running time at which the ticket's first warning falls due: the
 * chain's first level below the breach (a ticket from before the chain: its one warningThreshold).
 * Null when the chain warns nobody before the breach: such a ticket is never "at risk", only late.
 */
export function firstWarningAt(targets: { escalation?: EscalationLevel[]; warningThreshold?: number }): number | null {
  const warnings = escalationChain(targets).filter((l) => l.at < 1);
  return warnings.length ? Math.min(...warnings.map((l) => l.at)) : null;
}

/**
 * Whether the ticket's state lets a clock count: the response while nobody answered, the resolution
 * until resolved, a next reply while the ticket is worked (and its cycle runs: the caller knows).
 */
export function clockCounts(status: TicketStatus, clock: ClockName): boolean {
  if (clock === 'response') return status === 'open';
  if (clock === 'nextReply') return status === 'in_progress';
  return status === 'open' || status === 'in_progress';
}

/** Clock time left on a target when its first warning falls due (the workflow's own instant). */
const leftAtWarningMs = (c: ClockView, warnAt: number) => c.targetMs - levelElapsedMs(c.targetMs, warnAt);

/** `counts`: clockCounts for the clock's ticket; `warnAt`: firstWarningAt of its targets. */
export function clockRisk(c: ClockView, counts: boolean, warnAt: number | null): ClockRisk {
  const live = counts && c.dueAt !== null;
  if (c.status === 'breached' || (live && c.remainingMs < 0)) return 'breached';
  if (live && (c.warnedAt !== null || (warnAt !== null && c.remainingMs <= leftAtWarningMs(c, warnAt)))) return 'at-risk';
  if (live || c.status === 'paused') return 'ok';
  return 'done';
}

/**
 * The instant a live clock turns at risk by the time alone, for the pages' script (it compares it
 * with the browser's clock and never sees the fraction): the due time less the time left at the
 * first warning, so that "now ≥ this" is exactly clockRisk's rule. Null when it never will: the
 * clock does not count, or the chain has no warning. With a business calendar the time left is
 * working time taken from the wall-clock due time, an approximation the next page load corrects.
 */
export function atRiskFrom(c: ClockView, counts: boolean, warnAt: number | null): string | null {
  if (!counts || c.dueAt === null || warnAt === null) return null;
  return new Date(Date.parse(c.dueAt) - leftAtWarningMs(c, warnAt)).toISOString();
}
