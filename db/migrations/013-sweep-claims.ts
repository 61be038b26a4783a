// Several API processes sweep the intake outbox (tickets accepted whose workflow has not started).
// Each claims the rows it is about to start for a short lease, so two replicas never start the
// same ticket: a claim is taken with FOR UPDATE SKIP LOCKED and lapses by itself when its holder
// dies, leaving the row to the next sweep of any replica.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('tickets', 'start_claimed_until', { type: DataTypes.DATE, allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('tickets', 'start_claimed_until');
}
