import { Router } from 'express';
import type { TicketService } from '../../services/tickets';
import { ApiError } from '../errors';
import { createTicketBody, listTicketsQuery, stepBodies } from '../schemas';
import type { StepKind } from '../../domain/ticket-lifecycle';

const STEPS = Object.keys(stepBodies) as StepKind[];

export function ticketRoutes(tickets: TicketService): Router {
  const r = Router();

  r.post('/', async (req, res) => {
    const body = createTicketBody.parse(req.body ?? {});
    const ticket = await tickets.intake(body, body.requester.email);
    res.status(201).location(`/api/tickets/${ticket.id}`).json(ticket);
  });

  r.get('/', async (req, res) => {
    res.json(await tickets.list(listTicketsQuery.parse(req.query)));
  });

  r.get('/:id', async (req, res) => {
    res.json(await tickets.get(req.params.id));
  });

  r.post('/:id/:step', async (req, res) => {
    const kind = req.params.step as StepKind;
    if (!STEPS.includes(kind)) {
      throw new ApiError(404, 'UNKNOWN_STEP', `"${req.params.step}" is not a step; steps are ${STEPS.join(', ')}`);
    }
    const { by, ...args } = stepBodies[kind].parse(req.body ?? {}) as { by?: string } & Record<string, unknown>;
    const actor = by ?? req.get('x-actor') ?? 'api';
    res.json(await tickets.step(req.params.id, kind, args, actor, req.get('idempotency-key') ?? undefined));
  });

  return r;
}
