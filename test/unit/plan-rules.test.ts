import { expect } from 'chai';
import { DateTime } from 'luxon';
import {
  PLAN_RULES,
  checkIntake,
  checkQuota,
  planInForce,
  quotaWindow,
  requesterState,
  supportStatus,
  termEnd,
} from '../../domain/entitlements';

const d = (iso: string) => new Date(iso);
const NOW = Date.parse('2026-11-25T12:00:00Z');
const active = { active: true, reason: null, productsInForce: 1 };

describe('plan rules and entitlement arithmetic (unit)', () => {
  it('the plan table: 3 tickets a month vs unlimited, 1 vs 5 requesters', () => {
    expect(PLAN_RULES.standard).to.deep.include({ monthlyTickets: 3, maxRequesters: 1, endUsers: false });
    expect(PLAN_RULES.advanced).to.deep.include({ monthlyTickets: null, maxRequesters: 5, endUsers: true });
  });

  it('monthly terms count from the chain anchor: Jan 31 → Feb 28 / Feb 29 (leap) → Mar 31, no drift', () => {
    const tz = 'UTC';
    expect(termEnd(d('2027-01-31T10:00:00Z'), 'monthly', 0, tz).toISOString()).to.equal('2027-02-28T10:00:00.000Z');
    expect(termEnd(d('2028-01-31T10:00:00Z'), 'monthly', 0, tz).toISOString()).to.equal('2028-02-29T10:00:00.000Z');
    expect(termEnd(d('2027-01-31T10:00:00Z'), 'monthly', 1, tz).toISOString()).to.equal('2027-03-31T10:00:00.000Z');
  });

  it('annual terms from Feb 29 end on Feb 28, and on Feb 29 again in the next leap year', () => {
    expect(termEnd(d('2028-02-29T10:00:00Z'), 'annual', 0, 'UTC').toISOString()).to.equal('2029-02-28T10:00:00.000Z');
    expect(termEnd(d('2028-02-29T10:00:00Z'), 'annual', 3, 'UTC').toISOString()).to.equal('2032-02-29T10:00:00.000Z');
  });

  it('a term keeps its wall-clock time in the customer time zone across a DST change', () => {
    // Santiago leaves summer time in April: UTC offset −3 → −4.
    const start = DateTime.fromISO('2027-03-15T09:00', { zone: 'America/Santiago' }).toJSDate();
    const end = DateTime.fromJSDate(termEnd(start, 'monthly', 0), { zone: 'America/Santiago' });
    expect(end.toFormat('yyyy-MM-dd HH:mm')).to.equal('2027-04-15 09:00');
  });

  it('Advanced while a term covers now, to the end of contiguous renewals; otherwise Standard', () => {
    const t1 = { startsAt: d('2026-11-01T00:00:00Z'), endsAt: d('2026-12-01T00:00:00Z') };
    const t2 = { startsAt: d('2026-12-01T00:00:00Z'), endsAt: d('2027-01-01T00:00:00Z') };
    expect(planInForce([], NOW)).to.deep.equal({ plan: 'standard', until: null });
    expect(planInForce([t1, t2], NOW)).to.deep.equal({ plan: 'advanced', until: t2.endsAt });
    expect(planInForce([t1], Date.parse('2026-12-01T00:00:00Z')).plan).to.equal('standard');
    const voided = { startsAt: t2.startsAt, endsAt: t2.startsAt };
    expect(planInForce([t1, voided], NOW).until).to.deep.equal(t1.endsAt);
    expect(planInForce([t2], NOW).plan).to.equal('standard');
  });

  it('support needs a confirmed purchase and delivered licences on a product in force', () => {
    const ok = { purchaseConfirmedAt: d('2026-11-01'), licensesDeliveredAt: d('2026-11-02'), inForceUntil: null };
    expect(supportStatus([], NOW)).to.deep.include({ active: false });
    expect(supportStatus([{ ...ok, licensesDeliveredAt: null }], NOW).reason).to.match(/licences/);
    expect(supportStatus([{ ...ok, licensesDeliveredAt: d('2026-12-01') }], NOW).active).to.equal(false);
    expect(supportStatus([{ ...ok, inForceUntil: d('2026-11-20') }], NOW).reason).to.match(/no product is in force/);
    expect(supportStatus([{ ...ok, inForceUntil: d('2026-11-20') }, ok], NOW)).to.deep.equal({ active: true, reason: null, productsInForce: 1 });
  });

  it('the quota month is the calendar month in the customer time zone', () => {
    // 02:00 UTC on Dec 1 is still Nov 30 in Santiago (UTC−3 in summer).
    const w = quotaWindow(Date.parse('2026-12-01T02:00:00Z'), 'America/Santiago');
    expect(w.from.toISOString()).to.equal('2026-11-01T03:00:00.000Z');
    expect(w.to.toISOString()).to.equal('2026-12-01T03:00:00.000Z');
    expect(quotaWindow(Date.parse('2026-12-01T02:00:00Z'), 'UTC').from.toISOString()).to.equal('2026-12-01T00:00:00.000Z');
  });

  it('Standard allows 3 tickets a month and says when the quota resets; Advanced has no limit', () => {
    const w = quotaWindow(NOW, 'UTC');
    for (const used of [0, 1, 2]) expect(checkQuota('standard', used, w)).to.equal(null);
    const refused = checkQuota('standard', 3, w)!;
    expect(refused.code).to.equal('QUOTA_EXCEEDED');
    expect(refused.details).to.deep.include({ limit: 3, remaining: 0, resetsAt: '2026-12-01T00:00:00.000Z' });
    expect(checkQuota('advanced', 1000, w)).to.equal(null);
  });

  it('every intake row of the plan table, allowed and refused', () => {
    const req = (channel: any, type: any, hasEndUser = false) => ({ channel, type, hasEndUser });
    expect(checkIntake({ active: false, reason: 'x', productsInForce: 0 }, 'advanced', req('email', 'problem'))?.code).to.equal('NO_ACTIVE_SUPPORT');
    for (const ch of ['email', 'web', 'api']) expect(checkIntake(active, 'standard', req(ch, 'problem'))).to.equal(null);
    expect(checkIntake(active, 'standard', req('phone', 'problem'))?.code).to.equal('CHANNEL_NOT_IN_PLAN');
    for (const ch of ['email', 'web', 'api', 'phone']) expect(checkIntake(active, 'advanced', req(ch, 'problem'))).to.equal(null);
    expect(checkIntake(active, 'standard', req('email', 'query'))).to.equal(null);
    expect(checkIntake(active, 'standard', req('email', 'request'))?.code).to.equal('TICKET_TYPE_NOT_IN_PLAN');
    expect(checkIntake(active, 'advanced', req('email', 'request'))).to.equal(null);
    expect(checkIntake(active, 'standard', req('email', 'problem', true))?.code).to.equal('END_USER_NOT_IN_PLAN');
    expect(checkIntake(active, 'advanced', req('email', 'problem', true))).to.equal(null);
  });

  it('on Standard only the primary requester stays active; the others come back with Advanced', () => {
    const primary = { id: 'a', enabled: true, isPrimary: true };
    const other = { id: 'b', enabled: true, isPrimary: false };
    expect(requesterState(primary, 'standard')).to.equal('active');
    expect(requesterState(other, 'standard')).to.equal('suspended_by_plan');
    expect(requesterState(other, 'advanced')).to.equal('active');
    expect(requesterState({ ...primary, enabled: false }, 'advanced')).to.equal('disabled');
  });
});
