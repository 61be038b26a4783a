import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const now = { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.literal('CURRENT_TIMESTAMP') };
  await qi.createTable('customers', {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
    name: { type: DataTypes.TEXT, allowNull: false },
    // Minimal plan record for the SLA engine; the entitlements work derives it from subscriptions.
    plan: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'standard' },
    timezone: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'America/Santiago' },
    created_at: now,
    updated_at: now,
  });
  await qi.sequelize.query(`ALTER TABLE customers ADD CONSTRAINT customers_plan_check CHECK (plan IN ('standard','advanced'))`);

  await qi.createTable('sla_policies', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    policy: { type: DataTypes.JSONB, allowNull: false },
    created_by: { type: DataTypes.TEXT, allowNull: false },
    created_at: now,
  });

  // Readable ticket numbers start at 1001.
  await qi.sequelize.query('CREATE SEQUENCE ticket_number_seq START 1001');
  await qi.createTable('tickets', {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
    number: { type: DataTypes.BIGINT, allowNull: false, unique: true, defaultValue: qi.sequelize.literal("nextval('ticket_number_seq')") },
    customer_id: { type: DataTypes.UUID, allowNull: false, references: { model: 'customers', key: 'id' } },
    requester_name: { type: DataTypes.TEXT, allowNull: true },
    requester_email: { type: DataTypes.TEXT, allowNull: false },
    plan: { type: DataTypes.TEXT, allowNull: false },
    impact: { type: DataTypes.TEXT, allowNull: false },
    type: { type: DataTypes.TEXT, allowNull: false },
    channel: { type: DataTypes.TEXT, allowNull: false },
    subject: { type: DataTypes.TEXT, allowNull: false },
    description: { type: DataTypes.TEXT, allowNull: false },
    status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'open' },
    received_at: { type: DataTypes.DATE, allowNull: false },
    targets: { type: DataTypes.JSONB, allowNull: false },
    sla_policy_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'sla_policies', key: 'id' } },
    response_due_at: { type: DataTypes.DATE, allowNull: true },
    resolution_due_at: { type: DataTypes.DATE, allowNull: true },
    next_due_at: { type: DataTypes.DATE, allowNull: true },
    breached: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    assignee: { type: DataTypes.JSONB, allowNull: true },
    responded_via: { type: DataTypes.TEXT, allowNull: true },
    clocks: { type: DataTypes.JSONB, allowNull: true },
    snapshot_version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: -1 },
    workflow_id: { type: DataTypes.TEXT, allowNull: false },
    workflow_started_at: { type: DataTypes.DATE, allowNull: true },
    resolved_at: { type: DataTypes.DATE, allowNull: true },
    closed_at: { type: DataTypes.DATE, allowNull: true },
    created_at: now,
    updated_at: now,
  });
  await qi.addIndex('tickets', ['status', 'next_due_at']);
  await qi.addIndex('tickets', ['customer_id', 'received_at']);
  // The intake outbox: tickets whose workflow has not been started yet.
  await qi.sequelize.query('CREATE INDEX tickets_workflow_pending ON tickets (received_at) WHERE workflow_started_at IS NULL');

  await qi.createTable('ticket_events', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    ticket_id: { type: DataTypes.UUID, allowNull: false, references: { model: 'tickets', key: 'id' }, onDelete: 'CASCADE' },
    seq: { type: DataTypes.INTEGER, allowNull: false },
    type: { type: DataTypes.TEXT, allowNull: false },
    actor: { type: DataTypes.TEXT, allowNull: false },
    at: { type: DataTypes.DATE, allowNull: false },
    data: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
    recorded_at: now,
  });
  await qi.addIndex('ticket_events', ['ticket_id', 'seq'], { unique: true });
  await qi.addIndex('ticket_events', ['type', 'at']);

  await qi.createTable('notifications', {
    key: { type: DataTypes.TEXT, primaryKey: true },
    ticket_id: { type: DataTypes.UUID, allowNull: false, references: { model: 'tickets', key: 'id' }, onDelete: 'CASCADE' },
    kind: { type: DataTypes.TEXT, allowNull: false },
    recipient: { type: DataTypes.TEXT, allowNull: false },
    subject: { type: DataTypes.TEXT, allowNull: false },
    message_id: { type: DataTypes.TEXT, allowNull: true },
    // 'sending' is claimed before the SMTP call, 'sent' after it: a retry never sends a 'sent' one again.
    state: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'sending' },
    claimed_at: now,
    sent_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('notifications', ['ticket_id']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('notifications');
  await qi.dropTable('ticket_events');
  await qi.dropTable('tickets');
  await qi.sequelize.query('DROP SEQUENCE ticket_number_seq');
  await qi.dropTable('sla_policies');
  await qi.dropTable('customers');
}
