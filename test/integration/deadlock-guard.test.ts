// The deadlock guard (worker/worker.ts, DEFAULT_ISOLATE_TIMEOUT_MS): with the engine's default
// settings, a workflow stuck in a synchronous loop is stopped after 5 s, its workflow task fails
// visibly (in its history, with why), and the tickets on the same worker go on. Without the guard
// the loop would hold one of the worker's workflow threads for good, and every ticket on it.
import { expect } from 'chai';
import { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../worker/workflow-bundle';
import { WORKFLOW_THREAD_YOUNG_GENERATION_MB } from '../../worker/worker';
import { eventually, secondsPolicy, startTestSystem, type TestSystem } from '../support/harness';
import { testCodec } from '../support/codec';

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
    expect(t.sys.worker!.options.workflowThreadPoolSize, 'the engine\'s default').to.equal(2);
    // The threads as the SDK made them (patches/): each with the young generation's limit, which Node reports back.
    const threads = (t.sys.worker as any).workflowCreator.workerThreadClients.map((c: any) => c.workerThread.resourceLimits.maxYoungGenerationSizeMb);
    expect(threads, 'young generation of each workflow thread (MB)').to.deep.equal([WORKFLOW_THREAD_YOUNG_GENERATION_MB, WORKFLOW_THREAD_YOUNG_GENERATION_MB]);
    const looping = await t.sys.temporal.workflow.start('loopingWorkflow', { taskQueue: t.taskQueue, workflowId: `looping-${t.taskQueue}` });
    try {
      const failedTasks = async () => ((await looping.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      // A ticket taken in and worked on the same worker meanwhile. The loop holds one of the worker's
      // workflow threads (the ticket's, when they share it) for up to the guard's 5 s at a time, and
      // the server retries its task at once a few times, so a step may find the engine busy past the
      // API's 10 s wait: it answers 503 and the client retries with the same Idempotency-Key, as the
      // answer says. Without the guard no retry would ever get through.
      const ticket = await t.createTicket(await t.createCustomer('standard'));
      for (const [step, body] of [['respond', { via: 'email', message: 'On it' }], ['resolve', { resolution: 'Fixed' }], ['close', {}]] as const) {
        let res = await t.api('POST', `/api/tickets/${ticket.id}/${step}`, body, { 'idempotency-key': `${step}-${ticket.id}` });
        for (let retry = 0; res.status === 503 && retry < 3; retry++) {
          expect(res.body.error.code).to.equal('TICKET_ENGINE_UNAVAILABLE');
          res = await t.api('POST', `/api/tickets/${ticket.id}/${step}`, body, { 'idempotency-key': `${step}-${ticket.id}` });
        }
        expect(res.status, `${step}: ${JSON.stringify(res.body)}`).to.equal(200);
      }
      await eventually(async () => (await t.sys.temporal.workflow.getHandle(ticket.workflowId).describe()).status.name === 'COMPLETED', 30_000, 'the ticket ended');

      await eventually(async () => (await failedTasks()).length > 0, 30_000, 'the looping workflow task failed');
      const [failed] = await failedTasks();
      const attributes = failed.workflowTaskFailedEventAttributes!;
      expect(attributes.cause).to.equal(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE);
      // Its text is in an encrypted payload (temporal/failure-converter.ts), read as ops with the codec server read it.
      expect(attributes.failure?.message).to.equal('Encoded failure');
      const { message } = defaultPayloadConverter.fromPayload<{ message: string }>(testCodec.decodeOne(attributes.failure!.encodedAttributes!));
      expect(message).to.match(/Script execution timed out after 5000ms/);
      // Stopped by the guard, within the task's own timeout (10 s), not by anything later.
      const events = (await looping.fetchHistory()).events ?? [];
      const taskStarted = events.find((e) => Number(e.eventId) === Number(attributes.startedEventId))!;
      const seconds = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) + (e.eventTime!.nanos ?? 0) / 1e9;
      expect(seconds(failed) - seconds(taskStarted)).to.be.within(4.5, 10);
      expect((await looping.describe()).status.name, 'retried, never completed').to.equal('RUNNING');
    } finally {
      await looping.terminate('the deadlock guard test is over');
    }
  });

  it('watches the activations that run new code, not the ones replayed, unless WORKFLOW_GUARD_REPLAY=on (what WORKER_GUARD_REPLAY sets)', async () => {
    // About 2 s of synchronous work on this machine when replayed, none when run: four times the
    // limit given to the replays below, which is what they measure (a vm timeout is wall-clock time).
    const iterations = 300_000_000;
    const limitMs = 500;
    const handle = await t.sys.temporal.workflow.start('slowToReplayWorkflow', { taskQueue: t.taskQueue, workflowId: `slow-replay-${t.taskQueue}`, args: [iterations] });
    expect(await handle.result(), 'run by the engine worker with its guard').to.equal('done');
    const history = await handle.fetchHistory();
    // Replayed from a bundle of its own, without the engine's failure converter, so the replay's failure keeps its text.
    const replayBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/slow-to-replay-workflow'), logger: new DefaultLogger('WARN') });
    const replayed = async (guardReplay: 'on' | 'off'): Promise<unknown> => {
      const before = process.env.WORKFLOW_GUARD_REPLAY;
      // Read by the patched SDK where it creates a workflow, in threads that copy the environment as they start.
      process.env.WORKFLOW_GUARD_REPLAY = guardReplay;
      try {
        await Worker.runReplayHistory({ workflowBundle: replayBundle, dataConverter: { payloadCodecs: [testCodec] }, ...({ isolateExecutionTimeout: limitMs } as object) }, history, handle.workflowId);
        return null;
      } catch (err) {
        return err;
      } finally {
        if (before === undefined) delete process.env.WORKFLOW_GUARD_REPLAY;
        else process.env.WORKFLOW_GUARD_REPLAY = before;
      }
    };
    expect(await replayed('off'), 'the replayed activation ran past the limit unguarded').to.equal(null);
    const guarded = await replayed('on');
    expect(guarded, 'the replayed activation stopped by the guard').to.be.instanceOf(Error);
    expect((guarded as Error).message).to.match(new RegExp(`Script execution timed out after ${limitMs}ms`));
  });
});
