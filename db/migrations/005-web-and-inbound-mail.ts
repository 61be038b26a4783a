// The people's ways in: browser sessions and one-time sign-in links for the web pages; inbound
// e-mail (each message once, by its Message-ID, with what became of it); attachments kept with
// their ticket; and the message a ticket came from, so its first answer threads under it.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const now = { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.literal('CURRENT_TIMESTAMP') };
  const user = { type: DataTypes.UUID, allowNull: false, references: { model: 'users', key: 'id' }, onDelete: 'CASCADE' };

  // Only hashes are stored: a copy of the table signs nobody in.
  await qi.createTable('web_sessions', {
    id_hash: { type: DataTypes.TEXT, primaryKey: true },
    user_id: user,
    created_at: now,
    expires_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('web_sessions', ['user_id']);

  await qi.createTable('sign_in_links', {
    token_hash: { type: DataTypes.TEXT, primaryKey: true },
    user_id: user,
    created_at: now,
    expires_at: { type: DataTypes.DATE, allowNull: false },
    used_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('sign_in_links', ['user_id', 'created_at']);

  await qi.createTable('inbound_messages', {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: qi.sequelize.literal('gen_random_uuid()') },
    // The sender's Message-ID (or a digest of the raw message when it has none): a redelivery is ignored.
    message_id: { type: DataTypes.TEXT, allowNull: false, unique: true },
    from_address: { type: DataTypes.TEXT, allowNull: true },
    subject: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    size: { type: DataTypes.INTEGER, allowNull: false },
    outcome: { type: DataTypes.TEXT, allowNull: false },
    reason: { type: DataTypes.TEXT, allowNull: true },
    ticket_id: { type: DataTypes.UUID, allowNull: true, references: { model: 'tickets', key: 'id' }, onDelete: 'SET NULL' },
    // The answer we sent, if any (a refusal); new tickets are answered by their "received" e-mail.
    reply_message_id: { type: DataTypes.TEXT, allowNull: true },
    received_at: now,
  });
  await qi.sequelize.query(
    `ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_outcome_check CHECK (outcome IN ('processing','ticket_created','reply_added','refused','ignored'))`,
  );
  await qi.addIndex('inbound_messages', ['from_address', 'received_at']);
  await qi.addIndex('inbound_messages', ['ticket_id']);

  await qi.createTable('ticket_attachments', {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: qi.sequelize.literal('gen_random_uuid()') },
    ticket_id: { type: DataTypes.UUID, allowNull: false, references: { model: 'tickets', key: 'id' }, onDelete: 'CASCADE' },
    inbound_message_id: { type: DataTypes.UUID, allowNull: true, references: { model: 'inbound_messages', key: 'id' }, onDelete: 'SET NULL' },
    filename: { type: DataTypes.TEXT, allowNull: false },
    content_type: { type: DataTypes.TEXT, allowNull: false },
    size: { type: DataTypes.INTEGER, allowNull: false },
    content: { type: DataTypes.BLOB, allowNull: false },
    created_at: now,
  });
  await qi.addIndex('ticket_attachments', ['ticket_id']);

  await qi.addColumn('tickets', 'source_message_id', { type: DataTypes.TEXT, allowNull: true });
  // Replies name our e-mails in In-Reply-To / References: found by their Message-ID.
  await qi.addIndex('notifications', ['message_id']);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex('notifications', ['message_id']);
  await qi.removeColumn('tickets', 'source_message_id');
  await qi.dropTable('ticket_attachments');
  await qi.dropTable('inbound_messages');
  await qi.dropTable('sign_in_links');
  await qi.dropTable('web_sessions');
}
