import { expect } from 'chai';
import fc from 'fast-check';
import { isStorableText, unstorableIssues, unstorablePaths } from '../../domain/storable-text';

describe('text no store can keep (unit)', () => {
  it('refuses NUL and unpaired surrogates, keeps everything else (emoji pairs too)', () => {
    expect(isStorableText('ok ñandú 😀')).to.equal(true);
    expect(isStorableText('a\u0000b')).to.equal(false);
    expect(isStorableText('\ud800')).to.equal(false);
    expect(isStorableText('x\ud83d')).to.equal(false);
    expect(isStorableText('\ude00x')).to.equal(false);
    expect(isStorableText('\ud83d\ude00')).to.equal(true);
  });

  it('agrees with what a UTF-8 round trip and Postgres keep, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const survives = Buffer.from(s, 'utf8').toString('utf8') === s && !s.includes('\u0000');
        expect(isStorableText(s)).to.equal(survives);
      }),
      { numRuns: 300 },
    );
  });

  it('names every place in a body, keys included, and survives a deeply nested one', () => {
    expect(unstorablePaths({ a: 'x', endUser: { name: 'A\u0000' }, list: ['ok', '\ud800'], ['k\u0000']: 1 })).to.have.members(['endUser.name', 'list.1', 'k\\u0000']);
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(unstorablePaths(deep)).to.have.length(1);
    expect(unstorableIssues({ fine: 'yes' })).to.equal(null);
    expect(unstorableIssues({ s: '\u0000' }, 'query')).to.deep.equal([{ path: 'query.s', message: 'contains a character that cannot be stored (U+0000 or an unpaired UTF-16 surrogate)' }]);
  });
});
