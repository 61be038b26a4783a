import { expect } from 'chai';
import { endedToStandard, reminderDue, successorOf, type TermFacts } from '../../domain/terms';

const D = 86_400_000;
const at = Date.parse('2026-11-25T12:00:00Z');
const term = (id: string, startsAt: number, endsAt: number, o: Partial<TermFacts> = {}): TermFacts => ({
  id, term: 'monthly', startsAt: new Date(startsAt), termEndsAt: new Date(endsAt), endsAt: new Date(endsAt), cancelMode: null, ...o,
});

describe('Advanced term rules', () => {
  it('reminds inside the window of an unrenewed term, not before, not when renewed', () => {
    const s = term('a', at - 28 * D, at + 2 * D);
    expect(reminderDue(s, [s], at)).to.equal(true);
    expect(reminderDue(s, [s], at - 2 * D)).to.equal(false); // 4 days before: outside a month's 3 days
    const renewal = term('b', at + 2 * D, at + 32 * D);
    expect(successorOf(s, [s, renewal])).to.equal(renewal);
    expect(reminderDue(s, [s, renewal], at)).to.equal(false);
    // A year's term is announced two weeks ahead.
    const annual = term('y', at - 355 * D, at + 10 * D, { term: 'annual' });
    expect(reminderDue(annual, [annual], at)).to.equal(true);
    // Cut short by an immediate cancellation: no reminder of an end that already came.
    const cut = term('c', at - 28 * D, at - D, { termEndsAt: new Date(at + 2 * D), cancelMode: 'immediately' });
    expect(reminderDue(cut, [cut], at)).to.equal(false);
  });

  it('falls back to Standard once the last term has ended, within the look-back, never while another is in force', () => {
    const ended = term('a', at - 31 * D, at - 1000);
    expect(endedToStandard(ended, [ended], at)).to.equal(true);
    expect(endedToStandard(ended, [ended], at - 2000)).to.equal(false); // not yet
    expect(endedToStandard(ended, [ended], at + 40 * D)).to.equal(false); // long past: not re-announced
    const next = term('b', at - 1000, at + 30 * D);
    expect(endedToStandard(ended, [ended, next], at)).to.equal(false);
    // A renewal withdrawn before it began (ends at its start) is not an end of Advanced.
    const withdrawn = term('w', at - 1000, at - 1000);
    expect(endedToStandard(withdrawn, [withdrawn], at)).to.equal(false);
  });
});
