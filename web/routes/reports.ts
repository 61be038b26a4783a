// The SLA report page: leads and admins for any customer, a requester for its own. Charts of
// compliance over time, breaches by impact and the open backlog, then the table of the chosen
// slice and its CSV. The figures are the API's (services/reports.ts), for the same query.
import { Router, type Request, type Response } from 'express';
import type { Sequelize } from 'sequelize';
import { ZodError } from 'zod';
import { requirePage } from '../require-page';
import { render, locals } from '../render';
import { translator } from '../../i18n';
import { isKind } from '../../domain/errors';
import { reportQuery, type ReportQuery } from '../../api/schemas';
import { reportCsv, reportFor, reportRows } from '../../services/reports';
import { may } from '../../domain/roles';
import { CHANNELS, IMPACTS, PLANS, TICKET_TYPES } from '../../domain/plans';
import { REPORT_GROUPS, type ReportGroup, type SlaReport } from '../../domain/sla-report';
import { Customer } from '../../db/models';
import type { Principal } from '../../services/access';
import { barChart } from '../charts';

/** The form's fields, blanks dropped (an empty select means "any"). */
function queryOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query)) if (k !== 'lang' && typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  return out;
}

/** Over time: days for a month, weeks up to a year, months beyond. */
function timeUnit(r: SlaReport): ReportGroup {
  const days = (Date.parse(r.period.to) - Date.parse(r.period.from)) / 86_400_000;
  return days <= 45 ? 'day' : days <= 370 ? 'week' : 'month';
}

export function reportPages(sequelize: Sequelize): Router {
  const r = Router();
  r.use(requirePage((p) => may(p.role, 'readReports')));
  const me = (res: Response) => locals(res).principal as Principal;

  async function load(req: Request, res: Response): Promise<{ q: ReportQuery; report: SlaReport }> {
    const q = reportQuery.parse({ groupBy: 'impact', ...queryOf(req) });
    // The page always answers "where did we not?" below the figures.
    if (req.path === '/') q.include = 'breaches';
    return { q, report: await reportFor(sequelize, me(res), q) };
  }

  r.get('/sla.csv', async (req, res) => {
    const { report } = await load(req, res);
    const file = reportCsv(report);
    res.type('text/csv; charset=utf-8').attachment(file.filename).send(file.body);
  });

  r.get('/', async (req, res) => {
    const p = me(res);
    const form = queryOf(req);
    const customers = p.role === 'requester' ? [] : await Customer.findAll({ order: [['name', 'ASC']], attributes: ['id', 'name'] });
    const options = { groups: REPORT_GROUPS, plans: PLANS, impacts: IMPACTS, types: TICKET_TYPES, channels: CHANNELS, customers };
    let loaded: { q: ReportQuery; report: SlaReport };
    try {
      loaded = await load(req, res);
    } catch (err) {
      if (err instanceof ZodError || isKind(err, 'invalid')) {
        const message = err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : err.message;
        return render(req, res, 'reports', { form, options, error: message, report: null }, 400);
      }
      throw err;
    }
    const { q, report } = loaded;
    const t = translator(locals(res).lang);
    const unit = timeUnit(report);
    // The charts cut the same report by time and by impact: its period and filters, already resolved for this person.
    const period = { from: new Date(report.period.from), to: new Date(report.period.to), timezone: report.period.timezone };
    const [overTime, byImpact] = await Promise.all([
      reportRows(sequelize, period, unit, report.filters),
      reportRows(sequelize, period, 'impact', report.filters),
    ]);
    const charts = {
      compliance: barChart({
        label: t('reports.chart.compliance', { unit: t(`reports.group.${unit}` as 'reports.group.day') }),
        // Days read as MM-DD: the year and month are in the period line above.
        categories: overTime.groups.map((g) => (unit === 'day' ? g.label.slice(5) : g.label)),
        series: [
          { name: t('reports.series.response'), cls: 'bar-response' },
          { name: t('reports.series.resolution'), cls: 'bar-resolution' },
        ],
        values: [overTime.groups.map((g) => g.response.compliancePct), overTime.groups.map((g) => g.resolution.compliancePct)],
        max: 100,
        unit: '%',
      }),
      breaches: barChart({
        label: t('reports.chart.breaches'),
        categories: byImpact.groups.map((g) => g.key),
        series: [
          { name: t('reports.met'), cls: 'bar-met' },
          { name: t('reports.breached'), cls: 'bar-breached' },
          { name: t('reports.running'), cls: 'bar-running' },
        ],
        values: [
          byImpact.groups.map((g) => g.response.met + g.resolution.met),
          byImpact.groups.map((g) => g.response.breached + g.resolution.breached),
          byImpact.groups.map((g) => g.response.running + g.resolution.running),
        ],
        stacked: true,
      }),
      backlog: barChart({
        label: t('reports.chart.backlog'),
        categories: report.backlog.buckets.map((b) => t(`reports.bucket.${b.key}` as 'reports.bucket.lt1h')),
        series: [{ name: t('reports.series.open'), cls: 'bar-backlog' }],
        values: [report.backlog.buckets.map((b) => b.count)],
      }),
    };
    const csvQuery = new URLSearchParams({ ...form, groupBy: q.groupBy }).toString();
    const customerName = report.filters.customerId ? ((await Customer.findByPk(report.filters.customerId))?.name ?? null) : null;
    render(req, res, 'reports', { form, options, error: null, report, charts, unit, csvHref: `/reports/sla.csv?${csvQuery}`, customerName, ticketHref: (number: number) => (p.role === 'requester' ? `/tickets/${number}` : `/console/tickets/${number}`) });
  });
  return r;
}
