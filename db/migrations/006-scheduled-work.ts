// Scheduled work and reports: e-mails that belong to no ticket (monthly reports, term reminders,
// the lead's digest) go through the same send-once log; the end of an Advanced term is recorded
// once; reports scan tickets by the day they were received.
import type { QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('ALTER TABLE notifications ALTER COLUMN ticket_id DROP NOT NULL');
  await qi.sequelize.query(
    `CREATE UNIQUE INDEX audit_log_one_switch_per_subscription ON audit_log (target_id) WHERE action = 'subscription.ended_to_standard'`,
  );
  await qi.sequelize.query('CREATE INDEX tickets_received_at ON tickets (received_at)');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('DROP INDEX IF EXISTS tickets_received_at');
  await qi.sequelize.query('DROP INDEX IF EXISTS audit_log_one_switch_per_subscription');
  await qi.sequelize.query('DELETE FROM notifications WHERE ticket_id IS NULL');
  await qi.sequelize.query('ALTER TABLE notifications ALTER COLUMN ticket_id SET NOT NULL');
}
