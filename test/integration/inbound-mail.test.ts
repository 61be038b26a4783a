// Inbound e-mail over real SMTP (nodemailer → the engine's listener): a requester's message becomes
// a ticket, a reply threads onto its ticket and resumes a paused clock, strangers get one polite
// refusal, machines get nothing, and a Standard customer's fourth message of the month is refused.
// Every message is sent as a mail provider would, DKIM-signed for its From domain (support/mail-auth.ts):
// what an unauthenticated sender gets is test/security/sender-auth.test.ts's.
import { expect } from 'chai';
import { InboundMessage, Ticket, TicketAttachment } from '../../db/models';
import { eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { authenticatedSender } from '../support/mail-auth';

describe('inbound e-mail', function () {
  let t: TestSystem;
  let smtp: ReturnType<typeof authenticatedSender>;
  const SUPPORT = 'support@lastcall.test';

  before(async () => {
    t = await startTestSystem({ label: 'inbound', policy: secondsPolicy({ B: { response: 'PT60S', resolution: 'PT120S' } }), attachmentMaxBytes: 2048 });
    smtp = authenticatedSender(t.sys.inboundSmtp!.url);
  });
  after(async () => {
    smtp?.close();
    await t?.stop();
  });

  const send = (m: Parameters<typeof smtp.send>[0]) => smtp.send({ to: SUPPORT, ...m });
  const inboundRow = (messageId: string) => eventually(() => InboundMessage.findOne({ where: { messageId } }).then((r) => (r && r.outcome !== 'processing' ? r : null)), 15_000, `inbound ${messageId}`);

  it('turns a requester\'s e-mail into an e-mail ticket and answers in the same thread with the number and both deadlines', async () => {
    const c = await t.createCustomerFixture('standard');
    const info = await send({
      from: `Ana <${c.requesterEmail}>`,
      subject: 'VPN no conecta',
      text: 'Desde esta mañana la VPN no conecta.\nImpacto: A\nTipo: consulta\n',
      messageId: '<first.vpn@customer.test>',
      attachments: [
        { filename: 'log.txt', content: 'error 809\n'.repeat(20) },
        { filename: 'big.bin', content: Buffer.alloc(10_000, 1) },
      ],
    });
    expect(info.rejected).to.deep.equal([]);
    const row = await inboundRow('<first.vpn@customer.test>');
    expect(row.outcome).to.equal('ticket_created');
    const ticket = (await Ticket.findByPk(row.ticketId!))!;
    expect(ticket.channel).to.equal('email');
    expect(ticket.impact).to.equal('A');
    expect(ticket.type).to.equal('query');
    expect(ticket.requesterEmail).to.equal(c.requesterEmail);
    expect(ticket.description).to.contain('la VPN no conecta');

    const received = await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.subject.includes(`[Ticket #${ticket.number}] Received`));
    expect(received.headers.get('in-reply-to')).to.equal('<first.vpn@customer.test>');
    expect(received.text).to.match(/First response due by: \d{4}-/);
    expect(received.text).to.match(/Resolution due by: +\d{4}-/);

    // Kept up to the size limit (2 kB here); the larger one is noted, not stored.
    const kept = await TicketAttachment.findAll({ where: { ticketId: ticket.id } });
    expect(kept.map((a) => a.filename)).to.deep.equal(['log.txt']);
    expect(kept[0].content.toString()).to.contain('error 809');
  });

  it('threads a reply (In-Reply-To our e-mail, or the number in the subject) onto its ticket and resumes a paused clock', async () => {
    const c = await t.createCustomerFixture('standard');
    const ticket = await t.createTicket(c.id, { impact: 'B' });
    await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Which host?' });
    const waiting = await t.api('POST', `/api/tickets/${ticket.id}/wait-for-customer`, { message: 'Send the host name' });
    expect(waiting.body.status).to.equal('waiting_on_customer');
    const ours = await t.inbox.waitFor((m) => m.subject.includes(`[Ticket #${ticket.number}] Response`));

    await sleep(1_000);
    await send({ from: c.requesterEmail, subject: `Re: ${ours.subject}`, text: 'It is mx1.customer.test\n\n> Which host?', inReplyTo: ours.messageId, references: [ours.messageId!], messageId: '<reply.1@customer.test>' });
    const row = await inboundRow('<reply.1@customer.test>');
    expect(row.outcome).to.equal('reply_added');
    expect(row.ticketId).to.equal(ticket.id);

    const after = await eventually(async () => {
      const r = await t.api('GET', `/api/tickets/${ticket.id}`);
      return r.body.status === 'in_progress' ? r.body : null;
    }, 10_000, 'ticket resumed');
    expect(after.sla.resolution.status).to.equal('running');
    expect(after.sla.resolution.pausedMs).to.be.at.least(900);
    const types = after.events.map((e: any) => e.type);
    expect(types.slice(-2)).to.deep.equal(['customer_message', 'customer_replied']);
    const msg = after.events.find((e: any) => e.type === 'customer_message');
    expect(msg.actor).to.equal(c.requesterEmail);
    expect(msg.data.message).to.equal('It is mx1.customer.test');
    // Whoever works the ticket (nobody yet: the lead) hears that the customer wrote.
    await t.inbox.waitFor((m) => m.subject.includes(`[Ticket #${ticket.number}] Customer wrote`));

    // No In-Reply-To: the number in the subject is enough; the clock is running, so only the message is recorded.
    await send({ from: c.requesterEmail, subject: `Más datos [Ticket #${ticket.number}]`, text: 'Also mx2.', messageId: '<reply.2@customer.test>' });
    expect((await inboundRow('<reply.2@customer.test>')).outcome).to.equal('reply_added');
    const later = await eventually(async () => {
      const r = await t.api('GET', `/api/tickets/${ticket.id}`);
      return r.body.events.filter((e: any) => e.type === 'customer_message').length === 2 ? r.body : null;
    }, 10_000, 'second message');
    expect(later.events.filter((e: any) => e.type === 'customer_replied')).to.have.length(1);

    // The same message delivered twice counts once.
    await send({ from: c.requesterEmail, subject: `Más datos [Ticket #${ticket.number}]`, text: 'Also mx2.', messageId: '<reply.2@customer.test>' });
    await sleep(1_000);
    const again = await t.api('GET', `/api/tickets/${ticket.id}`);
    expect(again.body.events.filter((e: any) => e.type === 'customer_message')).to.have.length(2);
    expect(await Ticket.count({ where: { customerId: c.id } })).to.equal(1);
  });

  it('gives an unknown (authenticated) sender one polite refusal, and no more', async () => {
    const stranger = 'stranger@elsewhere.test';
    await send({ from: stranger, subject: 'Hola', text: 'Necesito ayuda', messageId: '<s1@elsewhere.test>' });
    expect((await inboundRow('<s1@elsewhere.test>')).outcome).to.equal('refused');
    const refusal = await t.inbox.waitFor((m) => m.to.includes(stranger));
    // Nothing of the sender's is repeated (backscatter): not even the subject.
    expect(refusal.subject).to.not.contain('Hola');
    // ("Hola:" opens our own Spanish answer; the old one quoted the subject as "Hola".)
    expect(refusal.text).to.not.contain('"Hola"');
    expect(refusal.text).to.not.contain('Necesito ayuda');
    expect(refusal.headers.get('auto-submitted')).to.equal('auto-replied');
    expect(refusal.headers.get('in-reply-to')).to.equal('<s1@elsewhere.test>');
    expect(refusal.text).to.contain('No conocemos la dirección stranger@elsewhere.test');
    expect(refusal.text).to.contain('We do not know the address stranger@elsewhere.test');

    await send({ from: stranger, subject: 'Hola otra vez', text: '¿Hay alguien?', messageId: '<s2@elsewhere.test>' });
    expect((await inboundRow('<s2@elsewhere.test>')).outcome).to.equal('refused');
    await sleep(1_000);
    expect(t.inbox.find((m) => m.to.includes(stranger))).to.have.length(1);
  });

  it('never answers or files auto-replies and bounces', async () => {
    const c = await t.createCustomerFixture('advanced');
    const cases: Array<[string, Record<string, string>, string | false]> = [
      ['<auto1@customer.test>', { 'Auto-Submitted': 'auto-replied' }, c.requesterEmail],
      ['<auto2@customer.test>', { Precedence: 'auto_reply' }, c.requesterEmail],
      ['<auto3@customer.test>', { Precedence: 'bulk' }, c.requesterEmail],
      ['<auto4@customer.test>', { 'X-Auto-Response-Suppress': 'All' }, c.requesterEmail],
      ['<bounce1@customer.test>', {}, false],
    ];
    for (const [messageId, headers, envelopeFrom] of cases) {
      await send({ from: c.requesterEmail, subject: 'Out of office', text: 'I am away until Monday.', messageId, headers, envelope: { from: envelopeFrom as never, to: SUPPORT } });
    }
    for (const [messageId] of cases) {
      const row = await inboundRow(messageId);
      expect(row.outcome, messageId).to.equal('ignored');
    }
    // Also when it names a ticket: an out-of-office answer to our e-mail is not the customer's reply.
    const ticket = await t.createTicket(c.id);
    await send({ from: c.requesterEmail, subject: `Automatic reply: [Ticket #${ticket.number}] Received`, text: 'Away', messageId: '<auto5@customer.test>', headers: { 'Auto-Submitted': 'auto-replied' } });
    expect((await inboundRow('<auto5@customer.test>')).outcome).to.equal('ignored');
    await sleep(1_000);
    expect(await Ticket.count({ where: { customerId: c.id } })).to.equal(1);
    expect(t.inbox.find((m) => m.to.includes(c.requesterEmail) && !m.subject.includes('Received'))).to.deep.equal([]);
    const full = await t.api('GET', `/api/tickets/${ticket.id}`);
    expect(full.body.events.map((e: any) => e.type)).to.not.include('customer_message');
  });

  it('refuses a Standard customer\'s fourth message of the month, saying why', async () => {
    const c = await t.createCustomerFixture('standard');
    for (let i = 1; i <= 3; i++) {
      await send({ from: c.requesterEmail, subject: `Problema ${i}`, text: 'Algo falla', messageId: `<q${i}@customer.test>` });
      expect((await inboundRow(`<q${i}@customer.test>`)).outcome).to.equal('ticket_created');
    }
    await send({ from: c.requesterEmail, subject: 'Problema 4', text: 'Otra cosa', messageId: '<q4@customer.test>' });
    const row = await inboundRow('<q4@customer.test>');
    expect(row.outcome).to.equal('refused');
    expect(row.reason).to.equal('QUOTA_EXCEEDED');
    const refusal = await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.headers.get('in-reply-to') === '<q4@customer.test>');
    expect(refusal.subject).to.not.contain('Problema 4');
    expect(refusal.text).to.contain('El plan Estándar permite 3 casos por mes calendario');
    expect(refusal.text).to.contain('The Standard plan allows 3 tickets per calendar month');
    expect(await Ticket.count({ where: { customerId: c.id } })).to.equal(3);
  });

  it('does not add a message to a ticket the sender may not see, nor to a closed one', async () => {
    const owner = await t.createCustomerFixture('standard');
    const other = await t.createCustomerFixture('standard');
    const ticket = await t.createTicket(owner.id);
    await send({ from: other.requesterEmail, subject: `[Ticket #${ticket.number}] hola`, text: 'Not mine', messageId: '<x1@customer.test>' });
    const row = await inboundRow('<x1@customer.test>');
    expect(row.outcome).to.equal('refused');
    expect(row.reason).to.equal('NOT_YOUR_TICKET');

    await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Done' });
    await t.api('POST', `/api/tickets/${ticket.id}/close`, {});
    await send({ from: owner.requesterEmail, subject: `Re: [Ticket #${ticket.number}] Resolved`, text: 'Thanks', messageId: '<x2@customer.test>' });
    const closed = await inboundRow('<x2@customer.test>');
    expect(closed.outcome).to.equal('refused');
    expect(closed.reason).to.equal('TICKET_CLOSED_MAIL');
    const answer = await t.inbox.waitFor((m) => m.to.includes(owner.requesterEmail) && m.headers.get('in-reply-to') === '<x2@customer.test>');
    expect(answer.text).to.contain(`Ticket #${ticket.number} is closed`);
  });
});
