// Tickets and their recorded events written straight into a test database, at chosen instants, so
// report figures can be checked against numbers worked out by hand. Their workflows are marked
// started: the intake outbox leaves them alone.
import { QueryTypes, type Sequelize } from 'sequelize';

export type SeedEvent = [type: string, at: string, data?: Record<string, unknown>];

export interface SeedTicket {
  name: string;
  customerId: string;
  plan: 'standard' | 'advanced';
  impact: 'A' | 'B' | 'C';
  type?: 'problem' | 'query' | 'request';
  channel?: 'email' | 'web' | 'api' | 'phone';
  receivedAt: string;
  status: 'open' | 'in_progress' | 'waiting_on_customer' | 'resolved' | 'closed';
  assignee?: string;
  /** Who filed it; a Standard requester's report counts only their own tickets. */
  requesterId?: string;
  /** After the "received" event, which is added. */
  events: SeedEvent[];
}

export async function seedTickets(sequelize: Sequelize, tickets: SeedTicket[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const t of tickets) {
    const [row] = await sequelize.query<{ id: string }>(
      `INSERT INTO tickets (id, customer_id, requester_id, requester_email, plan, impact, type, channel, subject, description, status,
                            received_at, targets, workflow_id, workflow_started_at, assignee, created_at, updated_at)
       VALUES (gen_random_uuid(), :customerId, :requesterId, 'seed@customer.test', :plan, :impact, :type, :channel, :subject, 'seeded', :status,
               :receivedAt, '{}', :workflowId, :receivedAt, :assignee, now(), now())
       RETURNING id`,
      {
        type: QueryTypes.SELECT,
        replacements: {
          ...t,
          requesterId: t.requesterId ?? null,
          type: t.type ?? 'problem',
          channel: t.channel ?? 'email',
          subject: `seed ${t.name}`,
          workflowId: `seed-${t.name}-${Math.random().toString(36).slice(2)}`,
          assignee: t.assignee ? JSON.stringify({ name: t.assignee, email: t.assignee }) : null,
        },
      },
    );
    ids.set(t.name, row.id);
    const events: SeedEvent[] = [['received', t.receivedAt], ...t.events];
    for (const [i, [type, at, data]] of events.entries()) {
      await sequelize.query(
        `INSERT INTO ticket_events (ticket_id, seq, type, actor, at, data) VALUES (:ticketId, :seq, :type, 'seed', :at, :data)`,
        { replacements: { ticketId: row.id, seq: i + 1, type, at, data: JSON.stringify(data ?? {}) } },
      );
    }
  }
  return ids;
}

/**
 * October 2026 for two customers (Acme on Advanced, Beta on Standard), with tickets on the month's
 * edges in Santiago. The figures these give are worked out by hand in test/integration/reports.test.ts.
 * `requesterOf`: who filed each customer's tickets (by customer id), where a test reads as them.
 */
export function octoberTickets(acme: string, beta: string, requesterOf: Record<string, string> = {}): SeedTicket[] {
  // October 2026 in Santiago is UTC-3: it runs from 2026-10-01T03:00Z to 2026-11-01T03:00Z.
  return octoberOf(acme, beta).map((x) => (requesterOf[x.customerId] ? { ...x, requesterId: requesterOf[x.customerId] } : x));
}

function octoberOf(acme: string, beta: string): SeedTicket[] {
  return [
    { name: 'T1', customerId: acme, plan: 'advanced', impact: 'A', receivedAt: '2026-10-05T12:00:00Z', status: 'closed', assignee: 'tech1@lastcall.test',
      events: [['assigned', '2026-10-05T12:10:00Z'], ['responded', '2026-10-05T12:30:00Z'], ['sla_met', '2026-10-05T12:30:00Z', { clock: 'response' }],
        ['resolved', '2026-10-05T15:00:00Z', { firstResponse: false }], ['sla_met', '2026-10-05T15:00:00Z', { clock: 'resolution' }], ['closed', '2026-10-06T10:00:00Z']] },
    { name: 'T2', customerId: acme, plan: 'advanced', impact: 'A', receivedAt: '2026-10-10T10:00:00Z', status: 'resolved', assignee: 'tech1@lastcall.test',
      events: [['sla_warning', '2026-10-10T10:45:00Z', { clock: 'response' }], ['sla_breached', '2026-10-10T11:00:00Z', { clock: 'response' }],
        ['responded', '2026-10-10T11:30:00Z'], ['waiting_on_customer', '2026-10-10T12:00:00Z'], ['customer_replied', '2026-10-10T14:00:00Z'],
        ['resolved', '2026-10-10T15:00:00Z', { firstResponse: false }], ['sla_met', '2026-10-10T15:00:00Z', { clock: 'resolution' }]] },
    { name: 'T3', customerId: acme, plan: 'advanced', impact: 'B', type: 'query', channel: 'web', receivedAt: '2026-10-20T09:00:00Z', status: 'in_progress', assignee: 'tech2@lastcall.test',
      events: [['responded', '2026-10-20T09:45:00Z'], ['sla_met', '2026-10-20T09:45:00Z', { clock: 'response' }], ['sla_breached', '2026-10-20T17:00:00Z', { clock: 'resolution' }]] },
    // Oct 31, 23:30 in Santiago: October there, November in UTC.
    { name: 'T4', customerId: beta, plan: 'standard', impact: 'C', receivedAt: '2026-11-01T02:30:00Z', status: 'open', events: [] },
    // Nov 1, 01:00 in Santiago: not October.
    { name: 'T5', customerId: beta, plan: 'standard', impact: 'B', receivedAt: '2026-11-01T04:00:00Z', status: 'open', events: [] },
    // Sep 30, 23:00 in Santiago: September there (October in UTC); still open, so in October's backlog.
    { name: 'T6', customerId: beta, plan: 'standard', impact: 'A', receivedAt: '2026-10-01T02:00:00Z', status: 'open', events: [] },
    // Resolved as its first answer, reopened, resolved again: 26 h to its final resolution.
    { name: 'T7', customerId: acme, plan: 'advanced', impact: 'C', receivedAt: '2026-10-15T12:00:00Z', status: 'closed', assignee: 'tech2@lastcall.test',
      events: [['resolved', '2026-10-15T13:00:00Z', { firstResponse: true }], ['sla_met', '2026-10-15T13:00:00Z', { clock: 'response' }],
        ['sla_met', '2026-10-15T13:00:00Z', { clock: 'resolution' }], ['reopened', '2026-10-16T12:00:00Z'],
        ['resolved', '2026-10-16T14:00:00Z', { firstResponse: false }], ['sla_met', '2026-10-16T14:00:00Z', { clock: 'resolution' }], ['closed', '2026-10-20T00:00:00Z']] },
    // Still waiting on the customer at the end of October: 157 h of waiting by then.
    { name: 'T8', customerId: beta, plan: 'standard', impact: 'A', receivedAt: '2026-10-25T12:00:00Z', status: 'waiting_on_customer', assignee: 'tech1@lastcall.test',
      events: [['responded', '2026-10-25T13:00:00Z'], ['sla_met', '2026-10-25T13:00:00Z', { clock: 'response' }], ['waiting_on_customer', '2026-10-25T14:00:00Z']] },
  ];
}
