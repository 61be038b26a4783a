// Determinism guard: histories recorded from real tickets must replay against the current workflow
// code. A change that would break running tickets fails here (then version it with patched()).
// Re-record with `npm run record-histories` only for a deliberate, compatible change.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import pino from 'pino';
import { installTemporalRuntime } from '../../runtime/temporal-runtime';
import { eventually, secondsPolicy, sleep, startTestSystem } from '../support/harness';

const HISTORIES = path.join(__dirname, '..', 'histories');

describe('workflow replay', function () {
  // Replay needs no system, but the SDK runtime should still log through ours (quietly).
  before(() => installTemporalRuntime(pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })));

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
        await step('assign', { assigneeId: t.techId });
        await step('respond', { via: 'phone', message: 'Calling' });
        await step('wait-for-customer', { message: 'Need logs' });
        await sleep(300);
        await step('customer-replied', { message: 'Here they are' });
        await step('resolve', { resolution: 'Fixed config' });
        await step('reopen', { reason: 'Broke again' });
        await step('resolve', { resolution: 'Fixed for good' });
        await step('close', {});
        // 2. Nobody answers: warning and breach of the response target, then resolution of it.
        const breached = await t.createTicket(customerId);
        await eventually(async () => (await t.api('GET', `/api/tickets/${breached.id}`)).body.sla.response.breachedAt !== null && (await t.api('GET', `/api/tickets/${breached.id}`)).body.events.some((e: any) => e.type === 'sla_breached'));
        await t.api('POST', `/api/tickets/${breached.id}/resolve`, { resolution: 'Late fix' });
        await t.api('POST', `/api/tickets/${breached.id}/close`, {});
        for (const [name, ticket] of [['full-life', full], ['response-breach', breached]] as const) {
          const handle = t.sys.temporal.workflow.getHandle(ticket.workflowId);
          await handle.result();
          const history = await handle.fetchHistory();
          writeFileSync(path.join(HISTORIES, `${name}.json`), historyToJSON(history));
        }
      } finally {
        await t.stop();
      }
    });
  }

  const files = () => readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  const histories = () => files().map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, f), 'utf8'))) }));
  async function replay(workflowBundle: Parameters<typeof Worker.runReplayHistories>[0]['workflowBundle']) {
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle }, histories())) results.push(r);
    return results;
  }

  it('every recorded ticket history replays against the current workflow code', async () => {
    expect(files().length, 'no recorded histories in test/histories').to.be.at.least(2);
    const results = await replay({ codePath: process.env.TEST_WORKFLOW_BUNDLE! });
    expect(results).to.have.length(files().length);
    for (const r of results) expect(r.error, `${r.workflowId}: ${r.error?.message}`).to.equal(undefined);
  });

  it('fails on a workflow change that would break running tickets (the guard works)', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/changed-ticket-workflow'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    const results = await replay(bundle);
    expect(results).to.have.length(files().length);
    for (const r of results) expect(r.error?.name, r.workflowId).to.match(/DeterminismViolationError/);
  });
});
