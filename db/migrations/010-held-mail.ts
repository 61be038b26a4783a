// Inbound mail whose sender is not authenticated (mail/sender-auth.ts) but that would have become a
// ticket or a reply: held, with everything needed to process it later (the raw message and its SMTP
// envelope), until a technician or lead accepts it (it then goes through intake or the reply path as
// an authenticated one would) or rejects it. Who decided, and when, is kept; the raw bytes are not,
// once decided. inbound_messages gains the outcome 'held'.
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('held_mail', {
    id: { type: DataTypes.UUID, primaryKey: true, defaultValue: qi.sequelize.literal('gen_random_uuid()') },
    // The message's claim on its Message-ID: a redelivery of a held message is the same message.
    inbound_message_id: { type: DataTypes.UUID, allowNull: false, unique: true, references: { model: 'inbound_messages', key: 'id' }, onDelete: 'CASCADE' },
    raw: { type: DataTypes.BLOB, allowNull: true },
    // MAIL FROM, RCPT TO, the client's address and EHLO name.
    envelope: { type: DataTypes.JSONB, allowNull: false },
    from_address: { type: DataTypes.TEXT, allowNull: false },
    from_name: { type: DataTypes.TEXT, allowNull: true },
    subject: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    // What the person wrote, cut short: enough for a technician to judge it.
    preview: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    // The ticket it names (a reply), if any.
    ticket_id: { type: DataTypes.UUID, allowNull: true, references: { model: 'tickets', key: 'id' }, onDelete: 'SET NULL' },
    // SPF, DKIM and DMARC as found, and the one-line summary shown.
    authentication: { type: DataTypes.JSONB, allowNull: false },
    status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'held' },
    decided_by: { type: DataTypes.TEXT, allowNull: true },
    decided_by_user_id: { type: DataTypes.UUID, allowNull: true, references: { model: 'users', key: 'id' }, onDelete: 'SET NULL' },
    decided_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false, defaultValue: qi.sequelize.literal('CURRENT_TIMESTAMP') },
  });
  await qi.sequelize.query(`ALTER TABLE held_mail ADD CONSTRAINT held_mail_status_check CHECK (status IN ('held','accepting','accepted','rejected'))`);
  await qi.addIndex('held_mail', ['status', 'created_at']);
  await qi.sequelize.query(`ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_outcome_check`);
  await qi.sequelize.query(
    `ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_outcome_check CHECK (outcome IN ('processing','ticket_created','reply_added','refused','ignored','held'))`,
  );
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('held_mail');
  // Held messages were never processed: they go as if never received (a sender's retry finds a clean slate).
  await qi.sequelize.query(`DELETE FROM inbound_messages WHERE outcome = 'held'`);
  await qi.sequelize.query(`ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_outcome_check`);
  await qi.sequelize.query(
    `ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_outcome_check CHECK (outcome IN ('processing','ticket_created','reply_added','refused','ignored'))`,
  );
}
