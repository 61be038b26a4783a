import { expect } from 'chai';
import {
  ALWAYS_OPEN,
  CHILE_OFFICE_HOURS,
  WEEKDAYS,
  addWorkingMs,
  isWorkingTime,
  workingMsBetween,
  type BusinessCalendar,
} from '../../domain/business-calendar';
import { businessCalendarSchema } from '../../domain/business-calendar-schema';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Instants are written with their Santiago offset so each expectation can be checked by hand.
const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Tiny deterministic LCG (Numerical Recipes constants): the same cases on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const santiago = (hours: BusinessCalendar['hours'], holidays: string[] = []): BusinessCalendar => ({ timezone: 'America/Santiago', hours, holidays });
const weekdays = (intervals: Array<[string, string]>) => ({ mon: intervals, tue: intervals, wed: intervals, thu: intervals, fri: intervals });

/** Mon–Fri 09:00–13:00 and 14:00–18:00, no holidays. */
const WITH_LUNCH = santiago(weekdays([['09:00', '13:00'], ['14:00', '18:00']]));
/** 00:00–24:00 every day, read in Santiago: days are 23, 24 or 25 hours long. */
const SANTIAGO_24X7 = santiago(Object.fromEntries(WEEKDAYS.map((d) => [d, [['00:00', '24:00']]])));
/** Saturday 22:00–24:00 and Sunday 00:00–02:00: both 2026 transitions happen at Saturday 24:00. */
const WEEKEND_NIGHT = santiago({ sat: [['22:00', '24:00']], sun: [['00:00', '02:00']] });

// 2026 in America/Santiago (checked with luxon, tzdata 2025c): UTC-3 until Sat 4 April 24:00,
// when clocks go back to 23:00 (2026-04-05T03:00Z); UTC-4 until Sat 5 September 24:00, when they
// jump to Sunday 01:00 (2026-09-06T04:00Z); UTC-3 after that.

describe('Business calendar (unit)', () => {
  describe('ALWAYS_OPEN', () => {
    it('equals plain arithmetic for random spans', () => {
      const rnd = lcg(2026);
      for (let i = 0; i < 25; i++) {
        const from = Math.floor(t('2020-01-01T00:00:00Z') + rnd() * 10 * 365 * DAY);
        const ms = Math.floor(rnd() * 40 * DAY);
        expect(addWorkingMs(ALWAYS_OPEN, from, ms)).to.equal(from + ms);
        expect(workingMsBetween(ALWAYS_OPEN, from, from + ms)).to.equal(ms);
        expect(isWorkingTime(ALWAYS_OPEN, from)).to.equal(true);
      }
    });

    it('counts a leap day and a year boundary like any other day', () => {
      expect(workingMsBetween(ALWAYS_OPEN, t('2028-02-28T00:00:00Z'), t('2028-03-01T00:00:00Z'))).to.equal(2 * DAY);
      expect(addWorkingMs(ALWAYS_OPEN, t('2026-12-31T23:59:59.999Z'), 1)).to.equal(t('2027-01-01T00:00:00Z'));
    });
  });

  describe('office hours (Mon–Fri 09:00–18:00, Santiago, UTC-4 in May 2026)', () => {
    it('adds within one working day', () => {
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-05-12T10:00:00-04:00'), 3 * HOUR))).to.equal(iso(t('2026-05-12T13:00:00-04:00')));
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-05-12T10:00:00-04:00'), t('2026-05-12T17:30:00-04:00'))).to.equal(7.5 * HOUR);
    });

    it('starts counting at opening when started before it', () => {
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-05-12T07:00:00-04:00'), 2 * HOUR))).to.equal(iso(t('2026-05-12T11:00:00-04:00')));
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-05-12T07:00:00-04:00'), t('2026-05-12T11:00:00-04:00'))).to.equal(2 * HOUR);
    });

    it('rolls to the next day when started after closing', () => {
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-05-12T19:30:00-04:00'), 2 * HOUR))).to.equal(iso(t('2026-05-13T11:00:00-04:00')));
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-05-12T19:30:00-04:00'), t('2026-05-13T11:00:00-04:00'))).to.equal(2 * HOUR);
    });

    it('skips a lunch break', () => {
      // 12:00–13:00 is one hour, the other two run from 14:00.
      expect(iso(addWorkingMs(WITH_LUNCH, t('2026-05-12T12:00:00-04:00'), 3 * HOUR))).to.equal(iso(t('2026-05-12T16:00:00-04:00')));
      expect(workingMsBetween(WITH_LUNCH, t('2026-05-12T12:00:00-04:00'), t('2026-05-12T16:00:00-04:00'))).to.equal(3 * HOUR);
      expect(isWorkingTime(WITH_LUNCH, t('2026-05-12T12:59:59.999-04:00'))).to.equal(true);
      expect(isWorkingTime(WITH_LUNCH, t('2026-05-12T13:00:00-04:00'))).to.equal(false);
      expect(isWorkingTime(WITH_LUNCH, t('2026-05-12T13:30:00-04:00'))).to.equal(false);
      expect(isWorkingTime(WITH_LUNCH, t('2026-05-12T14:00:00-04:00'))).to.equal(true);
    });

    it('carries Friday evening over the weekend to Monday', () => {
      // One hour on Friday 15 May, three on Monday 18 May.
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-05-15T17:00:00-04:00'), 4 * HOUR))).to.equal(iso(t('2026-05-18T12:00:00-04:00')));
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-05-15T17:00:00-04:00'), t('2026-05-18T12:00:00-04:00'))).to.equal(4 * HOUR);
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-05-16T10:00:00-04:00'))).to.equal(false);
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-05-17T10:00:00-04:00'))).to.equal(false);
    });

    it('skips a holiday in the middle (Thursday 21 May 2026, Glorias Navales)', () => {
      // Wednesday 16:00–18:00 is two hours, Thursday is closed, Friday gives the other three.
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-05-20T16:00:00-04:00'), 5 * HOUR))).to.equal(iso(t('2026-05-22T12:00:00-04:00')));
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-05-20T16:00:00-04:00'), t('2026-05-22T12:00:00-04:00'))).to.equal(5 * HOUR);
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-05-21T10:00:00-04:00'))).to.equal(false);
      // The week of 18 May has four working days of nine hours; the week before has five.
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-05-18T00:00:00-04:00'), t('2026-05-25T00:00:00-04:00'))).to.equal(36 * HOUR);
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-05-11T00:00:00-04:00'), t('2026-05-18T00:00:00-04:00'))).to.equal(45 * HOUR);
    });

    it('returns the closing instant when the budget ends exactly at closing', () => {
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-05-12T15:00:00-04:00'), 3 * HOUR))).to.equal(iso(t('2026-05-12T18:00:00-04:00')));
      expect(iso(addWorkingMs(WITH_LUNCH, t('2026-05-12T12:00:00-04:00'), HOUR))).to.equal(iso(t('2026-05-12T13:00:00-04:00')));
      // One millisecond more is the first millisecond of the next opening.
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-05-12T15:00:00-04:00'), 3 * HOUR + 1))).to.equal(iso(t('2026-05-13T09:00:00.001-04:00')));
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-05-12T18:00:00-04:00'))).to.equal(false);
    });

    it('leaves the start unchanged for an empty budget and counts nothing for an empty span', () => {
      const saturday = t('2026-05-16T10:00:00-04:00');
      expect(addWorkingMs(CHILE_OFFICE_HOURS, saturday, 0)).to.equal(saturday);
      expect(addWorkingMs(CHILE_OFFICE_HOURS, saturday, -HOUR)).to.equal(saturday);
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-05-12T12:00:00-04:00'), t('2026-05-12T10:00:00-04:00'))).to.equal(0);
      expect(workingMsBetween(CHILE_OFFICE_HOURS, saturday, saturday)).to.equal(0);
    });

    it('closes on every listed holiday that falls on a weekday', () => {
      const years = { '2026': 0, '2027': 0 } as Record<string, number>;
      for (const date of CHILE_OFFICE_HOURS.holidays) {
        years[date.slice(0, 4)]++;
        const noonUtc = t(`${date}T16:00:00Z`); // 12:00 or 13:00 in Santiago
        expect(isWorkingTime(CHILE_OFFICE_HOURS, noonUtc), date).to.equal(false);
      }
      // 16 national holidays in 2026 (government calendar), 17 in 2027 (17 September is added
      // because the 18th and 19th fall on a weekend).
      expect(years).to.deep.equal({ '2026': 16, '2027': 17 });
    });

    it('refuses a budget that 20 years of the calendar cannot hold', () => {
      // Open on Mondays only, and every Monday from 2026 to 2047 is a holiday.
      const mondays: string[] = [];
      for (let day = t('2026-01-05T00:00:00Z'); day < t('2048-01-01T00:00:00Z'); day += 7 * DAY) mondays.push(iso(day).slice(0, 10));
      const never = santiago({ mon: [['09:00', '18:00']] }, mondays);
      expect(() => addWorkingMs(never, t('2026-01-01T00:00:00Z'), MINUTE)).to.throw(/20 years/);
      expect(workingMsBetween(never, t('2026-01-01T00:00:00Z'), t('2027-01-01T00:00:00Z'))).to.equal(0);
    });

    it('throws a readable error for an invalid calendar or instant', () => {
      expect(() => addWorkingMs(santiago({ mon: [['09:00', '25:00']] }), 0, HOUR)).to.throw(/Invalid business calendar[\s\S]*25:00/);
      expect(() => workingMsBetween(CHILE_OFFICE_HOURS, Number.NaN, 0)).to.throw(/finite/);
    });
  });

  describe('daylight saving time (America/Santiago, 2026)', () => {
    it('fall back: Saturday 4 April has 25 hours, Sunday 5 April 24', () => {
      // Saturday runs from 00:00-03:00 (03:00Z) to Sunday 00:00-04:00 (04:00Z next day).
      expect(workingMsBetween(SANTIAGO_24X7, t('2026-04-04T00:00:00-03:00'), t('2026-04-05T00:00:00-04:00'))).to.equal(25 * HOUR);
      expect(workingMsBetween(SANTIAGO_24X7, t('2026-04-05T00:00:00-04:00'), t('2026-04-06T00:00:00-04:00'))).to.equal(24 * HOUR);
      expect(iso(addWorkingMs(SANTIAGO_24X7, t('2026-04-04T00:00:00-03:00'), 25 * HOUR))).to.equal('2026-04-05T04:00:00.000Z');
      const saturdays = santiago({ sat: [['00:00', '24:00']] });
      expect(workingMsBetween(saturdays, t('2026-04-01T00:00:00Z'), t('2026-04-08T00:00:00Z'))).to.equal(25 * HOUR);
    });

    it('spring forward: Sunday 6 September has 23 hours, Saturday 5 September 24', () => {
      // Sunday's first instant is 01:00-03:00 (04:00Z); it ends at Monday 00:00-03:00 (03:00Z).
      expect(workingMsBetween(SANTIAGO_24X7, t('2026-09-05T00:00:00-04:00'), t('2026-09-06T01:00:00-03:00'))).to.equal(24 * HOUR);
      expect(workingMsBetween(SANTIAGO_24X7, t('2026-09-06T01:00:00-03:00'), t('2026-09-07T00:00:00-03:00'))).to.equal(23 * HOUR);
      const sundays = santiago({ sun: [['00:00', '24:00']] });
      expect(workingMsBetween(sundays, t('2026-09-01T00:00:00Z'), t('2026-09-08T00:00:00Z'))).to.equal(23 * HOUR);
      // The budget ends exactly at Sunday's end; one ms more is the next Sunday's first ms.
      expect(iso(addWorkingMs(sundays, t('2026-09-01T00:00:00Z'), 23 * HOUR))).to.equal('2026-09-07T03:00:00.000Z');
      expect(iso(addWorkingMs(sundays, t('2026-09-01T00:00:00Z'), 23 * HOUR + 1))).to.equal('2026-09-13T03:00:00.001Z');
    });

    it('a 24×7 Santiago calendar still counts every real millisecond across both transitions', () => {
      for (const [from, to] of [
        ['2026-04-01T00:00:00Z', '2026-04-10T00:00:00Z'],
        ['2026-09-01T00:00:00Z', '2026-09-10T00:00:00Z'],
        ['2026-04-05T02:30:00Z', '2026-04-05T03:30:00Z'], // the repeated hour, both passes
        ['2026-09-06T03:30:00Z', '2026-09-06T04:30:00Z'], // straddling the skipped hour
      ]) {
        expect(workingMsBetween(SANTIAGO_24X7, t(from), t(to)), from).to.equal(t(to) - t(from));
        expect(addWorkingMs(SANTIAGO_24X7, t(from), t(to) - t(from)), from).to.equal(t(to));
      }
    });

    it('an interval spanning the jump is longer or shorter by it', () => {
      // Fall back: Sat 22:00-03:00 (01:00Z) to 24:00 = Sun 00:00-04:00 (04:00Z) is 3 h; Sunday
      // 00:00–02:00 is 2 h. An ordinary weekend gives 2 h + 2 h.
      expect(workingMsBetween(WEEKEND_NIGHT, t('2026-04-04T00:00:00Z'), t('2026-04-06T00:00:00Z'))).to.equal(5 * HOUR);
      expect(workingMsBetween(WEEKEND_NIGHT, t('2026-04-04T00:00:00Z'), t('2026-04-05T04:00:00Z'))).to.equal(3 * HOUR);
      expect(workingMsBetween(WEEKEND_NIGHT, t('2026-04-11T00:00:00Z'), t('2026-04-13T00:00:00Z'))).to.equal(4 * HOUR);
      // Spring forward: Sat 22:00-04:00 (02:00Z) to 24:00 (04:00Z) is 2 h; Sunday 00:00 does not
      // exist, so Sunday's interval runs from 01:00-03:00 (04:00Z) to 02:00-03:00 (05:00Z): 1 h.
      expect(workingMsBetween(WEEKEND_NIGHT, t('2026-09-05T00:00:00Z'), t('2026-09-07T00:00:00Z'))).to.equal(3 * HOUR);
      expect(iso(addWorkingMs(WEEKEND_NIGHT, t('2026-09-05T00:00:00Z'), 3 * HOUR))).to.equal('2026-09-06T05:00:00.000Z');
      expect(isWorkingTime(WEEKEND_NIGHT, t('2026-09-06T04:59:59.999Z'))).to.equal(true);
      expect(isWorkingTime(WEEKEND_NIGHT, t('2026-09-06T05:00:00Z'))).to.equal(false);
    });

    it('an interval starting in the spring-forward gap opens at the first instant after it', () => {
      // Sunday 00:30–02:00: on 6 September 00:30 does not exist, so it opens at 01:00-03:00
      // (04:00Z), not at 01:30 (where luxon's own DateTime.fromObject would put it), and lasts 1 h.
      const sunday = santiago({ sun: [['00:30', '02:00']] });
      expect(workingMsBetween(sunday, t('2026-09-06T00:00:00Z'), t('2026-09-07T00:00:00Z'))).to.equal(HOUR);
      expect(isWorkingTime(sunday, t('2026-09-06T03:59:59.999Z'))).to.equal(false);
      expect(isWorkingTime(sunday, t('2026-09-06T04:00:00Z'))).to.equal(true);
      expect(iso(addWorkingMs(sunday, t('2026-09-01T00:00:00Z'), 1))).to.equal('2026-09-06T04:00:00.001Z');
      // An ordinary Sunday has its 1.5 h.
      expect(workingMsBetween(sunday, t('2026-09-13T00:00:00Z'), t('2026-09-14T00:00:00Z'))).to.equal(1.5 * HOUR);
    });

    it('office hours keep nine hours a day across fall back, one UTC hour later', () => {
      // Thu 2 April 17:00-03:00 gives one hour; Good Friday 3 April is a holiday; the other hour is
      // Mon 6 April 09:00-04:00 (13:00Z) to 10:00-04:00 (14:00Z).
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-04-02T17:00:00-03:00'), 2 * HOUR))).to.equal('2026-04-06T14:00:00.000Z');
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-04-02T00:00:00Z'), t('2026-04-07T00:00:00Z'))).to.equal(18 * HOUR);
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-03-30T12:30:00Z'))).to.equal(true); // 09:30-03:00
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-04-06T12:30:00Z'))).to.equal(false); // 08:30-04:00
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-04-06T21:30:00Z'))).to.equal(true); // 17:30-04:00
    });

    it('office hours keep nine hours a day across spring forward, one UTC hour earlier', () => {
      // Fri 4 September 17:00-04:00 (21:00Z) gives one hour; Mon 7 September opens at 09:00-03:00
      // (12:00Z), so the second hour ends at 13:00Z.
      expect(iso(addWorkingMs(CHILE_OFFICE_HOURS, t('2026-09-04T17:00:00-04:00'), 2 * HOUR))).to.equal('2026-09-07T13:00:00.000Z');
      expect(workingMsBetween(CHILE_OFFICE_HOURS, t('2026-09-04T00:00:00Z'), t('2026-09-08T00:00:00Z'))).to.equal(18 * HOUR);
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-09-04T12:30:00Z'))).to.equal(false); // 08:30-04:00
      expect(isWorkingTime(CHILE_OFFICE_HOURS, t('2026-09-07T12:30:00Z'))).to.equal(true); // 09:30-03:00
    });
  });

  describe('inverse property', () => {
    const calendars: Array<[string, BusinessCalendar, number]> = [
      ['CHILE_OFFICE_HOURS', CHILE_OFFICE_HOURS, 80 * HOUR],
      ['with lunch', WITH_LUNCH, 80 * HOUR],
      ['weekend nights', WEEKEND_NIGHT, 40 * HOUR],
      ['24x7 Santiago', SANTIAGO_24X7, 30 * DAY],
    ];
    for (const [name, cal, maxMs] of calendars) {
      it(`workingMsBetween undoes addWorkingMs (${name})`, () => {
        const rnd = lcg(name.length * 7919);
        for (let i = 0; i < 150; i++) {
          // From 2026-01-01 to 2027-10-01, so holidays and both DST transitions of each year are hit.
          const from = Math.floor(t('2026-01-01T00:00:00Z') + rnd() * 638 * DAY);
          const ms = 1 + Math.floor(rnd() * maxMs);
          const due = addWorkingMs(cal, from, ms);
          expect(due, `from ${iso(from)} + ${ms}`).to.be.greaterThan(from);
          expect(workingMsBetween(cal, from, due), `from ${iso(from)} + ${ms}`).to.equal(ms);
          expect(isWorkingTime(cal, due - 1), `from ${iso(from)} + ${ms}`).to.equal(true);
        }
      });
    }
  });

  describe('schema', () => {
    const issues = (value: unknown) => {
      const r = businessCalendarSchema.safeParse(value);
      expect(r.success, 'should be refused').to.equal(false);
      return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };
    const base = () => structuredClone(CHILE_OFFICE_HOURS) as unknown as Record<string, unknown>;

    it('accepts CHILE_OFFICE_HOURS and ALWAYS_OPEN', () => {
      expect(businessCalendarSchema.safeParse(CHILE_OFFICE_HOURS).success).to.equal(true);
      expect(businessCalendarSchema.safeParse(ALWAYS_OPEN).success).to.equal(true);
    });

    it('refuses an unknown time zone', () => {
      expect(issues({ ...base(), timezone: 'America/Springfield' })).to.match(/^timezone: .*IANA/);
    });

    it('refuses 25:00 and accepts 24:00 only as an end', () => {
      expect(issues({ ...base(), hours: { mon: [['09:00', '25:00']] } })).to.match(/^hours\.mon\.0\.1: .*25:00/);
      expect(issues({ ...base(), hours: { mon: [['24:00', '24:00']] } })).to.match(/hours\.mon\.0\.0: .*24:00/);
      expect(issues({ ...base(), hours: { mon: [['9:00', '18:00']] } })).to.match(/hours\.mon\.0\.0/);
      expect(businessCalendarSchema.safeParse({ ...base(), hours: { mon: [['18:00', '24:00']] } }).success).to.equal(true);
    });

    it('refuses a start at or after its end', () => {
      expect(issues({ ...base(), hours: { tue: [['18:00', '09:00']] } })).to.match(/^hours\.tue\.0\.1: .*after start/);
      expect(issues({ ...base(), hours: { tue: [['09:00', '09:00']] } })).to.match(/after start/);
    });

    it('refuses overlapping or unsorted intervals and accepts touching ones', () => {
      expect(issues({ ...base(), hours: { wed: [['09:00', '13:00'], ['12:00', '18:00']] } })).to.match(/^hours\.wed\.1: .*overlap/);
      expect(issues({ ...base(), hours: { wed: [['14:00', '18:00'], ['09:00', '13:00']] } })).to.match(/^hours\.wed\.1: .*sorted/);
      expect(businessCalendarSchema.safeParse({ ...base(), hours: { wed: [['09:00', '13:00'], ['13:00', '18:00']] } }).success).to.equal(true);
    });

    it('refuses a holiday that is not a real YYYY-MM-DD date', () => {
      expect(issues({ ...base(), holidays: ['2026-02-30'] })).to.match(/^holidays\.0: .*YYYY-MM-DD/);
      expect(issues({ ...base(), holidays: ['2026-05-21', '21/05/2026'] })).to.match(/^holidays\.1: /);
    });

    it('refuses a week without working hours', () => {
      expect(issues({ ...base(), hours: {} })).to.match(/^hours: .*no working hours/);
      expect(issues({ ...base(), hours: { mon: [], sat: [] } })).to.match(/^hours: .*no working hours/);
    });

    it('refuses unknown keys, at the top and among the days', () => {
      expect(issues({ ...base(), openOnSundays: true })).to.match(/openOnSundays/);
      expect(issues({ ...base(), hours: { monday: [['09:00', '18:00']] } })).to.match(/^hours: .*monday/);
    });
  });
});
