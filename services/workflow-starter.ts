// Starts a ticket's workflow from its stored row. The row is written first and is the durable
// acceptance: intake answers once it is committed and hands the start to the starter below, which
// runs it in the background; a ticket whose start failed (Temporal unreachable) or never ran (the
// process died) is started by the outbox sweep, or by the first step on it, with the same deadlines.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from 'pino';
import { Customer, Product, Ticket } from '../db/models';
import { sessionTimingsMs, type SlaPolicy } from '../domain/sla-policy';
import { currentPolicy } from './sla-policy';
import { IMPACT_LABELS } from '../domain/plans';
import type { ticketWorkflow } from '../workflows/ticket';
import type { TicketWorkflowInput } from '../workflows/definitions';
import { SA, STARTED_TICKET_STATE } from '../temporal/search-attributes';

const START_TIMEOUT_MS = 2_000;

/** What the caller may already hold (intake does); anything missing is read here (the outbox sweep). */
export interface KnownAtStart {
  customerName: string;
  product: { brand: string; technology: string } | null;
  policy: SlaPolicy;
}

/** Start the ticket's workflow unless it has one already; the row is not touched (see markStarted). */
export async function startTicketWorkflow(client: Client, taskQueue: string, ticket: Ticket, known?: KnownAtStart, historyLimit?: number): Promise<void> {
  const customerName = known ? known.customerName : ((await Customer.findByPk(ticket.customerId))?.name ?? ticket.customerId);
  const product = known ? known.product : ticket.productId ? await Product.findByPk(ticket.productId) : null;
  const number = Number(ticket.number);
  const input: TicketWorkflowInput = {
    ticketId: ticket.id,
    number,
    customerId: ticket.customerId,
    customerName,
    channel: ticket.channel,
    type: ticket.type,
    plan: ticket.plan,
    impact: ticket.impact,
    subject: ticket.subject,
    receivedAt: ticket.receivedAt.getTime(),
    targets: ticket.targets,
    // Who took it in, as intake named them, however late the start.
    actor: ticket.loggedBy ?? ticket.requesterEmail,
    assignee: ticket.assignee,
    requester: { id: ticket.requesterId ?? undefined, name: ticket.requesterName ?? undefined, email: ticket.requesterEmail },
    endUser: ticket.endUser,
    product: product ? { brand: product.brand, technology: product.technology } : null,
    // For a brand meeting the ticket starts by itself on breach; requests through the API read the policy then.
    sessionTimings: sessionTimingsMs(known ? known.policy : (await currentPolicy()).policy),
    ...(historyLimit !== undefined ? { historyLimit } : {}),
  };
  try {
    // Bounded: with Temporal unreachable the caller must not hang; the outbox sweep retries.
    await client.connection.withDeadline(Date.now() + START_TIMEOUT_MS, () => client.workflow.start<typeof ticketWorkflow>('ticketWorkflow', {
      taskQueue,
      workflowId: ticket.workflowId,
      // A ticket has one workflow for good: a late start (the sweep, a step) after the ticket's
      // workflow closed must find it, not begin a second one.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [input],
      memo: { ticketId: ticket.id },
      staticSummary: `#${number} · ${ticket.plan} ${ticket.impact} (${IMPACT_LABELS[ticket.impact]}) · ${ticket.subject}`.slice(0, 200),
      staticDetails: `Customer: ${input.customerName}\n\nRequester: ${ticket.requesterEmail}\n\nType: ${ticket.type} · channel: ${ticket.channel}\n\nReceived: ${ticket.receivedAt.toISOString()}`,
      typedSearchAttributes: [
        { key: SA.plan, value: ticket.plan },
        { key: SA.impact, value: ticket.impact },
        { key: SA.status, value: STARTED_TICKET_STATE.status },
        { key: SA.customer, value: ticket.customerId },
        { key: SA.customerName, value: input.customerName },
        { key: SA.channel, value: ticket.channel },
        { key: SA.type, value: ticket.type },
        { key: SA.breached, value: STARTED_TICKET_STATE.breached },
        { key: SA.number, value: number },
      ],
    }));
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Already there is fine when an earlier attempt of ours got through; a workflow of some
    // other ticket under this id (a database reset beside a kept Temporal store) is not.
    const existing = await client.workflow.getHandle(ticket.workflowId).describe();
    if (existing.memo?.ticketId !== ticket.id) {
      throw new Error(`workflow id ${ticket.workflowId} already belongs to another ticket (${String(existing.memo?.ticketId)})`);
    }
  }
}

/** Note on the rows that their workflows run, so the sweep leaves them alone. */
async function markStarted(ticketIds: string[]): Promise<void> {
  if (ticketIds.length === 0) return;
  await Ticket.update({ workflowStartedAt: new Date() }, { where: { id: { [Op.in]: ticketIds }, workflowStartedAt: null } });
}

export interface WorkflowStarter {
  /**
   * Start an accepted ticket's workflow in the background. Resolves at once while fewer than
   * `maxInFlight` starts are running; beyond that it waits for one to finish, so a burst that
   * Temporal cannot keep up with slows intake down instead of piling up starts in memory. While
   * starts are failing (Temporal away) and all slots are taken, it resolves at once and leaves the
   * ticket to the sweep.
   */
  submit(ticket: Ticket, known?: KnownAtStart): Promise<void>;
  /** Start it now if it is not known to run (a step on a ticket accepted a moment ago, or while Temporal was away). */
  ensureStarted(ticket: Ticket): Promise<void>;
  /**
   * Start the accepted tickets whose workflows are not running yet (the outbox sweep), a batch that
   * this replica claims so no other starts them meanwhile. Returns the ids of the tickets started.
   */
  sweep(): Promise<string[]>;
  /** Wait for the starts in flight and the last marks (shutdown). */
  drain(): Promise<void>;
}

export interface WorkflowStarterOptions {
  client: Client;
  /** The process's database, where the sweep claims rows. */
  sequelize: Sequelize;
  taskQueue: string;
  log: Logger;
  /** Passed to each ticket's workflow: continue as new past this many history events. */
  historyLimit?: number;
  maxInFlight?: number;
  /** How long after a failed start intake stops waiting for a free slot. */
  failureHoldMs?: number;
}

/** How old an unstarted row must be before the sweep takes it: younger ones are this process's starts in flight. */
const SWEEP_MIN_AGE_MS = 3_000;
/** Rows one sweep claims. */
const SWEEP_BATCH = 100;
/**
 * How long a sweep's claim keeps other replicas off its rows: far longer than starting a batch
 * takes (milliseconds each), short enough that the rows of a replica that died wait little.
 */
const CLAIM_LEASE_MS = 30_000;

/**
 * Claims the oldest unstarted rows no live claim holds. SKIP LOCKED: a replica claiming at the
 * same moment takes the next rows instead of waiting for these (or taking them after).
 */
async function claimUnstarted(sequelize: Sequelize): Promise<Ticket[]> {
  const claimed = await sequelize.query<{ id: string }>(
    `UPDATE tickets SET start_claimed_until = now() + make_interval(secs => :leaseS)
      WHERE id IN (SELECT id FROM tickets
                    WHERE workflow_started_at IS NULL AND received_at < :cutoff
                      AND (start_claimed_until IS NULL OR start_claimed_until < now())
                    ORDER BY received_at
                    LIMIT :limit
                    FOR UPDATE SKIP LOCKED)
      RETURNING id`,
    { type: QueryTypes.SELECT, replacements: { leaseS: CLAIM_LEASE_MS / 1000, cutoff: new Date(Date.now() - SWEEP_MIN_AGE_MS), limit: SWEEP_BATCH } },
  );
  if (claimed.length === 0) return [];
  return Ticket.findAll({ where: { id: { [Op.in]: claimed.map((r) => r.id) } }, order: [['receivedAt', 'ASC']] });
}

/** Gives back claims on rows this sweep did not start, for the next sweep of any replica. */
async function releaseClaims(sequelize: Sequelize, ticketIds: string[]): Promise<void> {
  if (ticketIds.length === 0) return;
  await sequelize.query('UPDATE tickets SET start_claimed_until = NULL WHERE id IN (:ids) AND workflow_started_at IS NULL', { replacements: { ids: ticketIds } });
}

export function createWorkflowStarter(o: WorkflowStarterOptions): WorkflowStarter {
  const maxInFlight = o.maxInFlight ?? 32;
  const failureHoldMs = o.failureHoldMs ?? 5_000;
  const inFlight = new Map<string, Promise<void>>();
  const slotWaiters: Array<() => void> = [];
  let lastFailureAt = -Infinity;

  // The started marks of many tickets in one UPDATE: while one is written, the next ones gather.
  let toMark: string[] = [];
  let marking: Promise<void> | null = null;
  function mark(id: string): void {
    toMark.push(id);
    if (!marking) marking = flushMarks();
  }
  async function flushMarks(): Promise<void> {
    while (toMark.length > 0) {
      const ids = toMark;
      toMark = [];
      // A lost mark costs only a second start attempt, which finds the workflow and marks again.
      await markStarted(ids).catch((err) => o.log.warn({ err, tickets: ids.length }, 'could not mark workflows started; the sweep will'));
    }
    marking = null;
  }

  function launch(ticket: Ticket, known?: KnownAtStart): Promise<void> {
    const existing = inFlight.get(ticket.id);
    if (existing) return existing;
    const run = startTicketWorkflow(o.client, o.taskQueue, ticket, known, o.historyLimit)
      .then(
        () => {
          ticket.set({ workflowStartedAt: new Date() });
          mark(ticket.id);
        },
        (err) => {
          lastFailureAt = Date.now();
          throw err;
        },
      )
      .finally(() => {
        inFlight.delete(ticket.id);
        slotWaiters.shift()?.();
      });
    inFlight.set(ticket.id, run);
    return run;
  }

  return {
    async submit(ticket, known) {
      while (inFlight.size >= maxInFlight) {
        // Temporal is failing: left to the sweep rather than queued here behind failing starts.
        if (Date.now() - lastFailureAt < failureHoldMs) return;
        await new Promise<void>((resolve) => slotWaiters.push(resolve));
      }
      launch(ticket, known).catch((err) => {
        // Accepted all the same: the sweep starts it, deadlines still count from receivedAt.
        o.log.warn({ err, ticketNumber: Number(ticket.number), workflowId: ticket.workflowId }, 'ticket accepted; workflow start deferred');
      });
    },
    async ensureStarted(ticket) {
      if (ticket.workflowStartedAt) return;
      // A start already in flight may be the sweep's, begun while Temporal was away: when it fails,
      // this caller (a person waiting on a step) gets a fresh attempt before the 503.
      const earlier = inFlight.get(ticket.id);
      if (earlier) {
        try {
          return await earlier;
        } catch {
          // tried again below
        }
      }
      await launch(ticket);
    },
    async sweep() {
      const claimedAt = Date.now();
      const pending = await claimUnstarted(o.sequelize);
      const started: string[] = [];
      let next = 0;
      for (; next < pending.length; next++) {
        // Late in the lease the rest may be another replica's by now: left to the next sweep.
        if (Date.now() - claimedAt > CLAIM_LEASE_MS / 2) break;
        const ticket = pending[next];
        try {
          await launch(ticket);
          started.push(ticket.id);
        } catch (err) {
          o.log.warn({ err, ticketNumber: Number(ticket.number), workflowId: ticket.workflowId }, 'workflow start deferred; will retry');
          break;
        }
      }
      // A lost release costs only the lease: the claims lapse by themselves.
      await releaseClaims(o.sequelize, pending.slice(next).map((t) => t.id)).catch((err) => o.log.warn({ err }, 'could not release sweep claims; they lapse'));
      return started;
    },
    async drain() {
      await Promise.allSettled([...inFlight.values()]);
      await marking;
    },
  };
}
