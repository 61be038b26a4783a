// Ticket use cases shared by every way in (JSON API today; form and inbound e-mail later):
// intake, reading a ticket with its live SLA state, listing, and technician steps.
import { createHash, randomUUID } from 'node:crypto';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Op, QueryTypes, type Sequelize, type WhereOptions } from 'sequelize';
import type { Logger } from 'pino';
import { SessionRow, Ticket, TicketEventRow, User } from '../db/models';
import { sessionsAsSeenBy } from './session-view';
import { isUuid } from './ids';
import { PLAN_RULES, checkIntake, checkQuota, productSupportState, quotaWindow, requesterState } from '../domain/entitlements';
import type { Principal } from './access';
import { requesterHistory, ticketScope } from '../domain/visibility';
import { stuckRecords, type StuckRecord } from './stuck-records';
import { loadEntitlement, ticketsInWindow } from './entitlements';
import { targetsFor } from '../domain/sla-policy';
import { firstWarningAt } from '../domain/at-risk';
import { allowedSteps, openTicket, slaView, type CustomerMessage, type StepKind } from '../domain/ticket-lifecycle';
import { DomainError, notFound } from '../domain/errors';
import type { Channel, Impact, Plan, TicketType } from '../domain/plans';
import type { TicketStatus } from '../domain/ticket-lifecycle';
import { NOT_IN_PLAN, RECORD_STILL_FAILING, STEP_NOT_ALLOWED, STEP_UPDATES, customerMessageUpdate, retryRecordUpdate, ticketWorkflowId } from '../workflows/definitions';
import type { UpdateDefinition } from '@temporalio/common';
import { currentPolicy } from './sla-policy';
import { createWorkflowStarter, type WorkflowStarter } from './workflow-starter';
import { storeText, storeTexts, withTexts } from './ticket-texts';
import { describeAssignee, findAssignee } from './assignees';
import type { AssigneeRef } from '../domain/step-bodies';
import { ticketsReceived } from '../observability/metrics';
import { ticketLog } from '../observability/log-context';
import type { RateLimits } from './rate-limits';

export interface TicketServiceDeps {
  sequelize: Sequelize;
  temporal: Client;
  taskQueue: string;
  temporalUiUrl: string;
  namespace: string;
  log: Logger;
  /** How long a technician step may wait for the ticket's workflow before the API gives up. */
  stepTimeoutMs?: number;
  /** Ticket workflows started here continue as new past this many history events (see workflows/run-boundary.ts). */
  historyLimit?: number;
  /** Starts the workflows of accepted tickets (default: one of this service's own). */
  starter?: WorkflowStarter;
  /** The intake's flood limits, shared by every door (API, pages, phone console, inbound mail); none: unlimited. */
  limits?: Pick<RateLimits, 'intake'>;
}

/** A customer's e-mail on a ticket, as the inbound path read it: the text itself, stored here. */
export interface IncomingCustomerMessage extends Omit<CustomerMessage, 'message'> {
  message: string;
}

/** A ticket as the intake takes it, from any door (the API's createTicketBody validates it from JSON). */
export interface NewTicket {
  type: TicketType;
  impact: Impact;
  subject: string;
  description: string;
  channel: Channel;
  productId?: string;
  endUser?: { name?: string; email: string };
  /** Only for technicians and leads filing on a requester's behalf (e.g. a phone call). */
  requesterId?: string;
}

/** Which tickets a list shows (the API's listTicketsQuery reads it from a query string). */
export interface TicketFilter {
  status?: TicketStatus[];
  plan?: Plan[];
  impact?: Impact[];
  customerId?: string;
  breached?: boolean;
  /** `me` (the caller), `none` (unassigned), or a technician's e-mail. */
  assignee?: string;
  limit: number;
  offset: number;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** A ticket as its customer reads it: no link into the engine's insides (the Temporal UI). */
function customerView<V extends { temporalUiUrl: string }>({ temporalUiUrl: _ui, ...own }: V): Omit<V, 'temporalUiUrl'> {
  return own;
}

/** A stuck record as the API shows it to staff; null when the ticket's record is written. */
const stuckView = (x: StuckRecord | undefined) => (x ? { since: x.since, type: x.type, reason: x.reason, records: x.records } : null);

/** What makes two keyed requests "the same": the body as validated, and who it is filed for. */
function hashRequest(body: NewTicket, requesterId: string): string {
  // Keys sorted at every level, so the same request in another key order is still the same.
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  const canonical = JSON.stringify(sorted(body));
  return createHash('sha256').update(`${requesterId}\n${canonical}`).digest('hex');
}

export function createTicketService(deps: TicketServiceDeps) {
  const starter = deps.starter ?? createWorkflowStarter({ client: deps.temporal, sequelize: deps.sequelize, taskQueue: deps.taskQueue, log: deps.log, historyLimit: deps.historyLimit });
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
      breached: t.breached || [sla.response, sla.resolution, sla.nextReply].some((c) => c?.status === 'breached'),
      // warningThreshold: the first warning level of the ticket's own chain, from which its clocks are "at risk".
      targets: { responseMs: t.targets.responseMs, resolutionMs: t.targets.resolutionMs, warningThreshold: firstWarningAt(t.targets) },
      sla,
      allowedSteps: allowedSteps(t),
      resolvedAt: iso(t.resolvedAt),
      closedAt: iso(t.closedAt),
      workflowStarted: t.workflowStartedAt !== null,
      temporalUiUrl: uiLink(t.workflowId),
    };
  }

  async function findTicket(idOrNumber: string, p: Principal): Promise<Ticket> {
    let where: WhereOptions<Ticket> | null = null;
    if (/^\d{1,15}$/.test(idOrNumber)) where = { number: idOrNumber };
    else if (isUuid(idOrNumber)) where = { id: idOrNumber };
    const ticket = where ? await Ticket.findOne({ where: { ...where, ...visibility(p) } }) : null;
    if (!ticket) throw notFound(`ticket ${idOrNumber}`);
    return ticket;
  }

  /**
   * Take a ticket in. With an idempotency key, a retry or a concurrent copy of the same request
   * returns the ticket the first one created (`replayed`), and the same key with another request is
   * refused: never a second ticket, never a second quota unit. `messageId`: the e-mail it came in.
   */
  async function intake(body: NewTicket, p: Principal, opts: { idempotencyKey?: string; messageId?: string } = {}) {
    const { idempotencyKey } = opts;
    const requester = await filer(body, p);
    const customerId = requester.customerId!;
    const now = Date.now();
    const requestHash = idempotencyKey ? hashRequest(body, requester.id) : null;
    // Read before the customer's lock: a query on another connection while holding it would let a
    // burst of intakes (each holding a pooled connection, waiting for the lock) starve the pool.
    const { id: policyId, policy } = await currentPolicy();
    // The flood limits, before the lock for the same reason: counted now, given back below when no
    // ticket comes of it (a refusal, a replay), so they count tickets taken in. A retry of a keyed
    // request already taken in is not counted at all: it gets its ticket even at the limit.
    const known = idempotencyKey ? await Ticket.count({ where: { customerId, idempotencyKey } }) : 0;
    const giveBack = known ? undefined : await deps.limits?.intake({ requesterId: requester.id, customerId, endUserEmail: body.endUser?.email });
    let replayed = false;
    let entitled: Awaited<ReturnType<typeof loadEntitlement>> | undefined;
    // The customer's row lock makes the quota count and the insert one step: concurrent intakes
    // of one customer queue here, so a Standard customer never gets a fourth ticket in a month,
    // and a second copy of a keyed request finds the first one's ticket.
    const taken = deps.sequelize.transaction(async (transaction) => {
      const e = await loadEntitlement(customerId, now, { transaction, lock: true });
      if (!e) throw notFound(`customer ${customerId}`);
      if (idempotencyKey) {
        const earlier = await Ticket.findOne({ where: { customerId, idempotencyKey }, transaction });
        if (earlier) {
          if (earlier.requestHash !== requestHash) {
            throw new DomainError('unprocessable', 'IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${idempotencyKey}" was already used for a different ticket request (#${earlier.number})`, { ticketNumber: Number(earlier.number) });
          }
          replayed = true;
          return earlier;
        }
      }
      entitled = e;
      // Disabled, or suspended by a drop to Standard: checked here, against the plan in force.
      const state = requesterState(requester, e.plan);
      if (state !== 'active') throw new DomainError('unprocessable', 'REQUESTER_NOT_ACTIVE', `${requester.email} may not file tickets now (${state})`);
      const refusal = checkIntake(e.support, e.plan, { channel: body.channel, type: body.type, hasEndUser: body.endUser !== undefined });
      if (refusal) throw new DomainError('unprocessable', refusal.code, refusal.message, refusal.details);
      if (body.productId) {
        const product = e.products.find((x) => x.id === body.productId);
        if (!product) throw new DomainError('unprocessable', 'UNKNOWN_PRODUCT', `product ${body.productId} is not one of the customer's products`);
        const productState = productSupportState(product, now);
        if (productState !== 'in_force') {
          throw new DomainError('unprocessable', 'PRODUCT_NOT_IN_FORCE', `product ${product.brand} ${product.name} has no support (${productState})`, { state: productState });
        }
      }
      // Counted only for a plan with a quota: the count reads the customer's whole month.
      if (PLAN_RULES[e.plan].monthlyTickets !== null) {
        const window = quotaWindow(now, e.customer.timezone);
        const quota = checkQuota(e.plan, await ticketsInWindow(customerId, window, transaction), window);
        if (quota) throw new DomainError('unprocessable', quota.code, quota.message, quota.details);
      }

      // The number first, so the row is written once with its workflow id and due times.
      const [{ number }] = await deps.sequelize.query<{ number: string }>(`SELECT nextval('ticket_number_seq') AS number`, { type: QueryTypes.SELECT, transaction });
      const targets = targetsFor(policy, e.plan, body.impact);
      const id = randomUUID();
      const due = slaView(openTicket({ ticketId: id, number: Number(number), plan: e.plan, impact: body.impact, receivedAt: now, targets }), now);
      const dueDate = (c: { dueAt: string | null }) => (c.dueAt ? new Date(c.dueAt) : null);
      // The row is the durable acceptance: written before the workflow starts, with the plan in
      // force and its targets copied in, so later plan or policy changes never move its deadlines.
      return Ticket.create(
        {
          id,
          number,
          customerId,
          requesterId: requester.id,
          requesterName: requester.name,
          requesterEmail: requester.email,
          endUser: body.endUser ?? null,
          productId: body.productId ?? null,
          loggedBy: p.role === 'requester' ? null : p.label,
          plan: e.plan,
          impact: body.impact,
          type: body.type,
          channel: body.channel,
          subject: body.subject,
          description: body.description,
          receivedAt: new Date(now),
          targets,
          slaPolicyId: policyId,
          responseDueAt: dueDate(due.response),
          resolutionDueAt: dueDate(due.resolution),
          nextDueAt: dueDate(due.response),
          assignee: null,
          respondedVia: null,
          clocks: null,
          workflowId: ticketWorkflowId(number),
          workflowStartedAt: null,
          idempotencyKey: idempotencyKey ?? null,
          requestHash,
          resolvedAt: null,
          closedAt: null,
          sourceMessageId: opts.messageId ?? null,
        },
        { transaction },
      );
    });
    const ticket = await taken.catch(async (err: unknown) => {
      await giveBack?.().catch((e: unknown) => deps.log.warn({ err: e }, 'intake limits: a refused ticket could not be given back'));
      throw err;
    });
    if (replayed) await giveBack?.().catch((err: unknown) => deps.log.warn({ err }, 'intake limits: a replay could not be given back'));
    const log = ticketLog(deps.log, ticket);
    if (replayed) log.info({ idempotencyKey }, 'ticket intake replayed');
    else {
      ticketsReceived.inc({ plan: ticket.plan, impact: ticket.impact, channel: ticket.channel });
      log.info({ plan: ticket.plan, impact: ticket.impact, type: ticket.type, channel: ticket.channel }, 'ticket received');
    }
    // Answered once the row is committed: the start runs in the background (the row is its outbox).
    if (!ticket.workflowStartedAt) {
      const product = ticket.productId ? (entitled?.products.find((x) => x.id === ticket.productId) ?? null) : null;
      await starter.submit(ticket, entitled ? { customerName: entitled.customer.name, product, policy } : undefined);
    }
    // A ticket just taken in is not stuck: no read of the marks on the intake's path.
    const view = toView(replayed ? await ticket.reload() : ticket);
    return { ticket: p.role === 'requester' ? customerView(view) : view, replayed };
  }

  /** The requester a ticket is filed for: the caller, or the one a technician names (e.g. on a phone call). */
  async function filer(body: NewTicket, p: Principal): Promise<User> {
    if (p.role === 'requester') {
      if (body.requesterId && body.requesterId !== p.userId) throw new DomainError('forbidden', 'FORBIDDEN', 'a requester files tickets for themselves only');
      if (body.channel === 'phone') throw new DomainError('forbidden', 'FORBIDDEN', 'phone tickets are logged by the technician who takes the call');
      // Read a moment ago with the caller's token; checked again against the plan under the lock.
      return p.user ?? (await User.findByPk(p.userId!))!;
    }
    if (!body.requesterId) {
      throw new DomainError('invalid', 'VALIDATION_FAILED', 'the request is invalid', [{ path: 'requesterId', message: 'required when staff file a ticket on a requester\'s behalf' }]);
    }
    const requester = await User.findOne({ where: { id: body.requesterId, role: 'requester' } });
    if (!requester) throw new DomainError('unprocessable', 'UNKNOWN_REQUESTER', `requester ${body.requesterId} does not exist`);
    return requester;
  }

  /** The tickets a person may read (domain/visibility.ts); others get not_found, never the ticket. */
  const visibility = (p: Principal): WhereOptions<Ticket> => ({ ...ticketScope(p) });

  async function get(idOrNumber: string, p: Principal) {
    const ticket = await findTicket(idOrNumber, p);
    const [rows, sessions] = await Promise.all([
      TicketEventRow.findAll({ where: { ticketId: ticket.id }, order: [['seq', 'ASC']] }),
      SessionRow.findAll({ where: { ticketId: ticket.id }, order: [['createdAt', 'ASC']] }),
    ]);
    const events = await withTexts(rows.map((e) => ({ seq: e.seq, type: e.type, at: e.at.toISOString(), actor: e.actor, data: e.data })));
    const view = { ...toView(ticket), complex: rows.some((e) => e.type === 'flagged_complex') };
    if (p.role === 'requester') {
      // The customer's view: their events and fields only, and no link into the engine's insides.
      return { ...customerView(view), sessions: sessionsAsSeenBy(sessions, p, uiLink), events: requesterHistory(events, [ticket.requesterEmail, ticket.endUser?.email]) };
    }
    const [stuck] = await stuckRecords(deps.sequelize, [ticket.id]);
    return { ...view, recordStuck: stuckView(stuck), sessions: sessionsAsSeenBy(sessions, p, uiLink), events };
  }

  /**
   * Tickets as this person reads them: staff see which records are stuck (migration 012); a
   * requester gets no link into the engine's insides (the Temporal UI).
   */
  async function forReader<V extends ReturnType<typeof toView>>(views: V[], p: Principal): Promise<(Omit<V, 'temporalUiUrl'> & { temporalUiUrl?: string; recordStuck?: ReturnType<typeof stuckView> })[]> {
    if (p.role === 'requester') return views.map(customerView);
    const stuck = new Map((await stuckRecords(deps.sequelize, views.map((v) => v.id))).map((x) => [x.ticketId, x]));
    return views.map((v) => ({ ...v, recordStuck: stuckView(stuck.get(v.id)) }));
  }

  async function list(q: TicketFilter, p: Principal) {
    const filters: WhereOptions<Ticket> = {};
    if (q.status) Object.assign(filters, { status: { [Op.in]: q.status } });
    if (q.plan) Object.assign(filters, { plan: { [Op.in]: q.plan } });
    if (q.impact) Object.assign(filters, { impact: { [Op.in]: q.impact } });
    if (q.customerId) Object.assign(filters, { customerId: q.customerId });
    if (q.breached !== undefined) Object.assign(filters, { breached: q.breached });
    if (q.assignee === 'none') Object.assign(filters, { assignee: null });
    else if (q.assignee) Object.assign(filters, { assignee: { email: q.assignee === 'me' ? p.email : q.assignee } });
    // The caller's filters narrow what they may see; they never widen it.
    const where: WhereOptions<Ticket> = { [Op.and]: [visibility(p), filters] };
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
    return { total: count, limit: q.limit, offset: q.offset, tickets: await forReader(rows.map((t) => toView(t, now)), p) };
  }

  async function step(idOrNumber: string, kind: StepKind, body: Record<string, unknown>, p: Principal, idempotencyKey?: string) {
    const ticket = await findTicket(idOrNumber, p);
    const log = ticketLog(deps.log, ticket);
    // The texts go to Postgres first; the workflow's history holds only their references.
    const args = kind === 'assign' ? { assignee: await assignee(body as AssigneeRef) } : await storeTexts(ticket.id, body);
    let version: number;
    try {
      version = (await runUpdate(ticket, ticket.workflowId, STEP_UPDATES[kind] as (typeof STEP_UPDATES)['close'], { ...args, actor: p.label } as { actor: string }, kind, idempotencyKey)).version;
    } catch (err) {
      // Closing ends the workflow; on a loaded server the Update's outcome may come back only as
      // "the workflow completed before the Update completed". The ticket is closed all the same.
      if (kind !== 'close' || !(err instanceof DomainError) || err.code !== 'STEP_FAILED' || (await ticket.reload()).status !== 'closed') throw err;
      version = ticket.snapshotVersion;
    }
    log.info({ step: kind, workflowVersion: version }, 'step applied');
    // A stuck ticket applies the step in its workflow; its row catches up once the record is retried.
    const [view] = await forReader([toView(await ticket.reload())], p);
    return { ...view, step: kind, workflowVersion: version };
  }

  /**
   * Write what a stuck ticket owes its record, once the fault is fixed (a lead's button): the
   * workflow writes its waiting records in order and clears the mark. A conflict (RECORD_STILL_FAILING) when it fails again.
   */
  async function retryRecord(idOrNumber: string, p: Principal) {
    const ticket = await findTicket(idOrNumber, p);
    const result = await runUpdate(ticket, ticket.workflowId, retryRecordUpdate, { actor: p.label }, 'retry-record', undefined, { evenClosed: true });
    ticketLog(deps.log, ticket).info({ written: result.written }, 'ticket record retried');
    const [view] = await forReader([toView(await ticket.reload())], p);
    return { ...view, written: result.written, workflowVersion: result.version };
  }

  /**
   * The customer wrote to the ticket (an inbound e-mail). Not a technician step and not reachable
   * from the API: the caller has already matched the sender to the ticket; the actor is the sender.
   */
  async function customerMessage(ticket: Ticket, msg: IncomingCustomerMessage, actor: string, idempotencyKey?: string) {
    const message = await storeText(ticket.id, msg.message);
    const result = await runUpdate(ticket, ticket.workflowId, customerMessageUpdate, { ...msg, message, actor }, 'customer-message', idempotencyKey);
    return { ...toView(await ticket.reload()), workflowVersion: result.version };
  }

  /**
   * Run an Update on the ticket's workflow (or one of its session workflows) and turn the ways it can
   * fail into domain errors. The same idempotency key never applies a step twice.
   */
  async function runUpdate<R, A>(ticket: Ticket, workflowId: string, def: UpdateDefinition<R, [A]>, args: A, what: string, idempotencyKey?: string, opts: { evenClosed?: boolean } = {}): Promise<R> {
    // A stuck ticket's row may say closed while its workflow waits for the record it owes.
    if (ticket.status === 'closed' && !opts.evenClosed) {
      throw new DomainError('conflict', 'TICKET_CLOSED', `ticket #${ticket.number} is closed; no step can change it`, { step: what, status: ticket.status });
    }
    if (!ticket.workflowStartedAt) {
      // Accepted a moment ago (its start still in flight), or while Temporal was away.
      await starter.ensureStarted(ticket).catch((err) => {
        ticketLog(deps.log, ticket).warn({ err }, 'workflow start for a step failed');
        throw new DomainError('unavailable', 'TICKET_NOT_STARTED', `ticket #${ticket.number} is accepted but its SLA workflow has not started yet; retry shortly`);
      });
    }
    const handle = deps.temporal.workflow.getHandle(workflowId);
    const timeout = deps.stepTimeoutMs ?? 15_000;
    try {
      return await deps.temporal.connection.withDeadline(Date.now() + timeout, () =>
        handle.executeUpdate(def, { args: [args], updateId: idempotencyKey ? `${what}:${idempotencyKey}` : undefined }),
      );
    } catch (err) {
      throw stepError(err, ticket, what);
    }
  }

  async function assignee(ref: AssigneeRef) {
    const person = await findAssignee(ref);
    if (!person) throw new DomainError('unprocessable', 'UNKNOWN_TECHNICIAN', `${describeAssignee(ref)} is not an active technician or lead`);
    return person;
  }

  function stepError(err: unknown, ticket: Ticket, kind: string): DomainError {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const { type, message, details } = err.cause;
      if (type === STEP_NOT_ALLOWED) return new DomainError('conflict', 'STEP_NOT_ALLOWED', message, details?.[0]);
      if (type === NOT_IN_PLAN) return new DomainError('unprocessable', 'NOT_IN_PLAN', message, details?.[0]);
      if (type === 'VALIDATION_FAILED') return new DomainError('invalid', 'VALIDATION_FAILED', message, details);
      if (type === RECORD_STILL_FAILING) return new DomainError('conflict', 'RECORD_STILL_FAILING', message, details?.[0]);
    }
    if (err instanceof WorkflowNotFoundError) {
      return new DomainError('conflict', 'TICKET_CLOSED', `ticket #${ticket.number} is no longer running; no step can change it`, { step: kind });
    }
    // gRPC DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE, on the error or the one it wraps:
    // the engine is busy or away, and the step may be retried.
    const code = (err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code;
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || code === 4 || code === 8 || code === 14) {
      return new DomainError('unavailable', 'TICKET_ENGINE_UNAVAILABLE', `ticket #${ticket.number} did not answer in time; the step may not have been applied: retry it with the same Idempotency-Key`);
    }
    // FAILED_PRECONDITION "Workflow Task in failed state": the ticket's last workflow task failed or
    // timed out (a worker killed or starved) and is being retried; the server took no Update, so
    // the step was not applied and goes through once the retry completes.
    if (code === 9 && /workflow task in failed state/i.test(String((err as Error)?.message) + String((err as { cause?: Error }).cause?.message))) {
      return new DomainError('unavailable', 'TICKET_ENGINE_UNAVAILABLE', `ticket #${ticket.number} is retrying its last step; this one was not applied: retry it shortly with the same Idempotency-Key`);
    }
    ticketLog(deps.log, ticket).error({ err, step: kind }, 'step failed');
    return new DomainError('upstream_failed', 'STEP_FAILED', `the step could not be applied to ticket #${ticket.number}`, { cause: (err as Error)?.name ?? 'unknown' });
  }

  return { intake, get, list, step, retryRecord, customerMessage, findTicket, toView, runUpdate, starter };
}

export type TicketService = ReturnType<typeof createTicketService>;
