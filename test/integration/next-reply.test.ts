// The third clock on the real server: a customer writes back (DKIM-signed e-mail over real SMTP) to a
// ticket being worked, and support owes an answer within the next-reply target (4 s here, warning at
// 50 %). Warning and breach e-mails, the API's sla, the Temporal search attribute and the current
// details, the technician's reply e-mailed to the customer, a second cycle met, and the report.
import { expect } from 'chai';
import { InboundMessage } from '../../db/models';
import { LEAD, eventually, secondsPolicy, startTestSystem, type TestSystem } from '../support/harness';
import { authenticatedSender } from '../support/mail-auth';
import { opsFilter } from '../../temporal/ops-filters';

describe('next-reply clock on the real server', function () {
  let t: TestSystem;
  let smtp: ReturnType<typeof authenticatedSender>;

  before(async () => {
    t = await startTestSystem({ label: 'next_reply', policy: secondsPolicy({ A: { response: 'PT60S', resolution: 'PT600S', nextReply: 'PT4S' } }) });
    smtp = authenticatedSender(t.sys.inboundSmtp!.url);
  });
  after(async () => {
    smtp?.close();
    await t?.stop();
  });

  const view = async (id: string) => (await t.api('GET', `/api/tickets/${id}`)).body;
  const nextReplyEvents = (v: any) => v.events.filter((e: any) => e.data.clock === 'nextReply').map((e: any) => e.type);

  it('a customer writes back: warning and breach on time, the late reply e-mailed; the next cycle met; the report counts both', async () => {
    const c = await t.createCustomerFixture('standard');
    const ticket = await t.createTicket(c.id, { impact: 'A' });
    const first = await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Which version do you run?' });
    expect(first.body.sla.nextReply).to.equal(null);
    const ours = await t.inbox.waitFor((m) => m.subject.includes(`[Ticket #${ticket.number}] Response`));

    await smtp.send({ from: c.requesterEmail, to: 'support@lastcall.test', subject: `Re: ${ours.subject}`, text: 'Version 8.10', inReplyTo: ours.messageId, references: [ours.messageId!], messageId: `<nr1.${ticket.number}@customer.test>` });
    const row = await eventually(() => InboundMessage.findOne({ where: { messageId: `<nr1.${ticket.number}@customer.test>` } }).then((r) => (r && r.outcome !== 'processing' ? r : null)), 15_000, 'inbound reply');
    expect(row.outcome).to.equal('reply_added');

    const owed = await eventually(async () => ((await view(ticket.id)).sla.nextReply?.status === 'running' ? view(ticket.id) : null), 10_000, 'next reply owed');
    const wroteAt = Date.parse(owed.events.find((e: any) => e.type === 'customer_message').at);
    expect(Date.parse(owed.sla.nextReply.dueAt) - wroteAt).to.equal(4_000);

    // Ops find the ticket by the answer it owes: ResponseDueAt is the next reply's due time now.
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
    await eventually(async () => {
      const sa = (await handle.describe()).typedSearchAttributes;
      const due = sa.getAll().find((p) => p.key.name === 'ResponseDueAt')?.value as Date | undefined;
      return due && due.getTime() === Date.parse(owed.sla.nextReply.dueAt);
    }, 10_000, 'ResponseDueAt = next reply due');
    // …which the ready-made filter for replies owed finds.
    await eventually(async () => {
      const found: string[] = [];
      const query = `(${opsFilter('replies-due-next-hour').query({ now: new Date() })}) AND TicketNumber = ${ticket.number}`;
      for await (const wf of t.sys.temporal.workflow.list({ query })) found.push(wf.workflowId);
      return found.length === 1 && found[0] === ticket.workflowId;
    }, 10_000, 'replies-due-next-hour finds it');
    const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).to.contain(`Next reply: running · due ${owed.sla.nextReply.dueAt}`);

    const warning = await t.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}`) && m.subject.includes('SLA warning: next reply'));
    const breach = await t.inbox.waitFor((m) => m.to.includes(LEAD) && m.subject.includes(`#${ticket.number}`) && m.subject.includes('BREACHED: next reply'));
    expect(breach.receivedAt).to.be.greaterThan(warning.receivedAt);
    const late = await eventually(async () => {
      const v = await view(ticket.id);
      return nextReplyEvents(v).includes('sla_breached') ? v : null;
    });
    const breached = late.events.find((e: any) => e.type === 'sla_breached');
    expect(breached.data).to.include({ clock: 'nextReply', dueAt: Date.parse(owed.sla.nextReply.dueAt) });
    expect(breached.data.lateByMs).to.be.within(0, 2_000);
    expect(late.breached).to.equal(true);
    expect(late.sla.response.status).to.equal('met');

    // The late answer goes to the customer; the cycle stays breached.
    const replied = await t.api('POST', `/api/tickets/${ticket.id}/reply`, { via: 'email', message: 'Upgrade to 8.11, it fixes this.' });
    expect(replied.status).to.equal(200);
    expect(replied.body.sla.nextReply.status).to.equal('breached');
    const mail = await t.inbox.waitFor((m) => m.to.includes(c.requesterEmail) && m.subject === `[Ticket #${ticket.number}] Reply: ${ticket.subject}`);
    expect(mail.text).to.contain('Upgrade to 8.11, it fixes this.');
    // A first response cannot be given twice; a reply is the later answer.
    const again = await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Again' });
    expect(again.status).to.equal(409);
    expect(again.body.error.message).to.contain('a later answer is a reply');

    // The customer writes again and is answered in time: that cycle is met.
    await smtp.send({ from: c.requesterEmail, to: 'support@lastcall.test', subject: `Re: [Ticket #${ticket.number}] Reply`, text: 'Still failing on 8.11', messageId: `<nr2.${ticket.number}@customer.test>` });
    await eventually(async () => ((await view(ticket.id)).sla.nextReply?.status === 'running' ? true : null), 15_000, 'second cycle');
    const answered = await t.api('POST', `/api/tickets/${ticket.id}/reply`, { via: 'phone', message: 'Calling you now.' });
    expect(answered.body.sla.nextReply.status).to.equal('met');
    const done = await eventually(async () => {
      const v = await view(ticket.id);
      return nextReplyEvents(v).filter((x: string) => x === 'sla_met').length === 1 ? v : null;
    });
    expect(nextReplyEvents(done)).to.deep.equal(['sla_warning', 'sla_breached', 'sla_met']);
    expect(done.breached).to.equal(true);
    // The requester reads the replies in the ticket's history, not the alarms.
    const asRequester = (await t.as(c.requesterToken)('GET', `/api/tickets/${ticket.id}`)).body;
    expect(asRequester.events.filter((e: any) => e.type === 'replied').map((e: any) => e.data.message)).to.deep.equal(['Upgrade to 8.11, it fixes this.', 'Calling you now.']);
    expect(asRequester.events.some((e: any) => e.type.startsWith('sla_'))).to.equal(false);

    // The report counts cycles: one met, one breached, none owed now.
    // The report counts the tickets received in its days, in the time zone it is asked in (the
    // customer's, America/Santiago, unless told): the ticket's UTC day, asked in UTC.
    const day = (done.receivedAt as string).slice(0, 10);
    const report = await t.admin('GET', `/api/reports/sla?from=${day}&to=${day}&timezone=UTC&customerId=${c.id}`);
    expect(report.status).to.equal(200);
    expect(report.body.totals.nextReply).to.deep.equal({ met: 1, breached: 1, running: 0, compliancePct: 50 });
  });

  it('without a next-reply target (impact B here) a customer message owes nothing and no step changes', async () => {
    const c = await t.createCustomerFixture('standard');
    const ticket = await t.createTicket(c.id, { impact: 'B' });
    await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Looking' });
    await smtp.send({ from: c.requesterEmail, to: 'support@lastcall.test', subject: `Re: [Ticket #${ticket.number}] Response`, text: 'Any news?', messageId: `<nr3.${ticket.number}@customer.test>` });
    const v = await eventually(async () => {
      const x = await view(ticket.id);
      return x.events.some((e: any) => e.type === 'customer_message') ? x : null;
    }, 15_000, 'message recorded');
    expect(v.sla.nextReply).to.equal(null);
    const r = await t.api('POST', `/api/tickets/${ticket.id}/reply`, { via: 'email', message: 'Tomorrow.' });
    expect(r.status).to.equal(200);
    expect(r.body.sla.nextReply).to.equal(null);
  });
});
