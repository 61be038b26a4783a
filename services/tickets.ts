// Ticket use cases shared by every way in (JSON API today; form and inbound e-mail later):
// intake, reading a ticket with its live SLA state, listing, and technician steps.
import { randomUUID } from 'node:crypto';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Op, type WhereOptions } from 'sequelize';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Customer, Ticket, TicketEventRow } from '../db/models';
import { targetsFor } from '../domain/sla-policy';
import { allowedSteps, openTicket, slaView, type StepKind } from '../domain/ticket-lifecycle';
import { ApiError, notFound } from '../api/errors';
import type { createTicketBody, listTicketsQuery } from '../api/schemas';
import { STEP_NOT_ALLOWED, STEP_UPDATES, ticketWorkflowId, type StepResult } from '../workflows/definitions';
import { currentPolicy } from './sla-policy';
import { startTicketWorkflow } from './workflow-starter';

export interface TicketServiceDeps {
  temporal: Client;
  taskQueue: string;
  temporalUiUrl: string;
  namespace: string;
  log: Logger;
  /** How long a technician step may wait for the ticket's workflow before the API gives up. */
  stepTimeoutMs?: number;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function createTicketService(deps: TicketServiceDeps) {
  const uiLink = (workflowId: string) =>
    `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}`;

  function toView(t: Ticket, now = Date.now()) {
    // Until the workflow records its first snapshot, the clocks are exactly those it starts with.
    const clocks = t.clocks ?? openTicket({ ticketId: t.id, number: Number(t.number), plan: t.plan, impact: t.impact, receivedAt: t.receivedAt.getTime(), targets: t.targets });
    const sla = slaView(clocks, now);
    return {
      id: t.id,
      number: Number(t.number),
      workflowId: t.workflowId,
      customerId: t.customerId,
      requester: { name: t.requesterName, email: t.requesterEmail },
      plan: t.plan,
      impact: t.impact,
      type: t.type,
      channel: t.channel,
      subject: t.subject,
      description: t.description,
      status: t.status,
      assignee: t.assignee,
      respondedVia: t.respondedVia,
      receivedAt: t.receivedAt.toISOString(),
      responseDueAt: sla.response.dueAt,
      resolutionDueAt: sla.resolution.dueAt,
      breached: t.breached || sla.response.status === 'breached' || sla.resolution.status === 'breached',
      targets: { responseMs: t.targets.responseMs, resolutionMs: t.targets.resolutionMs, warningThreshold: t.targets.warningThreshold },
      sla,
      allowedSteps: allowedSteps(t),
      resolvedAt: iso(t.resolvedAt),
      closedAt: iso(t.closedAt),
      workflowStarted: t.workflowStartedAt !== null,
      temporalUiUrl: uiLink(t.workflowId),
    };
  }

  async function findTicket(idOrNumber: string): Promise<Ticket> {
    let where: WhereOptions<Ticket> | null = null;
    if (/^\d{1,15}$/.test(idOrNumber)) where = { number: idOrNumber };
    else if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrNumber)) where = { id: idOrNumber };
    const ticket = where ? await Ticket.findOne({ where }) : null;
    if (!ticket) throw notFound(`ticket ${idOrNumber}`);
    return ticket;
  }

  async function intake(body: z.infer<typeof createTicketBody>, actor: string) {
    const customer = await Customer.findByPk(body.customerId);
    if (!customer) throw new ApiError(422, 'UNKNOWN_CUSTOMER', `customer ${body.customerId} does not exist`);
    const { id: policyId, policy } = await currentPolicy();
    const id = randomUUID();
    // The row is the durable acceptance: written before the workflow starts, with the policy's
    // targets copied in so later policy changes never move this ticket's deadlines.
    const ticket = await Ticket.create({
      id,
      customerId: customer.id,
      requesterName: body.requester.name ?? null,
      requesterEmail: body.requester.email,
      plan: customer.plan,
      impact: body.impact,
      type: body.type,
      channel: body.channel,
      subject: body.subject,
      description: body.description,
      receivedAt: new Date(),
      targets: targetsFor(policy, customer.plan, body.impact),
      slaPolicyId: policyId,
      responseDueAt: null,
      resolutionDueAt: null,
      nextDueAt: null,
      assignee: null,
      respondedVia: null,
      clocks: null,
      workflowId: 'pending',
      workflowStartedAt: null,
      resolvedAt: null,
      closedAt: null,
    });
    await ticket.reload();
    const workflowId = ticketWorkflowId(ticket.number);
    const view0 = toView(ticket);
    await ticket.update({
      workflowId,
      responseDueAt: view0.responseDueAt ? new Date(view0.responseDueAt) : null,
      resolutionDueAt: view0.resolutionDueAt ? new Date(view0.resolutionDueAt) : null,
      nextDueAt: view0.responseDueAt ? new Date(view0.responseDueAt) : null,
    });
    try {
      await startTicketWorkflow(deps.temporal, deps.taskQueue, ticket, actor);
    } catch (err) {
      // Accepted all the same: the outbox sweep starts it, deadlines still count from receivedAt.
      deps.log.warn({ err, ticketNumber: ticket.number }, 'ticket accepted; workflow start deferred');
    }
    return toView(await ticket.reload());
  }

  async function get(idOrNumber: string) {
    const ticket = await findTicket(idOrNumber);
    const events = await TicketEventRow.findAll({ where: { ticketId: ticket.id }, order: [['seq', 'ASC']] });
    return {
      ...toView(ticket),
      events: events.map((e) => ({ seq: e.seq, type: e.type, at: e.at.toISOString(), actor: e.actor, data: e.data })),
    };
  }

  async function list(q: z.infer<typeof listTicketsQuery>) {
    const where: WhereOptions<Ticket> = {};
    if (q.status) Object.assign(where, { status: { [Op.in]: q.status } });
    if (q.plan) Object.assign(where, { plan: { [Op.in]: q.plan } });
    if (q.impact) Object.assign(where, { impact: { [Op.in]: q.impact } });
    if (q.customerId) Object.assign(where, { customerId: q.customerId });
    if (q.breached !== undefined) Object.assign(where, { breached: q.breached });
    const { rows, count } = await Ticket.findAndCountAll({
      where,
      // Soonest deadline first; tickets with no running clock after, newest first.
      order: [
        ['nextDueAt', 'ASC NULLS LAST'],
        ['receivedAt', 'DESC'],
      ],
      limit: q.limit,
      offset: q.offset,
    });
    const now = Date.now();
    return { total: count, limit: q.limit, offset: q.offset, tickets: rows.map((t) => toView(t, now)) };
  }

  async function step(idOrNumber: string, kind: StepKind, args: Record<string, unknown>, actor: string, idempotencyKey?: string) {
    const ticket = await findTicket(idOrNumber);
    if (ticket.status === 'closed') {
      throw new ApiError(409, 'TICKET_CLOSED', `ticket #${ticket.number} is closed; no step can change it`, { step: kind, status: ticket.status });
    }
    if (!ticket.workflowStartedAt) {
      throw new ApiError(503, 'TICKET_NOT_STARTED', `ticket #${ticket.number} is accepted but its SLA workflow has not started yet; retry shortly`);
    }
    const handle = deps.temporal.workflow.getHandle(ticket.workflowId);
    const timeout = deps.stepTimeoutMs ?? 15_000;
    let result: StepResult;
    try {
      result = await deps.temporal.connection.withDeadline(Date.now() + timeout, () =>
        handle.executeUpdate(STEP_UPDATES[kind] as (typeof STEP_UPDATES)['close'], {
          args: [{ ...args, actor } as { actor: string }],
          updateId: idempotencyKey ? `${kind}:${idempotencyKey}` : undefined,
        }),
      );
    } catch (err) {
      throw stepError(err, ticket, kind);
    }
    return { ...toView(await ticket.reload()), step: kind, workflowVersion: result.version };
  }

  function stepError(err: unknown, ticket: Ticket, kind: StepKind): ApiError {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === STEP_NOT_ALLOWED) {
      return new ApiError(409, 'STEP_NOT_ALLOWED', err.cause.message, err.cause.details?.[0]);
    }
    if (err instanceof WorkflowNotFoundError) {
      return new ApiError(409, 'TICKET_CLOSED', `ticket #${ticket.number} is no longer running; no step can change it`, { step: kind });
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || (err as { code?: number }).code === 4) {
      return new ApiError(503, 'TICKET_ENGINE_UNAVAILABLE', `ticket #${ticket.number} did not answer in time; the step may not have been applied: retry it with the same Idempotency-Key`);
    }
    deps.log.error({ err, ticketNumber: ticket.number, step: kind }, 'step failed');
    return new ApiError(502, 'STEP_FAILED', `the step could not be applied to ticket #${ticket.number}`);
  }

  return { intake, get, list, step, findTicket, toView };
}

export type TicketService = ReturnType<typeof createTicketService>;
