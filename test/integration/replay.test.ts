// Determinism guard: histories recorded from real tickets, sessions and scheduled runs must replay
// against the current workflow code. A change that would break running workflows fails here; then
// version it (docs/versioning.md: patched → deprecatePatch → removal, test/integration/versioning.test.ts).
// `npm run record-histories` records each history whose file is missing: delete the files a
// deliberate change alters (a change no running workflow has to survive) and record them again.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { NormalModuleReplacementPlugin } from 'webpack';
import { bundleWorkflows } from '../../worker/workflow-bundle';
import pino from 'pino';
import { installTemporalRuntime } from '../../runtime/temporal-runtime';
import { freePort } from '../../runtime/embedded-postgres';
import { eventually, secondsPolicy, sleep, startTestSystem, type TestSystem } from '../support/harness';
import { decodedHistory, testDataConverter } from '../support/codec';
import { Ticket } from '../../db/models';
import { OPS_STEP_SIGNALS, OPS_STEP_UPDATES, opsRetryRecordSignal, slaStateQuery } from '../../workflows/definitions';
import * as workflows from '../../workflows';
import { PAYLOAD_LIMIT_BYTES, largestPayload } from '../support/payloads';

const HISTORIES = path.join(__dirname, '..', 'histories');

/**
 * A history as the file keeps it: decrypted (the test systems encrypt what they hand Temporal), so
 * the recorded histories read plainly, replay without keys, and prove that histories written before
 * the payload codec still replay through it.
 */
const recorded = async (history: Parameters<typeof decodedHistory>[0]) => historyToJSON(await decodedHistory(history));

describe('workflow replay', function () {
  // Replay needs no system, but the SDK runtime should still log through ours (quietly), and keep
  // its worker metrics on as every test process does (a later test file in this process reads them).
  before(async () => installTemporalRuntime(pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { metricsAddress: `127.0.0.1:${await freePort()}` }));
  // The engine's worker leaves replayed activations unguarded (worker/worker.ts: a replay runs code
  // that finished once); here the SDK's deadlock guard watches every one, so a change that makes an
  // old history loop fails this test instead of hanging a worker. A worker started earlier in this
  // process may have set it off.
  before(() => {
    process.env.WORKFLOW_GUARD_REPLAY = 'on';
  });

  if (process.env.RECORD_HISTORIES) {
    it('records histories of full tickets', async () => {
      const t = await startTestSystem({ label: 'record', policy: secondsPolicy({ A: { response: 'PT3S', resolution: 'PT20S' } }) });
      try {
        const customerId = await t.createCustomer('standard');
        // 1. A full life: assign, respond, wait, reply, resolve, reopen, resolve, close.
        const full = await t.createTicket(customerId);
        const step = async (s: string, body: object) => {
          const res = await t.api('POST', `/api/tickets/${full.id}/${s}`, body);
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
        };
        await workFullLife(t, step);
        // 2. Nobody answers: warning and breach of the response target (each with its e-mail through
        // the outbox), then a late answer, the resolution and the end.
        const breached = await t.createTicket(customerId);
        await eventually(async () => (await t.api('GET', `/api/tickets/${breached.id}`)).body.sla.response.breachedAt !== null && (await t.api('GET', `/api/tickets/${breached.id}`)).body.events.some((e: any) => e.type === 'sla_breached'));
        expect((await t.api('POST', `/api/tickets/${breached.id}/respond`, { via: 'email', message: 'Sorry for the wait' })).status).to.equal(200);
        expect((await t.api('POST', `/api/tickets/${breached.id}/resolve`, { resolution: 'Late fix' })).status).to.equal(200);
        expect((await t.api('POST', `/api/tickets/${breached.id}/close`, {})).status).to.equal(200);
        for (const [name, ticket] of [['full-life', full], ['response-breach', breached]] as const) {
          if (existsSync(path.join(HISTORIES, `${name}.json`))) continue;
          const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
          await handle.result();
          const history = await handle.fetchHistory();
          writeFileSync(path.join(HISTORIES, `${name}.json`), await recorded(history));
        }
      } finally {
        await t.stop();
      }
    });
  }

  if (process.env.RECORD_HISTORIES) {
    it('records the history of a ticket the customer writes to by e-mail', () =>
      recordTicketHistory('customer-message', 'record-mail', { response: 'PT30S', resolution: 'PT60S' }, async (t, ticket, step) => {
        const row = async () => (await Ticket.findByPk(ticket.id))!;
        // A message while the ticket is open, then the reply that resumes it, then the end.
        await t.sys.tickets.customerMessage(await row(), { via: 'email', subject: 'More', message: 'It also fails on mx2', messageId: '<m1@customer.test>' }, 'ana@customer.test');
        await step('respond', { via: 'email', message: 'Which version?' });
        await step('wait-for-customer', { message: 'Need the version' });
        await sleep(300);
        await t.sys.tickets.customerMessage(await row(), { via: 'email', subject: 'Re: version', message: '8.10', messageId: '<m2@customer.test>' }, 'ana@customer.test');
        await step('resolve', { resolution: 'Upgraded' });
        await step('close', {});
      }));
  }

  if (process.env.RECORD_HISTORIES) {
    it('records the history of a ticket whose customer is owed next replies', () =>
      recordTicketHistory('next-reply', 'record-reply', { response: 'PT30S', resolution: 'PT60S', nextReply: 'PT2S' }, async (t, ticket, step) => {
        const row = async () => (await Ticket.findByPk(ticket.id))!;
        const events = async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events as any[];
        const wrote = async (n: number) => t.sys.tickets.customerMessage(await row(), { via: 'email', subject: `Re ${n}`, message: `Message ${n}`, messageId: `<nr${n}@customer.test>` }, 'ana@customer.test');
        await step('respond', { via: 'email', message: 'Which version?' });
        // A cycle nobody answers in time: its warning and breach, then the late reply.
        await wrote(1);
        await eventually(async () => (await events()).some((e) => e.type === 'sla_breached' && e.data.clock === 'nextReply'), 15_000);
        await step('reply', { via: 'email', message: 'Sorry: upgrade to 8.11' });
        // A cycle answered in time, one answered by a question (the wait), one ended by the resolution.
        await wrote(2);
        await step('reply', { via: 'phone', message: 'Calling you' });
        await wrote(3);
        await step('wait-for-customer', { message: 'Which host?' });
        await wrote(4);
        await step('resolve', { resolution: 'Upgraded mx1' });
        await step('close', {});
      }));
  }

  if (process.env.RECORD_HISTORIES) {
    it('records histories of escalations and sessions', async () => {
      const chain = secondsPolicy(
        { B: { response: 'PT2S', resolution: 'PT4S' } },
        {
          escalation: [
            { at: 0.5, notify: 'assignee_or_lead' },
            { at: 1, notify: 'lead' },
            { at: 1.5, notify: 'manager' },
          ],
          customerReminderAfter: 'PT2S',
        },
      );
      const t = await startTestSystem({ label: 'record2', policy: chain });
      const keep = async (name: string, workflowId: string) => {
        const file = path.join(HISTORIES, `${name}.json`);
        if (existsSync(file)) return;
        const handle = t.sys.temporal.workflow.getHandle(workflowId);
        await handle.result();
        writeFileSync(file, await recorded(await handle.fetchHistory()));
      };
      try {
        // 1. Every level of the chain on both clocks, then resolved and closed.
        const std = await t.createCustomer('standard');
        const climbed = await t.createTicket(std, { impact: 'B' });
        await eventually(async () => (await t.api('GET', `/api/tickets/${climbed.id}`)).body.events.filter((e: any) => e.type === 'sla_escalated').length === 2, 20_000);
        await t.api('POST', `/api/tickets/${climbed.id}/resolve`, { resolution: 'Late' });
        await t.api('POST', `/api/tickets/${climbed.id}/close`, {});
        await keep('escalation-chain', climbed.workflowId);

        // 2. A specialist session proposed, confirmed, reminded and held (the first response), then closed.
        const adv = await t.createCustomer('advanced');
        const ticket = await t.createTicket(adv, { impact: 'B' });
        const r = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: 'email', startsAt: new Date(Date.now() + 5_000).toISOString() });
        expect(r.status, JSON.stringify(r.body)).to.equal(202);
        const sessionStatus = async () => (await t.api('GET', `/api/tickets/${ticket.id}/sessions`)).body.sessions[0]?.status;
        await eventually(async () => (await sessionStatus()) === 'proposed');
        expect((await t.api('POST', `/api/tickets/${ticket.id}/sessions/${r.body.id}/confirm`, {})).status).to.equal(200);
        await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.some((e: any) => e.type === 'session_reminder_sent'), 15_000);
        expect((await t.api('POST', `/api/tickets/${ticket.id}/sessions/${r.body.id}/outcome`, { outcome: 'held', notes: 'Done live' })).status).to.equal(200);
        await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.respondedVia === 'remote_session');
        await t.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Fixed in the session' });
        await t.api('POST', `/api/tickets/${ticket.id}/close`, {});
        await keep('specialist-session-ticket', ticket.workflowId);
        await keep('specialist-session', r.body.id);

        // 3. Waiting on the customer, reminded once, then the reply and the end.
        const waiting = await t.createTicket(adv, { impact: 'C' });
        await t.api('POST', `/api/tickets/${waiting.id}/respond`, { via: 'email', message: 'Logs please' });
        await t.api('POST', `/api/tickets/${waiting.id}/wait-for-customer`, { message: 'Logs please' });
        await eventually(async () => (await t.api('GET', `/api/tickets/${waiting.id}`)).body.events.some((e: any) => e.type === 'customer_reminded'), 15_000);
        await t.api('POST', `/api/tickets/${waiting.id}/customer-replied`, {});
        await t.api('POST', `/api/tickets/${waiting.id}/resolve`, { resolution: 'Fixed with the logs' });
        await t.api('POST', `/api/tickets/${waiting.id}/close`, {});
        await keep('customer-reminder', waiting.workflowId);

        // 4. A brand meeting followed up, then withdrawn when its ticket is resolved.
        const brandTicket = await t.createTicket(adv, { impact: 'B', productId: (await t.admin('GET', `/api/customers/${adv}/products`)).body.products[0].id });
        await t.admin('POST', '/api/brands/Zimbra/contacts', { name: 'Eng', email: 'eng@zimbra.test' });
        const b = await t.api('POST', `/api/tickets/${brandTicket.id}/brand-meeting`, { reason: 'Vendor bug' });
        expect(b.status, JSON.stringify(b.body)).to.equal(202);
        await eventually(async () => (await t.api('GET', `/api/tickets/${brandTicket.id}`)).body.events.some((e: any) => e.type === 'session_follow_up'), 15_000);
        await t.api('POST', `/api/tickets/${brandTicket.id}/resolve`, { resolution: 'Workaround' });
        await eventually(async () => (await t.api('GET', `/api/tickets/${brandTicket.id}`)).body.events.some((e: any) => e.type === 'session_cancelled'), 15_000);
        await t.api('POST', `/api/tickets/${brandTicket.id}/close`, {});
        await keep('brand-meeting-cancelled', b.body.id);

        // 5. A remote session declined by its host, proposed again and confirmed, reminded, nobody
        // recorded how it went when it should have ended (the host is asked), then a no-show.
        const remoteTicket = await t.createTicket(adv, { impact: 'C' });
        const rs = await t.api('POST', `/api/tickets/${remoteTicket.id}/remote-session`, { startsAt: new Date(Date.now() + 5_000).toISOString(), agenda: 'Walk through the restore' });
        expect(rs.status, JSON.stringify(rs.body)).to.equal(202);
        const remote = async () => (await t.api('GET', `/api/tickets/${remoteTicket.id}/sessions`)).body.sessions[0];
        const act = async (action: string, body: object) => expect((await t.api('POST', `/api/tickets/${remoteTicket.id}/sessions/${rs.body.id}/${action}`, body)).status).to.equal(200);
        await eventually(async () => (await remote())?.status === 'proposed');
        await act('decline', { reason: 'Busy then' });
        await eventually(async () => (await remote())?.status === 'proposed' && (await remote()).attempt === 2);
        await act('confirm', {});
        await sleep(Math.max(0, Date.parse((await remote()).endsAt) - Date.now()) + 1_500);
        await act('outcome', { outcome: 'no_show', notes: 'Nobody joined' });
        // The ticket has heard of it before it is resolved (else resolving would withdraw the session).
        await eventually(async () => (await t.api('GET', `/api/tickets/${remoteTicket.id}`)).body.events.some((e: any) => e.type === 'session_no_show'), 15_000);
        await t.api('POST', `/api/tickets/${remoteTicket.id}/resolve`, { resolution: 'Fixed by e-mail' });
        await t.api('POST', `/api/tickets/${remoteTicket.id}/close`, {});
        await keep('remote-session', rs.body.id);
      } finally {
        await t.stop();
      }
    });
  }

  if (process.env.RECORD_HISTORIES) {
    it('records the history of a ticket worked by ops from the Temporal UI or CLI', () =>
      recordTicketHistory('ops-signals', 'record-ops', { response: 'PT30S', resolution: 'PT60S' }, async (t, ticket) => {
        const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
        const actor = 'olga.ops@lastcall.test';
        // Ops actors are people of the directory (each ops step looks its sender up first).
        expect((await t.admin('POST', '/api/users', { name: 'Olga Ops', email: actor, role: 'lead' })).status).to.equal(201);
        const types = async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.map((e: any) => e.type);
        // A sender the directory does not know, a refused signal, an assign resolved through the
        // directory, a response, then an ops update and the API.
        await handle.signal(OPS_STEP_SIGNALS.respond, { actor: 'made.up@lastcall.test', via: 'phone', message: 'Not me' });
        await handle.signal(OPS_STEP_SIGNALS.close, { actor });
        await handle.signal(OPS_STEP_SIGNALS.assign, { actor, assigneeEmail: t.techEmail });
        await handle.signal(OPS_STEP_SIGNALS.respond, { actor, via: 'phone', message: 'Called the customer' });
        await eventually(async () => (await types()).includes('responded'));
        await handle.executeUpdate(OPS_STEP_UPDATES.resolve, { args: [{ actor, resolution: 'Restarted the service' }] });
        expect((await t.api('POST', `/api/tickets/${ticket.id}/close`, {})).status).to.equal(200);
      }));
  }

  if (process.env.RECORD_HISTORIES) {
    it('records the history of a ticket whose record failed for good, went on stuck, and was retried by a lead', () =>
      recordTicketHistory('stuck-record', 'record-stuck', { response: 'PT6S', resolution: 'PT60S' }, async (t, ticket, step) => {
        const lead = 'lea.lead@lastcall.test';
        expect((await t.admin('POST', '/api/users', { name: 'Lea Lead', email: lead, role: 'lead' })).status).to.equal(201);
        const stuck = async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.recordStuck;
        await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.length === 1, 20_000, 'received recorded');
        // Postgres refuses this ticket's events (check_violation): the warning's record fails, the breach fires stuck.
        await t.sys.sequelize.query(`
          CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END $$;
          CREATE TRIGGER refuse_events BEFORE INSERT ON ticket_events FOR EACH ROW WHEN (NEW.ticket_id = '${ticket.id}') EXECUTE FUNCTION refuse_events();`);
        await eventually(stuck, 20_000, 'stuck');
        await eventually(async () => (await t.sys.temporal.workflow.getHandle(ticket.workflowId).query(slaStateQuery)).sla.response.status === 'breached', 20_000, 'breach while stuck');
        await step('respond', { via: 'email', message: 'Sorry for the wait' });
        await t.sys.sequelize.query('DROP TRIGGER refuse_events ON ticket_events');
        await t.sys.temporal.workflow.getHandle(ticket.workflowId).signal(opsRetryRecordSignal, { actor: lead });
        await eventually(async () => (await stuck()) === null, 20_000, 'written again');
        await step('resolve', { resolution: 'Fixed' });
        await step('close', {});
      }));
  }

  if (process.env.RECORD_HISTORIES) {
    it('records histories of the scheduled work (a monthly report run, a digest, a term keeper run)', async () => {
      const names = ['monthly-reports', 'lead-digest', 'advanced-terms'];
      if (names.every((n) => existsSync(path.join(HISTORIES, `${n}.json`)))) return;
      const t = await startTestSystem({ label: 'record-scheduled', policy: secondsPolicy() });
      try {
        // A customer on Advanced since September, with a requester to receive October's report.
        const c = await t.admin('POST', '/api/customers', { name: 'Recorded' });
        await t.admin('POST', `/api/customers/${c.body.id}/products`, { brand: 'Veeam', name: 'Backup', technology: 'backup', purchaseConfirmedAt: '2026-01-01T00:00:00Z', licensesDeliveredAt: '2026-01-01T00:00:00Z' });
        expect((await t.admin('POST', `/api/customers/${c.body.id}/subscriptions`, { plan: 'advanced', term: 'annual', startsAt: '2026-09-15T12:00:00Z' })).status).to.equal(201);
        expect((await t.admin('POST', `/api/customers/${c.body.id}/users`, { name: 'Rita', email: `rita.${Date.now()}@customer.test` })).status).to.equal(201);
        const runs: [string, string, number][] = [
          ['monthly-reports', 'monthlySlaReportsWorkflow', Date.parse('2026-11-01T11:00:00Z')],
          ['lead-digest', 'leadDigestWorkflow', Date.parse('2026-10-21T11:00:00Z')],
          ['advanced-terms', 'advancedTermsWorkflow', Date.now()],
        ];
        for (const [name, type, asOf] of runs) {
          const handle = await t.sys.temporal.workflow.start(type, { taskQueue: t.taskQueue, workflowId: `record-${name}-${Date.now()}`, args: [{ asOf }] });
          await handle.result();
          writeFileSync(path.join(HISTORIES, `${name}.json`), await recorded(await handle.fetchHistory()));
        }
      } finally {
        await t.stop();
      }
    });
  }

  if (process.env.RECORD_HISTORIES) {
    it('records histories that end in a continue-as-new (a long-lived ticket, a session waiting for a specialist)', async () => {
      const names = ['continued-ticket', 'continued-ticket-last', 'continued-session'];
      if (names.every((n) => existsSync(path.join(HISTORIES, `${n}.json`)))) return;
      const policy = secondsPolicy({ A: { response: 'PT30S', resolution: 'PT60S' } }, { sessions: { leadTime: 'PT6S', confirmWithin: 'PT4S', reminderBefore: 'PT3S', duration: 'PT2S', followUpEvery: 'PT2S', maxAttempts: 2, retryEvery: 'PT0.2S' } });
      const t = await startTestSystem({ label: 'record-continued', policy, workflowHistoryLimit: 40 });
      try {
        const c = await t.createCustomerFixture('advanced');
        const ticket = await t.createTicket(c.id, { impact: 'B' });
        const step = async (s: string, body: object) => {
          expect((await t.api('POST', `/api/tickets/${ticket.id}/${s}`, body)).status).to.equal(200);
        };
        const session = await t.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: `rare${Date.now()}` });
        expect(session.status).to.equal(202);
        // The session wakes every 0.2 s and finds nobody: it hands over after a few wake-ups.
        const runsOf = async (workflowId: string) => {
          const runs = [];
          for await (const r of t.sys.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(r);
          return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
        };
        await eventually(async () => (await runsOf(session.body.id)).length >= 2, 60_000, 'the session handed over');
        // The ticket's life; resolving it withdraws the session its first run started.
        await workFullLife(t, step);
        await t.sys.temporal.workflow.getHandle(ticket.workflowId).result();
        const ticketRuns = await runsOf(ticket.workflowId);
        const sessionRuns = await runsOf(session.body.id);
        expect(ticketRuns.length).to.be.at.least(2);
        const write = async (name: string, workflowId: string, runId: string) =>
          writeFileSync(path.join(HISTORIES, `${name}.json`), await recorded(await t.sys.temporal.workflow.getHandle(workflowId, runId).fetchHistory()));
        await write('continued-ticket', ticket.workflowId, ticketRuns[0].runId);
        await write('continued-ticket-last', ticket.workflowId, ticketRuns.at(-1)!.runId);
        await write('continued-session', session.body.id, sessionRuns[0].runId);
      } finally {
        await t.stop();
      }
    });
  }

  if (process.env.RECORD_HISTORIES) {
    it('records the history of a ticket whose clocks count a business calendar\'s working time', async () => {
      const file = path.join(HISTORIES, 'calendar-ticket.json');
      if (existsSync(file)) return;
      // Open every hour of every day in Santiago: working time runs with the wall clock, so the
      // alarms fall within the test, and every one of them was decided from the calendar.
      const allDay = [['00:00', '24:00']];
      const calendar = { timezone: 'America/Santiago', hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, allDay])), holidays: [] };
      const base = secondsPolicy();
      const policy = { ...base, calendars: { santiago: calendar }, targets: { ...base.targets, standard: { ...base.targets.standard, A: { response: 'PT2S', resolution: 'PT4S', calendar: 'santiago' } } } };
      const t = await startTestSystem({ label: 'record-calendar', policy: policy as typeof base });
      try {
        const ticket = await t.createTicket(await t.createCustomer('standard'));
        // Nobody answers: the response warns and breaches; then the answer, a wait, the reply, the end.
        await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.some((e: any) => e.type === 'sla_breached'), 20_000, 'response breach');
        const step = async (s: string, body: object) => {
          expect((await t.api('POST', `/api/tickets/${ticket.id}/${s}`, body)).status).to.equal(200);
        };
        await step('respond', { via: 'email', message: 'Late, sorry' });
        await step('wait-for-customer', { message: 'Logs?' });
        await sleep(300);
        await step('customer-replied', { message: 'Attached' });
        await step('resolve', { resolution: 'Fixed' });
        await step('close', {});
        const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
        await handle.result();
        writeFileSync(file, await recorded(await handle.fetchHistory()));
      } finally {
        await t.stop();
      }
    });
  }

  /** A full life: assign, respond, wait, reply, resolve, reopen, resolve, close. */
  async function workFullLife(t: TestSystem, step: (s: string, body: object) => Promise<void>): Promise<void> {
    await step('assign', { assigneeId: t.techId });
    await step('respond', { via: 'phone', message: 'Calling' });
    await step('wait-for-customer', { message: 'Need logs' });
    await sleep(300);
    await step('customer-replied', { message: 'Here they are' });
    await step('resolve', { resolution: 'Fixed config' });
    await step('reopen', { reason: 'Broke again' });
    await step('resolve', { resolution: 'Fixed for good' });
    await step('close', {});
  }

  /**
   * One Standard ticket (impact A, with the given targets) driven to its end by `drive`, its history
   * written to test/histories/<name>.json; nothing happens when that file is there already.
   */
  async function recordTicketHistory(
    name: string,
    label: string,
    targets: { response: string; resolution: string; nextReply?: string },
    drive: (t: TestSystem, ticket: Awaited<ReturnType<TestSystem['createTicket']>>, step: (s: string, body: object) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const file = path.join(HISTORIES, `${name}.json`);
    if (existsSync(file)) return;
    const t = await startTestSystem({ label, policy: secondsPolicy({ A: targets }) });
    try {
      const ticket = await t.createTicket(await t.createCustomer('standard'));
      const step = async (s: string, body: object) => {
        expect((await t.api('POST', `/api/tickets/${ticket.id}/${s}`, body)).status).to.equal(200);
      };
      await drive(t, ticket, step);
      const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
      await handle.result();
      writeFileSync(file, await recorded(await handle.fetchHistory()));
    } finally {
      await t.stop();
    }
  }

  const files = () => readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  const histories = () => files().map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, f), 'utf8'))) }));
  async function replay(workflowBundle: Parameters<typeof Worker.runReplayHistories>[0]['workflowBundle']) {
    const results = [];
    // The engine's data converter, as its worker runs: plain payloads pass through its codec.
    for await (const r of Worker.runReplayHistories({ workflowBundle, dataConverter: testDataConverter }, histories())) results.push(r);
    return results;
  }

  it(`no recorded history holds a payload over ${PAYLOAD_LIMIT_BYTES / 1024} KB (texts live in Postgres)`, () => {
    const largest = largestPayload(histories().map((h) => h.history));
    expect(largest.bytes, `${largest.where}`).to.be.at.most(PAYLOAD_LIMIT_BYTES);
  });

  it('every recorded ticket history replays against the current workflow code', async () => {
    expect(files().length, 'no recorded histories in test/histories').to.be.at.least(2);
    const results = await replay({ codePath: process.env.TEST_WORKFLOW_BUNDLE! });
    expect(results).to.have.length(files().length);
    for (const r of results) expect(r.error, `${r.workflowId}: ${r.error?.message}`).to.equal(undefined);
  });

  /** The workflows bundled with some of their modules replaced (what a dependency upgrade could do). */
  function bundleReplacing(replacements: Array<[RegExp, string]>) {
    return bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
      webpackConfigHook: (config) => ({ ...config, plugins: [...(config.plugins ?? []), ...replacements.map(([re, file]) => new NormalModuleReplacementPlugin(re, file))] }),
    });
  }
  const SHIFTED_CALENDAR: [RegExp, string] = [/[\\/]business-calendar(\.ts)?$/, require.resolve('../fixtures/shifted-business-calendar')];

  it('replays every recorded history with a calendar module that answers otherwise (a tzdata change, a library upgrade)', async () => {
    expect(files()).to.include('calendar-ticket.json');
    const results = await replay(await bundleReplacing([SHIFTED_CALENDAR]));
    expect(results).to.have.length(files().length);
    for (const r of results) expect(r.error, `${r.workflowId}: ${r.error?.message}`).to.equal(undefined);
  });

  it('…which the recorded working windows are what protects: without them the calendar ticket no longer replays', async () => {
    const bundle = await bundleReplacing([SHIFTED_CALENDAR, [/[\\/]working-windows(\.ts)?$/, require.resolve('../fixtures/forgotten-working-windows')]]);
    const history = histories().find((h) => h.workflowId === 'calendar-ticket.json')!;
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: testDataConverter }, [history])) results.push(r);
    expect(results[0].error?.name, results[0].error?.message).to.match(/DeterminismViolationError/);
  });

  it('the recorded histories cover every workflow the worker runs', async () => {
    const recorded = new Set(histories().map((x) => x.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    const exported = Object.keys(workflows);
    expect(exported).to.include('ticketWorkflow');
    expect(exported.filter((name) => !recorded.has(name)), 'workflows with no recorded history').to.deep.equal([]);
  });

  it('fails on a workflow change that would break running tickets (the guard works)', async () => {
    const bundle = await bundleWorkflows(require.resolve('../fixtures/changed-ticket-workflow'));
    const results = await replay(bundle);
    expect(results).to.have.length(files().length);
    for (const r of results) expect(r.error?.name, r.workflowId).to.match(/DeterminismViolationError/);
  });
});
