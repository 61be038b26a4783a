// Tickets and sessions that live for months, compressed into seconds: with a small history limit a
// ticket's workflow hands over to new runs (continue-as-new, same id) many times, and must end
// exactly as the same ticket run without the boundary (every event, clock and e-mail); a session
// that waits for a specialist through ninety safety wake-ups (a day each by default; a tenth of a
// second here) keeps each run's history under a fixed size, and still answers the signal that
// someone joined. On the real dev server, Postgres and SMTP.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { LEAD, eventually, secondsPolicy, sleep, startApiReplica, startTestSystem, type CustomerFixture, type TestSystem } from '../support/harness';
import type { System } from '../../runtime/system';
import { PAYLOAD_LIMIT_BYTES, largestPayload, payloadsOf } from '../support/payloads';
import { decodedHistory, testDataConverter } from '../support/codec';
import { keepHistory } from '../support/kept-history';

/** Small enough that a ticket worked below hands over several times. */
const LIMIT = 40;
/** What one step or wake-up can add past the limit before the run looks at it (an update, its record, a timer). */
const STEP_EVENTS = 16;

// Response 10 s (answered at once), resolution 12 s with its warning at 6 s: the step phase below
// keeps the resolution clock paused nearly all the time, then lets it warn and breach.
const policy = secondsPolicy(
  { A: { response: 'PT10S', resolution: 'PT12S' } },
  { sessions: { leadTime: 'PT6S', confirmWithin: 'PT4S', reminderBefore: 'PT3S', duration: 'PT2S', followUpEvery: 'PT2S', maxAttempts: 2, retryEvery: 'PT0.1S' } },
);

describe('long-lived tickets and sessions (continue-as-new)', function () {
  this.timeout(180_000);
  let bounded: TestSystem;
  /** An API process of the same system that starts tickets without a history limit: the same ticket in one run. */
  let unbounded: System;

  before(async () => {
    bounded = await startTestSystem({ label: 'long-lived', policy, workflowHistoryLimit: LIMIT });
    unbounded = await startApiReplica(bounded, { workflowHistoryLimit: undefined });
  });
  after(async () => {
    await unbounded?.stop();
    await bounded?.stop();
  });

  async function runsOf(t: TestSystem, workflowId: string): Promise<WorkflowExecutionInfo[]> {
    const runs: WorkflowExecutionInfo[] = [];
    for await (const run of t.sys.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run);
    return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  }
  /** A run's history as ops with the codec read it (every payload decrypted). */
  const historyOf = async (t: TestSystem, workflowId: string, runId: string) => decodedHistory(await t.sys.temporal.workflow.getHandle(workflowId, runId).fetchHistory());

  /** Filed through the API process that starts its workflow without a history limit. */
  async function fileUnbounded(c: CustomerFixture) {
    const res = await fetch(`${unbounded.url}/api/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.requesterToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'problem', impact: 'A', subject: 'Mail server down', description: 'Nobody can send mail since 9:00.' }),
    });
    const ticket = (await res.json()) as any;
    expect(res.status, JSON.stringify(ticket)).to.equal(201);
    const handle = bounded.sys.temporal.workflow.getHandle(ticket.workflowId);
    await eventually(() => handle.describe().then(() => true, () => false), 10_000, `workflow of #${ticket.number}`);
    return ticket;
  }

  /** The same life for either ticket: the steps, a customer's e-mail, and clocks left to warn and breach. */
  async function workTicket(c: CustomerFixture, oneRun: boolean): Promise<{ ticket: any; keyedRunId: string }> {
    const t = bounded;
    const ticket = oneRun ? await fileUnbounded(c) : await t.createTicket(c.id, { impact: 'A' });
    const step = async (kind: string, body: object, headers: Record<string, string> = {}) => {
      const res = await t.api('POST', `/api/tickets/${ticket.id}/${kind}`, body, headers);
      expect(res.status, `${kind}: ${JSON.stringify(res.body)}`).to.equal(200);
      return res.body;
    };
    await step('assign', { assigneeId: t.techId });
    await step('respond', { via: 'email', message: 'Looking at it' });
    await step('wait-for-customer', { message: 'Which mailbox?' });
    // The step whose Idempotency-Key is retried once the run that applied it has handed over.
    await step('customer-replied', { message: 'mx1' }, { 'idempotency-key': `reply-${ticket.number}` });
    const keyedRunId = (await t.sys.temporal.workflow.getHandle(ticket.workflowId).describe()).runId;
    await step('wait-for-customer', { message: 'And the version?' });
    for (let i = 0; i < 8; i++) {
      await step('customer-replied', { message: `answer ${i}` });
      await step('wait-for-customer', { message: `question ${i + 1}` });
    }
    // The customer writes by e-mail (an Update from the inbound path): it resumes the clock.
    await t.sys.tickets.customerMessage((await t.sys.sequelize.models.Ticket.findByPk(ticket.id)) as any, { via: 'email', subject: 'Re: version', message: '8.10', messageId: `<m-${ticket.number}@customer.test>` }, c.requesterEmail);
    // Now the resolution clock runs to its warning and its breach.
    await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events.some((e: any) => e.type === 'sla_breached'), 30_000, `#${ticket.number} resolution breach`);
    await step('resolve', { resolution: 'Upgraded to 8.10' });
    await step('close', {});
    await t.sys.temporal.workflow.getHandle(ticket.workflowId).result();
    return { ticket, keyedRunId };
  }

  /** What a person can compare between two tickets: event types and actors in order (alarms apart), alarms, clocks, e-mails. */
  async function lifeOf(ticket: any, c: CustomerFixture) {
    const t = bounded;
    const full = (await t.api('GET', `/api/tickets/${ticket.id}`)).body;
    const seqs = full.events.map((e: any) => e.seq);
    const isAlarm = (e: any) => e.type.startsWith('sla_');
    const who = (a: string) => (a === c.requesterEmail ? 'requester' : a === t.techEmail ? 'tech' : a);
    const mails = t.inbox.messages
      .filter((m) => m.subject.includes(`#${ticket.number}]`))
      .map((m) => `${m.subject.replace(`#${ticket.number}]`, '#N]').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')} → ${m.to.map((a) => (a === c.requesterEmail ? 'requester' : a === t.techEmail ? 'tech' : a === LEAD ? 'lead' : a)).sort().join(',')}`)
      .sort();
    return {
      seqs,
      steps: full.events.filter((e: any) => !isAlarm(e)).map((e: any) => `${e.type} by ${who(e.actor)}`),
      alarms: full.events.filter(isAlarm).map((e: any) => `${e.type} ${e.data.clock}`).sort(),
      clocks: { status: full.status, response: full.sla.response.status, resolution: full.sla.resolution.status, breached: full.breached },
      mails,
    };
  }

  it('a ticket worked through many runs ends exactly as the same ticket in one run', async () => {
    const cb = await bounded.createCustomerFixture('standard');
    const cp = await bounded.createCustomerFixture('standard');
    const [b, p] = await Promise.all([workTicket(cb, false), workTicket(cp, true)]);

    const runs = await runsOf(bounded, b.ticket.workflowId);
    expect(runs.length, 'runs of the bounded ticket').to.be.at.least(3);
    expect(runs.slice(0, -1).every((r) => r.status.name === 'CONTINUED_AS_NEW'), runs.map((r) => r.status.name).join()).to.equal(true);
    expect(runs.at(-1)!.status.name).to.equal('COMPLETED');
    for (const run of runs) expect(run.historyLength, `run ${run.runId}`).to.be.at.most(LIMIT + STEP_EVENTS);
    // The search attributes ops filter on follow the ticket into its last run.
    const last = runs.at(-1)!;
    expect(last.searchAttributes.TicketNumber).to.deep.equal([b.ticket.number]);
    expect(last.searchAttributes.TicketStatus).to.deep.equal(['closed']);
    expect((await runsOf(bounded, p.ticket.workflowId)).length).to.equal(1);

    // The outbox sends what the records queued; let both drain before comparing.
    await sleep(2_000);
    const [lb, lp] = await Promise.all([lifeOf(b.ticket, cb), lifeOf(p.ticket, cp)]);
    // One record per event, none lost or written twice across the boundaries.
    expect(lb.seqs).to.deep.equal(lb.seqs.map((_: number, i: number) => i + 1));
    expect(lb.steps).to.deep.equal(lp.steps);
    expect(lb.alarms).to.deep.equal(lp.alarms);
    expect(lb.alarms).to.include.members(['sla_warning resolution', 'sla_breached resolution']);
    expect(lb.clocks).to.deep.equal(lp.clocks);
    expect(lb.clocks).to.deep.equal({ status: 'closed', response: 'met', resolution: 'breached', breached: true });
    expect(lb.mails).to.deep.equal(lp.mails);
  });

  it('an update retried after its run handed over is answered, not applied again', async () => {
    const c = await bounded.createCustomerFixture('standard');
    const { ticket, keyedRunId } = await workTicketUntilHandover(bounded, c);
    const before = (await bounded.api('GET', `/api/tickets/${ticket.id}`)).body.events.length;
    const retried = await bounded.api('POST', `/api/tickets/${ticket.id}/customer-replied`, { message: 'mx1' }, { 'idempotency-key': `reply-${ticket.number}` });
    expect(retried.status, JSON.stringify(retried.body)).to.equal(200);
    expect((await bounded.sys.temporal.workflow.getHandle(ticket.workflowId).describe()).runId).to.not.equal(keyedRunId);
    expect((await bounded.api('GET', `/api/tickets/${ticket.id}`)).body.events.length).to.equal(before);
    // A new key is a new step, checked against the state as it is: the ticket is not waiting.
    const fresh = await bounded.api('POST', `/api/tickets/${ticket.id}/customer-replied`, { message: 'again' }, { 'idempotency-key': `reply-${ticket.number}-2` });
    expect(fresh.status).to.equal(409);
  });

  async function workTicketUntilHandover(t: TestSystem, c: CustomerFixture) {
    const ticket = await t.createTicket(c.id, { impact: 'A' });
    const step = async (kind: string, body: object, headers: Record<string, string> = {}) => {
      const res = await t.api('POST', `/api/tickets/${ticket.id}/${kind}`, body, headers);
      expect(res.status, `${kind}: ${JSON.stringify(res.body)}`).to.equal(200);
    };
    await step('respond', { via: 'email', message: 'Looking at it' });
    await step('wait-for-customer', { message: 'Which mailbox?' });
    await step('customer-replied', { message: 'mx1' }, { 'idempotency-key': `reply-${ticket.number}` });
    const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
    const keyedRunId = (await handle.describe()).runId;
    for (let i = 0; i < 10 && (await handle.describe()).runId === keyedRunId; i++) {
      await step('assign', { assigneeId: t.techId });
    }
    expect((await handle.describe()).runId, 'the run handed over').to.not.equal(keyedRunId);
    return { ticket, keyedRunId };
  }

  it('a session waiting ninety safety wake-ups keeps each run small, and the newcomer still gets the invitation', async function () {
    this.timeout(300_000);
    const c = await bounded.createCustomerFixture('advanced');
    const ticket = await bounded.createTicket(c.id, { impact: 'B' });
    const tech = `rare${randomBytes(2).toString('hex')}`;
    const r = await bounded.api('POST', `/api/tickets/${ticket.id}/specialist-session`, { technology: tech });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    const sessionId = r.body.id;
    await bounded.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}]`) && m.subject.includes('Nobody to serve') && m.to.includes(LEAD));

    // Ninety wake-ups that find nobody (a safety timer of 0.1 s standing for a day).
    const lookups = async () => {
      let n = 0;
      for (const run of await runsOf(bounded, sessionId)) {
        const h = await historyOf(bounded, sessionId, run.runId);
        n += (h.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'findSpecialist').length;
      }
      return n;
    };
    // Counted from the histories every two seconds: reading them all is not free. A wake-up is a
    // timer, a directory read and two workflow tasks: about 0.5 s here, over a second on a loaded machine.
    for (const deadline = Date.now() + 240_000; (await lookups()) < 90; await sleep(2_000)) {
      if (Date.now() > deadline) throw new Error(`only ${await lookups()} wake-ups in 240 s`);
    }
    const runs = await runsOf(bounded, sessionId);
    expect(runs.length).to.be.at.least(3);
    for (const run of runs) expect(run.historyLength, `session run ${run.runId}`).to.be.at.most(LIMIT + STEP_EVENTS);

    const newcomer = await bounded.admin('POST', '/api/users', { name: 'Newcomer', email: `newcomer.${randomBytes(3).toString('hex')}@lastcall.test`, role: 'technician', technologies: [tech] });
    expect(newcomer.status).to.equal(201);
    await bounded.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}]`) && m.subject.includes('Invitation') && m.to.includes(newcomer.body.email), 15_000);
    // The lead heard once, not once per run; the ticket recorded one wait and the proposal.
    expect(bounded.inbox.messages.filter((m) => m.subject.includes(`#${ticket.number}]`) && m.subject.includes('Nobody to serve'))).to.have.length(1);
    const types = ((await bounded.api('GET', `/api/tickets/${ticket.id}`)).body.events as any[]).map((e) => e.type);
    expect(types.filter((x) => x === 'session_waiting')).to.have.length(1);
    expect(types).to.include('session_proposed');

    // Resolving the ticket withdraws the session, whichever run of the ticket started it.
    expect((await bounded.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: 'Fixed by phone' })).status).to.equal(200);
    expect((await bounded.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: 'Fixed' })).status).to.equal(200);
    await eventually(async () => (await bounded.api('GET', `/api/tickets/${ticket.id}/sessions`)).body.sessions[0]?.status === 'cancelled', 15_000, 'session withdrawn');
  });

  it('what people write stays in Postgres: a 20,000-character answer and e-mail leave no payload over a few KB in any run', async () => {
    const c = await bounded.createCustomerFixture('standard');
    const ticket = await bounded.createTicket(c.id, { impact: 'B' });
    const answer = `Answer ${randomBytes(8).toString('hex')} `.padEnd(20_000, 'a');
    const mail = `Mail ${randomBytes(8).toString('hex')} `.padEnd(20_000, 'm');
    expect((await bounded.api('POST', `/api/tickets/${ticket.id}/respond`, { via: 'email', message: answer })).status).to.equal(200);
    await bounded.sys.tickets.customerMessage((await bounded.sys.sequelize.models.Ticket.findByPk(ticket.id)) as any, { via: 'email', subject: 'Re: logs', message: mail, messageId: `<big-${ticket.number}@customer.test>` }, c.requesterEmail);
    for (let i = 0; i < 8; i++) expect((await bounded.api('POST', `/api/tickets/${ticket.id}/assign`, { assigneeId: bounded.techId })).status).to.equal(200);
    expect((await bounded.api('POST', `/api/tickets/${ticket.id}/resolve`, { resolution: answer })).status).to.equal(200);

    // Every reader still gets the texts: the API, and the e-mails that quote them.
    const events = (await bounded.api('GET', `/api/tickets/${ticket.id}`)).body.events as any[];
    expect(events.find((e) => e.type === 'responded').data.message).to.equal(answer);
    expect(events.find((e) => e.type === 'customer_message').data.message).to.equal(mail);
    expect(events.find((e) => e.type === 'resolved').data.resolution).to.equal(answer);
    await bounded.inbox.waitFor((m) => m.subject.includes(`#${ticket.number}]`) && m.text.includes(answer.slice(0, 200)));

    const runs = await runsOf(bounded, ticket.workflowId);
    expect(runs.length, 'it handed over at least once').to.be.at.least(2);
    const histories = await Promise.all(runs.map((r) => historyOf(bounded, ticket.workflowId, r.runId)));
    const largest = largestPayload(histories);
    console.log(`      largest payload of #${ticket.number}'s ${runs.length} runs: ${largest.bytes} bytes at event ${largest.where}; longest run ${Math.max(...runs.map((r) => r.historyLength))} events`);
    expect(largest.bytes, largest.where).to.be.at.most(PAYLOAD_LIMIT_BYTES);
    const raw = Buffer.concat(histories.flatMap(payloadsOf).map((p) => Buffer.from(p.data)));
    expect(raw.includes(answer.slice(0, 30)), 'the answer is in the history').to.equal(false);
    expect(raw.includes(mail.slice(0, 30)), 'the e-mail is in the history').to.equal(false);
  });

  it('the histories that ended in a continue-as-new replay against the current code', async () => {
    const c = await bounded.createCustomerFixture('standard');
    const { ticket } = await workTicketUntilHandover(bounded, c);
    const histories: { workflowId: string; history: Awaited<ReturnType<typeof historyOf>> }[] = [];
    for (const run of await runsOf(bounded, ticket.workflowId)) {
      if (run.status.name !== 'CONTINUED_AS_NEW') continue;
      histories.push({ workflowId: `${ticket.workflowId}-${run.runId}`, history: await historyOf(bounded, ticket.workflowId, run.runId) });
    }
    expect(histories.length).to.be.at.least(1);
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! }, dataConverter: testDataConverter }, histories)) results.push(result);
    expect(results).to.have.length(histories.length);
    const failed = results.filter((x) => x.error);
    // A history that fails to replay is kept where the failure names it: one seen once in CI could not be had again.
    const kept = failed.map((x) => keepHistory(x.workflowId, histories.find((h) => h.workflowId === x.workflowId)!.history));
    expect(failed.map((x, i) => `${String(x.error)} (history: ${kept[i]})`)).to.deep.equal([]);
  });
});
