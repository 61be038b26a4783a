// Idempotent intake: a retried or duplicated POST /api/tickets with the same Idempotency-Key
// returns the ticket the first one created, never a second ticket or a second quota unit.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('tickets', 'idempotency_key', { type: DataTypes.TEXT, allowNull: true });
  // sha256 of what was asked for: the same key with a different request is refused, not merged.
  await qi.addColumn('tickets', 'request_hash', { type: DataTypes.TEXT, allowNull: true });
  // Keys are the customer's: intake holds the customer's row lock while it looks one up, and this
  // index is the backstop if anything ever got past the lock.
  await qi.sequelize.query('CREATE UNIQUE INDEX tickets_customer_idempotency_key ON tickets (customer_id, idempotency_key) WHERE idempotency_key IS NOT NULL');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('DROP INDEX IF EXISTS tickets_customer_idempotency_key');
  await qi.removeColumn('tickets', 'request_hash');
  await qi.removeColumn('tickets', 'idempotency_key');
}
