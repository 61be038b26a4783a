// The Temporal UI as the ops console, against the real server: the ready-made filters find exactly
// the tickets they name, ops steps sent as signals (with the pinned Temporal CLI, as ops would) leave
// the same record as the API, a refused one leaves a step_refused event and nothing else, ops
// updates are refused like the API's steps, activities carry summaries, and the search attributes
// are set.
import { withTexts } from '../../services/ticket-texts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ensureTemporalBinary } from '../../runtime/temporal-binary';
import { Customer, Ticket, TicketEventRow } from '../../db/models';
import { OPS_FILTERS, opsFilter } from '../../temporal/ops-filters';
import { SA } from '../../temporal/search-attributes';
import { OPS_STEP_NAMES, OPS_STEP_SIGNALS, OPS_STEP_UPDATES, STEP_NOT_ALLOWED, STEP_UPDATES, VALIDATION_FAILED, slaStateQuery } from '../../workflows/definitions';
import { eventually, secondsPolicy, startTestSystem, type TestSystem } from '../support/harness';
import { decodedHistory } from '../support/codec';

const run = promisify(execFile);
const OPS = 'olga.ops@lastcall.test';
const EventType = temporal.api.enums.v1.EventType;

describe('the Temporal UI as the ops console', function () {
  let t: TestSystem;
  const cli = ensureTemporalBinary();

  /**
   * Runs the pinned Temporal CLI against the test server, as ops would from a shell: with the codec
   * server in their environment (docs/operations.md), so what they send is encrypted and what they
   * read decrypted.
   */
  async function temporalCli(...args: string[]): Promise<string> {
    const env = { ...process.env, TEMPORAL_CODEC_ENDPOINT: `${t.url}/codec`, TEMPORAL_CODEC_AUTH: `Bearer ${t.techToken}` };
    const { stdout } = await run(cli!, [...args, '--address', process.env.TEST_TEMPORAL_ADDRESS!, '--namespace', 'default'], { timeout: 30_000, env });
    return stdout;
  }

  before(async () => {
    const policy = secondsPolicy({ A: { response: 'PT30M', resolution: 'PT2H' }, C: { response: 'PT2S', resolution: 'PT1H' } });
    // Advanced critical a real half hour: inside "the next hour", and nothing fires during the test.
    policy.targets.advanced.A = { response: 'PT30M', resolution: 'PT2H' };
    t = await startTestSystem({ label: 'ops', policy });
    // Ops steps name their sender, whom the directory must know (test/security/ops-actors.test.ts).
    expect((await t.admin('POST', '/api/users', { name: 'Olga Ops', email: OPS, role: 'lead' })).status).to.equal(201);
  });
  after(async () => t?.stop());

  // As readers see them: the API's texts are stored and referred to, an ops step's text is inline.
  const events = async (ticketId: string) => withTexts((await TicketEventRow.findAll({ where: { ticketId }, order: [['seq', 'ASC']] })).map((e) => e.get({ plain: true })));
  const row = async (ticketId: string) => (await Ticket.findByPk(ticketId))!;

  describe('ready-made filters', function () {
    const ids: Record<string, string> = {};
    let scope = '';
    let advancedName = '';

    before(async () => {
      const adv = await t.createCustomerFixture('advanced');
      const std = await t.createCustomer('standard');
      advancedName = (await Customer.findByPk(adv.id))!.name;
      scope = `CustomerId IN ('${adv.id}', '${std}')`;
      const ok = async (p: Promise<{ status: number; body: any }>, status = 200) => {
        const r = await p;
        expect(r.status, JSON.stringify(r.body)).to.equal(status);
        return r.body;
      };

      const open = await t.createTicket(adv.id);
      const working = await t.createTicket(adv.id);
      await ok(t.api('POST', `/api/tickets/${working.id}/assign`, { assigneeId: t.techId }));
      await ok(t.api('POST', `/api/tickets/${working.id}/respond`, { via: 'email', message: 'On it' }));
      const phone = await ok(
        t.api('POST', '/api/tickets', { type: 'request', impact: 'B', channel: 'phone', requesterId: adv.requesterId, subject: 'New mailbox', description: 'Please add one for Ana.' }),
        201,
      );
      const breached = await t.createTicket(std, { impact: 'C' });
      const waiting = await t.createTicket(adv.id);
      await ok(t.api('POST', `/api/tickets/${waiting.id}/respond`, { via: 'phone', message: 'Logs please' }));
      await ok(t.api('POST', `/api/tickets/${waiting.id}/wait-for-customer`, { message: 'Logs please' }));
      // Nobody has the technology: the session waits. The other one is confirmed for later today.
      const stuck = await ok(t.api('POST', `/api/tickets/${open.id}/specialist-session`, { technology: 'backup' }), 202);
      const soon = await ok(t.api('POST', `/api/tickets/${working.id}/specialist-session`, { technology: 'email', startsAt: new Date(Date.now() + 30 * 60_000).toISOString() }), 202);
      await eventually(async () => (await t.api('GET', `/api/tickets/${working.id}/sessions`)).body.sessions[0]?.status === 'proposed', 20_000, 'session proposed');
      await ok(t.api('POST', `/api/tickets/${working.id}/sessions/${soon.id}/confirm`, {}));
      await eventually(async () => (await t.api('GET', `/api/tickets/${breached.id}`)).body.breached === true, 20_000, 'breach');
      Object.assign(ids, { open: open.workflowId, working: working.workflowId, phone: phone.workflowId, breached: breached.workflowId, waiting: waiting.workflowId, stuck: stuck.id, soon: soon.id });
    });

    const expected: Record<string, string[]> = {
      'advanced-critical-at-risk': ['open'],
      'at-risk-next-hour': ['open', 'breached'],
      'responses-due-next-hour': ['open', 'breached'],
      // None of these owes a next reply (the default policy has no such target): test/integration/next-reply.test.ts finds one.
      'replies-due-next-hour': [],
      'breached-open': ['breached'],
      'unassigned-open': ['open', 'phone', 'breached', 'waiting'],
      'waiting-on-customer': ['waiting'],
      'technician-queue': ['working'],
      'customer-open': ['open', 'working', 'phone', 'waiting'],
      'phone-open': ['phone'],
      'service-requests-open': ['phone'],
      'sessions-starting-soon': ['soon'],
      'sessions-stuck': ['stuck'],
    };

    it('every ready-made filter has its expectation here', () => {
      expect(OPS_FILTERS.map((f) => f.id).sort()).to.deep.equal(Object.keys(expected).sort());
    });

    for (const [id, names] of Object.entries(expected)) {
      it(`"${id}" finds exactly ${names.join(', ')}`, async () => {
        const want = names.map((n) => ids[n]).sort();
        let got: string[] = [];
        // Visibility is eventually consistent: the same query until it settles on the answer.
        const deadline = Date.now() + 20_000;
        for (;;) {
          const query = `(${opsFilter(id).query({ now: new Date(), assignee: t.techEmail, customerName: advancedName })}) AND ${scope}`;
          got = [];
          for await (const wf of t.sys.temporal.workflow.list({ query })) got.push(wf.workflowId);
          got.sort();
          if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(got).to.deep.equal(want);
      });
    }

    it('the search attributes ops filter on are set on the workflow', async () => {
      const d = await t.sys.temporal.workflow.getHandle(ids.phone).describe();
      const ticket = await Ticket.findOne({ where: { workflowId: ids.phone } });
      const sa = d.typedSearchAttributes;
      expect(sa.get(SA.channel)).to.equal('phone');
      expect(sa.get(SA.type)).to.equal('request');
      expect(sa.get(SA.customerName)).to.equal(advancedName);
      expect(sa.get(SA.plan)).to.equal('advanced');
      expect(sa.get(SA.impact)).to.equal('B');
      expect(sa.get(SA.status)).to.equal('open');
      expect(sa.get(SA.number)).to.equal(Number(ticket!.number));
      expect(sa.get(SA.breached)).to.equal(false);
      expect(sa.get(SA.responseDueAt)?.toISOString()).to.equal(ticket!.responseDueAt!.toISOString());
      // Waiting on the customer: no clock runs, so nothing is due.
      const waiting = await t.sys.temporal.workflow.getHandle(ids.waiting).describe();
      expect(waiting.typedSearchAttributes.get(SA.responseDueAt)).to.equal(undefined);
      expect(waiting.typedSearchAttributes.get(SA.resolutionDueAt)).to.equal(undefined);
      expect(waiting.typedSearchAttributes.get(SA.status)).to.equal('waiting_on_customer');
    });
  });

  describe('steps from the Temporal UI or CLI', function () {
    it('a signal sent with the Temporal CLI performs the step with the same record as the API', async function () {
      if (!cli) this.skip();
      const customer = await t.createCustomer('standard');
      const viaApi = await t.createTicket(customer);
      const viaOps = await t.createTicket(customer);
      expect((await t.api('POST', `/api/tickets/${viaApi.id}/respond`, { via: 'email', message: 'Looking at it now.' })).status).to.equal(200);
      await temporalCli('workflow', 'signal', '--workflow-id', viaOps.workflowId, '--name', OPS_STEP_NAMES.respond, '--input', JSON.stringify({ actor: OPS, via: 'email', message: ' Looking at it now. ' }));
      await temporalCli('workflow', 'signal', '--workflow-id', viaOps.workflowId, '--name', OPS_STEP_NAMES.assign, '--input', JSON.stringify({ actor: OPS, assigneeEmail: t.techEmail }));

      await eventually(async () => (await row(viaOps.id)).assignee !== null, 20_000, 'ops assign recorded');
      const [apiEvents, opsEvents] = [await events(viaApi.id), await events(viaOps.id)];
      const responded = (es: any[]) => es.find((e) => e.type === 'responded');
      expect(responded(opsEvents).actor).to.equal(`ops:${OPS}`);
      expect(responded(opsEvents).data).to.deep.equal(responded(apiEvents).data);
      expect(opsEvents.map((e) => e.type)).to.deep.equal(['received', 'responded', 'sla_met', 'assigned']);
      expect(opsEvents[3]).to.deep.include({ actor: `ops:${OPS}` });
      expect(opsEvents[3].data).to.deep.equal({ assignee: { name: 'Tomás Tech', email: t.techEmail } });
      const [a, o] = [await row(viaApi.id), await row(viaOps.id)];
      expect([o.status, o.respondedVia]).to.deep.equal([a.status, a.respondedVia]);
      expect(o.assignee).to.deep.equal({ name: 'Tomás Tech', email: t.techEmail });
      // The requester hears of it the same way.
      await t.inbox.waitFor((m) => m.subject.includes(`#${viaOps.number}`) && m.subject.includes('Response'));
    });

    it('the API assigns by e-mail too, through the same directory lookup as ops.assign', async () => {
      const customer = await t.createCustomer('standard');
      const ticket = await t.createTicket(customer);
      const unknown = await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeEmail: 'nobody@lastcall.test' });
      expect([unknown.status, unknown.body.error.code]).to.deep.equal([422, 'UNKNOWN_TECHNICIAN']);
      const both = await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeEmail: t.techEmail, assigneeId: t.techId });
      expect(both.status).to.equal(400);
      const ok = await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeEmail: t.techEmail.toUpperCase() });
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.body.assignee).to.deep.equal({ name: 'Tomás Tech', email: t.techEmail });
    });

    it('a refused signal records step_refused with why, and changes nothing else', async () => {
      const customer = await t.createCustomer('standard');
      const ticket = await t.createTicket(customer);
      const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
      // The row as the workflow first recorded it (with its "received" event).
      await eventually(async () => (await events(ticket.id)).length === 1, 20_000, 'received recorded');
      const before = await row(ticket.id);
      await handle.signal(OPS_STEP_SIGNALS.close, { actor: OPS });
      await handle.signal(OPS_STEP_SIGNALS.resolve, { actor: OPS });
      await handle.signal(OPS_STEP_SIGNALS.assign, { actor: OPS, assigneeEmail: 'nobody@lastcall.test' });
      await handle.signal(OPS_STEP_SIGNALS.respond, { via: 'email', message: 'no actor' });
      await eventually(async () => (await events(ticket.id)).length === 5, 20_000, 'four refusals recorded');
      const es = await events(ticket.id);
      expect(es.map((e) => e.type)).to.deep.equal(['received', 'step_refused', 'step_refused', 'step_refused', 'step_refused']);
      expect(es[1]).to.deep.include({ actor: `ops:${OPS}` });
      expect(es[1].data).to.deep.include({ step: 'close', via: 'signal ops.close', status: 'open' });
      expect(es[1].data.reason).to.match(/only a resolved ticket can be closed/);
      expect(es[2].data.reason).to.match(/^invalid payload: resolution/);
      expect(es[3].data.reason).to.equal('nobody@lastcall.test is not an active technician or lead');
      expect(es[4]).to.deep.include({ actor: 'ops:unknown' });
      expect((es[4].data.issues as string[]).join(' ')).to.contain('actor');
      const after = await row(ticket.id);
      expect([after.status, after.assignee, after.respondedVia, after.clocks]).to.deep.equal([before.status, before.assignee, before.respondedVia, before.clocks]);
      const snapshot = await handle.query('slaState');
      expect(snapshot).to.deep.include({ status: 'open', assignee: null, respondedVia: null });
      // The workflow's page says so too.
      const details = await currentDetails(ticket.workflowId);
      expect(details).to.contain('Last refused step:').and.to.contain('ops.respond by ops:unknown');
      // No e-mail for a refusal: only the "received" one.
      expect(t.inbox.find((m) => m.subject.includes(`#${ticket.number}`)).map((m) => m.subject)).to.have.length(1);
    });

    it('an ops update (what the CLI and UI send) is refused like the API, and recorded like it when allowed', async function () {
      const customer = await t.createCustomer('standard');
      const ticket = await t.createTicket(customer);
      const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
      const failure = async (p: Promise<unknown>) => {
        const err = await p.then(() => null, (e) => e);
        expect(err).to.be.instanceOf(WorkflowUpdateFailedError);
        expect(err.cause).to.be.instanceOf(ApplicationFailure);
        return err.cause as ApplicationFailure;
      };
      expect((await failure(handle.executeUpdate(OPS_STEP_UPDATES.close, { args: [{ actor: OPS }] }))).type).to.equal(STEP_NOT_ALLOWED);
      expect((await failure(handle.executeUpdate(STEP_UPDATES.close, { args: [{ actor: OPS }] }))).type).to.equal(STEP_NOT_ALLOWED);
      expect((await failure(handle.executeUpdate(OPS_STEP_UPDATES.resolve, { args: [{ actor: OPS, resolution: '' }] }))).type).to.equal(VALIDATION_FAILED);
      expect((await failure(handle.executeUpdate(STEP_UPDATES.respond, { args: [{ actor: OPS, via: 'fax', message: 'x' } as any] }))).type).to.equal(VALIDATION_FAILED);
      // Refused before being accepted: nothing on record.
      expect((await events(ticket.id)).map((e) => e.type)).to.deep.equal(['received']);

      if (!cli) this.skip();
      const out = await temporalCli('workflow', 'update', 'execute', '--workflow-id', ticket.workflowId, '--name', OPS_STEP_NAMES.resolve, '--input', JSON.stringify({ actor: OPS, resolution: 'Restarted the service' }), '--output', 'json');
      expect(out).to.contain('"status": "resolved"');
      const es = await events(ticket.id);
      expect(es.slice(1).map((e) => [e.type, e.actor])).to.deep.equal([
        ['resolved', `ops:${OPS}`],
        ['sla_met', 'system'],
        ['sla_met', 'system'],
      ]);
      const cliRefusal = await temporalCli('workflow', 'update', 'execute', '--workflow-id', ticket.workflowId, '--name', OPS_STEP_NAMES.respond, '--input', JSON.stringify({ actor: OPS, via: 'email', message: 'late' })).then(
        () => 'accepted',
        (e: { stderr?: string }) => String(e.stderr),
      );
      expect(cliRefusal).to.contain('the first response was already given');
    });

    it('the record is a local activity with its summary in the history, one workflow task per change', async () => {
      const customer = await t.createCustomer('standard');
      const ticket = await t.createTicket(customer);
      expect((await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Done' })).status).to.equal(200);
      await t.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}`) && m.subject.includes('Resolved'));
      // As ops with the codec server read it (the summaries are encrypted in Temporal's store).
      const history = await decodedHistory(await t.sys.temporal.workflow.getHandle(ticket.workflowId).fetchHistory());
      const events = history.events ?? [];
      const summary = (e: temporal.api.history.v1.IHistoryEvent) => defaultPayloadConverter.fromPayload<string>(e.userMetadata!.summary as Payload);
      // A local activity leaves a marker: its type in the marker's data, its summary beside it.
      const local = events
        .filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes!.markerName === 'core_local_activity')
        .map((e) => defaultPayloadConverter.fromPayload<{ activity_type: string }>(e.markerRecordedEventAttributes!.details!.data!.payloads![0] as Payload).activity_type + ' ' + summary(e));
      const n = ticket.number;
      // The e-mails are queued with the record (the mail outbox), so the record's summary names them.
      expect(local).to.deep.equal([
        `recordTicket #${n} record: received · e-mail received to requester`,
        `recordTicket #${n} record: resolved, sla_met, sla_met · e-mail resolved to requester`,
      ]);
      expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 'no activity task of its own, no e-mail activity').to.deep.equal([]);
      // One workflow task per change: the start, the resolve step (an Update), nothing more.
      expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).to.have.length.at.most(3);
    });

    it('the stack trace query is off unless WORKER_STACK_TRACES=on (it costs every workflow promise a stack trace)', async () => {
      const ticket = await t.createTicket(await t.createCustomer('standard'));
      const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
      // Refused. Its text ("Workflow stack traces are not enabled on this worker") is encrypted like
      // every failure's (temporal/failure-converter.ts), and a query's failure reaches its caller as
      // text alone: the server keeps none of the encrypted part, so the refusal reads "Encoded failure".
      const refused = await handle.query('__stack_trace').then(() => 'answered', (err: Error) => err.message);
      expect(refused).to.equal('Encoded failure');
      // The ticket's own query still answers.
      expect((await handle.query(slaStateQuery)).number).to.equal(ticket.number);
    });

    it('the current details say the state, who has it and what is due next, after every change', async () => {
      const customer = await t.createCustomer('standard');
      const ticket = await t.createTicket(customer);
      await eventually(async () => (await currentDetails(ticket.workflowId)).includes('Next: response warning at'), 20_000, 'first details');
      expect((await t.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeId: t.techId })).status).to.equal(200);
      let details = await currentDetails(ticket.workflowId);
      expect(details).to.contain('**open**').and.to.contain(`Assignee: ${t.techEmail}`);
      expect((await t.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Hi' })).status).to.equal(200);
      expect((await t.api('POST', `/api/tickets/${ticket.id}/wait-for-customer`, {})).status).to.equal(200);
      details = await currentDetails(ticket.workflowId);
      expect(details).to.contain('**waiting_on_customer**').and.to.contain('Resolution: paused').and.to.contain("Next: the customer's reply");
    });
  });

  async function currentDetails(workflowId: string): Promise<string> {
    // The current details are what the workflow answers to the built-in metadata query.
    const meta = await t.sys.temporal.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    return meta.currentDetails ?? '';
  }
});
