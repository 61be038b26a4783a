// A forged From, attacked over real SMTP against the real engine: messages signed with DKIM keys made
// here, their DNS records (DKIM key, SPF, DMARC) served through the engine's resolver hook. A message
// whose From is authenticated acts; the same From forged (unsigned with SPF failing from this
// machine, signed with the wrong key, signed by another domain) is held: never a ticket, never a
// reply, never answered, until a technician accepts it (then it is processed with every plan rule:
// the quota counts it then) or rejects it (dropped, nobody told). A trusted relay's
// Authentication-Results header is believed only from the relay.
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { AuditEntry, HeldMail, InboundMessage, Ticket } from '../../db/models';
import { ADMIN_TOKEN, eventually, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { authenticatedSender, testDns, type TestDomain } from '../support/mail-auth';
import { WebClient } from '../support/web-client';

describe('sender authentication of inbound mail (security)', function () {
  this.timeout(60_000);
  let t: TestSystem;
  let mail: ReturnType<typeof authenticatedSender>;
  // The same client seen from 127.0.0.2: the trusted relay of this system.
  let relay: ReturnType<typeof authenticatedSender>;
  const SUPPORT = 'support@lastcall.test';
  // A domain with no DMARC record whose SPF names this machine: an aligned SPF pass authenticates.
  testDns.domain('nodmarc.test', { spf: 'v=spf1 ip4:127.0.0.1 -all', dmarc: null });

  before(async () => {
    t = await startTestSystem({ label: 'senderauth', inbound: { inboundTrustedRelays: ['127.0.0.2/32'], inboundAuthservId: 'mx.relay.test' } });
    mail = authenticatedSender(t.sys.inboundSmtp!.url);
    relay = authenticatedSender(t.sys.inboundSmtp!.url, testDns, { localAddress: '127.0.0.2' });
  });
  after(async () => {
    mail?.close();
    relay?.close();
    await t?.stop();
  });

  const send = (m: Parameters<typeof mail.send>[0]) => mail.send({ to: SUPPORT, ...m });
  const settled = (messageId: string) => eventually(() => InboundMessage.findOne({ where: { messageId } }).then((r) => (r && r.outcome !== 'processing' ? r : null)), 15_000, `inbound ${messageId}`);
  const heldOf = async (messageId: string) => (await HeldMail.findOne({ where: { inboundMessageId: (await settled(messageId)).id } }))!;
  const mailTo = (address: string) => t.inbox.find((m) => m.to.includes(address));
  const wrongKey = (): TestDomain => ({
    ...testDns.keyOf('customer.test'),
    privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });

  it('takes a requester\'s DKIM-signed message (DMARC pass) and one from a domain without DMARC whose SPF passes', async () => {
    const c = await t.createCustomerFixture('advanced');
    await send({ from: c.requesterEmail, subject: 'Signed', text: 'The VPN is down', messageId: '<signed.1@customer.test>' });
    const row = await settled('<signed.1@customer.test>');
    expect(row.outcome).to.equal('ticket_created');

    const other = await t.admin('POST', `/api/customers/${c.id}/users`, { name: 'Nora', email: 'nora@nodmarc.test' });
    expect(other.status).to.equal(201);
    await send({ from: 'nora@nodmarc.test', subject: 'SPF only', text: 'Hello', messageId: '<spf.1@nodmarc.test>', dkimWith: false });
    expect((await settled('<spf.1@nodmarc.test>')).outcome).to.equal('ticket_created');
    expect(await Ticket.count({ where: { customerId: c.id } })).to.equal(2);
  });

  it('holds the same From forged (unsigned and SPF failing, the wrong key, another domain\'s signature): no ticket, no reply, no answer', async () => {
    const c = await t.createCustomerFixture('standard');
    const forgeries: Array<[string, TestDomain | false]> = [
      ['<forged.unsigned@customer.test>', false],
      ['<forged.wrongkey@customer.test>', wrongKey()],
      ['<forged.otherdomain@customer.test>', testDns.keyOf('elsewhere.test')],
    ];
    for (const [messageId, dkimWith] of forgeries) {
      await send({ from: `Ana <${c.requesterEmail}>`, subject: 'Please open a ticket', text: 'Impact: A\nForged', messageId, dkimWith });
    }
    for (const [messageId] of forgeries) {
      const row = await settled(messageId);
      expect(row.outcome, messageId).to.equal('held');
      expect(row.reason, messageId).to.match(/^not authenticated/);
      expect(row.reason, messageId).to.contain('DMARC fail');
      const held = await heldOf(messageId);
      expect(held.status).to.equal('held');
      expect(held.fromAddress).to.equal(c.requesterEmail);
      expect(held.raw!.length).to.be.greaterThan(100);
      expect(held.envelope.remoteAddress).to.equal('127.0.0.1');
    }
    expect((await heldOf('<forged.unsigned@customer.test>')).authentication.spf).to.match(/^fail/);
    expect((await heldOf('<forged.wrongkey@customer.test>')).authentication.dkim).to.match(/^fail|neutral/);
    expect((await heldOf('<forged.otherdomain@customer.test>')).authentication.dkim).to.equal('pass (elsewhere.test)');
    await sleep(1_000);
    expect(await Ticket.count({ where: { customerId: c.id } })).to.equal(0);
    expect(mailTo(c.requesterEmail)).to.deep.equal([]);
  });

  it('holds a forged reply on a ticket: the ticket does not change', async () => {
    const c = await t.createCustomerFixture('standard');
    const ticket = await t.createTicket(c.id, { impact: 'B' });
    await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Which host?' });
    expect((await t.api('POST', `/api/tickets/${ticket.id}/wait-for-customer`, { message: 'Send the host name' })).body.status).to.equal('waiting_on_customer');
    await send({ from: c.requesterEmail, subject: `Re: [Ticket #${ticket.number}] please close it`, text: 'Please close it', messageId: '<forged.reply@customer.test>', dkimWith: false });
    expect((await settled('<forged.reply@customer.test>')).outcome).to.equal('held');
    const held = await heldOf('<forged.reply@customer.test>');
    expect(held.ticketId).to.equal(ticket.id);
    await sleep(500);
    const after = await t.api('GET', `/api/tickets/${ticket.id}`);
    expect(after.body.status).to.equal('waiting_on_customer');
    expect(after.body.events.map((e: any) => e.type)).to.not.include('customer_message');

    // Accepted through the API: the reply goes on the ticket as an authenticated one would, and the clock runs again.
    const list = await t.api('GET', '/api/held-mail');
    expect(list.status).to.equal(200);
    const shown = list.body.messages.find((m: any) => m.id === held.id);
    expect(shown).to.include({ subject: `Re: [Ticket #${ticket.number}] please close it`, ticketNumber: Number(ticket.number), status: 'held', preview: 'Please close it' });
    expect(shown.authentication.summary).to.match(/^not authenticated/);
    const accepted = await t.api('POST', `/api/held-mail/${held.id}/accept`);
    expect(accepted.status).to.equal(200);
    expect(accepted.body).to.include({ status: 'accepted', outcome: 'reply_added', ticketNumber: Number(ticket.number) });
    const resumed = await eventually(async () => {
      const r = await t.api('GET', `/api/tickets/${ticket.id}`);
      return r.body.status === 'in_progress' ? r.body : null;
    }, 10_000, 'ticket resumed');
    expect(resumed.events.filter((e: any) => e.type === 'customer_message')).to.have.length(1);
    // Decided once: a second decision is refused, and the raw message is gone.
    const again = await t.api('POST', `/api/held-mail/${held.id}/reject`);
    expect(again.status).to.equal(409);
    expect(again.body.error.code).to.equal('HELD_MAIL_DECIDED');
    expect((await HeldMail.findByPk(held.id))!.raw).to.equal(null);
  });

  it('lets a technician accept held mail in the console (the quota counts it then) and reject it (dropped, nobody told)', async () => {
    const c = await t.createCustomerFixture('standard');
    for (let i = 1; i <= 2; i++) {
      await send({ from: c.requesterEmail, subject: `Signed ${i}`, text: 'x', messageId: `<quota.${i}@customer.test>` });
      expect((await settled(`<quota.${i}@customer.test>`)).outcome).to.equal('ticket_created');
    }
    for (const id of ['<held.a@customer.test>', '<held.b@customer.test>', '<held.c@customer.test>']) {
      await send({ from: c.requesterEmail, subject: `Held ${id}`, text: 'Impacto: C\nUnsigned', messageId: id, dkimWith: false });
      expect((await settled(id)).outcome).to.equal('held');
    }
    const [a, b, x] = await Promise.all(['<held.a@customer.test>', '<held.b@customer.test>', '<held.c@customer.test>'].map(heldOf));

    const web = new WebClient(t.url);
    await web.submit('/sign-in', '/sign-in/token', { token: t.techToken });
    const page = await web.get('/console/held-mail');
    expect(page.status).to.equal(200);
    expect(page.html).to.contain(`id="held-${a.id}"`);
    expect(page.html).to.contain('Held &lt;held.a@customer.test&gt;');

    // The third ticket of the month: accepted, it becomes a ticket with the impact its text names.
    const done = await web.submit(page, `/console/held-mail/${a.id}/accept`, {});
    expect(done.status).to.equal(200);
    expect(done.url).to.contain('done=accepted');
    expect(done.html).to.not.contain(`id="held-${a.id}"`);
    const rowA = await settled('<held.a@customer.test>');
    expect(rowA.outcome).to.equal('ticket_created');
    const ticketA = (await Ticket.findByPk(rowA.ticketId!))!;
    expect(ticketA.impact).to.equal('C');
    expect(ticketA.channel).to.equal('email');
    const decided = (await HeldMail.findByPk(a.id))!;
    expect(decided).to.include({ status: 'accepted', decidedBy: t.techEmail, decidedByUserId: t.techId });

    // The fourth: the Standard plan's quota is used, so accepting it is refused by the plan, as it would be authenticated.
    const fourth = await web.submit(done, `/console/held-mail/${b.id}/accept`, {});
    expect(fourth.status).to.equal(200);
    expect((await settled('<held.b@customer.test>')).reason).to.equal('QUOTA_EXCEEDED');
    expect(await Ticket.count({ where: { customerId: c.id } })).to.equal(3);

    // Rejected: dropped; the record says who.
    const rejected = await web.submit(fourth, `/console/held-mail/${x.id}/reject`, {});
    expect(rejected.url).to.contain('done=rejected');
    expect(rejected.html).to.contain(`data-held="${x.id}"`);
    const rowX = await settled('<held.c@customer.test>');
    expect(rowX.outcome).to.equal('ignored');
    expect(rowX.reason).to.equal(`held mail rejected by ${t.techEmail}`);
    expect((await HeldMail.findByPk(x.id))!).to.include({ status: 'rejected', decidedBy: t.techEmail, raw: null });
    const audit = await AuditEntry.findAll({ where: { targetType: 'held_mail' }, order: [['id', 'ASC']] });
    expect(audit.map((e) => [e.action, e.targetId, e.actor]).filter(([, id]) => [a.id, x.id].includes(id as string))).to.deep.equal([
      ['held_mail.accept', a.id, t.techEmail],
      ['held_mail.reject', x.id, t.techEmail],
    ]);
    await sleep(1_000);
    // The accepted ticket's own "received" e-mail, and the plan's refusal of the fourth (authenticated by
    // the technician's word): nothing about the rejected one, nothing quoting the sender.
    const answers = mailTo(c.requesterEmail);
    expect(answers.filter((m) => m.headers.get('in-reply-to') === '<held.c@customer.test>')).to.deep.equal([]);
    expect(answers.filter((m) => m.headers.get('in-reply-to') === '<held.b@customer.test>').map((m) => m.subject)).to.deep.equal(['Su correo a Soporte Last Call no fue recibido / Your e-mail to Last Call Support was not taken']);
  });

  it('answers nobody for an unauthenticated stranger, and only staff who work tickets see the queue', async () => {
    await send({ from: 'stranger@elsewhere.test', subject: 'Buy now', text: 'spam', messageId: '<spam.1@elsewhere.test>', dkimWith: false });
    const row = await settled('<spam.1@elsewhere.test>');
    expect(row.outcome).to.equal('refused');
    expect(row.reason).to.match(/^UNKNOWN_SENDER \(not answered: not authenticated/);
    expect(await HeldMail.count({ where: { inboundMessageId: row.id } })).to.equal(0);
    await sleep(1_000);
    expect(mailTo('stranger@elsewhere.test')).to.deep.equal([]);

    const c = await t.createCustomerFixture('standard');
    const asRequester = await t.as(c.requesterToken)('GET', '/api/held-mail');
    expect(asRequester.status).to.equal(403);
    expect((await t.as(ADMIN_TOKEN)('GET', '/api/held-mail')).status).to.equal(403);
    expect((await t.api('POST', '/api/held-mail/not-an-id/accept')).status).to.equal(404);
    expect((await t.api('POST', '/api/held-mail/00000000-0000-4000-8000-000000000000/reject')).body.error.code).to.equal('NOT_FOUND');
    expect((await t.api('GET', '/api/held-mail?status=bogus')).body.error.code).to.equal('VALIDATION_FAILED');
  });

  it('believes a trusted relay\'s Authentication-Results, and only from the relay', async () => {
    const c = await t.createCustomerFixture('standard');
    const relayed = `mx.relay.test; spf=pass smtp.mailfrom=${c.requesterEmail}; dkim=pass header.d=customer.test; dmarc=pass header.from=customer.test`;
    // Unsigned, from the relay's address: the relay's word is taken.
    await relay.send({ to: SUPPORT, from: c.requesterEmail, subject: 'Via the relay', text: 'x', messageId: '<relay.1@customer.test>', headers: { 'Authentication-Results': relayed }, dkimWith: false });
    expect((await settled('<relay.1@customer.test>')).outcome).to.equal('ticket_created');
    // The same header written by the sender, from anywhere else: checked here, and it fails.
    await send({ from: c.requesterEmail, subject: 'Claims the relay', text: 'x', messageId: '<relay.2@customer.test>', headers: { 'Authentication-Results': relayed }, dkimWith: false });
    expect((await settled('<relay.2@customer.test>')).outcome).to.equal('held');
    // From the relay, and the relay said DMARC failed.
    await relay.send({ to: SUPPORT, from: c.requesterEmail, subject: 'Relay says fail', text: 'x', messageId: '<relay.3@customer.test>', headers: { 'Authentication-Results': 'mx.relay.test; dmarc=fail header.from=customer.test' }, dkimWith: false });
    expect((await settled('<relay.3@customer.test>')).outcome).to.equal('held');
    expect((await heldOf('<relay.3@customer.test>')).authentication.via).to.equal('relay');
  });
});
