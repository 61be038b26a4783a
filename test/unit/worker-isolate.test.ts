import { expect } from 'chai';
import { DEFAULT_ISOLATE_TIMEOUT_MS, effectiveIsolateTimeoutMs, isolateTimeoutPatched } from '../../worker/worker';

describe('worker vm timeout', () => {
  it('runs without one by default, which this install allows (patches/ applied by npm ci)', () => {
    expect(isolateTimeoutPatched(), 'patches/@temporalio+worker+*.patch applied').to.equal(true);
    expect(DEFAULT_ISOLATE_TIMEOUT_MS).to.equal(0);
    expect(effectiveIsolateTimeoutMs()).to.equal(0);
    expect(effectiveIsolateTimeoutMs(5_000)).to.equal(5_000);
  });
});
