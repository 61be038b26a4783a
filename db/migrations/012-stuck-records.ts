// A ticket whose record failed for good (Postgres refused it, or its retries ran out) goes on in its
// workflow, which keeps what it could not write until a lead retries it. That it is stuck cannot be
// written with the ticket's own rows (they may be what fails), so it has this small table of its
// own, written by an activity of its own: a row while the ticket is stuck, gone once the retry
// wrote everything. The console, the API and the metric read it.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('ticket_records_stuck', {
    ticket_id: { type: DataTypes.UUID, primaryKey: true, references: { model: 'tickets', key: 'id' }, onDelete: 'CASCADE' },
    // When the first record of this episode failed; a failed retry keeps it.
    since: { type: DataTypes.DATE, allowNull: false },
    // The failure's stable type (activities/failure-types.ts, or TIMEOUT) and its message.
    failure_type: { type: DataTypes.TEXT, allowNull: false },
    reason: { type: DataTypes.TEXT, allowNull: false },
    // Records the workflow holds, waiting to be written in order.
    records: { type: DataTypes.INTEGER, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.fn('now') },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('ticket_records_stuck');
}
