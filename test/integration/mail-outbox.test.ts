// The mail outbox against a real SMTP server: nothing is retried forever. A message the server
// refuses for good (550) is set aside at once, one that cannot be sent for a day is set aside then;
// both keep their row and last error for an operator, and are counted. Other mail goes on.
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { eventually, startTestSystem, type TestSystem } from '../support/harness';
import { MAIL_GIVE_UP_AFTER_MS } from '../../mail/outbox';
import { queueMail } from '../../mail/prepared-mail';

describe('mail outbox: nothing retried forever', function () {
  this.timeout(60_000);
  let t: TestSystem;
  before(async () => {
    t = await startTestSystem({ label: 'outbox' });
  });
  after(() => t?.stop());

  const setAside = (where: string, replacements: Record<string, unknown>) =>
    t.sys.sequelize.query<{ key: string; last_error: string; attempts: number }>(`SELECT key, last_error, attempts FROM mail_outbox WHERE due_at = 'infinity' AND ${where}`, { replacements, type: QueryTypes.SELECT });
  const metric = async (reason: string) => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('lastcall_mail_given_up_total{') && l.includes(`reason="${reason}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('sets aside a message the mail server refuses for good (550), after one attempt; the rest is delivered', async () => {
    const [gone, fine] = [await t.createCustomerFixture('advanced'), await t.createCustomerFixture('advanced')];
    t.inbox.rejects.add(gone.requesterEmail);
    const before = await metric('refused');
    const ticket = await t.createTicket(gone.id);
    const [row] = await eventually(async () => {
      const rows = await setAside('ticket_id = :id', { id: ticket.id });
      return rows.length ? rows : null;
    }, 15_000, 'the refused e-mail set aside');
    expect(row.attempts).to.equal(1);
    expect(row.last_error).to.match(/^given up: .*550/);
    expect(await metric('refused')).to.equal(before + 1);
    // Mail to a mailbox that exists goes on as before.
    const other = await t.createTicket(fine.id);
    await t.inbox.waitFor((m) => m.to.includes(fine.requesterEmail) && m.subject.includes(String(other.number)));
    expect(t.inbox.find((m) => m.to.includes(gone.requesterEmail))).to.deep.equal([]);
    expect((await setAside('ticket_id = :id', { id: ticket.id }))[0].attempts, 'not tried again').to.equal(1);
  });

  it('sets aside a message still unsent a day after it was queued (the server only ever says "later")', async () => {
    const c = await t.createCustomerFixture('advanced');
    t.inbox.refusing = true;
    try {
      const ticket = await t.createTicket(c.id);
      // Its "received" e-mail fails with 451 and waits its back-off…
      await eventually(async () => {
        const [r] = await t.sys.sequelize.query<{ attempts: number }>('SELECT attempts FROM mail_outbox WHERE ticket_id = :id', { replacements: { id: ticket.id }, type: QueryTypes.SELECT });
        return r && r.attempts >= 1;
      }, 15_000, 'a failed attempt');
      // …as it would have for a whole day: queued a day ago, due again now.
      await t.sys.sequelize.query(`UPDATE mail_outbox SET created_at = now() - make_interval(secs => :age), due_at = now() WHERE ticket_id = :id`, {
        replacements: { id: ticket.id, age: MAIL_GIVE_UP_AFTER_MS / 1000 + 60 },
      });
      const before = await metric('expired');
      const [row] = await eventually(async () => {
        const rows = await setAside('ticket_id = :id', { id: ticket.id });
        return rows.length ? rows : null;
      }, 15_000, 'the expired e-mail set aside');
      expect(row.last_error).to.match(/^given up: .*451/);
      expect(await metric('expired')).to.equal(before + 1);
    } finally {
      t.inbox.refusing = false;
    }
  });

  it('takes an e-mail written when it was queued (scheduled, session, inbound answers) the same way: retried while the server says "later", sent once, in the send log', async () => {
    const key = `prepared-test:${Date.now()}`;
    const mail = { key, ticketId: null, kind: 'lead_digest', to: 'prepared@lastcall.test', subject: `prepared ${key}`, text: 'written at queue time', messageId: `<${key.replace(/[^A-Za-z0-9.-]/g, '.')}@lastcall.test>` };
    t.inbox.refusing = true;
    try {
      expect(await queueMail(t.sys.sequelize, mail), 'owed').to.equal(true);
      expect(await queueMail(t.sys.sequelize, mail), 'the same key queued twice is one row').to.equal(false);
      await eventually(async () => {
        const [r] = await t.sys.sequelize.query<{ attempts: number; last_error: string | null }>('SELECT attempts, last_error FROM mail_outbox WHERE key = :key', { replacements: { key }, type: QueryTypes.SELECT });
        return r && r.attempts >= 1 && r.last_error !== null;
      }, 15_000, 'a failed attempt, waiting its back-off');
    } finally {
      t.inbox.refusing = false;
    }
    const sent = await t.inbox.waitFor((m) => m.subject === mail.subject, 30_000);
    expect(sent.headers.get('message-id')).to.equal(mail.messageId);
    await eventually(async () => {
      const rows = await t.sys.sequelize.query<{ kind: string; state: string }>('SELECT kind, state FROM notifications WHERE key = :key', { replacements: { key }, type: QueryTypes.SELECT });
      return rows.length === 1 && rows[0].state === 'sent' && rows[0].kind === 'lead_digest';
    }, 15_000, 'the send log to say it was sent');
    expect(await queueMail(t.sys.sequelize, mail), 'once sent, the same key is owed no more').to.equal(false);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(t.inbox.find((m) => m.subject === mail.subject)).to.have.length(1);
  });
});
