import { expect } from 'chai';
import { backlogBucket, compliancePct, digestDays, monthToDate, parseReportEnd, parseReportInstant, previousMonth } from '../../domain/sla-report';

describe('SLA report rules', () => {
  it('the previous month is read in the customer\'s time zone', () => {
    // 2026-11-01T02:00Z is still Oct 31 in Santiago (UTC-3): the month before is September there.
    const at = Date.parse('2026-11-01T02:00:00Z');
    expect(previousMonth(at, 'America/Santiago')).to.deep.include({ label: '2026-09' });
    expect(previousMonth(at, 'UTC')).to.deep.include({ label: '2026-10' });
    const oct = previousMonth(Date.parse('2026-11-01T11:00:00Z'), 'America/Santiago');
    expect(oct.from.toISOString()).to.equal('2026-10-01T03:00:00.000Z');
    expect(oct.to.toISOString()).to.equal('2026-11-01T03:00:00.000Z');
    // January looks back at December of the year before.
    expect(previousMonth(Date.parse('2027-01-01T12:00:00Z'), 'UTC').label).to.equal('2026-12');
  });

  it('a month across a DST change has its true length', () => {
    // Santiago leaves summer time on the first Sunday of April 2026: April is UTC-4, March UTC-3.
    const april = previousMonth(Date.parse('2026-05-10T12:00:00Z'), 'America/Santiago');
    expect(april.from.toISOString()).to.equal('2026-04-01T03:00:00.000Z');
    expect(april.to.toISOString()).to.equal('2026-05-01T04:00:00.000Z');
  });

  it('the digest\'s yesterday and today are local days', () => {
    const d = digestDays(Date.parse('2026-11-25T02:00:00Z'), 'America/Santiago'); // Nov 24, 23:00 local
    expect(d.yesterday.label).to.equal('2026-11-23');
    expect(d.today.label).to.equal('2026-11-24');
    expect(d.today.from.toISOString()).to.equal('2026-11-24T03:00:00.000Z');
  });

  it('dates, months and instants as report bounds', () => {
    expect(parseReportInstant('2026-10', 'UTC')!.toISOString()).to.equal('2026-10-01T00:00:00.000Z');
    expect(parseReportEnd('2026-10', 'UTC')!.toISOString()).to.equal('2026-11-01T00:00:00.000Z');
    expect(parseReportEnd('2026-10-31', 'America/Santiago')!.toISOString()).to.equal('2026-11-01T03:00:00.000Z');
    expect(parseReportEnd('2026-10-31T12:00:00Z', 'America/Santiago')!.toISOString()).to.equal('2026-10-31T12:00:00.000Z');
    expect(parseReportInstant('31/10/2026', 'UTC')).to.equal(null);
    expect(parseReportInstant('2026-02-30', 'UTC')).to.equal(null);
    expect(monthToDate(Date.parse('2026-11-25T12:00:00Z'), 'UTC').from.toISOString()).to.equal('2026-11-01T00:00:00.000Z');
  });

  it('backlog buckets and compliance', () => {
    expect(backlogBucket(59 * 60_000)).to.equal('lt1h');
    expect(backlogBucket(3_600_000)).to.equal('1h-4h');
    expect(backlogBucket(8 * 86_400_000)).to.equal('gt7d');
    expect(compliancePct(0, 0)).to.equal(null);
    expect(compliancePct(7, 2)).to.equal(77.8);
    expect(compliancePct(3, 0)).to.equal(100);
  });
});
