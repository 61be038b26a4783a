// SLA compliance reports, counted in SQL from the recorded ticket events (never from what a
// workflow holds in memory), so a report for last October reads what was recorded then.
//
// Per ticket received in the period:
//   response   breached if an sla_breached(response) was recorded; met if an sla_met(response); else running
//   resolution breached if an sla_breached(resolution) was recorded (a breach is never undone);
//              met if its latest sla_met(resolution) came after its latest reopen; else running
//   time to first response: first "responded" (or a resolve that was the first answer) − received
//   time to resolution: the last "resolved" − received, for tickets resolved now (not reopened since)
//   waiting on the customer: each waiting_on_customer until the next reply, resolve, reopen or close
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { stringify } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import { DomainError, notFound } from '../domain/errors';
import { Customer } from '../db/models';
import { DEFAULT_TIMEZONE } from '../domain/entitlements';
import type { Principal } from './access';
import { ticketScope } from '../domain/visibility';
import {
  BACKLOG_BUCKETS,
  TIME_GROUPS,
  compliancePct,
  monthToDate,
  parseReportEnd,
  parseReportInstant,
  type MissedTarget,
  type ReportFilters,
  type ReportGroup,
  type ReportPeriod,
  type ReportRow,
  type SlaReport,
  type TargetFigures,
} from '../domain/sla-report';

const GROUP_SQL: Record<ReportGroup, { key: string; label: string }> = {
  none: { key: `'all'`, label: `'all tickets'` },
  customer: { key: 't.customer_id::text', label: 'c.name' },
  plan: { key: 't.plan', label: 't.plan' },
  impact: { key: 't.impact', label: 't.impact' },
  type: { key: 't.type', label: 't.type' },
  channel: { key: 't.channel', label: 't.channel' },
  technician: { key: `coalesce(t.assignee->>'email', '')`, label: `coalesce(t.assignee->>'email', 'unassigned')` },
  day: { key: `to_char(date_trunc('day', t.received_at AT TIME ZONE :tz), 'YYYY-MM-DD')`, label: `to_char(date_trunc('day', t.received_at AT TIME ZONE :tz), 'YYYY-MM-DD')` },
  week: { key: `to_char(date_trunc('week', t.received_at AT TIME ZONE :tz), 'YYYY-MM-DD')`, label: `to_char(date_trunc('week', t.received_at AT TIME ZONE :tz), 'IYYY-"W"IW')` },
  month: { key: `to_char(date_trunc('month', t.received_at AT TIME ZONE :tz), 'YYYY-MM')`, label: `to_char(date_trunc('month', t.received_at AT TIME ZONE :tz), 'YYYY-MM')` },
};

const FILTER_SQL: Record<keyof ReportFilters, string> = {
  customerId: 't.customer_id = :customerId',
  requesterId: 't.requester_id = :requesterId',
  plan: 't.plan = :plan',
  impact: 't.impact = :impact',
  type: 't.type = :type',
  channel: 't.channel = :channel',
  technician: `t.assignee->>'email' = :technician`,
};

function filterSql(filters: ReportFilters): string {
  return (Object.keys(FILTER_SQL) as (keyof ReportFilters)[])
    .filter((k) => filters[k] !== undefined)
    .map((k) => ` AND ${FILTER_SQL[k]}`)
    .join('');
}

interface RawRow {
  total: boolean;
  key: string | null;
  label: string | null;
  received: number;
  resp_met: number;
  resp_breached: number;
  resp_running: number;
  resp_p50: number | null;
  resp_p90: number | null;
  res_met: number;
  res_breached: number;
  res_running: number;
  res_p50: number | null;
  res_p90: number | null;
  nr_met: number;
  nr_breached: number;
  nr_running: number;
  waited_ms: number | null;
  open_now: number;
}

function figureSql(group: ReportGroup): string {
  const g = GROUP_SQL[group];
  return `
WITH t AS (
  SELECT t.id, t.status, t.received_at, t.clocks, ${g.key} AS gkey, ${g.label} AS glabel
  FROM tickets t JOIN customers c ON c.id = t.customer_id
  WHERE t.received_at >= :from AND t.received_at < :to :filters
),
ev AS (
  SELECT e.ticket_id,
    bool_or(e.type = 'sla_breached' AND e.data->>'clock' = 'response') AS resp_breached,
    bool_or(e.type = 'sla_met' AND e.data->>'clock' = 'response') AS resp_met,
    min(e.at) FILTER (WHERE e.type = 'responded' OR (e.type = 'resolved' AND (e.data->>'firstResponse')::boolean)) AS first_response_at,
    bool_or(e.type = 'sla_breached' AND e.data->>'clock' = 'resolution') AS res_breached,
    max(e.seq) FILTER (WHERE e.type = 'sla_met' AND e.data->>'clock' = 'resolution') AS res_met_seq,
    max(e.seq) FILTER (WHERE e.type = 'resolved') AS resolved_seq,
    max(e.at) FILTER (WHERE e.type = 'resolved') AS resolved_at,
    max(e.seq) FILTER (WHERE e.type = 'reopened') AS reopened_seq,
    count(*) FILTER (WHERE e.type = 'sla_met' AND e.data->>'clock' = 'nextReply') AS nr_met,
    count(*) FILTER (WHERE e.type = 'sla_breached' AND e.data->>'clock' = 'nextReply') AS nr_breached
  FROM ticket_events e JOIN t ON t.id = e.ticket_id
  WHERE e.type IN ('sla_breached', 'sla_met', 'responded', 'resolved', 'reopened')
  GROUP BY e.ticket_id
),
pauses AS (
  SELECT ticket_id, sum(extract(epoch FROM (coalesce(until, CAST(:asOf AS timestamptz)) - at)) * 1000) AS waited_ms
  FROM (
    SELECT e.ticket_id, e.type, e.at, lead(e.at) OVER (PARTITION BY e.ticket_id ORDER BY e.seq) AS until
    FROM ticket_events e JOIN t ON t.id = e.ticket_id
    WHERE e.type IN ('waiting_on_customer', 'customer_replied', 'resolved', 'reopened', 'closed')
  ) x
  WHERE type = 'waiting_on_customer'
  GROUP BY ticket_id
),
per AS (
  SELECT t.gkey, t.glabel, t.status,
    CASE WHEN ev.resp_breached THEN 'breached' WHEN ev.resp_met THEN 'met' ELSE 'running' END AS resp,
    CASE WHEN ev.res_breached THEN 'breached' WHEN ev.res_met_seq > coalesce(ev.reopened_seq, 0) THEN 'met' ELSE 'running' END AS res,
    extract(epoch FROM (ev.first_response_at - t.received_at)) * 1000 AS ttfr_ms,
    CASE WHEN ev.resolved_seq > coalesce(ev.reopened_seq, 0) THEN extract(epoch FROM (ev.resolved_at - t.received_at)) * 1000 END AS ttr_ms,
    coalesce(p.waited_ms, 0) AS waited_ms,
    coalesce(ev.nr_met, 0) AS nr_met,
    coalesce(ev.nr_breached, 0) AS nr_breached,
    -- A cycle still owed and not yet late (a late one counts as breached already).
    (t.clocks->'nextReply'->>'runningSince' IS NOT NULL AND t.clocks->'nextReply'->>'breachedAt' IS NULL) AS nr_running
  FROM t LEFT JOIN ev ON ev.ticket_id = t.id LEFT JOIN pauses p ON p.ticket_id = t.id
)
SELECT GROUPING(gkey) = 1 AS total, gkey AS key, glabel AS label,
  count(*)::int AS received,
  count(*) FILTER (WHERE resp = 'met')::int AS resp_met,
  count(*) FILTER (WHERE resp = 'breached')::int AS resp_breached,
  count(*) FILTER (WHERE resp = 'running')::int AS resp_running,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ttfr_ms) AS resp_p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY ttfr_ms) AS resp_p90,
  count(*) FILTER (WHERE res = 'met')::int AS res_met,
  count(*) FILTER (WHERE res = 'breached')::int AS res_breached,
  count(*) FILTER (WHERE res = 'running')::int AS res_running,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ttr_ms) AS res_p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY ttr_ms) AS res_p90,
  sum(nr_met)::int AS nr_met,
  sum(nr_breached)::int AS nr_breached,
  count(*) FILTER (WHERE nr_running)::int AS nr_running,
  sum(waited_ms)::float8 AS waited_ms,
  count(*) FILTER (WHERE status NOT IN ('resolved', 'closed'))::int AS open_now
FROM per
GROUP BY GROUPING SETS ((gkey, glabel), ())
ORDER BY total, key`;
}

/**
 * Open tickets at `asOf` by age. For the present the ticket's status says it; for a moment in the
 * past its last resolve/reopen/close event at or before that moment does.
 */
function backlogSql(past: boolean): string {
  const buckets = BACKLOG_BUCKETS.map((b) => (b.upToMs === null ? `ELSE '${b.key}'` : `WHEN age_ms < ${b.upToMs} THEN '${b.key}'`)).join(' ');
  // In the past: a ticket closed, or resolved for good, by then was not open then (closed is final,
  // and a ticket resolved now whose last resolve came before was not reopened since); only the rest
  // need their events read.
  const openAt = past
    ? `AND NOT (t.status = 'closed' AND t.closed_at <= CAST(:asOf AS timestamptz))
       AND NOT (t.status = 'resolved' AND t.resolved_at <= CAST(:asOf AS timestamptz))
       AND coalesce((SELECT e.type FROM ticket_events e WHERE e.ticket_id = t.id AND e.type IN ('resolved', 'reopened', 'closed') AND e.at <= CAST(:asOf AS timestamptz)
                     ORDER BY e.seq DESC LIMIT 1), 'reopened') = 'reopened'`
    : `AND t.status NOT IN ('resolved', 'closed')`;
  return `
SELECT CASE ${buckets} END AS bucket, count(*)::int AS count
FROM (
  SELECT extract(epoch FROM (CAST(:asOf AS timestamptz) - t.received_at)) * 1000 AS age_ms
  FROM tickets t
  WHERE t.received_at < CAST(:asOf AS timestamptz) :filters ${openAt}
) x
GROUP BY 1`;
}

const round = (n: number | null) => (n === null || n === undefined ? null : Math.round(Number(n)));

function targetFigures(met: number, breached: number, running: number, p50: number | null, p90: number | null): TargetFigures {
  return { met, breached, running, compliancePct: compliancePct(met, breached), medianMs: round(p50), p90Ms: round(p90) };
}

function toRow(r: RawRow): ReportRow {
  const response = targetFigures(r.resp_met, r.resp_breached, r.resp_running, r.resp_p50, r.resp_p90);
  const resolution = targetFigures(r.res_met, r.res_breached, r.res_running, r.res_p50, r.res_p90);
  const [nrMet, nrBreached, nrRunning] = [r.nr_met ?? 0, r.nr_breached ?? 0, r.nr_running ?? 0];
  return {
    key: r.total ? 'total' : (r.key ?? ''),
    label: r.total ? 'total' : (r.label ?? ''),
    received: r.received,
    response,
    resolution,
    nextReply: { met: nrMet, breached: nrBreached, running: nrRunning, compliancePct: compliancePct(nrMet, nrBreached) },
    compliancePct: compliancePct(r.resp_met + r.res_met + nrMet, r.resp_breached + r.res_breached + nrBreached),
    waitingOnCustomerMs: round(r.waited_ms) ?? 0,
    openNow: r.open_now,
  };
}

const EMPTY_RAW: RawRow = {
  total: true, key: null, label: null, received: 0,
  resp_met: 0, resp_breached: 0, resp_running: 0, resp_p50: null, resp_p90: null,
  res_met: 0, res_breached: 0, res_running: 0, res_p50: null, res_p90: null,
  nr_met: 0, nr_breached: 0, nr_running: 0,
  waited_ms: 0, open_now: 0,
};

/** Every bucket of a time slice, so a chart shows the empty days too. */
export function timeBucketKeys(period: ReportPeriod, group: ReportGroup): string[] {
  if (!TIME_GROUPS.includes(group)) return [];
  const unit = group as 'day' | 'week' | 'month';
  const fmt = unit === 'month' ? 'yyyy-MM' : 'yyyy-MM-dd';
  const keys: string[] = [];
  let at = DateTime.fromJSDate(period.from, { zone: period.timezone }).startOf(unit);
  const end = DateTime.fromJSDate(period.to, { zone: period.timezone });
  while (at < end && keys.length < 1000) {
    keys.push(at.toFormat(fmt));
    at = at.plus({ [unit + 's']: 1 });
  }
  return keys;
}

function weekLabel(key: string): string {
  const d = DateTime.fromISO(key);
  return `${d.weekYear}-W${String(d.weekNumber).padStart(2, '0')}`;
}

/** Postgres would JIT-compile these queries on a large table, which costs more than running them
 * (measured: a month of 100,000 tickets in a third of the time without it). */
function withoutJit<T>(sequelize: Sequelize, fn: (transaction: Transaction) => Promise<T>): Promise<T> {
  return sequelize.transaction({ readOnly: true }, async (transaction) => {
    await sequelize.query('SET LOCAL jit = off', { transaction });
    return fn(transaction);
  });
}

async function rowsIn(sequelize: Sequelize, transaction: Transaction, period: ReportPeriod, groupBy: ReportGroup, filters: ReportFilters, asOf: Date) {
  const replacements = { ...filters, from: period.from, to: period.to, tz: period.timezone, asOf };
  const figures = await sequelize.query<RawRow>(figureSql(groupBy).replace(':filters', filterSql(filters)), { replacements, type: QueryTypes.SELECT, transaction });
  const totals = toRow(figures.find((r) => r.total) ?? EMPTY_RAW);
  let groups = groupBy === 'none' ? [] : figures.filter((r) => !r.total).map(toRow);
  // Time slices list every bucket of the period, empty ones as zero rows.
  const keys = timeBucketKeys(period, groupBy);
  if (keys.length) {
    const byKey = new Map(groups.map((g) => [g.key, g]));
    groups = keys.map((k) => byKey.get(k) ?? toRow({ ...EMPTY_RAW, total: false, key: k, label: groupBy === 'week' ? weekLabel(k) : k }));
  }
  return { totals, groups };
}

/** A report's figures alone, without its backlog (the page's charts cut the same report another way). */
export function reportRows(sequelize: Sequelize, period: ReportPeriod, groupBy: ReportGroup, filters: ReportFilters = {}, now = Date.now()) {
  return withoutJit(sequelize, (transaction) => rowsIn(sequelize, transaction, period, groupBy, filters, new Date(Math.min(now, period.to.getTime()))));
}

export async function slaReport(
  sequelize: Sequelize,
  period: ReportPeriod,
  groupBy: ReportGroup,
  filters: ReportFilters = {},
  now = Date.now(),
): Promise<SlaReport> {
  const asOf = new Date(Math.min(now, period.to.getTime()));
  const { rows, backlogRows } = await withoutJit(sequelize, async (transaction) => ({
    rows: await rowsIn(sequelize, transaction, period, groupBy, filters, asOf),
    backlogRows: await sequelize.query<{ bucket: string; count: number }>(backlogSql(asOf.getTime() < now).replace(':filters', filterSql(filters)), {
      replacements: { ...filters, asOf },
      type: QueryTypes.SELECT,
      transaction,
    }),
  }));
  const counts = new Map(backlogRows.map((b) => [b.bucket, b.count]));
  const buckets = BACKLOG_BUCKETS.map((b) => ({ key: b.key, label: b.label, count: counts.get(b.key) ?? 0 }));
  return {
    period: { from: period.from.toISOString(), to: period.to.toISOString(), timezone: period.timezone },
    groupBy,
    filters,
    ...rows,
    backlog: { asOf: asOf.toISOString(), total: buckets.reduce((s, b) => s + b.count, 0), buckets },
    generatedAt: new Date(now).toISOString(),
  };
}

const hours = (ms: number | null) => (ms === null ? '' : (ms / 3_600_000).toFixed(2));
const pct = (p: number | null) => (p === null ? '' : p.toFixed(1));

/** The report as a CSV file (API and page): its name, and one line per group and a last "total" line. */
export function reportCsv(report: SlaReport): { filename: string; body: string } {
  return { filename: `sla-report_${report.period.from.slice(0, 10)}_${report.period.to.slice(0, 10)}_${report.groupBy}.csv`, body: stringify(reportCsvRecords(report)) };
}

/** One line per group and a last "total" line; times in hours. */
export function reportCsvRecords(report: SlaReport): (string | number)[][] {
  const header = [
    'group', 'key', 'label', 'received',
    'response_met', 'response_breached', 'response_running', 'response_compliance_pct', 'response_median_hours', 'response_p90_hours',
    'resolution_met', 'resolution_breached', 'resolution_running', 'resolution_compliance_pct', 'resolution_median_hours', 'resolution_p90_hours',
    'compliance_pct', 'waiting_on_customer_hours', 'open_now',
    'next_reply_met', 'next_reply_breached', 'next_reply_running', 'next_reply_compliance_pct',
  ];
  const line = (group: string, r: ReportRow) => [
    group, r.key, r.label, r.received,
    r.response.met, r.response.breached, r.response.running, pct(r.response.compliancePct), hours(r.response.medianMs), hours(r.response.p90Ms),
    r.resolution.met, r.resolution.breached, r.resolution.running, pct(r.resolution.compliancePct), hours(r.resolution.medianMs), hours(r.resolution.p90Ms),
    pct(r.compliancePct), hours(r.waitingOnCustomerMs), r.openNow,
    r.nextReply.met, r.nextReply.breached, r.nextReply.running, pct(r.nextReply.compliancePct),
  ];
  return [header, ...report.groups.map((g) => line(report.groupBy, g)), line('total', report.totals)];
}

/** A report request as the API and the report page receive it (their reportQuery validates it). */
export interface ReportRequest extends Omit<ReportFilters, 'requesterId'> {
  month?: string;
  from?: string;
  to?: string;
  groupBy: ReportGroup;
  timezone?: string;
  /** breaches: also list the tickets whose targets were missed. */
  include?: 'breaches';
}

/** The report for one request, resolved for one person. */
export async function reportFor(sequelize: Sequelize, who: Principal, q: ReportRequest, now = Date.now()): Promise<SlaReport> {
  // The tickets this person may read, as every other read: a requester's customer's, on Standard their own.
  const scope = ticketScope(who);
  // Another customer's id is a customer that does not exist.
  if (scope.customerId !== undefined && q.customerId !== undefined && q.customerId !== scope.customerId) throw notFound(`customer ${q.customerId}`);
  const customerId = scope.customerId ?? q.customerId;
  const customer = customerId ? await Customer.findByPk(customerId) : null;
  if (customerId && !customer) throw notFound(`customer ${customerId}`);
  const timezone = q.timezone ?? customer?.timezone ?? DEFAULT_TIMEZONE;
  const period = resolvePeriod(q, timezone, now);
  const filters: ReportFilters = { customerId, requesterId: scope.requesterId, plan: q.plan, impact: q.impact, type: q.type, channel: q.channel, technician: q.technician };
  for (const k of Object.keys(filters) as (keyof ReportFilters)[]) if (filters[k] === undefined) delete filters[k];
  const report = await slaReport(sequelize, period, q.groupBy, filters, now);
  return q.include === 'breaches' ? { ...report, missedTargets: await missedTargets(sequelize, period, filters) } : report;
}

const MAX_TIME_BUCKETS = 400;

export function resolvePeriod(q: Pick<ReportRequest, 'month' | 'from' | 'to' | 'groupBy'>, timezone: string, now: number): ReportPeriod {
  const invalid = (message: string) => new DomainError('invalid', 'INVALID_PERIOD', message, { month: q.month, from: q.from, to: q.to });
  if (q.month && (q.from || q.to)) throw invalid('give a month, or from and to, not both');
  let period: ReportPeriod;
  if (q.month) {
    const from = parseReportInstant(q.month, timezone);
    const to = parseReportEnd(q.month, timezone);
    if (!from || !to) throw invalid(`${q.month} is not a month (YYYY-MM)`);
    period = { from, to, timezone };
  } else {
    const fallback = monthToDate(now, timezone);
    const from = q.from ? parseReportInstant(q.from, timezone) : fallback.from;
    const to = q.to ? parseReportEnd(q.to, timezone) : fallback.to;
    if (!from) throw invalid(`from: ${q.from} is not a date (YYYY-MM-DD), a month (YYYY-MM) or an ISO instant`);
    if (!to) throw invalid(`to: ${q.to} is not a date (YYYY-MM-DD), a month (YYYY-MM) or an ISO instant`);
    period = { from, to, timezone };
  }
  if (period.from >= period.to) throw invalid('the period is empty: from must come before to');
  if (timeBucketKeys(period, q.groupBy).length >= MAX_TIME_BUCKETS) {
    throw new DomainError('invalid', 'PERIOD_TOO_LONG', `at most ${MAX_TIME_BUCKETS} ${q.groupBy}s in one report; group by a longer unit`, { groupBy: q.groupBy });
  }
  return period;
}

/** "Where did we not?": the tickets of the report whose targets were missed, oldest first. */
export async function missedTargets(sequelize: Sequelize, period: ReportPeriod, filters: ReportFilters = {}, limit = 200): Promise<{ total: number; tickets: MissedTarget[] }> {
  const rows = await sequelize.query<Record<string, any>>(
    `SELECT t.id, t.number, t.subject, t.customer_id, c.name AS customer_name, t.impact, t.plan, t.assignee->>'email' AS technician,
            jsonb_agg(jsonb_build_object('clock', e.data->>'clock', 'at', e.at) ORDER BY e.at) AS breaches, count(*) OVER () AS total
     FROM tickets t JOIN customers c ON c.id = t.customer_id JOIN ticket_events e ON e.ticket_id = t.id AND e.type = 'sla_breached'
     WHERE t.received_at >= :from AND t.received_at < :to ${filterSql(filters)}
     GROUP BY t.id, c.name ORDER BY min(e.at), t.number LIMIT :limit`,
    { replacements: { ...filters, from: period.from, to: period.to, limit }, type: QueryTypes.SELECT },
  );
  return {
    total: rows.length ? Number(rows[0].total) : 0,
    tickets: rows.map((r) => ({
      ticketId: r.id,
      number: Number(r.number),
      subject: r.subject,
      customerId: r.customer_id,
      customerName: r.customer_name,
      impact: r.impact,
      plan: r.plan,
      technician: r.technician,
      breaches: (r.breaches as { clock: string; at: string }[]).map((b) => ({ clock: b.clock, at: new Date(b.at).toISOString() })),
    })),
  };
}
