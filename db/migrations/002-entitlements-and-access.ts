// Entitlements and access: products (the right to support), Advanced subscriptions with terms,
// users with roles and hashed API tokens, and the admin audit log. The customer's plan is no
// longer stored: it is derived from its subscriptions at the moment it is needed.
import { DataTypes, QueryTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const now = { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.literal('CURRENT_TIMESTAMP') };
  const uuidPk = { type: DataTypes.UUID, primaryKey: true, defaultValue: qi.sequelize.literal('gen_random_uuid()') };
  const customerRef = { type: DataTypes.UUID, allowNull: false, references: { model: 'customers', key: 'id' }, onDelete: 'CASCADE' };

  await qi.createTable('products', {
    id: uuidPk,
    customer_id: customerRef,
    brand: { type: DataTypes.TEXT, allowNull: false },
    name: { type: DataTypes.TEXT, allowNull: false },
    technology: { type: DataTypes.TEXT, allowNull: false },
    purchase_confirmed_at: { type: DataTypes.DATE, allowNull: true },
    licenses_delivered_at: { type: DataTypes.DATE, allowNull: true },
    in_force_until: { type: DataTypes.DATE, allowNull: true },
    created_at: now,
    updated_at: now,
  });
  await qi.addIndex('products', ['customer_id']);

  await qi.createTable('subscriptions', {
    id: uuidPk,
    customer_id: customerRef,
    plan: { type: DataTypes.TEXT, allowNull: false },
    term: { type: DataTypes.TEXT, allowNull: false },
    // Terms of one chain are counted from its first start, so month ends do not drift.
    anchor_at: { type: DataTypes.DATE, allowNull: false },
    term_index: { type: DataTypes.INTEGER, allowNull: false },
    starts_at: { type: DataTypes.DATE, allowNull: false },
    term_ends_at: { type: DataTypes.DATE, allowNull: false },
    // When it stops being in force: term_ends_at, or earlier after an immediate cancellation.
    ends_at: { type: DataTypes.DATE, allowNull: false },
    cancelled_at: { type: DataTypes.DATE, allowNull: true },
    cancel_mode: { type: DataTypes.TEXT, allowNull: true },
    created_by: { type: DataTypes.TEXT, allowNull: false },
    created_at: now,
    updated_at: now,
  });
  await qi.addIndex('subscriptions', ['customer_id', 'starts_at']);
  await qi.sequelize.query(`ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_plan_check CHECK (plan IN ('advanced'))`);
  await qi.sequelize.query(`ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_term_check CHECK (term IN ('monthly','annual'))`);
  await qi.sequelize.query(`ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_cancel_check CHECK (cancel_mode IS NULL OR cancel_mode IN ('end_of_term','immediately','superseded'))`);

  await qi.createTable('users', {
    id: uuidPk,
    customer_id: { type: DataTypes.UUID, allowNull: true, references: { model: 'customers', key: 'id' }, onDelete: 'CASCADE' },
    role: { type: DataTypes.TEXT, allowNull: false },
    name: { type: DataTypes.TEXT, allowNull: false },
    email: { type: DataTypes.TEXT, allowNull: false },
    phone: { type: DataTypes.TEXT, allowNull: true },
    technologies: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
    is_primary: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    created_at: now,
    updated_at: now,
  });
  await qi.sequelize.query(`ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('requester','technician','lead','admin'))`);
  // A requester belongs to a customer; staff do not.
  await qi.sequelize.query(`ALTER TABLE users ADD CONSTRAINT users_customer_check CHECK ((role = 'requester') = (customer_id IS NOT NULL))`);
  await qi.sequelize.query('CREATE UNIQUE INDEX users_email_unique ON users (lower(email))');
  await qi.sequelize.query('CREATE UNIQUE INDEX users_one_primary_per_customer ON users (customer_id) WHERE is_primary');

  await qi.createTable('api_tokens', {
    id: uuidPk,
    user_id: { type: DataTypes.UUID, allowNull: false, references: { model: 'users', key: 'id' }, onDelete: 'CASCADE' },
    // sha256 of the token; the token itself is shown once and never stored.
    token_hash: { type: DataTypes.TEXT, allowNull: false, unique: true },
    token_prefix: { type: DataTypes.TEXT, allowNull: false },
    created_at: now,
    revoked_at: { type: DataTypes.DATE, allowNull: true },
    last_used_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('api_tokens', ['user_id']);

  await qi.createTable('audit_log', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    at: now,
    actor: { type: DataTypes.TEXT, allowNull: false },
    actor_user_id: { type: DataTypes.UUID, allowNull: true },
    action: { type: DataTypes.TEXT, allowNull: false },
    target_type: { type: DataTypes.TEXT, allowNull: false },
    target_id: { type: DataTypes.TEXT, allowNull: true },
    data: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
  });
  await qi.addIndex('audit_log', ['target_type', 'target_id']);
  await qi.addIndex('audit_log', ['at']);

  await qi.addColumn('tickets', 'requester_id', { type: DataTypes.UUID, allowNull: true, references: { model: 'users', key: 'id' } });
  await qi.addColumn('tickets', 'end_user', { type: DataTypes.JSONB, allowNull: true });
  await qi.addColumn('tickets', 'product_id', { type: DataTypes.UUID, allowNull: true, references: { model: 'products', key: 'id' } });
  await qi.addColumn('tickets', 'logged_by', { type: DataTypes.TEXT, allowNull: true });
  await qi.addIndex('tickets', ['requester_id']);

  // Customers recorded as Advanced before subscriptions existed keep Advanced for one annual term.
  const advanced = await qi.sequelize.query<{ id: string; created_at: Date }>(`SELECT id, created_at FROM customers WHERE plan = 'advanced'`, { type: QueryTypes.SELECT });
  for (const c of advanced) {
    await qi.sequelize.query(
      `INSERT INTO subscriptions (customer_id, plan, term, anchor_at, term_index, starts_at, term_ends_at, ends_at, created_by)
       VALUES (:id, 'advanced', 'annual', :at, 0, :at, :at::timestamptz + interval '1 year', :at::timestamptz + interval '1 year', 'migration 002')`,
      { replacements: { id: c.id, at: c.created_at } },
    );
  }
  await qi.sequelize.query('ALTER TABLE customers DROP CONSTRAINT customers_plan_check');
  await qi.removeColumn('customers', 'plan');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('customers', 'plan', { type: DataTypes.TEXT, allowNull: false, defaultValue: 'standard' });
  await qi.sequelize.query(
    `UPDATE customers SET plan = 'advanced' WHERE id IN (SELECT customer_id FROM subscriptions WHERE starts_at <= now() AND ends_at > now())`,
  );
  await qi.sequelize.query(`ALTER TABLE customers ADD CONSTRAINT customers_plan_check CHECK (plan IN ('standard','advanced'))`);
  for (const col of ['logged_by', 'product_id', 'end_user', 'requester_id']) await qi.removeColumn('tickets', col);
  await qi.dropTable('audit_log');
  await qi.dropTable('api_tokens');
  await qi.dropTable('users');
  await qi.dropTable('subscriptions');
  await qi.dropTable('products');
}
