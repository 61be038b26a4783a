import { expect } from 'chai';
import { DEFAULT_ISOLATE_TIMEOUT_MS, effectiveIsolateTimeoutMs, workerPatchApplied } from '../../worker/worker';

describe('worker patches (vm timeout, promise stack traces)', () => {
  it('runs without a vm timeout by default and can leave out promise stack traces, which this install allows (patches/ applied by npm ci)', () => {
    // Both changes of the one patch: `0` = no vm timeout, WORKFLOW_PROMISE_STACKS read.
    expect(workerPatchApplied(), 'patches/@temporalio+worker+*.patch applied').to.equal(true);
    expect(DEFAULT_ISOLATE_TIMEOUT_MS).to.equal(0);
    expect(effectiveIsolateTimeoutMs()).to.equal(0);
    expect(effectiveIsolateTimeoutMs(5_000)).to.equal(5_000);
  });
});
