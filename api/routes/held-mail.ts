// Inbound mail held because its sender is not authenticated: the queue, and a technician's or a
// lead's decision on each message. The rules are services/held-mail.ts's (the console uses the same).
import { Router } from 'express';
import type { HeldMailService } from '../../services/held-mail';
import { principal, requirePermission } from '../auth';
import { heldMailQuery } from '../schemas';

export function heldMailRoutes(held: HeldMailService): Router {
  const r = Router();
  r.use(requirePermission('reviewHeldMail'));
  r.get('/', async (req, res) => {
    res.json(await held.list(principal(res), heldMailQuery.parse(req.query).status));
  });
  r.post('/:id/accept', async (req, res) => {
    res.json(await held.accept(String(req.params.id), principal(res)));
  });
  r.post('/:id/reject', async (req, res) => {
    res.json(await held.reject(String(req.params.id), principal(res)));
  });
  return r;
}
