// What an SLA compliance report means, with no I/O: its slices, periods (in a time zone), the
// backlog's age buckets and the compliance arithmetic. The SQL that counts lives in
// services/reports.ts; the API, the report page and the monthly report e-mail all read this.
import { DateTime } from 'luxon';
import { DEFAULT_TIMEZONE } from './entitlements';

/** Slices a report can be cut by. Time slices count a ticket in the bucket it was received in. */
export const REPORT_GROUPS = ['none', 'customer', 'plan', 'impact', 'type', 'channel', 'technician', 'day', 'week', 'month'] as const;
export type ReportGroup = (typeof REPORT_GROUPS)[number];
export const TIME_GROUPS: readonly ReportGroup[] = ['day', 'week', 'month'];

export interface ReportFilters {
  customerId?: string;
  /** The requester who filed the ticket: a Standard requester's report is of their own tickets only (domain/visibility.ts). */
  requesterId?: string;
  plan?: string;
  impact?: string;
  type?: string;
  channel?: string;
  /** The assignee's e-mail (the technician who has the ticket now). */
  technician?: string;
}

export interface ReportPeriod {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  timezone: string;
}

// ---- A report as the API, the page and the e-mail read it ----------------------------------------

export interface TargetFigures {
  met: number;
  breached: number;
  running: number;
  compliancePct: number | null;
  medianMs: number | null;
  p90Ms: number | null;
}

/**
 * The next reply counts answer cycles, not tickets: a ticket whose customer wrote three times owes
 * three answers. No time figures: a cycle's length is the answer's, read in the ticket's history.
 */
export interface CycleFigures {
  met: number;
  breached: number;
  /** Tickets whose current cycle is owed and not yet late. */
  running: number;
  compliancePct: number | null;
}

export interface ReportRow {
  key: string;
  label: string;
  received: number;
  response: TargetFigures;
  resolution: TargetFigures;
  /** Zero everywhere under a policy without a next-reply target. */
  nextReply: CycleFigures;
  /** All decided targets of the row, every clock (each next-reply cycle one target). */
  compliancePct: number | null;
  waitingOnCustomerMs: number;
  /** Of the row's tickets, how many are not resolved or closed now. */
  openNow: number;
}

export interface SlaReport {
  period: { from: string; to: string; timezone: string };
  groupBy: ReportGroup;
  filters: ReportFilters;
  totals: ReportRow;
  groups: ReportRow[];
  backlog: { asOf: string; total: number; buckets: { key: string; label: string; count: number }[] };
  generatedAt: string;
  /** With include=breaches: the tickets whose targets were missed (the first 200). */
  missedTargets?: { total: number; tickets: MissedTarget[] };
}

export interface MissedTarget {
  ticketId: string;
  number: number;
  subject: string;
  customerId: string;
  customerName: string;
  impact: string;
  plan: string;
  technician: string | null;
  /** Each clock whose target was missed, with when the breach was recorded. */
  breaches: { clock: string; at: string }[];
}

/** A date (YYYY-MM-DD, the start of that day in `tz`), a month (YYYY-MM) or a full ISO instant. */
export function parseReportInstant(text: string, tz: string): Date | null {
  const s = text.trim();
  const dt = /^\d{4}-\d{2}$/.test(s)
    ? DateTime.fromFormat(s, 'yyyy-MM', { zone: tz })
    : /^\d{4}-\d{2}-\d{2}$/.test(s)
      ? DateTime.fromISO(s, { zone: tz })
      : DateTime.fromISO(s, { setZone: true });
  return dt.isValid ? dt.toJSDate() : null;
}

/** `to` given as a bare date or month means through the end of that day or month. */
export function parseReportEnd(text: string, tz: string): Date | null {
  const s = text.trim();
  const start = parseReportInstant(s, tz);
  if (!start) return null;
  const unit = /^\d{4}-\d{2}$/.test(s) ? 'month' : /^\d{4}-\d{2}-\d{2}$/.test(s) ? 'day' : null;
  return unit ? DateTime.fromJSDate(start, { zone: tz }).plus({ [unit + 's']: 1 }).toJSDate() : start;
}

/** The calendar month before the one `at` falls in, in `tz`: what the report e-mail of the 1st covers. */
export function previousMonth(at: number, tz = DEFAULT_TIMEZONE): ReportPeriod & { label: string } {
  const thisMonth = DateTime.fromMillis(at, { zone: tz }).startOf('month');
  const from = thisMonth.minus({ months: 1 });
  return { from: from.toJSDate(), to: thisMonth.toJSDate(), timezone: tz, label: from.toFormat('yyyy-MM') };
}

/** This month so far, in `tz`: the report's default period. */
export function monthToDate(at: number, tz = DEFAULT_TIMEZONE): ReportPeriod {
  const start = DateTime.fromMillis(at, { zone: tz }).startOf('month');
  return { from: start.toJSDate(), to: start.plus({ months: 1 }).toJSDate(), timezone: tz };
}

/** The local calendar day before `at` and the day `at` falls in: the lead's daily digest. */
export function digestDays(at: number, tz = DEFAULT_TIMEZONE): { yesterday: ReportPeriod & { label: string }; today: ReportPeriod & { label: string } } {
  const today = DateTime.fromMillis(at, { zone: tz }).startOf('day');
  const yesterday = today.minus({ days: 1 });
  return {
    yesterday: { from: yesterday.toJSDate(), to: today.toJSDate(), timezone: tz, label: yesterday.toISODate()! },
    today: { from: today.toJSDate(), to: today.plus({ days: 1 }).toJSDate(), timezone: tz, label: today.toISODate()! },
  };
}

/** Open backlog by age. Upper bounds in ms; the last bucket is open-ended. */
export const BACKLOG_BUCKETS: readonly { key: string; label: string; upToMs: number | null }[] = [
  { key: 'lt1h', label: '< 1 h', upToMs: 3_600_000 },
  { key: '1h-4h', label: '1–4 h', upToMs: 4 * 3_600_000 },
  { key: '4h-1d', label: '4–24 h', upToMs: 24 * 3_600_000 },
  { key: '1d-3d', label: '1–3 days', upToMs: 3 * 86_400_000 },
  { key: '3d-7d', label: '3–7 days', upToMs: 7 * 86_400_000 },
  { key: 'gt7d', label: '> 7 days', upToMs: null },
];

export function backlogBucket(ageMs: number): string {
  return BACKLOG_BUCKETS.find((b) => b.upToMs === null || ageMs < b.upToMs)!.key;
}

/**
 * Share of decided targets that were met, in percent with one decimal; null when none is decided
 * yet (a report of only running tickets has no compliance, not 0 % or 100 %).
 */
export function compliancePct(met: number, breached: number): number | null {
  const decided = met + breached;
  return decided === 0 ? null : Math.round((met / decided) * 1000) / 10;
}
