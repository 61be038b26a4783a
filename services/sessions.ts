// Session use cases shared by the API: a technician asks for a specialist session, a remote session
// or a brand-engineer meeting on a ticket; people confirm, decline and record the outcome; waiting
// requests are woken when someone who can serve them is added. The rules live in the workflows and
// domain/; this layer finds the ticket, fills in its people and the policy's timings.
import { Op } from 'sequelize';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Product, SessionRow, Ticket, User } from '../db/models';
import { SESSION_LABELS, sessionAllowed, type SessionAction, type SessionKind, type SessionOutcome } from '../domain/sessions';
import { sessionTimingsMs } from '../domain/sla-policy';
import { DomainError, notFound } from '../domain/errors';
import type { Principal } from './access';
import { currentPolicy } from './sla-policy';
import type { TicketService } from './tickets';
import { sessionsAsSeenBy } from './session-view';
import {
  confirmSessionUpdate,
  declineSessionUpdate,
  participantsAvailableSignal,
  requestSessionUpdate,
  sessionOutcomeUpdate,
  type SessionView,
} from '../workflows/definitions';
import { logFor } from '../observability/log-context';

export interface SessionRequestBody {
  technology?: string;
  hostId?: string;
  reason?: string;
  startsAt?: Date;
  agenda?: string;
}

export interface SessionActionBody {
  reason?: string;
  outcome?: SessionOutcome;
  notes?: string;
  startsAt?: Date;
}

export function createSessionService(deps: { tickets: TicketService; temporal: Client; temporalUiUrl: string; namespace: string; log: Logger }) {
  const { tickets } = deps;
  const uiLink = (workflowId: string) => `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}`;

  async function request(idOrNumber: string, kind: SessionKind, body: SessionRequestBody, p: Principal, idempotencyKey?: string) {
    const ticket = await tickets.findTicket(idOrNumber, p);
    // The ticket keeps the plan it was received under; checked here for a clear answer, and again by the workflow.
    if (!sessionAllowed(ticket.plan, kind)) {
      throw new DomainError('unprocessable', 'NOT_IN_PLAN', `the ${ticket.plan} plan does not include ${SESSION_LABELS[kind]}s; they come with Advanced support`, { plan: ticket.plan, kind });
    }
    const product = ticket.productId ? await Product.findByPk(ticket.productId) : null;
    let technology: string | null = null;
    let brand: string | null = null;
    let host = null;
    if (kind === 'specialist') {
      technology = body.technology ?? product?.technology ?? null;
      if (!technology) throw new DomainError('unprocessable', 'TECHNOLOGY_REQUIRED', `ticket #${ticket.number} names no product; say which technology the specialist must know`);
    } else if (kind === 'brand') {
      if (!product) throw new DomainError('unprocessable', 'NO_PRODUCT', `ticket #${ticket.number} names no product, so there is no brand whose engineers could meet`);
      brand = product.brand;
      technology = product.technology;
    } else {
      host = await technician(body.hostId ?? p.userId);
    }
    const { policy } = await currentPolicy();
    const result = await tickets.runUpdate(
      ticket,
      ticket.workflowId,
      requestSessionUpdate,
      {
        actor: p.label,
        kind,
        reason: body.reason ?? null,
        technology,
        brand,
        host,
        preferredStartsAt: body.startsAt ? body.startsAt.getTime() : null,
        agenda: body.agenda ?? null,
        requester: { id: ticket.requesterId ?? undefined, name: ticket.requesterName ?? undefined, email: ticket.requesterEmail },
        endUser: ticket.endUser,
        timings: sessionTimingsMs(policy),
      },
      `${kind}-session`,
      idempotencyKey,
    );
    return {
      id: result.sessionId,
      kind,
      ticketNumber: Number(ticket.number),
      status: 'requested',
      technology,
      brand,
      host,
      temporalUiUrl: uiLink(result.sessionId),
    };
  }

  async function technician(userId: string | null | undefined) {
    const u = userId ? await User.findOne({ where: { id: userId, role: { [Op.in]: ['technician', 'lead'] }, enabled: true } }) : null;
    if (!u) throw new DomainError('unprocessable', 'UNKNOWN_TECHNICIAN', `${userId ?? 'the caller'} is not an active technician or lead to hold the remote session; name one with hostId`);
    return { id: u.id, name: u.name, email: u.email };
  }

  async function list(idOrNumber: string, p: Principal) {
    const ticket = await tickets.findTicket(idOrNumber, p);
    const rows = await SessionRow.findAll({ where: { ticketId: ticket.id }, order: [['createdAt', 'ASC']] });
    return sessionsAsSeenBy(rows, p, uiLink);
  }

  async function findSession(ticket: Ticket, sessionId: string): Promise<SessionRow> {
    const row = await SessionRow.findOne({ where: { id: sessionId, ticketId: ticket.id } });
    if (!row) throw notFound(`session ${sessionId} of ticket #${ticket.number}`);
    return row;
  }

  async function act(idOrNumber: string, sessionId: string, action: SessionAction, body: SessionActionBody, p: Principal, idempotencyKey?: string): Promise<SessionView> {
    const ticket = await tickets.findTicket(idOrNumber, p);
    await findSession(ticket, sessionId);
    const actor = p.label;
    const run = <A>(def: Parameters<typeof tickets.runUpdate<SessionView, A>>[2], args: A) => tickets.runUpdate(ticket, sessionId, def, args, `session-${action}`, idempotencyKey);
    if (action === 'confirm') return run(confirmSessionUpdate, { actor });
    if (action === 'decline') return run(declineSessionUpdate, { actor, reason: body.reason });
    return run(sessionOutcomeUpdate, { actor, outcome: body.outcome!, notes: body.notes, startsAt: body.startsAt ? body.startsAt.getTime() : null });
  }

  /** Wake the requests that wait for someone like this: a specialist of these technologies, or contacts of this brand. */
  async function wakeWaiting(who: { technologies?: string[]; brand?: string }): Promise<number> {
    const where = who.brand
      ? { status: 'waiting', kind: 'brand', brand: { [Op.iLike]: who.brand } }
      : { status: 'waiting', kind: 'specialist', technology: { [Op.in]: (who.technologies ?? []).map((t) => t.toLowerCase()) } };
    const waiting = await SessionRow.findAll({ where });
    let woken = 0;
    for (const s of waiting) {
      try {
        await deps.temporal.workflow.getHandle(s.id).signal(participantsAvailableSignal);
        woken++;
      } catch (err) {
        // Its own retry timer finds the newcomer anyway.
        logFor(deps.log).warn({ err, sessionId: s.id }, 'could not wake a waiting session');
      }
    }
    return woken;
  }

  return { request, list, act, wakeWaiting };
}

export type SessionService = ReturnType<typeof createSessionService>;
