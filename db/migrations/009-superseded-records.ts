// The ticket record as a local activity runs inside the workflow task that decided it, before that
// task is committed to the workflow's history. When the task is lost (the worker killed mid-task,
// a task timeout), its retry may decide otherwise: later in time, more alarms are due at once, or a
// step that arrived meanwhile comes first, under the same event numbers. Each record therefore says
// which workflow task decided it (`decided_in`: the history length at that task), and a later task's
// record replaces what an abandoned one wrote; what it replaced is kept in ticket_events_superseded
// (an e-mail may already have gone out for it). Rows recorded before carry no task: NULL.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('ticket_events', 'decided_in', { type: DataTypes.INTEGER, allowNull: true });
  // The task that decided the ticket row's snapshot; with snapshot_version, the row moves only forward.
  await qi.addColumn('tickets', 'snapshot_decided_in', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  await qi.createTable('ticket_events_superseded', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    ticket_id: { type: DataTypes.UUID, allowNull: false, references: { model: 'tickets', key: 'id' }, onDelete: 'CASCADE' },
    seq: { type: DataTypes.INTEGER, allowNull: false },
    type: { type: DataTypes.TEXT, allowNull: false },
    actor: { type: DataTypes.TEXT, allowNull: false },
    at: { type: DataTypes.DATE, allowNull: false },
    data: { type: DataTypes.JSONB, allowNull: false },
    recorded_at: { type: DataTypes.DATE, allowNull: false },
    decided_in: { type: DataTypes.INTEGER, allowNull: true },
    superseded_by: { type: DataTypes.INTEGER, allowNull: false },
    superseded_at: { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.fn('now') },
  });
  await qi.addIndex('ticket_events_superseded', ['ticket_id', 'seq']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('ticket_events_superseded');
  await qi.removeColumn('tickets', 'snapshot_decided_in');
  await qi.removeColumn('ticket_events', 'decided_in');
}
