// Nothing lost: idempotent intake (a retry or a concurrent copy is one ticket and one quota unit),
// a burst of intakes larger than the connection pool, graceful shutdown (readiness fails first,
// requests in flight finish), the customer reminder once per wait, the send log (one
// e-mail per key), and the local record's retry after a lost workflow task.
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { directRecord } from '../support/direct-record';
import { notificationsFor } from '../../domain/notifications';
import type { TicketEvent } from '../../domain/ticket-lifecycle';
import { sendOnce } from '../../mail/send-log';
import { createMailer } from '../../mail/mailer';

describe('nothing lost', function () {
  this.timeout(60_000);
  let t: TestSystem;

  before(async () => {
    t = await startTestSystem({ label: 'lost', policy: { ...secondsPolicy(), customerReminderAfter: 'PT2S' } });
  });
  after(async () => t?.stop());

  const body = { type: 'problem', impact: 'B', subject: 'Printer queue stuck', description: 'Jobs pile up since 8:00.' };
  const countOf = async (customerId: string) => (await t.sys.sequelize.query(`SELECT count(*)::int AS n FROM tickets WHERE customer_id = :customerId`, { replacements: { customerId }, plain: true }))!.n as number;

  it('a retried or duplicated request with one Idempotency-Key is one ticket and one quota unit', async () => {
    const c = await t.createCustomerFixture('standard');
    const as = t.as(c.requesterToken);
    // Ten concurrent copies of the same request, as a client retrying on time-outs would send them.
    const copies = await Promise.all(Array.from({ length: 10 }, () => as('POST', '/api/tickets', body, { 'idempotency-key': 'order-4711' })));
    expect(copies.map((r) => r.status)).to.deep.equal(Array(10).fill(201));
    expect(new Set(copies.map((r) => r.body.id)).size).to.equal(1);
    expect(copies.filter((r) => r.headers.get('idempotent-replayed') === 'true')).to.have.length(9);
    expect(await countOf(c.id)).to.equal(1);
    // The same key in another key order is the same request.
    const reordered = await as('POST', '/api/tickets', Object.fromEntries(Object.entries(body).reverse()), { 'idempotency-key': 'order-4711' });
    expect(reordered.status).to.equal(201);
    expect(reordered.body.number).to.equal(copies[0].body.number);
    const entitlement = await as('GET', `/api/customers/${c.id}/entitlement`);
    expect(entitlement.body.quota.used).to.equal(1);
    // One received e-mail, not ten.
    await t.inbox.waitFor((m) => m.subject.includes(`#${copies[0].body.number}]`) && m.subject.includes('Received'));
    await sleep(500);
    expect(t.inbox.find((m) => m.subject.includes(`#${copies[0].body.number}]`) && m.subject.includes('Received'))).to.have.length(1);

    const other = await as('POST', '/api/tickets', { ...body, impact: 'A' }, { 'idempotency-key': 'order-4711' });
    expect(other.status).to.equal(422);
    expect(other.body.error.code).to.equal('IDEMPOTENCY_KEY_REUSED');
    expect(other.body.error.details.ticketNumber).to.equal(copies[0].body.number);
    const bad = await as('POST', '/api/tickets', body, { 'idempotency-key': 'x'.repeat(201) });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.details[0].path).to.equal('Idempotency-Key');
    // Two more without a key fill the Standard quota; the retried first one still answers.
    await as('POST', '/api/tickets', body);
    await as('POST', '/api/tickets', body);
    expect((await as('POST', '/api/tickets', body)).body.error.code).to.equal('QUOTA_EXCEEDED');
    const retry = await as('POST', '/api/tickets', body, { 'idempotency-key': 'order-4711' });
    expect(retry.status).to.equal(201);
    expect(retry.body.id).to.equal(copies[0].body.id);
    expect(await countOf(c.id)).to.equal(3);
  });

  it('a burst of intakes for one customer, more than the connection pool, is all accepted', async () => {
    const c = await t.createCustomerFixture('advanced');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => t.as(c.requesterToken)('POST', '/api/tickets', { ...body, subject: `Burst ${i}` })));
    expect(results.map((r) => r.status)).to.deep.equal(Array(40).fill(201));
    expect(new Set(results.map((r) => r.body.number)).size).to.equal(40);
  });

  it('a ticket waiting on its customer reminds them once per wait', async () => {
    const c = await t.createCustomer('advanced');
    const ticket = await t.createTicket(c, { impact: 'B' });
    await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Need the logs' });
    expect((await t.api('POST', `/api/tickets/${ticket.id}/wait-for-customer`, { message: 'Please send the logs' })).status).to.equal(200);
    const reminder = await t.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}]`) && m.subject.includes('Waiting for your reply'), 10_000);
    expect(reminder.to).to.include(ticket.requester.email);
    await sleep(3_000);
    expect(t.inbox.find((m) => m.subject.includes(`#${ticket.number}]`) && m.subject.includes('Waiting for your reply'))).to.have.length(1);
    // A new wait, a new reminder.
    await t.api('POST', `/api/tickets/${ticket.id}/customer-replied`, {});
    await t.api('POST', `/api/tickets/${ticket.id}/wait-for-customer`, {});
    await eventually(async () => t.inbox.find((m) => m.subject.includes(`#${ticket.number}]`) && m.subject.includes('Waiting for your reply')).length === 2, 10_000, 'second reminder');
    const types = (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.map((e: any) => e.type);
    expect(types.filter((x: string) => x === 'customer_reminded')).to.have.length(2);
    // One clean workflow version: no patch marker in a new ticket's history (docs/versioning.md).
    const history = await t.sys.temporal.workflow.getHandle(ticket.workflowId).fetchHistory();
    expect(JSON.stringify(history.events?.filter((e) => e.markerRecordedEventAttributes))).to.not.contain('core_patch');
  });

  it('an e-mail goes out once per key: a repeat finds it sent; one left "sending" by a dead attempt goes out', async () => {
    const mailer = createMailer(t.inbox.url, 'Last Call Support <support@lastcall.test>');
    try {
      const mail = (key: string) => ({ key, ticketId: null, kind: 'lead_digest', to: 'once@lastcall.test', subject: `Once ${key}`, text: 'Sent once.' });
      const received = (key: string) => t.inbox.messages.filter((m) => m.subject === `Once ${key}`).length;
      const state = async (key: string) => (await t.sys.sequelize.query<{ state: string }>('SELECT state FROM notifications WHERE key = :key', { replacements: { key }, type: QueryTypes.SELECT }))[0]?.state;

      const key = `once-${Date.now()}`;
      expect(await sendOnce(mailer, mail(key))).to.deep.equal({ sent: true, to: 'once@lastcall.test' });
      expect(await sendOnce(mailer, mail(key))).to.deep.equal({ sent: false, to: 'once@lastcall.test' });
      await eventually(async () => received(key) === 1, 10_000, 'the first send');
      expect(await state(key)).to.equal('sent');

      const orphan = `orphan-${Date.now()}`;
      await t.sys.sequelize.query(`INSERT INTO notifications (key, kind, recipient, subject, state) VALUES (:orphan, 'lead_digest', 'once@lastcall.test', 'x', 'sending')`, { replacements: { orphan } });
      expect(await sendOnce(mailer, mail(orphan))).to.deep.equal({ sent: true, to: 'once@lastcall.test' });
      await eventually(async () => received(orphan) === 1, 10_000, 'the orphan\'s send');
      expect(await state(orphan)).to.equal('sent');
      await sleep(300);
      expect(received(key)).to.equal(1);
    } finally {
      mailer.close();
    }
  });

  it('e-mails sent together are claimed in one statement; the same key twice among them goes out once', async () => {
    const mailer = createMailer(t.inbox.url, 'Last Call Support <support@lastcall.test>');
    const prefix = `together-${Date.now()}`;
    const claims: string[] = [];
    // The worker's outbox shares this process's connection: only this test's statements count.
    const hook = (_o: unknown, q: { sql?: string }) => {
      if (q.sql?.includes(prefix) && q.sql.includes('INSERT INTO notifications')) claims.push(q.sql);
    };
    t.sys.sequelize.addHook('afterQuery', 'count-claims', hook as never);
    try {
      const keys = Array.from({ length: 6 }, (_, i) => `${prefix}-${i}`);
      const mail = (key: string) => ({ key, ticketId: null, kind: 'lead_digest', to: 'once@lastcall.test', subject: `Once ${key}`, text: 'Sent once.' });
      const results = await Promise.allSettled([...keys, keys[0]].map((key) => sendOnce(mailer, mail(key))));
      expect(claims).to.have.length(1);
      expect(results.filter((r) => r.status === 'fulfilled' && r.value.sent)).to.have.length(6);
      // The second claim of one key in a batch waits for a retry, which finds it sent.
      expect(results[6]).to.include({ status: 'rejected' });
      expect(String((results[6] as PromiseRejectedResult).reason)).to.contain('being logged by another sender');
      expect(await sendOnce(mailer, mail(keys[0]))).to.deep.equal({ sent: false, to: 'once@lastcall.test' });
      const sent = await t.sys.sequelize.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE key LIKE :p AND state = 'sent'`, { replacements: { p: `${prefix}-%` }, type: QueryTypes.SELECT });
      expect(sent[0].n).to.equal(6);
      await eventually(async () => t.inbox.messages.filter((m) => m.subject.startsWith(`Once ${prefix}`)).length === 6, 10_000, 'six e-mails');
      await sleep(300);
      for (const key of keys) expect(t.inbox.messages.filter((m) => m.subject === `Once ${key}`), key).to.have.length(1);
    } finally {
      t.sys.sequelize.removeHook('afterQuery', 'count-claims');
      mailer.close();
    }
  });

  it('an e-mail the send log could not mark sent (the database refused the mark) counts as sent and is marked once the database takes it', async () => {
    const mailer = createMailer(t.inbox.url, 'Last Call Support <support@lastcall.test>');
    const key = `unmarked-${Date.now()}`;
    const state = async () => (await t.sys.sequelize.query<{ state: string }>('SELECT state FROM notifications WHERE key = :key', { replacements: { key }, type: QueryTypes.SELECT }))[0]?.state;
    // Refuses only this test's key: other tests write the same table meanwhile.
    await t.sys.sequelize.query(`CREATE FUNCTION refuse_unmarked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.key LIKE 'unmarked-%' AND NEW.state = 'sent' THEN RAISE EXCEPTION 'the database is away'; END IF; RETURN NEW; END $$`);
    await t.sys.sequelize.query('CREATE TRIGGER refuse_unmarked BEFORE UPDATE ON notifications FOR EACH ROW EXECUTE FUNCTION refuse_unmarked()');
    let dropped = false;
    const drop = async () => {
      if (dropped) return;
      dropped = true;
      await t.sys.sequelize.query('DROP TRIGGER IF EXISTS refuse_unmarked ON notifications; DROP FUNCTION IF EXISTS refuse_unmarked()');
    };
    try {
      expect(await sendOnce(mailer, { key, ticketId: null, kind: 'lead_digest', to: 'once@lastcall.test', subject: `Once ${key}`, text: 'Sent once.' })).to.deep.equal({ sent: true, to: 'once@lastcall.test' });
      await sleep(1_000);
      // Still 'sending': another process claiming it now would send it again; this one keeps marking.
      expect(await state()).to.equal('sending');
      await drop();
      await eventually(async () => (await state()) === 'sent', 10_000, 'the mark, without another send');
      expect(t.inbox.messages.filter((m) => m.subject === `Once ${key}`)).to.have.length(1);
    } finally {
      await drop();
      mailer.close();
    }
  });

  it('a record from a retried workflow task replaces what an abandoned attempt of it wrote (the local record after a crash)', async () => {
    // Its own workflow records seqs from 1 and nothing more in this test; these are far ahead.
    const { ticket, state, record: recordTicket, close } = await directRecord(t);
    const snapshot = (version: number, status: 'open' | 'in_progress') => ({ version, status, assignee: null, respondedVia: null, response: state.response, resolution: state.resolution, breached: true, resolvedAt: null, closedAt: null });
    const at = Date.now();
    const ev = (seq: number, type: TicketEvent['type'], data: Record<string, unknown> = {}): TicketEvent => ({ seq, type, at, actor: 'system', data });
    const record = (decidedIn: number, events: TicketEvent[], version: number, status: 'open' | 'in_progress' = 'open') =>
      recordTicket({ ticketId: ticket.id, events, snapshot: snapshot(version, status), notifications: notificationsFor(ticket.id, events), decidedIn });
    const stored = async () =>
      (await t.sys.sequelize.query<{ seq: number; type: string; clock: string | null; decided_in: number }>(
        `SELECT seq, type, data->>'clock' AS clock, decided_in FROM ticket_events WHERE ticket_id = :id AND seq >= 900 ORDER BY seq`,
        { replacements: { id: ticket.id }, type: QueryTypes.SELECT },
      )).map((e) => `${e.seq} ${e.type}${e.clock ? ':' + e.clock : ''} @${e.decided_in}`);
    const superseded = async () =>
      (await t.sys.sequelize.query<{ seq: number; type: string; decided_in: number; superseded_by: number }>(
        'SELECT seq, type, decided_in, superseded_by FROM ticket_events_superseded WHERE ticket_id = :id ORDER BY seq',
        { replacements: { id: ticket.id }, type: QueryTypes.SELECT },
      )).map((e) => `${e.seq} ${e.type} @${e.decided_in}→${e.superseded_by}`);
    const rowState = async () => (await t.sys.sequelize.query<{ v: number; d: number; status: string }>('SELECT snapshot_version AS v, snapshot_decided_in AS d, status FROM tickets WHERE id = :id', { replacements: { id: ticket.id }, type: QueryTypes.SELECT }))[0];

    // The attempt of task 1000 recorded a response breach and a resolution warning, then was lost;
    // its retry, later, finds the resolution breached too and skips the warning: same numbers.
    await record(1000, [ev(900, 'sla_breached', { clock: 'response' }), ev(901, 'sla_warning', { clock: 'resolution' })], 901);
    await record(1003, [ev(900, 'sla_breached', { clock: 'response' }), ev(901, 'sla_breached', { clock: 'resolution' })], 901);
    expect(await stored()).to.deep.equal(['900 sla_breached:response @1000', '901 sla_breached:resolution @1003']);
    expect(await superseded()).to.deep.equal(['901 sla_warning @1000→1003']);
    // A late retry of the abandoned attempt changes nothing, neither the events nor the row.
    await record(1000, [ev(900, 'sla_breached', { clock: 'response' }), ev(901, 'sla_warning', { clock: 'resolution' })], 901, 'in_progress');
    expect(await stored()).to.deep.equal(['900 sla_breached:response @1000', '901 sla_breached:resolution @1003']);
    expect(await rowState()).to.deep.include({ v: 901, d: 1003, status: 'open' });
    // The breach the retry decided is e-mailed; the warning, still queued, is withdrawn.
    const outbox = await t.sys.sequelize.query<{ key: string }>('SELECT key FROM mail_outbox WHERE ticket_id = :id', { replacements: { id: ticket.id }, type: QueryTypes.SELECT });
    expect(outbox.map((o) => o.key)).to.not.include(`${ticket.id}:901:sla_warning`);
    await t.inbox.waitFor((m) => m.messageId === `<ticket-${ticket.number}.901.sla_breached@lastcall.example>`);

    // An abandoned attempt that recorded further than its retry: what lies beyond the retry's
    // snapshot goes too (the retry, a step first this time, decided one event where there were two).
    await record(1010, [ev(902, 'assigned'), ev(903, 'sla_met', { clock: 'response' })], 903, 'in_progress');
    await record(1013, [ev(902, 'customer_message')], 902);
    expect(await stored()).to.deep.equal(['900 sla_breached:response @1000', '901 sla_breached:resolution @1003', '902 customer_message @1013']);
    expect(await superseded()).to.deep.equal(['901 sla_warning @1000→1003', '902 assigned @1010→1013', '903 sla_met @1010→1013']);
    expect(await rowState()).to.deep.include({ v: 902, d: 1013, status: 'open' });
    close();
  });
});

describe('graceful shutdown', function () {
  this.timeout(60_000);

  it('readiness fails first while requests in flight still finish; then the server closes', async () => {
    const t = await startTestSystem({ label: 'drain' });
    expect((await fetch(`${t.url}/readyz`)).status).to.equal(200);
    const c = await t.createCustomerFixture('advanced');
    // A request in flight when the shutdown starts.
    const inFlight = t.as(c.requesterToken)('POST', '/api/tickets', { type: 'query', impact: 'C', subject: 'In flight', description: 'x' });
    const stopping = t.sys.stop(2_000);
    await sleep(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(((await ready.json()) as any).error.details.draining).to.equal(true);
    expect((await inFlight).status).to.equal(201);
    await stopping;
    await fetch(`${t.url}/healthz`).then(
      () => expect.fail('the server still answers after stop'),
      () => undefined,
    );
    await t.inbox.stop();
  });
});
