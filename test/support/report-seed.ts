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
  /** After the "received" event, which is added. */
  events: SeedEvent[];
}

export async function seedTickets(sequelize: Sequelize, tickets: SeedTicket[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const t of tickets) {
    const [row] = await sequelize.query<{ id: string }>(
      `INSERT INTO tickets (id, customer_id, requester_email, plan, impact, type, channel, subject, description, status,
                            received_at, targets, workflow_id, workflow_started_at, assignee, created_at, updated_at)
       VALUES (gen_random_uuid(), :customerId, 'seed@customer.test', :plan, :impact, :type, :channel, :subject, 'seeded', :status,
               :receivedAt, '{}', :workflowId, :receivedAt, :assignee, now(), now())
       RETURNING id`,
      {
        type: QueryTypes.SELECT,
        replacements: {
          ...t,
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
