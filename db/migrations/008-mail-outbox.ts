// The ticket e-mails to send, written in the same transaction as the events that call for them:
// an alarm then costs the workflow one activity (the record) instead of two, and no e-mail is
// owed that the record does not show. The worker's sender (mail/outbox.ts) delivers each row
// through the send log and deletes it; a failed send waits its back-off in `due_at`.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('mail_outbox', {
    // The notification's key (ticket, event, kind), as in the send log.
    key: { type: DataTypes.TEXT, primaryKey: true },
    ticket_id: { type: DataTypes.UUID, allowNull: false, references: { model: 'tickets', key: 'id' }, onDelete: 'CASCADE' },
    notification: { type: DataTypes.JSONB, allowNull: false },
    // Not before then: now for a new row, the back-off after a failure, the lease while it is sent.
    due_at: { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.fn('now') },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    last_error: { type: DataTypes.TEXT, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.fn('now') },
  });
  await qi.addIndex('mail_outbox', ['due_at']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('mail_outbox');
}
