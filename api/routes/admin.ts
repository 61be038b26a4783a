// The SLA policy (read by anyone signed in, replaced by admins) and the admin audit log.
import { Router } from 'express';
import { currentPolicy, replacePolicy } from '../../services/sla-policy';
import { auditLog } from '../../services/audit';
import { principal, requirePermission } from '../auth';
import { auditQuery } from '../schemas';

export function slaPolicyRoutes(): Router {
  const r = Router();
  r.get('/', async (_req, res) => {
    res.json(await currentPolicy());
  });
  r.put('/', requirePermission('administer'), async (req, res) => {
    res.json(await replacePolicy(req.body ?? {}, principal(res)));
  });
  return r;
}

export function auditRoutes(): Router {
  const r = Router();
  r.get('/', requirePermission('administer'), async (req, res) => {
    res.json(await auditLog(auditQuery.parse(req.query)));
  });
  return r;
}
