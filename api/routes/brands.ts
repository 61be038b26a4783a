// Brands and their engineer contacts: who a brand-engineer meeting invites. Staff read, admins change.
import { Router } from 'express';
import type { BrandService } from '../../services/brands';
import { principal, requirePermission } from '../auth';
import { brandContactBody, brandParam } from '../schemas';

export function brandRoutes(brands: BrandService): Router {
  const r = Router();
  r.get('/', requirePermission('readBrands'), async (_req, res) => {
    res.json({ brands: await brands.listBrands() });
  });
  r.get('/:brand/contacts', requirePermission('readBrands'), async (req, res) => {
    res.json({ contacts: await brands.listContacts(brandParam.parse(req.params.brand)) });
  });
  r.post('/:brand/contacts', requirePermission('administer'), async (req, res) => {
    const c = await brands.addContact(brandParam.parse(req.params.brand), brandContactBody.parse(req.body ?? {}), principal(res));
    res.status(201).json(c);
  });
  r.delete('/:brand/contacts/:contactId', requirePermission('administer'), async (req, res) => {
    await brands.removeContact(brandParam.parse(req.params.brand), String(req.params.contactId), principal(res));
    res.status(204).end();
  });
  return r;
}
