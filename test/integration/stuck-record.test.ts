// Nothing retries for ever: a ticket whose record Postgres refuses for good (here a trigger in the
// test's own database raising check_violation for that ticket's events after its first) becomes visibly stuck at
// once (a mark of its own, a badge in the console's queue and page in both languages, the metric,
// an e-mail to the lead, a search attribute and the workflow's details) while its timers and steps
// go on in the workflow; a retry while the cause is still there fails and says so; once fixed, a
// lead's retry (the console's button, the ops Update or Signal) writes every waiting record in
// order and clears every sign. Real Temporal, real Postgres, real SMTP, real HTTP.
import { expect } from 'chai';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { QueryTypes, Sequelize } from 'sequelize';
import { LEAD, eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { Scrape } from '../support/prometheus';
import { WebClient, textOf } from '../support/web-client';
import { Ticket, TicketEventRow } from '../../db/models';
import { SA } from '../../temporal/search-attributes';
import { RECORD_STILL_FAILING, opsRetryRecordSignal, opsRetryRecordUpdate, slaStateQuery } from '../../workflows/definitions';
import { permanentFailure } from '../../activities/failures';
import { DB_DATA_EXCEPTION, DB_INTEGRITY_VIOLATION } from '../../activities/failure-types';

describe('a ticket whose record fails for good is stuck, visibly, until a lead retries it', function () {
  this.timeout(120_000);
  let t: TestSystem;
  let lead: { token: string; email: string };

  before(async () => {
    // Standard A: a warning at 3 s, the response breach at 6 s (timers that fire while the ticket is stuck).
    t = await startTestSystem({ label: 'stuck', policy: secondsPolicy({ A: { response: 'PT6S', resolution: 'PT2M' } }) });
    const l = await t.admin('POST', '/api/users', { name: 'Lea Lead', email: `lea.${Date.now()}@lastcall.test`, role: 'lead' });
    lead = { token: l.body.token, email: l.body.email };
    // The fault: Postgres refuses every event of a refused customer's tickets after their "received"
    // (each test's customer has one ticket), so the first record to fail is known whatever the load.
    await t.sys.sequelize.query(`
      CREATE TABLE refused_customers (customer_id uuid PRIMARY KEY);
      CREATE FUNCTION refuse_ticket_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.type <> 'received' AND EXISTS (SELECT 1 FROM tickets t JOIN refused_customers r ON r.customer_id = t.customer_id WHERE t.id = NEW.ticket_id) THEN
          RAISE EXCEPTION 'test: this ticket''s record is refused' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$;`);
  });
  after(async () => t?.stop());

  /** From now on Postgres refuses the events of this customer's tickets (all but "received"). */
  async function refuse(customerId: string) {
    await t.sys.sequelize.query(`INSERT INTO refused_customers VALUES (:customerId);
      CREATE OR REPLACE TRIGGER refuse_ticket_events BEFORE INSERT OR UPDATE ON ticket_events FOR EACH ROW EXECUTE FUNCTION refuse_ticket_events()`, { replacements: { customerId } });
  }
  /** The fix. */
  const fix = () => t.sys.sequelize.query('DROP TRIGGER refuse_ticket_events ON ticket_events');

  const events = async (ticketId: string) => (await TicketEventRow.findAll({ where: { ticketId }, order: [['seq', 'ASC']] })).map((e) => e.get({ plain: true }));
  const markOf = async (ticketId: string) =>
    (await t.sys.sequelize.query<{ failure_type: string; reason: string; records: number }>('SELECT failure_type, reason, records FROM ticket_records_stuck WHERE ticket_id = :ticketId', { replacements: { ticketId }, type: QueryTypes.SELECT }))[0];
  const scrape = async () => new Scrape(await (await fetch(`${t.url}/metrics`)).text());
  const recordStuckAttribute = async (workflowId: string) => (await t.sys.temporal.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(SA.recordStuck);
  const details = async (workflowId: string) => (await t.sys.temporal.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
  async function signedIn(token: string, lang: 'es' | 'en' = 'es') {
    const web = new WebClient(t.url);
    await web.submit(`/sign-in?lang=${lang}`, '/sign-in/token', { token });
    return web;
  }

  it('stuck: every sign shows it, its timers and steps go on; once fixed, the console\'s retry writes everything in order and clears every sign', async () => {
    const failuresBefore = (await scrape()).value('lastcall_ticket_record_failures_total', { type: DB_INTEGRITY_VIOLATION });
    const c = await t.createCustomerFixture('standard');
    await refuse(c.id);
    const ticket = await t.createTicket(c.id);
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);

    // The warning's record fails for good (check_violation is not retried): stuck at once.
    const stuck = await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.recordStuck, 20_000, 'the ticket marked stuck');
    expect(stuck.type).to.equal(DB_INTEGRITY_VIOLATION);
    expect(stuck.reason).to.contain("this ticket's record is refused").and.to.contain('SQLSTATE 23514');
    // Its clocks go on in the workflow: the response breach fires while nothing can be written.
    await eventually(async () => (await handle.query(slaStateQuery)).sla.response.status === 'breached', 20_000, 'the breach, in the workflow');
    // And a technician's step is applied there too; the API says the ticket is stuck.
    const responded = await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Sorry for the wait' });
    expect(responded.status, JSON.stringify(responded.body)).to.equal(200);
    expect(responded.body.recordStuck).to.not.equal(null);
    const state = await handle.query(slaStateQuery);
    expect(state).to.deep.include({ status: 'in_progress', respondedVia: 'email' });
    expect(state.recordStuck!.records).to.equal(4); // warning, record_stuck, breach, responded

    // Nothing half-stored: the database still has what it had.
    expect((await events(ticket.id)).map((e) => e.type)).to.deep.equal(['received']);
    const row = (await Ticket.findByPk(ticket.id))!;
    expect([row.status, row.snapshotVersion]).to.deep.equal(['open', 1]);
    // Every sign: the mark, the API's list, the search attribute, the details, the metric, the lead's e-mail.
    await eventually(async () => (await markOf(ticket.id))?.records === 4, 20_000, 'the mark counts every waiting record');
    const listed = await t.api('GET', `/api/tickets?customerId=${c.id}`);
    expect(listed.body.tickets.find((x: any) => x.id === ticket.id).recordStuck.type).to.equal(DB_INTEGRITY_VIOLATION);
    expect(await recordStuckAttribute(ticket.workflowId)).to.equal(true);
    expect(await details(ticket.workflowId)).to.contain('**Record stuck**').and.to.contain('4 record(s) waiting').and.to.contain('ops.retry-record');
    const stuckMetrics = await scrape();
    expect(stuckMetrics.value('lastcall_ticket_records_stuck')).to.equal(1);
    expect(stuckMetrics.value('lastcall_ticket_record_failures_total', { type: DB_INTEGRITY_VIOLATION }) - failuresBefore).to.equal(1);
    const mail = await t.inbox.waitFor((m) => m.subject.startsWith(`[Ticket #${ticket.number}] RECORD STUCK`));
    expect(mail.to).to.include(LEAD);
    expect(mail.text).to.contain('ops.retry-record').and.to.contain('SQLSTATE 23514');
    // The breach e-mail waits with its record: nothing is sent for what is not written.
    expect(t.inbox.find((m) => m.subject.includes(`#${ticket.number}`) && m.subject.includes('BREACHED'))).to.deep.equal([]);

    // The console: the queue lists it above everything with a badge (in both languages), the ticket's page says why.
    const leadWeb = await signedIn(lead.token);
    const queue = await leadWeb.get('/console');
    expect(textOf(queue.html, 'stuck-records')).to.contain('Casos con el registro detenido').and.to.contain(`#${ticket.number}`).and.to.contain(DB_INTEGRITY_VIOLATION);
    expect(queue.html).to.match(new RegExp(`data-ticket="${ticket.number}"[\\s\\S]*?data-record-stuck[^>]*>Registro detenido<`));
    const english = await (await signedIn(lead.token, 'en')).get(`/console/tickets/${ticket.number}`);
    expect(textOf(english.html, 'record-stuck')).to.contain('Record stuck').and.to.contain('4 record(s) wait to be written').and.to.contain('Retry the record');
    // A technician sees it too, without the button, and may not retry through the API either.
    const techPage = await (await signedIn(t.techToken)).get(`/console/tickets/${ticket.number}`);
    expect(textOf(techPage.html, 'record-stuck')).to.contain('El registro de este caso está detenido');
    expect(techPage.html).to.not.contain('id="retry-record"');
    const techRetry = await t.api('POST', `/api/tickets/${ticket.id}/retry-record`, {});
    expect([techRetry.status, techRetry.body.error.code]).to.deep.equal([403, 'FORBIDDEN']);

    // A retry before the fix fails, says why, and keeps everything waiting.
    const early = await t.as(lead.token)('POST', `/api/tickets/${ticket.id}/retry-record`, {});
    expect([early.status, early.body.error.code]).to.deep.equal([409, 'RECORD_STILL_FAILING']);
    expect(early.body.error.message).to.contain('0 of 4 waiting records written');
    const page = await leadWeb.get(`/console/tickets/${ticket.number}`);
    const refused = await leadWeb.submit(page, `/console/tickets/${ticket.number}/retry-record`, {});
    expect(refused.status).to.equal(409);
    expect(textOf(refused.html, 'refused')).to.contain('El registro sigue fallando');
    expect((await events(ticket.id)).map((e) => e.type)).to.deep.equal(['received']);

    // Fixed: the lead's button writes what waited, in order, and clears every sign.
    await fix();
    const done = await leadWeb.submit(await leadWeb.get(`/console/tickets/${ticket.number}`), `/console/tickets/${ticket.number}/retry-record`, {});
    expect(done.status).to.equal(200);
    expect(done.url).to.contain('done=retry-record');
    expect(done.html).to.not.contain('id="record-stuck"');
    const es = await events(ticket.id);
    expect(es.map((e) => e.seq)).to.deep.equal(es.map((_, i) => i + 1));
    expect(es.map((e) => e.type)).to.deep.equal(['received', 'sla_warning', 'record_stuck', 'sla_breached', 'responded', 'record_resumed']);
    expect(es[2].data).to.deep.include({ type: DB_INTEGRITY_VIOLATION, records: 1 });
    expect(es[4]).to.deep.include({ actor: t.techEmail });
    expect(es[5]).to.deep.include({ actor: lead.email });
    expect(es[5].data).to.deep.include({ records: 4 });
    // Each in its place in time: the warning before the breach, the breach before the answer.
    expect(es.slice(1, 5).map((e) => e.at.getTime())).to.satisfy((at: number[]) => at.every((x, i) => i === 0 || x >= at[i - 1]));
    const after = (await Ticket.findByPk(ticket.id))!;
    expect([after.status, after.respondedVia, after.breached, after.snapshotVersion]).to.deep.equal(['in_progress', 'email', true, 6]);
    expect(await markOf(ticket.id)).to.equal(undefined);
    expect((await t.api('GET', `/api/tickets/${ticket.id}`)).body.recordStuck).to.equal(null);
    expect(textOf((await leadWeb.get('/console')).html, 'stuck-records')).to.equal(null);
    expect(await recordStuckAttribute(ticket.workflowId)).to.equal(false);
    expect((await scrape()).value('lastcall_ticket_records_stuck')).to.equal(0);
    expect(await details(ticket.workflowId)).to.not.contain('Record stuck');
    // The e-mails that waited with their records go out now.
    await t.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}`) && m.subject.includes('BREACHED'));
    // And the ticket simply goes on.
    expect((await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Fixed' })).status).to.equal(200);
    await eventually(async () => (await events(ticket.id)).some((e) => e.type === 'resolved'), 20_000, 'resolved recorded');
  });

  it('from the Temporal UI: a stuck ticket does not end before its record is written; ops.retry-record (Update, then Signal) writes it', async () => {
    const c = await t.createCustomerFixture('standard');
    await refuse(c.id);
    const ticket = await t.createTicket(c.id, { impact: 'B' });
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
    await eventually(async () => (await events(ticket.id)).length === 1, 20_000, 'received recorded');
    // Resolved and closed while nothing can be written: the ticket's state ends, its workflow waits.
    expect((await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Restarted' })).status).to.equal(200);
    expect((await t.api('POST', `/api/tickets/${ticket.id}/close`, {})).status).to.equal(200);
    expect((await handle.query(slaStateQuery)).status).to.equal('closed');
    await sleep(1_000);
    expect((await handle.describe()).status.name).to.equal('RUNNING');
    expect((await Ticket.findByPk(ticket.id))!.status).to.equal('open');

    const still = await handle.executeUpdate(opsRetryRecordUpdate, { args: [{ actor: lead.email }] }).then(() => null, (e) => e);
    expect(still).to.be.instanceOf(WorkflowUpdateFailedError);
    expect((still.cause as ApplicationFailure).type).to.equal(RECORD_STILL_FAILING);

    await fix();
    await handle.signal(opsRetryRecordSignal, { actor: lead.email });
    await handle.result();
    const es = await events(ticket.id);
    // The resolve's record (resolved and both targets met) failed; the mark follows it, then the close.
    expect(es.map((e) => e.type)).to.deep.equal(['received', 'resolved', 'sla_met', 'sla_met', 'record_stuck', 'closed', 'record_resumed']);
    expect(es.map((e) => e.seq)).to.deep.equal(es.map((_, i) => i + 1));
    expect(es.at(-1)).to.deep.include({ type: 'record_resumed', actor: `ops:${lead.email}` });
    expect((await Ticket.findByPk(ticket.id))!.status).to.equal('closed');
    expect(await markOf(ticket.id)).to.equal(undefined);
  });

  it('tells a failure no retry can mend from one a retry may: real Postgres errors', async () => {
    const sql = t.sys.sequelize;
    const failureOf = (q: string) => sql.query(q).then(() => null, (err) => permanentFailure(err)?.type ?? 'retryable');
    expect(await failureOf(`SELECT CAST('{"a": "\\u0000"}' AS jsonb)`)).to.equal(DB_DATA_EXCEPTION); // 22P05
    expect(await failureOf(`SELECT CAST('x' AS integer)`)).to.equal(DB_DATA_EXCEPTION); // 22P02
    expect(await failureOf(`INSERT INTO ticket_events (ticket_id, seq, type, actor, at, data) VALUES (gen_random_uuid(), 1, 'x', 'x', now(), '{}')`)).to.equal(DB_INTEGRITY_VIOLATION); // 23503
    // A duplicate key is a race between writers: retried (the retry takes the other path).
    expect(await failureOf(`INSERT INTO schema_migrations (name) VALUES ('001-initial-schema')`)).to.equal('retryable'); // 23505
    // Postgres away: retried, within the activity's bounds.
    const away = new Sequelize('postgres://postgres@127.0.0.1:1/nothing', { logging: false, dialect: 'postgres' });
    expect(await away.query('SELECT 1').then(() => null, (err) => permanentFailure(err)?.type ?? 'retryable')).to.equal('retryable');
    await away.close();
  });
});
