// The one patched dependency (patches/@temporalio+worker+<version>.patch) and the deadlock guard's
// default. An SDK upgrade fails here until the patch is made again for the new version (or
// dropped): patch-package only warns when a patch was made for another version, and the worker
// only logs when it finds its SDK unpatched.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../config';
import { DEFAULT_ISOLATE_TIMEOUT_MS, DEFAULT_WORKFLOW_THREADS, effectiveIsolateTimeoutMs, workerPatchApplied } from '../../worker/worker';

const PATCHES = path.join(__dirname, '..', '..', 'patches');

describe('worker patches (vm timeout, replayed activations, promise stack traces) and the deadlock guard', () => {
  it('the patch is made for the installed @temporalio/worker and applied (patches/ applied by npm ci)', () => {
    const installed: string = require('@temporalio/worker/package.json').version;
    expect(readdirSync(PATCHES).filter((f) => f.startsWith('@temporalio+worker+'))).to.deep.equal([`@temporalio+worker+${installed}.patch`]);
    // The changes of the one patch: `0` = no vm timeout, WORKFLOW_GUARD_REPLAY and WORKFLOW_PROMISE_STACKS read.
    expect(workerPatchApplied(), 'patches/@temporalio+worker+*.patch applied').to.equal(true);
  });

  it("runs with the SDK's 5 s deadlock guard by default; none only when asked for (WORKER_ISOLATE_TIMEOUT_MS=0)", () => {
    expect(DEFAULT_ISOLATE_TIMEOUT_MS).to.equal(5_000);
    expect(loadConfig({}).workerIsolateTimeoutMs).to.equal(undefined);
    expect(effectiveIsolateTimeoutMs(loadConfig({}).workerIsolateTimeoutMs)).to.equal(5_000);
    expect(effectiveIsolateTimeoutMs(loadConfig({ WORKER_ISOLATE_TIMEOUT_MS: '0' }).workerIsolateTimeoutMs)).to.equal(0);
    expect(effectiveIsolateTimeoutMs(loadConfig({ WORKER_ISOLATE_TIMEOUT_MS: '1000' }).workerIsolateTimeoutMs)).to.equal(1_000);
    for (const bad of ['-1', '1.5', 'soon', '60001']) {
      expect(() => loadConfig({ WORKER_ISOLATE_TIMEOUT_MS: bad }), bad).to.throw(/WORKER_ISOLATE_TIMEOUT_MS/);
    }
  });

  it('keeps a workflow cache: WORKER_MAX_CACHED_WORKFLOWS=0 is refused (no cache loses every local record)', () => {
    expect(loadConfig({}).workerMaxCachedWorkflows).to.equal(undefined);
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1' }).workerMaxCachedWorkflows).to.equal(1);
    for (const bad of ['0', '-1', '1.5', 'many']) expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: bad }), bad).to.throw(/WORKER_MAX_CACHED_WORKFLOWS/);
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' })).to.throw(/at least 1: with no cache/);
  });

  it('runs workflow code on 2 threads unless told otherwise (WORKER_WORKFLOW_THREADS, 1 to 16)', () => {
    expect(loadConfig({}).workerWorkflowThreads).to.equal(undefined);
    expect(DEFAULT_WORKFLOW_THREADS).to.equal(2);
    expect(loadConfig({ WORKER_WORKFLOW_THREADS: '1' }).workerWorkflowThreads).to.equal(1);
    for (const bad of ['0', '17', '1.5', 'two']) expect(() => loadConfig({ WORKER_WORKFLOW_THREADS: bad }), bad).to.throw(/WORKER_WORKFLOW_THREADS/);
  });

  it('guards replayed activations only when asked for (WORKER_GUARD_REPLAY=on)', () => {
    expect(loadConfig({}).workerGuardReplay).to.equal(false);
    expect(loadConfig({ WORKER_GUARD_REPLAY: 'on' }).workerGuardReplay).to.equal(true);
    expect(() => loadConfig({ WORKER_GUARD_REPLAY: 'yes' })).to.throw(/WORKER_GUARD_REPLAY/);
  });
});
