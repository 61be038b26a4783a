// The outside edges: who may knock, how often, and what a browser keeps.
// - A user's session generation: revoking or reissuing their tokens moves it on, and a browser
//   session or an unused sign-in link of an older generation is void, checked on every request.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const generation = { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 };
  await qi.addColumn('users', 'session_generation', generation);
  await qi.addColumn('web_sessions', 'generation', generation);
  await qi.addColumn('sign_in_links', 'generation', generation);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('sign_in_links', 'generation');
  await qi.removeColumn('web_sessions', 'generation');
  await qi.removeColumn('users', 'session_generation');
}
