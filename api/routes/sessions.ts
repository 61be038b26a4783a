// A ticket's sessions: ask for a specialist session, a remote session or a brand-engineer meeting
// (Advanced), list them, and confirm, decline or record how one went. Mounted under /api/tickets.
import { Router } from 'express';
import type { SessionService } from '../../services/sessions';
import type { SessionAction, SessionKind } from '../../domain/sessions';
import { principal, requirePermission } from '../auth';
import { sessionActionBodies, sessionRequestBodies } from '../schemas';
import { keyOf } from '../middleware';

const KIND_OF: Record<keyof typeof sessionRequestBodies, SessionKind> = {
  'specialist-session': 'specialist',
  'remote-session': 'remote',
  'brand-meeting': 'brand',
};

export function sessionRoutes(sessions: SessionService): Router {
  const r = Router();
  const work = requirePermission('workTickets');

  for (const [path, kind] of Object.entries(KIND_OF) as Array<[keyof typeof sessionRequestBodies, SessionKind]>) {
    r.post(`/:id/${path}`, work, async (req, res) => {
      const body = sessionRequestBodies[path].parse(req.body ?? {});
      const s = await sessions.request(String(req.params.id), kind, body, principal(res), keyOf(req));
      res.status(202).location(`/api/tickets/${String(req.params.id)}/sessions/${s.id}`).json(s);
    });
  }

  r.get('/:id/sessions', requirePermission('readTickets'), async (req, res) => {
    res.json({ sessions: await sessions.list(String(req.params.id), principal(res)) });
  });

  for (const action of Object.keys(sessionActionBodies) as SessionAction[]) {
    r.post(`/:id/sessions/:sessionId/${action}`, work, async (req, res) => {
      const body = sessionActionBodies[action].parse(req.body ?? {});
      res.json(await sessions.act(String(req.params.id), String(req.params.sessionId), action, body, principal(res), keyOf(req)));
    });
  }
  return r;
}
