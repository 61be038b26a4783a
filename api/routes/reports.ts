// SLA compliance reports as JSON, or CSV (?format=csv or Accept: text/csv) for a spreadsheet.
import { Router } from 'express';
import type { Sequelize } from 'sequelize';
import { reportCsv, reportFor } from '../../services/reports';
import { principal, requirePermission } from '../auth';
import { reportQuery } from '../schemas';

export function reportRoutes(sequelize: Sequelize): Router {
  const r = Router();
  r.get('/sla', requirePermission('readReports'), async (req, res) => {
    const q = reportQuery.parse(req.query);
    const report = await reportFor(sequelize, principal(res), q);
    const csv = q.format === 'csv' || (q.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
    if (!csv) return void res.json(report);
    const file = reportCsv(report);
    res.type('text/csv; charset=utf-8').attachment(file.filename).send(file.body);
  });
  return r;
}
