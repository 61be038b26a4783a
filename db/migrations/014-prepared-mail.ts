// Every e-mail goes through the outbox: besides ticket notifications and sign-in link requests,
// mail_outbox carries e-mails rendered when they were queued (mail/prepared-mail.ts), about a
// ticket or about none (an answer to inbound mail).
import type { QueryInterface } from 'sequelize';

const KINDS_BEFORE = `(kind = 'ticket_notification' AND ticket_id IS NOT NULL) OR (kind = 'sign_in_link' AND ticket_id IS NULL)`;

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check');
  await qi.sequelize.query(`ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check CHECK (${KINDS_BEFORE} OR kind = 'prepared_mail')`);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query(`DELETE FROM mail_outbox WHERE kind = 'prepared_mail'`);
  await qi.sequelize.query('ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check');
  await qi.sequelize.query(`ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check CHECK (${KINDS_BEFORE})`);
}
