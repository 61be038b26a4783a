// Escalation: the sessions a ticket arranges (specialist sessions, remote sessions, brand-engineer
// meetings), kept by their workflows for listing and for the specialists' load; and the engineer
// contacts of each brand that Last Call resells.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const now = { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.literal('CURRENT_TIMESTAMP') };

  await qi.createTable('sessions', {
    // The session workflow's id, e.g. ticket-1001-specialist-1.
    id: { type: DataTypes.TEXT, primaryKey: true },
    ticket_id: { type: DataTypes.UUID, allowNull: false, references: { model: 'tickets', key: 'id' }, onDelete: 'CASCADE' },
    kind: { type: DataTypes.TEXT, allowNull: false },
    status: { type: DataTypes.TEXT, allowNull: false },
    attempt: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    technology: { type: DataTypes.TEXT, allowNull: true },
    brand: { type: DataTypes.TEXT, allowNull: true },
    // Denormalised from host for the load query (sessions per specialist).
    host_id: { type: DataTypes.UUID, allowNull: true },
    host: { type: DataTypes.JSONB, allowNull: true },
    attendees: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
    starts_at: { type: DataTypes.DATE, allowNull: true },
    duration_ms: { type: DataTypes.INTEGER, allowNull: false },
    notes: { type: DataTypes.TEXT, allowNull: true },
    requested_by: { type: DataTypes.TEXT, allowNull: false },
    last_event: { type: DataTypes.TEXT, allowNull: false },
    created_at: now,
    updated_at: now,
  });
  await qi.sequelize.query(`ALTER TABLE sessions ADD CONSTRAINT sessions_kind_check CHECK (kind IN ('specialist','remote','brand'))`);
  await qi.sequelize.query(
    `ALTER TABLE sessions ADD CONSTRAINT sessions_status_check CHECK (status IN ('waiting','proposed','confirmed','stalled','held','no_show','cancelled'))`,
  );
  await qi.addIndex('sessions', ['ticket_id']);
  await qi.addIndex('sessions', ['host_id', 'status']);
  await qi.addIndex('sessions', ['status', 'kind']);

  await qi.createTable('brand_contacts', {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: qi.sequelize.literal('gen_random_uuid()') },
    // Stored lower-case: products name their brand as typed, contacts are matched without case.
    brand: { type: DataTypes.TEXT, allowNull: false },
    name: { type: DataTypes.TEXT, allowNull: false },
    email: { type: DataTypes.TEXT, allowNull: false },
    phone: { type: DataTypes.TEXT, allowNull: true },
    created_at: now,
  });
  await qi.sequelize.query('CREATE UNIQUE INDEX brand_contacts_brand_email ON brand_contacts (brand, lower(email))');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('brand_contacts');
  await qi.dropTable('sessions');
}
