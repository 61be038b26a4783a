import { expect } from 'chai';
import { retryDelayMs } from '../../mail/outbox';

describe('mail outbox back-off', () => {
  it('waits 2 s after the first failure, doubling up to 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6].map(retryDelayMs)).to.deep.equal([2_000, 4_000, 8_000, 16_000, 32_000, 64_000]);
    expect(retryDelayMs(9)).to.equal(300_000);
    expect(retryDelayMs(50)).to.equal(300_000);
  });
});
