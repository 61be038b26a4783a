import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { secretWeakness } from '../../domain/secret-strength';

describe('how strong a chosen secret must be (unit)', () => {
  it('refuses short, few-character, repeated and sequential secrets, saying which rule failed', () => {
    expect(secretWeakness('aaaaaaaaaaaaaaaa')).to.match(/16 characters; at least 32/);
    expect(secretWeakness('ci-check-token-0123456789')).to.match(/25 characters/);
    expect(secretWeakness('ab'.repeat(20))).to.match(/only 2 different characters/);
    expect(secretWeakness('Xy7#Qw2!Lm'.repeat(4))).to.match(/piece of 10 characters repeated/);
    // A word and a count: long enough, varied enough, but a run anyone would try.
    expect(secretWeakness('test-admin-token-0123456789abcdef')).to.match(/10 characters in sequence/);
    expect(secretWeakness('prod-9f3Kq2Lx7RvB-zyxwvu-4mWc8TzN6')).to.match(/6 characters in sequence/);
    expect(secretWeakness('prod-9f3Kq2Lx7RvB-zzzzzz-4mWc8TzN6')).to.match(/6 characters in sequence/);
    // Five in sequence are allowed (random tokens have them now and then).
    expect(secretWeakness('prod-9f3Kq2Lx7RvB-abcde-4mWc8TzN6p')).to.equal(null);
  });

  it('lets random-looking tokens through: 48 hex digits (npm start, openssl rand -hex 24) and base64', () => {
    // Fixed inputs, so the test cannot fail by chance: a random 48-digit hex token fails about once
    // in 14 000 draws (npm start draws again; people are told why).
    for (let i = 0; i < 2000; i++) {
      const bytes = createHash('sha256').update(`token ${i}`).digest();
      expect(secretWeakness(bytes.subarray(0, 24).toString('hex')), `#${i}`).to.equal(null);
      expect(secretWeakness(bytes.toString('base64')), `#${i}`).to.equal(null);
    }
  });

  it('never passes a secret made of one short piece repeated, whatever the piece', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 16 }), fc.integer({ min: 2, max: 40 }), (piece, times) => {
        expect(secretWeakness(piece.repeat(times))).to.not.equal(null);
      }),
    );
  });
});
