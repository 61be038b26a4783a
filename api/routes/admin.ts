import { Router, type RequestHandler } from 'express';
import { Customer } from '../../db/models';
import { currentPolicy, replacePolicy } from '../../services/sla-policy';
import { notFound } from '../errors';
import { createCustomerBody } from '../schemas';

const customerView = (c: Customer) => ({ id: c.id, name: c.name, plan: c.plan, timezone: c.timezone, createdAt: c.createdAt.toISOString() });

export function slaPolicyRoutes(requireAdmin: RequestHandler): Router {
  const r = Router();
  r.get('/', async (_req, res) => {
    res.json(await currentPolicy());
  });
  r.put('/', requireAdmin, async (req, res) => {
    res.json(await replacePolicy(req.body ?? {}, String(res.locals.actor ?? 'admin')));
  });
  return r;
}

export function customerRoutes(requireAdmin: RequestHandler): Router {
  const r = Router();
  r.use(requireAdmin);
  r.post('/', async (req, res) => {
    const body = createCustomerBody.parse(req.body ?? {});
    const c = await Customer.create({ name: body.name, plan: body.plan, ...(body.timezone ? { timezone: body.timezone } : {}) });
    res.status(201).location(`/api/customers/${c.id}`).json(customerView(c));
  });
  r.get('/', async (_req, res) => {
    res.json({ customers: (await Customer.findAll({ order: [['createdAt', 'ASC']] })).map(customerView) });
  });
  r.get('/:id', async (req, res) => {
    const c = /^[0-9a-f-]{36}$/i.test(req.params.id) ? await Customer.findByPk(req.params.id) : null;
    if (!c) throw notFound(`customer ${req.params.id}`);
    res.json(customerView(c));
  });
  return r;
}
