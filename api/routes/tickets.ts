// Tickets: intake, reading (limited to what the caller may see) and technician steps.
import { Router } from 'express';
import type { TicketService } from '../../services/tickets';
import type { StepKind } from '../../domain/ticket-lifecycle';
import { principal, requirePermission } from '../auth';
import { ApiError } from '../errors';
import { createTicketBody, listTicketsQuery, retryRecordBody, stepBodies } from '../schemas';
import { keyOf } from '../middleware';

const STEPS = Object.keys(stepBodies) as StepKind[];

export function ticketRoutes(tickets: TicketService): Router {
  const r = Router();

  r.post('/', requirePermission('fileTicket'), async (req, res) => {
    const key = keyOf(req);
    const { ticket, replayed } = await tickets.intake(createTicketBody.parse(req.body ?? {}), principal(res), { idempotencyKey: key });
    // A replay answers exactly as the first time did, and says so.
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(201).location(`/api/tickets/${ticket.id}`).json(ticket);
  });

  r.get('/', requirePermission('readTickets'), async (req, res) => {
    res.json(await tickets.list(listTicketsQuery.parse(req.query), principal(res)));
  });

  r.get('/:id', requirePermission('readTickets'), async (req, res) => {
    res.json(await tickets.get(String(req.params.id), principal(res)));
  });

  // A ticket whose record is stuck writes what it owes once the fault is fixed (leads, admins).
  r.post('/:id/retry-record', requirePermission('retryRecords'), async (req, res) => {
    retryRecordBody.parse(req.body ?? {});
    res.json(await tickets.retryRecord(String(req.params.id), principal(res)));
  });

  r.post('/:id/:step', requirePermission('workTickets'), async (req, res) => {
    const kind = String(req.params.step) as StepKind;
    if (!STEPS.includes(kind)) {
      throw new ApiError(404, 'UNKNOWN_STEP', `"${req.params.step}" is not a step; steps are ${STEPS.join(', ')}`);
    }
    const body = stepBodies[kind].parse(req.body ?? {}) as Record<string, unknown>;
    res.json(await tickets.step(String(req.params.id), kind, body, principal(res), keyOf(req)));
  });

  return r;
}
