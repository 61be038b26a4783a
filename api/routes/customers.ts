// Customers, their products, subscriptions, requesters and entitlement. Admin only, except reading
// an entitlement, which staff and the customer's own requesters may do.
import { Router } from 'express';
import { findCustomer, type CustomerService } from '../../services/customers';
import type { UserService } from '../../services/users';
import { entitlementView } from '../../services/entitlements';
import { principal, requirePermission } from '../auth';
import { notFound } from '../../domain/errors';
import { cancelBody, createCustomerBody, createProductBody, createRequesterBody, renewBody, subscribeBody, updateProductBody } from '../schemas';

export function customerRoutes(customers: CustomerService, users: UserService): Router {
  const r = Router();
  const admin = requirePermission('administer');

  r.get('/:id/entitlement', requirePermission('readEntitlement'), async (req, res) => {
    const p = principal(res);
    // A requester of another customer learns nothing, not even that the customer exists.
    if (p.role === 'requester' && p.customerId !== String(req.params.id)) throw notFound(`customer ${String(req.params.id)}`);
    res.json(await entitlementView(await findCustomer(String(req.params.id))));
  });

  r.use(admin);
  r.post('/', async (req, res) => {
    const c = await customers.createCustomer(createCustomerBody.parse(req.body ?? {}), principal(res));
    res.status(201).location(`/api/customers/${c.id}`).json(c);
  });
  r.get('/', async (_req, res) => {
    res.json({ customers: await customers.listCustomers() });
  });

  r.post('/:id/products', async (req, res) => {
    const p = await customers.addProduct(req.params.id, createProductBody.parse(req.body ?? {}), principal(res));
    res.status(201).location(`/api/customers/${req.params.id}/products/${p.id}`).json(p);
  });
  r.get('/:id/products', async (req, res) => {
    res.json({ products: await customers.listProducts(req.params.id) });
  });
  r.patch('/:id/products/:productId', async (req, res) => {
    res.json(await customers.updateProduct(req.params.id, req.params.productId, updateProductBody.parse(req.body ?? {}), principal(res)));
  });

  r.post('/:id/subscriptions', async (req, res) => {
    res.status(201).json(await customers.subscribe(req.params.id, subscribeBody.parse(req.body ?? {}), principal(res)));
  });
  r.get('/:id/subscriptions', async (req, res) => {
    res.json({ subscriptions: await customers.subscriptions(req.params.id) });
  });
  r.post('/:id/subscriptions/current/renew', async (req, res) => {
    res.status(201).json(await customers.renew(req.params.id, renewBody.parse(req.body ?? {}), principal(res)));
  });
  r.post('/:id/subscriptions/current/cancel', async (req, res) => {
    res.json(await customers.cancel(req.params.id, cancelBody.parse(req.body ?? {}), principal(res)));
  });

  r.post('/:id/users', async (req, res) => {
    const u = await users.createRequester(req.params.id, createRequesterBody.parse(req.body ?? {}), principal(res));
    res.status(201).location(`/api/users/${u.id}`).json(u);
  });
  r.get('/:id/users', async (req, res) => {
    res.json({ users: await users.list({ customerId: req.params.id, role: 'requester' }) });
  });
  return r;
}
