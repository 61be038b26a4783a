import { expect } from 'chai';
import { DEFAULT_ISOLATE_TIMEOUT_MS, effectiveIsolateTimeoutMs, isolateTimeoutPatched, stackTracesPatched } from '../../worker/worker';

describe('worker patches (vm timeout, promise stack traces)', () => {
  it('runs without one by default, which this install allows (patches/ applied by npm ci)', () => {
    expect(isolateTimeoutPatched(), 'patches/@temporalio+worker+*.patch applied').to.equal(true);
    expect(DEFAULT_ISOLATE_TIMEOUT_MS).to.equal(0);
    expect(effectiveIsolateTimeoutMs()).to.equal(0);
    expect(effectiveIsolateTimeoutMs(5_000)).to.equal(5_000);
  });

  it('can leave out the stack trace of every workflow promise (patches/ applied by npm ci)', () => {
    expect(stackTracesPatched(), 'patches/@temporalio+worker+*.patch applied').to.equal(true);
  });
});
