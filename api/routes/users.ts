// Staff users and every user's account: list, disable/enable, tokens. Admin only; `GET /me` for anyone.
import { Router } from 'express';
import type { UserService } from '../../services/users';
import { principal, requirePermission } from '../auth';
import { createStaffBody, listUsersQuery } from '../schemas';

export function userRoutes(users: UserService): Router {
  const r = Router();
  r.use(requirePermission('administer'));
  r.post('/', async (req, res) => {
    const u = await users.createStaff(createStaffBody.parse(req.body ?? {}), principal(res));
    res.status(201).location(`/api/users/${u.id}`).json(u);
  });
  r.get('/', async (req, res) => {
    res.json({ users: await users.list(listUsersQuery.parse(req.query)) });
  });
  r.get('/:id', async (req, res) => {
    res.json(await users.view(await users.findUser(req.params.id)));
  });
  r.post('/:id/disable', async (req, res) => {
    res.json(await users.setEnabled(req.params.id, false, principal(res)));
  });
  r.post('/:id/enable', async (req, res) => {
    res.json(await users.setEnabled(req.params.id, true, principal(res)));
  });
  // Reissue: every earlier token of the user stops working; the new one is shown once.
  r.post('/:id/token', async (req, res) => {
    res.status(201).json(await users.reissueToken(req.params.id, principal(res)));
  });
  r.delete('/:id/token', async (req, res) => {
    res.json(await users.revoke(req.params.id, principal(res)));
  });
  return r;
}

export function meRoute(): Router {
  const r = Router();
  r.get('/', (_req, res) => {
    const p = principal(res);
    res.json({ userId: p.userId, role: p.role, name: p.name, email: p.email, customerId: p.customerId });
  });
  return r;
}
