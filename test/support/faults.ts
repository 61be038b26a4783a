// What the fault tests share: a worker as a process of its own (so it can be killed), and the one
// check every fault ends with: every ticket is there, every due warning and breach is recorded
// exactly once, and every e-mail went out exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { notificationsFor } from '../../domain/notifications';
import { ticketWorkflowId } from '../../workflows/definitions';
import type { TicketEvent } from '../../domain/ticket-lifecycle';
import { ADMIN_TOKEN, LEAD, MANAGER, eventually, type TestSystem } from './harness';
import { TEST_CODEC_KEYS_TEXT, failureText } from './codec';

/** Long variants (more tickets, longer outages) run with FAULTS_LONG=1. */
export const LONG = process.env.FAULTS_LONG === '1';

/**
 * Intake limits for the fault tests that file load on purpose: the long variants file up to 100
 * tickets per customer within a minute, past the default flood limit of 60 per requester an hour.
 */
export const LOAD_LIMITS = { intakePerRequester: { points: 10_000, windowS: 3600 }, intakePerCustomer: { points: 10_000, windowS: 3600 } };

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `worker/main.ts` as a real OS process on the test's database, Temporal server, task queue and inbox. */
export async function startWorkerProcess(t: TestSystem, temporalAddress = process.env.TEST_TEMPORAL_ADDRESS!): Promise<WorkerProcess> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(root, 'worker', 'main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      TS_NODE_TRANSPILE_ONLY: 'true',
      DATABASE_URL: t.databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: t.taskQueue,
      SMTP_URL: t.inbox.url,
      MAIL_FROM: 'Last Call Support <support@lastcall.test>',
      SUPPORT_LEAD_EMAIL: LEAD,
      SUPPORT_MANAGER_EMAIL: MANAGER,
      ADMIN_TOKEN,
      TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS_TEXT,
      WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE,
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_MS: '0',
      // Parallel test files (and other checkouts) must not fight over the default metrics port.
      METRICS_PORT: '0',
      // The engine lowers its worker below the API it shares a machine with (BACKGROUND_NICE); here
      // its neighbours are other test files running in parallel, which would starve it past its
      // workflow task timeout, a load no deployment puts on it.
      BACKGROUND_NICE: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // TEST_WORKER_LOG_DIR keeps each worker process's log in a file, to read a red run afterwards.
  const file = process.env.TEST_WORKER_LOG_DIR ? createWriteStream(path.join(process.env.TEST_WORKER_LOG_DIR, `worker-${t.taskQueue}-${child.pid}.log`)) : null;
  child.stdout!.on('data', (d) => ((out += d), file?.write(d)));
  child.stderr!.on('data', (d) => ((out += d), file?.write(d)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Two minutes: ts-node compiles the worker at start, slow on a machine busy with parallel test files.
  await eventually(async () => out.includes('"msg":"started"') || child.exitCode !== null, 120_000, 'the worker process to start');
  if (child.exitCode !== null) throw new Error(`worker process exited with ${child.exitCode}:\n${out.slice(-3000)}`);
  return {
    child,
    output: () => out,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

const SLA = ['sla_warning', 'sla_breached', 'sla_escalated'];

/**
 * After a fault: every ticket exists with an unbroken history, each clock that is breached has
 * exactly one breach event (and no clock more than one event per level), and every e-mail an event
 * calls for was delivered exactly once, under its stable Message-ID.
 */
export async function expectNothingLost(
  t: TestSystem,
  tickets: Array<{ id: string; number: number }>,
  timeoutMs = 60_000,
  opts: { killedAt?: number } = {},
): Promise<void> {
  // The record catches up with what is due (a workflow started late records its breaches at once).
  let last: unknown;
  const settled = await eventually(
    async () => {
      try {
        for (const ticket of tickets) await expectTicketComplete(t, ticket);
        return true;
      } catch (err) {
        last = err;
        return false;
      }
    },
    timeoutMs,
    'every ticket to record what fell due',
  ).catch(() => false);
  if (!settled) throw last;
  // Each notification under its Message-ID, once; none under any other.
  const expected = new Map<string, string>();
  for (const ticket of tickets) {
    const events = (await t.admin('GET', `/api/tickets/${ticket.id}`)).body.events as TicketEvent[];
    for (const n of notificationsFor(ticket.id, events)) expected.set(`<ticket-${ticket.number}.${n.event.seq}.${n.kind}@lastcall.example>`, n.key);
  }
  await eventually(
    async () => [...expected.keys()].every((id) => t.inbox.messages.some((m) => m.messageId === id)),
    timeoutMs,
    `all ${expected.size} e-mails of ${tickets.length} tickets`,
  );
  // Events an abandoned attempt of a workflow task recorded, replaced by its retry's record
  // (migration 009): their e-mails may have gone out before, once; none is owed.
  const superseded = await t.sys.sequelize.query<{ number: string; seq: number; type: string }>(
    'SELECT t.number, e.seq, e.type FROM ticket_events_superseded e JOIN tickets t ON t.id = e.ticket_id WHERE e.ticket_id IN (:ids)',
    { replacements: { ids: tickets.map((x) => x.id) }, type: QueryTypes.SELECT },
  );
  const mayHaveGone = new Set(superseded.map((e) => `<ticket-${e.number}.${e.seq}.${e.type}@lastcall.example>`));
  const ours = t.inbox.messages.filter((m) => /^<ticket-\d+\.\d+\./.test(m.messageId ?? '') && tickets.some((x) => m.messageId!.startsWith(`<ticket-${x.number}.`)));
  const counts = new Map<string, number>();
  for (const m of ours) counts.set(m.messageId!, (counts.get(m.messageId!) ?? 0) + 1);
  // A process killed between the SMTP server taking a message and the send log recording it sends
  // that one again, under the same Message-ID (mail clients show it once). Only those may repeat:
  // a message first delivered after the kill must never come twice.
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const firstAt = (id: string) => Math.min(...ours.filter((m) => m.messageId === id).map((m) => m.receivedAt));
  const repeatedAfterKill = twice.filter((id) => opts.killedAt === undefined || firstAt(id) > opts.killedAt + 250);
  expect(repeatedAfterKill, 'e-mails delivered twice').to.deep.equal([]);
  expect([...counts.keys()].filter((id) => !expected.has(id) && !mayHaveGone.has(id)), 'e-mails no event called for').to.deep.equal([]);
}

async function expectTicketComplete(t: TestSystem, ticket: { id: string; number: number }): Promise<void> {
  const r = await t.admin('GET', `/api/tickets/${ticket.id}`);
  expect(r.status, `ticket #${ticket.number} is gone`).to.equal(200);
  const events = r.body.events as Array<TicketEvent & { at: string }>;
  const seqs = events.map((e) => e.seq);
  if (seqs.some((seq, i) => seq !== i + 1)) {
    // What each record wrote and superseded, to read the race off a red run.
    const rows = await t.sys.sequelize.query(
      `SELECT 'kept' AS "in", seq, type, decided_in, recorded_at, NULL::int AS superseded_by FROM ticket_events WHERE ticket_id = :id
       UNION ALL SELECT 'superseded', seq, type, decided_in, recorded_at, superseded_by FROM ticket_events_superseded WHERE ticket_id = :id
       ORDER BY recorded_at`,
      { replacements: { id: ticket.id }, type: QueryTypes.SELECT },
    );
    const row = (await t.sys.sequelize.query('SELECT t.snapshot_version, t.snapshot_decided_in, t.status, s.failure_type AS stuck, s.reason AS stuck_reason FROM tickets t LEFT JOIN ticket_records_stuck s ON s.ticket_id = t.id WHERE t.id = :id', { replacements: { id: ticket.id }, type: QueryTypes.SELECT }))[0];
    const history = (await t.sys.temporal.workflow.getHandle(ticketWorkflowId(ticket.number)).fetchHistory()).events ?? [];
    const failures = history
      .filter((e) => e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes)
      .map((e) => `${e.eventId}: ${failureText(e.workflowTaskFailedEventAttributes?.failure) ?? `timed out (${e.workflowTaskTimedOutEventAttributes?.timeoutType})`}`);
    expect(seqs, `#${ticket.number} history has gaps: ${JSON.stringify({ row, rows, historyLength: history.length, failures })}`).to.deep.equal(events.map((_, i) => i + 1));
  }
  for (const clock of ['response', 'resolution']) {
    const of = (type: string) => events.filter((e) => e.type === type && e.data.clock === clock);
    const breached = r.body.sla[clock].status === 'breached';
    expect(of('sla_breached'), `#${ticket.number} ${clock}: breach events`).to.have.length(breached ? 1 : 0);
    for (const type of SLA) {
      const levels = of(type).map((e) => e.data.level ?? 'legacy');
      expect(new Set(levels).size, `#${ticket.number} ${clock}: ${type} twice at one level`).to.equal(levels.length);
    }
  }
}
