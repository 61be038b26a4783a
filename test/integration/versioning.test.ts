// The procedure for the next workflow change that running workflows must survive (docs/versioning.md),
// proven on a real Temporal server with the fixture in test/fixtures/versioning/: a change guarded
// by patched(), then deprecatePatch(), then removed, and at each step which recorded histories still
// replay and which do not (the negative controls say why each step must wait).
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { temporal } from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import pino from 'pino';
import { installTemporalRuntime } from '../../runtime/temporal-runtime';
import { freePort } from '../../runtime/embedded-postgres';
import { bundleWorkflows } from '../../worker/workflow-bundle';
import { PATCH_ID, goSignal, type VersioningActivities } from '../fixtures/versioning/contract';

type History = temporal.api.history.v1.IHistory;
const VERSIONS = { original: 'v0-original', patched: 'v1-patched', deprecated: 'v2-deprecated', removed: 'v3-removed' } as const;
type Version = keyof typeof VERSIONS;

describe('versioning a workflow change: patched → deprecatePatch → removal', function () {
  this.timeout(120_000);
  const suffix = randomBytes(4).toString('hex');
  const bundles = {} as Record<Version, WorkflowBundle>;
  const activities: VersioningActivities = { record: async (name) => name, email: async (name) => name };
  let native: NativeConnection;
  let connection: Connection;
  let client: Client;
  let runs = 0;
  /** Histories of finished runs, by the version that ran them. */
  const recorded = {} as Record<Version, History>;

  before(async () => {
    installTemporalRuntime(pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { metricsAddress: `127.0.0.1:${await freePort()}` });
    const address = process.env.TEST_TEMPORAL_ADDRESS!;
    native = await NativeConnection.connect({ address });
    connection = await Connection.connect({ address });
    client = new Client({ connection });
    // One after the other: bundling takes a core each.
    for (const v of Object.keys(VERSIONS) as Version[]) bundles[v] = await bundleWorkflows(require.resolve(`../fixtures/versioning/${VERSIONS[v]}`), []);
  });
  after(async () => {
    await native?.close();
    await connection?.close();
  });

  /** A worker running `version` on a task queue of its own (or the one given) while `fn` runs. */
  async function withWorker<T>(version: Version, taskQueue: string, fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: bundles[version], activities });
    return worker.runUntil(fn);
  }

  /** A whole run by `version`, released at once: its result and its history. */
  async function run(version: Version): Promise<{ result: string[]; history: History }> {
    const taskQueue = `versioning-${suffix}-${++runs}`;
    return withWorker(version, taskQueue, async () => {
      const handle = await client.workflow.start('versionedWorkflow', { taskQueue, workflowId: `${taskQueue}-${version}` });
      await handle.signal(goSignal);
      const result = await handle.result();
      return { result, history: await handle.fetchHistory() };
    });
  }

  /** The error replaying `history` against `version` ends with, if any. */
  async function replay(version: Version, history: History): Promise<Error | undefined> {
    try {
      await Worker.runReplayHistory({ workflowBundle: bundles[version] }, history);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  const markers = (h: History) =>
    (h.events ?? []).flatMap((e) =>
      e.markerRecordedEventAttributes?.markerName === 'core_patch'
        ? (e.markerRecordedEventAttributes.details?.['patch-data']?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload<{ id: string; deprecated: boolean }>(p))
        : [],
    );
  /** The activities a history scheduled, as type:input. */
  const steps = (h: History) =>
    (h.events ?? []).flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [`${a.activityType?.name}:${defaultPayloadConverter.fromPayload<string>(a.input!.payloads![0])}`] : [];
    });
  const nondeterminism = (err: Error | undefined) => expect(err?.name, String(err?.message)).to.equal('DeterminismViolationError');

  it('before: the original records no marker', async () => {
    const { result, history } = await run('original');
    expect(result).to.deep.equal(['a', 'b']);
    expect(steps(history)).to.deep.equal(['record:a', 'email:b']);
    expect(markers(history)).to.deep.equal([]);
    recorded.original = history;
  });

  it('1. patched(): a history from before the change replays the old way; a new run takes the new path and records the marker', async () => {
    expect(await replay('patched', recorded.original)).to.equal(undefined);
    const { result, history } = await run('patched');
    expect(result).to.deep.equal(['a', 'c']);
    expect(steps(history)).to.deep.equal(['record:a', 'record:c']);
    expect(markers(history)).to.deep.equal([{ id: PATCH_ID, deprecated: false }]);
    recorded.patched = history;
    // Without the patch, the change would have broken the running workflows: the guard catches it.
    nondeterminism(await replay('removed', recorded.original));
    // Nor can the old code come back once a run took the new path.
    nondeterminism(await replay('original', recorded.patched));
  });

  it('1. patched(): a workflow running across the deploy keeps what it did and takes the new path from then on', async () => {
    const taskQueue = `versioning-${suffix}-${++runs}`;
    const handle = await withWorker('original', taskQueue, async () => {
      const h = await client.workflow.start('versionedWorkflow', { taskQueue, workflowId: `${taskQueue}-across` });
      // "a" recorded by the old code; then it waits for "go" while the worker is replaced.
      for (let i = 0; i < 100 && !(await h.fetchHistory()).events?.some((e) => e.activityTaskCompletedEventAttributes); i++) await new Promise((r) => setTimeout(r, 100));
      return h;
    });
    const result = await withWorker('patched', taskQueue, async () => {
      await handle.signal(goSignal);
      return handle.result();
    });
    expect(result).to.deep.equal(['a', 'c']);
    const history = await handle.fetchHistory();
    expect(steps(history)).to.deep.equal(['record:a', 'record:c']);
    expect(markers(history)).to.deep.equal([{ id: PATCH_ID, deprecated: false }]);
    expect(await replay('patched', history)).to.equal(undefined);
  });

  it('2. deprecatePatch(): replays what patched() recorded and its own runs; a history from before the change no longer replays', async () => {
    expect(await replay('deprecated', recorded.patched)).to.equal(undefined);
    const { result, history } = await run('deprecated');
    expect(result).to.deep.equal(['a', 'c']);
    expect(markers(history)).to.deep.equal([{ id: PATCH_ID, deprecated: true }]);
    recorded.deprecated = history;
    // Going back to step 1 is still safe: its code replays the deprecated marker the new way.
    expect(await replay('patched', recorded.deprecated)).to.equal(undefined);
    // Why step 2 waits until no history from before step 1 is left (running, or closed within retention).
    nondeterminism(await replay('deprecated', recorded.original));
  });

  it('3. removal: replays what deprecatePatch() recorded; a history from before the change, or from patched(), fails (negative controls)', async () => {
    expect(await replay('removed', recorded.deprecated)).to.equal(undefined);
    const { result, history } = await run('removed');
    expect(result).to.deep.equal(['a', 'c']);
    expect(markers(history)).to.deep.equal([]);
    nondeterminism(await replay('removed', recorded.original));
    // Why step 3 waits until no history from before step 2 is left: a marker patched() wrote (not
    // deprecated) must be asked for.
    nondeterminism(await replay('removed', recorded.patched));
  });
});
