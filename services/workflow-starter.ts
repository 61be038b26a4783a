// Starts a ticket's workflow from its stored row. The row is written first, so a ticket accepted
// while Temporal is unreachable is started later by the outbox sweep with the same deadlines.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { Op } from 'sequelize';
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

export async function startTicketWorkflow(client: Client, taskQueue: string, ticket: Ticket, actor: string, known?: KnownAtStart): Promise<void> {
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
    actor,
    assignee: ticket.assignee,
    requester: { id: ticket.requesterId ?? undefined, name: ticket.requesterName ?? undefined, email: ticket.requesterEmail },
    endUser: ticket.endUser,
    product: product ? { brand: product.brand, technology: product.technology } : null,
    // For a brand meeting the ticket starts by itself on breach; requests through the API read the policy then.
    sessionTimings: sessionTimingsMs(known ? known.policy : (await currentPolicy()).policy),
  };
  try {
    // Bounded: with Temporal unreachable the caller must not hang; the outbox sweep retries.
    await client.connection.withDeadline(Date.now() + START_TIMEOUT_MS, () => client.workflow.start<typeof ticketWorkflow>('ticketWorkflow', {
      taskQueue,
      workflowId: ticket.workflowId,
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
    // Already running is fine when an earlier attempt of ours got through; a workflow of some
    // other ticket under this id (a database reset beside a kept Temporal store) is not.
    const existing = await client.workflow.getHandle(ticket.workflowId).describe();
    if (existing.memo?.ticketId !== ticket.id) {
      throw new Error(`workflow id ${ticket.workflowId} already belongs to another ticket (${String(existing.memo?.ticketId)})`);
    }
  }
  const startedAt = new Date();
  await Ticket.update({ workflowStartedAt: startedAt }, { where: { id: ticket.id, workflowStartedAt: null } });
  ticket.set({ workflowStartedAt: startedAt });
}

/** Start every accepted ticket whose workflow is not running yet. Returns how many were started. */
export async function sweepUnstartedTickets(client: Client, taskQueue: string, log: Logger): Promise<number> {
  const pending = await Ticket.findAll({ where: { workflowStartedAt: { [Op.is]: null } }, order: [['receivedAt', 'ASC']], limit: 100 });
  let started = 0;
  for (const ticket of pending) {
    try {
      await startTicketWorkflow(client, taskQueue, ticket, 'system');
      started++;
    } catch (err) {
      log.warn({ err, ticketNumber: Number(ticket.number), workflowId: ticket.workflowId }, 'workflow start deferred; will retry');
      break;
    }
  }
  return started;
}
