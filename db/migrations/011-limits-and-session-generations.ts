// The outside edges: who may knock, how often, and what a browser keeps.
// - rate_limits: the flood limits' counters (rate-limiter-flexible's RateLimiterPostgres, told the
//   table exists), in Postgres so every API process counts against the same numbers.
// - A user's session generation: revoking or reissuing their tokens moves it on, and a browser
//   session or an unused sign-in link of an older generation is void, checked on every request.
// - mail_outbox carries more than ticket notifications: a sign-in link request is queued here by
//   the page (the same row whoever asked) and decided and sent by the worker's sender.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  // The library's own columns; the key as text (an e-mail address's digest or a client address
  // after its prefix), `expire` in epoch milliseconds as the library writes it.
  await qi.createTable('rate_limits', {
    key: { type: DataTypes.TEXT, primaryKey: true },
    points: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    expire: { type: DataTypes.BIGINT, allowNull: true },
  });
  // Expired counters are swept by `expire`.
  await qi.addIndex('rate_limits', ['expire']);

  const generation = { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 };
  await qi.addColumn('users', 'session_generation', generation);
  await qi.addColumn('web_sessions', 'generation', generation);
  await qi.addColumn('sign_in_links', 'generation', generation);

  // Rows written before this migration (and by the ticket record, which names no kind) are ticket notifications.
  await qi.addColumn('mail_outbox', 'kind', { type: DataTypes.TEXT, allowNull: false, defaultValue: 'ticket_notification' });
  await qi.sequelize.query('ALTER TABLE mail_outbox ALTER COLUMN ticket_id DROP NOT NULL');
  await qi.sequelize.query(
    `ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
       CHECK ((kind = 'ticket_notification' AND ticket_id IS NOT NULL) OR (kind = 'sign_in_link' AND ticket_id IS NULL))`,
  );
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query(`DELETE FROM mail_outbox WHERE kind <> 'ticket_notification'`);
  await qi.sequelize.query('ALTER TABLE mail_outbox DROP CONSTRAINT IF EXISTS mail_outbox_kind_check');
  await qi.sequelize.query('ALTER TABLE mail_outbox ALTER COLUMN ticket_id SET NOT NULL');
  await qi.removeColumn('mail_outbox', 'kind');
  await qi.removeColumn('sign_in_links', 'generation');
  await qi.removeColumn('web_sessions', 'generation');
  await qi.removeColumn('users', 'session_generation');
  await qi.dropTable('rate_limits');
}
