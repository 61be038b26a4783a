// When an Advanced term's end is announced, and when a customer falls back to Standard. Pure
// rules over subscription facts; the scheduled term keeper (workflows/scheduled.ts) applies them.
import type { Term } from './entitlements';

/** How long before a term's end the customer is reminded: a year's term gets two weeks, a month's three days. */
export const TERM_REMINDER_BEFORE_MS: Record<Term, number> = { annual: 14 * 86_400_000, monthly: 3 * 86_400_000 };

/** How far back the keeper looks for ends it has not recorded (a keeper down for a while catches up). */
export const TERM_END_LOOKBACK_MS = 35 * 86_400_000;

export interface TermFacts {
  id: string;
  term: Term;
  startsAt: Date;
  termEndsAt: Date;
  endsAt: Date;
  cancelMode: string | null;
}

/** A later term that carries Advanced on from this one's end (a renewal not cancelled). */
export function successorOf<T extends TermFacts>(s: TermFacts, all: T[]): T | null {
  return all.find((x) => x.id !== s.id && x.startsAt.getTime() === s.termEndsAt.getTime() && x.endsAt > x.startsAt) ?? null;
}

/** Remind now: the term is in force, ends within its reminder window, and nothing follows it. */
export function reminderDue(s: TermFacts, all: TermFacts[], at: number): boolean {
  if (s.startsAt.getTime() > at || s.endsAt.getTime() <= at) return false;
  if (s.endsAt.getTime() !== s.termEndsAt.getTime()) return false; // cut short: the cancellation said so already
  return s.termEndsAt.getTime() - TERM_REMINDER_BEFORE_MS[s.term] <= at && !successorOf(s, all);
}

/**
 * The customer is back on Standard because this term ended: it has ended (at its term's end, or
 * early when cancelled at once), not long ago, and no other term is in force now.
 */
export function endedToStandard(s: TermFacts, all: TermFacts[], at: number): boolean {
  if (s.endsAt.getTime() > at || s.endsAt.getTime() <= at - TERM_END_LOOKBACK_MS) return false;
  if (s.endsAt.getTime() <= s.startsAt.getTime()) return false; // a renewal withdrawn before it began
  return !all.some((x) => x.startsAt.getTime() <= at && x.endsAt.getTime() > at);
}
