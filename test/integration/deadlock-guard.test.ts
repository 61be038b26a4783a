// The deadlock guard (worker/worker.ts, DEFAULT_ISOLATE_TIMEOUT_MS): with the engine's default
// settings, a workflow stuck in a synchronous loop is stopped after 5 s, its workflow task fails
// visibly (in its history, with why), and the tickets on the same worker go on. Without the guard
// the loop would hold the worker's one workflow thread for good, and every ticket with it.
import { expect } from 'chai';
import { temporal } from '@temporalio/proto';
import { bundleWorkflows } from '../../worker/workflow-bundle';
import { eventually, secondsPolicy, startTestSystem, type TestSystem } from '../support/harness';

const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

describe('the deadlock guard: a workflow that never yields is stopped and the worker goes on', function () {
  this.timeout(120_000);
  let t: TestSystem;

  before(async () => {
    // The system as the engine starts it (no isolateTimeoutMs: the default), with the looping workflow beside the engine's.
    const workflowBundle = await bundleWorkflows(require.resolve('../fixtures/looping-workflow'));
    t = await startTestSystem({ label: 'guard', policy: secondsPolicy({ A: { response: 'PT30S', resolution: 'PT60S' } }), workflowBundle });
  });
  after(async () => t?.stop());

  it("fails the looping workflow's task with the timeout in its history, while a ticket on the same worker is worked to its end", async () => {
    const looping = await t.sys.temporal.workflow.start('loopingWorkflow', { taskQueue: t.taskQueue, workflowId: `looping-${t.taskQueue}` });
    try {
      const failedTasks = async () => ((await looping.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      const started = Date.now();
      // A ticket taken in and worked on the same worker meanwhile: the loop holds the workflow thread
      // for at most the guard's 5 s at a time, so every step answers (the API waits up to 10 s).
      const ticket = await t.createTicket(await t.createCustomer('standard'));
      for (const [step, body] of [['respond', { via: 'email', message: 'On it' }], ['resolve', { resolution: 'Fixed' }], ['close', {}]] as const) {
        const res = await t.api('POST', `/api/tickets/${ticket.id}/${step}`, body);
        expect(res.status, `${step}: ${JSON.stringify(res.body)}`).to.equal(200);
      }
      await eventually(async () => (await t.sys.temporal.workflow.getHandle(ticket.workflowId).describe()).status.name === 'COMPLETED', 30_000, 'the ticket ended');

      await eventually(async () => (await failedTasks()).length > 0, 30_000, 'the looping workflow task failed');
      const [failed] = await failedTasks();
      const attributes = failed.workflowTaskFailedEventAttributes!;
      expect(attributes.cause).to.equal(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE);
      expect(attributes.failure?.message).to.match(/Script execution timed out after 5000ms/);
      // Stopped by the guard, not by anything later (the task's own timeout is 10 s).
      expect(Date.now() - started).to.be.below(60_000);
      expect((await looping.describe()).status.name, 'retried, never completed').to.equal('RUNNING');
    } finally {
      await looping.terminate('the deadlock guard test is over');
    }
  });
});
