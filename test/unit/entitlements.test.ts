import { expect } from 'chai';
import { DateTime } from 'luxon';
import {
  DEFAULT_TIMEZONE,
  PLAN_RULES,
  TERMS,
  activeRequesters,
  checkIntake,
  checkQuota,
  isValidTimezone,
  planInForce,
  productSupportState,
  quotaView,
  quotaWindow,
  requesterState,
  subscriptionInForce,
  supportStatus,
  termEnd,
  type IntakeRequest,
  type ProductFacts,
  type RequesterFacts,
  type SupportStatus,
} from '../../domain/entitlements';
import { CHANNELS, TICKET_TYPES, type Channel, type TicketType } from '../../domain/plans';

const SCL = 'America/Santiago';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const d = (iso: string) => new Date(iso);
const iso = (date: Date) => date.toISOString();
const NOW = Date.parse('2026-11-25T12:00:00Z');
const local = (date: Date, zone = SCL) => DateTime.fromJSDate(date, { zone });
const atLocal = (text: string, zone = SCL) => DateTime.fromISO(text, { zone }).toJSDate();

const ACTIVE: SupportStatus = { active: true, reason: null, productsInForce: 1 };
const INACTIVE: SupportStatus = { active: false, reason: 'the licences have not been delivered yet', productsInForce: 0 };
const req = (channel: Channel, type: TicketType = 'problem', hasEndUser = false): IntakeRequest => ({ channel, type, hasEndUser });

describe('entitlements: subscription term ends (unit)', () => {
  it('offers exactly the monthly and annual terms', () => {
    expect(TERMS).to.deep.equal(['monthly', 'annual']);
  });

  it('a monthly term ends one calendar month after the anchor, at the same time', () => {
    expect(iso(termEnd(d('2026-11-10T15:00:00Z'), 'monthly', 0, 'UTC'))).to.equal('2026-12-10T15:00:00.000Z');
  });

  it('the n-th monthly term ends n+1 months after the anchor, across a year end', () => {
    const anchor = d('2026-11-10T15:00:00Z');
    expect(iso(termEnd(anchor, 'monthly', 1, 'UTC'))).to.equal('2027-01-10T15:00:00.000Z');
    expect(iso(termEnd(anchor, 'monthly', 11, 'UTC'))).to.equal('2027-11-10T15:00:00.000Z');
  });

  it('an annual term ends one year after the anchor, and the n-th one n+1 years after it', () => {
    const anchor = d('2026-11-10T15:00:00Z');
    expect(iso(termEnd(anchor, 'annual', 0, 'UTC'))).to.equal('2027-11-10T15:00:00.000Z');
    expect(iso(termEnd(anchor, 'annual', 2, 'UTC'))).to.equal('2029-11-10T15:00:00.000Z');
  });

  it('twelve monthly terms end where one annual term ends', () => {
    const anchor = d('2027-01-31T10:00:00Z');
    expect(iso(termEnd(anchor, 'monthly', 11, 'UTC'))).to.equal(iso(termEnd(anchor, 'annual', 0, 'UTC')));
  });

  it('a chain anchored on Jan 31 ends on Feb 28 in a common year', () => {
    expect(iso(termEnd(d('2027-01-31T10:00:00Z'), 'monthly', 0, 'UTC'))).to.equal('2027-02-28T10:00:00.000Z');
  });

  it('a chain anchored on Jan 31 ends on Feb 29 in a leap year', () => {
    expect(iso(termEnd(d('2028-01-31T10:00:00Z'), 'monthly', 0, 'UTC'))).to.equal('2028-02-29T10:00:00.000Z');
  });

  it('a chain anchored on Jan 31 goes back to the 31st after February (counted from the anchor, no drift)', () => {
    const common = d('2027-01-31T10:00:00Z');
    const leap = d('2028-01-31T10:00:00Z');
    expect(iso(termEnd(common, 'monthly', 1, 'UTC'))).to.equal('2027-03-31T10:00:00.000Z');
    expect(iso(termEnd(leap, 'monthly', 1, 'UTC'))).to.equal('2028-03-31T10:00:00.000Z');
    expect(iso(termEnd(leap, 'monthly', 2, 'UTC'))).to.equal('2028-04-30T10:00:00.000Z');
    expect(iso(termEnd(leap, 'monthly', 3, 'UTC'))).to.equal('2028-05-31T10:00:00.000Z');
  });

  it('consecutive monthly term ends of a month-end chain are the last day of each month or the 31st', () => {
    const anchor = d('2027-01-31T10:00:00Z');
    const days = Array.from({ length: 12 }, (_, i) => termEnd(anchor, 'monthly', i, 'UTC').getUTCDate());
    expect(days).to.deep.equal([28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31]);
  });

  it('an annual term from Feb 29 ends on Feb 28 of the next year', () => {
    expect(iso(termEnd(d('2028-02-29T10:00:00Z'), 'annual', 0, 'UTC'))).to.equal('2029-02-28T10:00:00.000Z');
    expect(iso(termEnd(d('2028-02-29T10:00:00Z'), 'annual', 1, 'UTC'))).to.equal('2030-02-28T10:00:00.000Z');
  });

  it('an annual chain from Feb 29 ends on Feb 29 again in the next leap year (index 3)', () => {
    expect(iso(termEnd(d('2028-02-29T10:00:00Z'), 'annual', 3, 'UTC'))).to.equal('2032-02-29T10:00:00.000Z');
  });

  it('a monthly term keeps its wall-clock time when Santiago leaves summer time (April, UTC−3 → UTC−4)', () => {
    const start = atLocal('2027-03-15T09:00');
    const end = termEnd(start, 'monthly', 0, SCL);
    const endLocal = local(end);
    expect(endLocal.toFormat('yyyy-MM-dd HH:mm')).to.equal('2027-04-15 09:00');
    expect(endLocal.hour).to.equal(local(start).hour);
    expect(endLocal.offset).to.equal(-240);
    // 31 days on the calendar, one hour more on the clock.
    expect(end.getTime() - start.getTime()).to.equal(31 * DAY + HOUR);
  });

  it('a monthly term keeps its wall-clock time when Santiago enters summer time (September, UTC−4 → UTC−3)', () => {
    const start = atLocal('2027-08-15T09:00');
    const end = termEnd(start, 'monthly', 0, SCL);
    expect(local(end).toFormat('yyyy-MM-dd HH:mm')).to.equal('2027-09-15 09:00');
    expect(local(end).offset).to.equal(-180);
    expect(end.getTime() - start.getTime()).to.equal(31 * DAY - HOUR);
  });

  it('an annual term keeps its wall-clock time across the DST changes of the year', () => {
    const start = atLocal('2027-06-20T18:30');
    const end = termEnd(start, 'annual', 0, SCL);
    expect(local(end).toFormat('yyyy-MM-dd HH:mm')).to.equal('2028-06-20 18:30');
  });

  it('a term ending in the spring-forward gap moves to the next valid time, and the chain does not drift', () => {
    // Santiago skips 00:00–01:00 on Sunday 2027-09-05.
    const anchor = atLocal('2027-08-05T00:30');
    expect(local(termEnd(anchor, 'monthly', 0, SCL)).toFormat('yyyy-MM-dd HH:mm')).to.equal('2027-09-05 01:30');
    expect(local(termEnd(anchor, 'monthly', 1, SCL)).toFormat('yyyy-MM-dd HH:mm')).to.equal('2027-10-05 00:30');
  });

  it('the default time zone is America/Santiago', () => {
    expect(DEFAULT_TIMEZONE).to.equal('America/Santiago');
    const start = atLocal('2027-03-15T09:00');
    expect(iso(termEnd(start, 'monthly', 0))).to.equal(iso(termEnd(start, 'monthly', 0, SCL)));
    expect(local(termEnd(start, 'monthly', 0)).toFormat('yyyy-MM-dd HH:mm')).to.equal('2027-04-15 09:00');
  });

  it('month ends are taken in the customer time zone, not in UTC', () => {
    // 01:00 UTC on Jan 31 is 22:00 on Jan 30 in Santiago: the term ends on Feb 28 22:00 local, i.e. Mar 1 in UTC.
    const anchor = d('2027-01-31T01:00:00Z');
    expect(iso(termEnd(anchor, 'monthly', 0))).to.equal('2027-03-01T01:00:00.000Z');
    expect(iso(termEnd(anchor, 'monthly', 0, 'UTC'))).to.equal('2027-02-28T01:00:00.000Z');
  });

  it('a Santiago month-end chain keeps local midnight across the April DST change', () => {
    const anchor = atLocal('2027-01-31T00:00');
    expect(iso(termEnd(anchor, 'monthly', 0))).to.equal('2027-02-28T03:00:00.000Z');
    expect(iso(termEnd(anchor, 'monthly', 1))).to.equal('2027-03-31T03:00:00.000Z');
    expect(iso(termEnd(anchor, 'monthly', 2))).to.equal('2027-04-30T04:00:00.000Z');
  });

  it('does not mutate the anchor', () => {
    const anchor = d('2027-01-31T10:00:00Z');
    termEnd(anchor, 'annual', 2, 'UTC');
    expect(iso(anchor)).to.equal('2027-01-31T10:00:00.000Z');
  });
});

describe('entitlements: plan in force (unit)', () => {
  const t1 = { startsAt: d('2026-11-01T00:00:00Z'), endsAt: d('2026-12-01T00:00:00Z') };
  const t2 = { startsAt: d('2026-12-01T00:00:00Z'), endsAt: d('2027-01-01T00:00:00Z') };
  const t3 = { startsAt: d('2027-01-01T00:00:00Z'), endsAt: d('2027-02-01T00:00:00Z') };

  it('without subscriptions the plan is Standard, which never expires', () => {
    expect(planInForce([], NOW)).to.deep.equal({ plan: 'standard', until: null });
    expect(subscriptionInForce([], NOW)).to.equal(null);
  });

  it('a subscription covering now makes the plan Advanced until its end', () => {
    expect(planInForce([t1], NOW)).to.deep.equal({ plan: 'advanced', until: t1.endsAt });
  });

  it('renewed contiguous terms keep Advanced until the end of the last one', () => {
    expect(planInForce([t1, t2, t3], NOW)).to.deep.equal({ plan: 'advanced', until: t3.endsAt });
  });

  it('follows contiguous renewals whatever order the terms are listed in', () => {
    expect(planInForce([t3, t2, t1], NOW)).to.deep.equal({ plan: 'advanced', until: t3.endsAt });
    expect(planInForce([t2, t3, t1], NOW).until).to.deep.equal(t3.endsAt);
  });

  it('a gap between terms stops the chain at the end of the current term', () => {
    const later = { startsAt: d('2026-12-02T00:00:00Z'), endsAt: d('2027-01-02T00:00:00Z') };
    expect(planInForce([t1, later], NOW)).to.deep.equal({ plan: 'advanced', until: t1.endsAt });
  });

  it('a term that ended is not in force: the plan falls back to Standard', () => {
    const ended = { startsAt: d('2026-10-01T00:00:00Z'), endsAt: d('2026-11-01T00:00:00Z') };
    expect(planInForce([ended], NOW)).to.deep.equal({ plan: 'standard', until: null });
    expect(subscriptionInForce([ended], NOW)).to.equal(null);
  });

  it('a term stops being in force at the exact moment it ends (endsAt <= now)', () => {
    expect(planInForce([t1], t1.endsAt.getTime()).plan).to.equal('standard');
    expect(planInForce([t1], t1.endsAt.getTime() - 1).plan).to.equal('advanced');
  });

  it('a term is in force from the exact moment it starts', () => {
    expect(planInForce([t1], t1.startsAt.getTime())).to.deep.equal({ plan: 'advanced', until: t1.endsAt });
  });

  it('at the boundary between renewals the next term takes over', () => {
    expect(subscriptionInForce([t1, t2], t2.startsAt.getTime())).to.equal(t2);
    expect(planInForce([t1, t2], t2.startsAt.getTime())).to.deep.equal({ plan: 'advanced', until: t2.endsAt });
  });

  it('a voided term (endsAt == startsAt) never counts, even at its own start', () => {
    const voided = { startsAt: t2.startsAt, endsAt: t2.startsAt };
    expect(subscriptionInForce([voided], voided.startsAt.getTime())).to.equal(null);
    expect(planInForce([voided], voided.startsAt.getTime())).to.deep.equal({ plan: 'standard', until: null });
  });

  it('a voided renewal does not extend the chain', () => {
    const voided = { startsAt: t2.startsAt, endsAt: t2.startsAt };
    expect(planInForce([t1, voided], NOW).until).to.deep.equal(t1.endsAt);
    expect(planInForce([voided, t1], NOW).until).to.deep.equal(t1.endsAt);
  });

  it('a voided term listed before a real renewal starting at the same moment does not hide it', () => {
    const voided = { startsAt: t2.startsAt, endsAt: t2.startsAt };
    expect(planInForce([t1, voided, t2], NOW).until).to.deep.equal(t2.endsAt);
  });

  it('an immediate cancellation ends Advanced at the moment it took effect', () => {
    const cancelled = { startsAt: t1.startsAt, endsAt: d('2026-11-20T00:00:00Z') };
    expect(planInForce([cancelled], NOW)).to.deep.equal({ plan: 'standard', until: null });
    expect(planInForce([cancelled], Date.parse('2026-11-19T23:59:59Z'))).to.deep.equal({ plan: 'advanced', until: cancelled.endsAt });
  });

  it('a future term is not in force yet', () => {
    const future = { startsAt: d('2026-12-01T00:00:00Z'), endsAt: d('2027-01-01T00:00:00Z') };
    expect(subscriptionInForce([future], NOW)).to.equal(null);
    expect(planInForce([future], NOW)).to.deep.equal({ plan: 'standard', until: null });
  });

  it('returns the subscription object itself, with its extra fields', () => {
    const a = { id: 'a', ...t1 };
    const b = { id: 'b', ...t2 };
    const found = subscriptionInForce([b, a], NOW);
    expect(found).to.equal(a);
    expect(found?.id).to.equal('a');
  });
});

describe('entitlements: the right to support (unit)', () => {
  const ok: ProductFacts = { purchaseConfirmedAt: d('2026-11-01T00:00:00Z'), licensesDeliveredAt: d('2026-11-02T00:00:00Z'), inForceUntil: null };
  const expired: ProductFacts = { ...ok, inForceUntil: d('2026-11-20T00:00:00Z') };

  it('a confirmed purchase with delivered licences is in force, and without inForceUntil it never expires', () => {
    expect(productSupportState(ok, NOW)).to.equal('in_force');
    expect(productSupportState(ok, Date.parse('2099-01-01T00:00:00Z'))).to.equal('in_force');
  });

  it('a product is in force until its inForceUntil, exclusive', () => {
    const until = { ...ok, inForceUntil: d('2026-12-01T00:00:00Z') };
    expect(productSupportState(until, NOW)).to.equal('in_force');
    expect(productSupportState(until, until.inForceUntil!.getTime() - 1)).to.equal('in_force');
    expect(productSupportState(until, until.inForceUntil!.getTime())).to.equal('expired');
  });

  it('an unconfirmed or future-confirmed purchase gives no support', () => {
    expect(productSupportState({ ...ok, purchaseConfirmedAt: null }, NOW)).to.equal('purchase_not_confirmed');
    expect(productSupportState({ ...ok, purchaseConfirmedAt: d('2026-12-01T00:00:00Z') }, NOW)).to.equal('purchase_not_confirmed');
  });

  it('undelivered or future-delivered licences give no support', () => {
    expect(productSupportState({ ...ok, licensesDeliveredAt: null }, NOW)).to.equal('licenses_not_delivered');
    expect(productSupportState({ ...ok, licensesDeliveredAt: d('2026-12-01T00:00:00Z') }, NOW)).to.equal('licenses_not_delivered');
  });

  it('support starts at the exact moment both the confirmation and the delivery have happened', () => {
    const p = { ...ok, purchaseConfirmedAt: new Date(NOW), licensesDeliveredAt: new Date(NOW) };
    expect(productSupportState(p, NOW)).to.equal('in_force');
    expect(productSupportState(p, NOW - 1)).to.equal('purchase_not_confirmed');
  });

  it('no products: no support, with a reason', () => {
    expect(supportStatus([], NOW)).to.deep.equal({
      active: false,
      reason: 'the customer has no products bought through Last Call',
      productsInForce: 0,
    });
  });

  it('purchase confirmed but licences not delivered: no support, and the reason mentions the licences', () => {
    const s = supportStatus([{ ...ok, licensesDeliveredAt: null }], NOW);
    expect(s.active).to.equal(false);
    expect(s.productsInForce).to.equal(0);
    expect(s.reason).to.match(/licences/);
  });

  it('licences delivered in the future: no support yet', () => {
    const s = supportStatus([{ ...ok, licensesDeliveredAt: d('2026-12-01T00:00:00Z') }], NOW);
    expect(s).to.deep.include({ active: false, productsInForce: 0 });
    expect(s.reason).to.match(/licences/);
  });

  it('purchase not confirmed: no support, and the reason says so', () => {
    const s = supportStatus([{ ...ok, purchaseConfirmedAt: null }], NOW);
    expect(s.active).to.equal(false);
    expect(s.reason).to.match(/purchase has not been confirmed/);
  });

  it('confirmed and delivered: support is active with no reason', () => {
    expect(supportStatus([ok], NOW)).to.deep.equal({ active: true, reason: null, productsInForce: 1 });
  });

  it('a product no longer in force: support has expired', () => {
    const s = supportStatus([expired], NOW);
    expect(s).to.deep.include({ active: false, productsInForce: 0 });
    expect(s.reason).to.match(/no product is in force/);
  });

  it('one product in force among expired ones keeps support active and counts only the ones in force', () => {
    expect(supportStatus([expired, ok, expired], NOW)).to.deep.equal({ active: true, reason: null, productsInForce: 1 });
    expect(supportStatus([expired, ok, ok, { ...ok, licensesDeliveredAt: null }], NOW)).to.deep.equal({
      active: true,
      reason: null,
      productsInForce: 2,
    });
  });

  it('when nothing is in force, pending licences are the reason given before an unconfirmed purchase or expiry', () => {
    const s = supportStatus([expired, { ...ok, purchaseConfirmedAt: null }, { ...ok, licensesDeliveredAt: null }], NOW);
    expect(s.reason).to.equal('the licences have not been delivered yet');
    expect(supportStatus([expired, { ...ok, purchaseConfirmedAt: null }], NOW).reason).to.equal('the purchase has not been confirmed yet');
  });
});

describe('entitlements: the monthly quota window (unit)', () => {
  it('is the calendar month in the customer time zone: 02:00 UTC on Dec 1 is still November in Santiago', () => {
    const w = quotaWindow(Date.parse('2026-12-01T02:00:00Z'), SCL);
    expect(iso(w.from)).to.equal('2026-11-01T03:00:00.000Z');
    expect(iso(w.to)).to.equal('2026-12-01T03:00:00.000Z');
  });

  it('defaults to the Santiago time zone', () => {
    const now = Date.parse('2026-12-01T02:00:00Z');
    expect(quotaWindow(now)).to.deep.equal(quotaWindow(now, SCL));
  });

  it('is the calendar month in UTC for a UTC customer', () => {
    const w = quotaWindow(Date.parse('2026-12-01T02:00:00Z'), 'UTC');
    expect(iso(w.from)).to.equal('2026-12-01T00:00:00.000Z');
    expect(iso(w.to)).to.equal('2027-01-01T00:00:00.000Z');
  });

  it('the window includes its start and ends at the reset moment, which begins the next window', () => {
    const w = quotaWindow(NOW, SCL);
    expect(quotaWindow(w.from.getTime(), SCL)).to.deep.equal(w);
    expect(quotaWindow(w.to.getTime() - 1, SCL)).to.deep.equal(w);
    expect(iso(quotaWindow(w.to.getTime(), SCL).from)).to.equal(iso(w.to));
  });

  it('runs from local midnight to local midnight across a DST change (April in Santiago lasts 30 days and one hour)', () => {
    const w = quotaWindow(Date.parse('2027-04-15T12:00:00Z'), SCL);
    expect(iso(w.from)).to.equal('2027-04-01T03:00:00.000Z');
    expect(iso(w.to)).to.equal('2027-05-01T04:00:00.000Z');
    expect(w.to.getTime() - w.from.getTime()).to.equal(30 * DAY + HOUR);
    expect(local(w.to).toFormat('yyyy-MM-dd HH:mm')).to.equal('2027-05-01 00:00');
  });

  it('February has its own length, in leap years too', () => {
    const w = quotaWindow(Date.parse('2028-02-15T12:00:00Z'), 'UTC');
    expect(iso(w.from)).to.equal('2028-02-01T00:00:00.000Z');
    expect(iso(w.to)).to.equal('2028-03-01T00:00:00.000Z');
  });

  it('recognises valid and invalid time zone names', () => {
    expect(isValidTimezone(SCL)).to.equal(true);
    expect(isValidTimezone('UTC')).to.equal(true);
    expect(isValidTimezone('Not/A_Zone')).to.equal(false);
  });
});

describe('entitlements: requesters (unit)', () => {
  const primary: RequesterFacts = { id: 'p', enabled: true, isPrimary: true };
  const other: RequesterFacts = { id: 'o', enabled: true, isPrimary: false };

  it('on Standard the primary requester is active and the others are suspended by the plan', () => {
    expect(requesterState(primary, 'standard')).to.equal('active');
    expect(requesterState(other, 'standard')).to.equal('suspended_by_plan');
  });

  it('a disabled requester is disabled on either plan, primary or not', () => {
    for (const plan of ['standard', 'advanced'] as const) {
      expect(requesterState({ ...primary, enabled: false }, plan)).to.equal('disabled');
      expect(requesterState({ ...other, enabled: false }, plan)).to.equal('disabled');
    }
  });

  it('on Advanced every enabled requester is active', () => {
    expect(requesterState(primary, 'advanced')).to.equal('active');
    expect(requesterState(other, 'advanced')).to.equal('active');
  });

  it('counts active requesters: only the primary on Standard, every enabled one on Advanced', () => {
    const team = [primary, other, { ...other, id: 'o2' }, { ...other, id: 'o3', enabled: false }];
    expect(activeRequesters(team, 'standard')).to.equal(1);
    expect(activeRequesters(team, 'advanced')).to.equal(3);
  });

  it('counts no active requester when there are none or the primary is disabled on Standard', () => {
    expect(activeRequesters([], 'standard')).to.equal(0);
    expect(activeRequesters([], 'advanced')).to.equal(0);
    expect(activeRequesters([{ ...primary, enabled: false }, other], 'standard')).to.equal(0);
  });
});

describe('entitlements: intake rules (unit)', () => {
  it('refuses with NO_ACTIVE_SUPPORT first when there is no support, whatever the plan and request', () => {
    for (const plan of ['standard', 'advanced'] as const) {
      const r = checkIntake(INACTIVE, plan, req('email', 'problem'));
      expect(r?.code).to.equal('NO_ACTIVE_SUPPORT');
      expect(r?.details).to.deep.equal({ reason: INACTIVE.reason });
      expect(r?.message).to.contain(INACTIVE.reason!);
    }
    // Even a request that breaks every other rule is refused for lack of support first.
    expect(checkIntake(INACTIVE, 'standard', req('phone', 'request', true))?.code).to.equal('NO_ACTIVE_SUPPORT');
  });

  for (const channel of ['email', 'web', 'api'] as const) {
    it(`Standard takes tickets by ${channel}`, () => {
      expect(checkIntake(ACTIVE, 'standard', req(channel))).to.equal(null);
    });
  }

  it('Standard refuses tickets by phone with CHANNEL_NOT_IN_PLAN', () => {
    const r = checkIntake(ACTIVE, 'standard', req('phone'));
    expect(r?.code).to.equal('CHANNEL_NOT_IN_PLAN');
    expect(r?.details).to.deep.equal({ plan: 'standard', channel: 'phone', allowed: ['email', 'web', 'api'] });
    expect(r?.message).to.contain('phone');
  });

  for (const channel of CHANNELS) {
    it(`Advanced takes tickets by ${channel}`, () => {
      expect(checkIntake(ACTIVE, 'advanced', req(channel))).to.equal(null);
    });
  }

  for (const type of ['problem', 'query'] as const) {
    it(`Standard covers ${type} tickets`, () => {
      expect(checkIntake(ACTIVE, 'standard', req('email', type))).to.equal(null);
    });
  }

  it('Standard refuses service requests with TICKET_TYPE_NOT_IN_PLAN', () => {
    const r = checkIntake(ACTIVE, 'standard', req('email', 'request'));
    expect(r?.code).to.equal('TICKET_TYPE_NOT_IN_PLAN');
    expect(r?.details).to.deep.equal({ plan: 'standard', type: 'request', allowed: ['problem', 'query'] });
  });

  for (const type of TICKET_TYPES) {
    it(`Advanced covers ${type} tickets`, () => {
      expect(checkIntake(ACTIVE, 'advanced', req('phone', type))).to.equal(null);
    });
  }

  it('Standard refuses naming an end user with END_USER_NOT_IN_PLAN', () => {
    const r = checkIntake(ACTIVE, 'standard', req('email', 'problem', true));
    expect(r?.code).to.equal('END_USER_NOT_IN_PLAN');
    expect(r?.details).to.deep.equal({ plan: 'standard' });
  });

  it('Advanced allows naming an end user', () => {
    expect(checkIntake(ACTIVE, 'advanced', req('phone', 'request', true))).to.equal(null);
  });

  it('checks the channel before the ticket type, and the ticket type before the end user', () => {
    expect(checkIntake(ACTIVE, 'standard', req('phone', 'request', true))?.code).to.equal('CHANNEL_NOT_IN_PLAN');
    expect(checkIntake(ACTIVE, 'standard', req('web', 'request', true))?.code).to.equal('TICKET_TYPE_NOT_IN_PLAN');
  });
});

describe('entitlements: the monthly quota (unit)', () => {
  const w = quotaWindow(NOW, SCL);

  it('Standard accepts the first three tickets of the month', () => {
    for (const used of [0, 1, 2]) expect(checkQuota('standard', used, w)).to.equal(null);
  });

  it('Standard refuses the fourth ticket with QUOTA_EXCEEDED, saying when the quota resets', () => {
    const r = checkQuota('standard', 3, w);
    expect(r?.code).to.equal('QUOTA_EXCEEDED');
    expect(r?.details).to.deep.equal({ limit: 3, used: 3, remaining: 0, resetsAt: iso(w.to), plan: 'standard' });
    expect(iso(w.to)).to.equal('2026-12-01T03:00:00.000Z');
    expect(r?.message).to.contain(iso(w.to));
  });

  it('stays refused beyond the limit, never with a negative remainder', () => {
    const r = checkQuota('standard', 7, w);
    expect(r?.code).to.equal('QUOTA_EXCEEDED');
    expect(r?.details).to.deep.include({ remaining: 0, used: 7 });
  });

  it('Advanced is unlimited, even with 1000 tickets used', () => {
    expect(checkQuota('advanced', 0, w)).to.equal(null);
    expect(checkQuota('advanced', 1000, w)).to.equal(null);
  });

  it('the quota view counts down on Standard', () => {
    expect(quotaView('standard', 0, w)).to.deep.equal({ limit: 3, used: 0, remaining: 3, resetsAt: iso(w.to) });
    expect(quotaView('standard', 2, w)).to.deep.equal({ limit: 3, used: 2, remaining: 1, resetsAt: iso(w.to) });
    expect(quotaView('standard', 5, w).remaining).to.equal(0);
  });

  it('the quota view on Advanced has no limit and no remainder', () => {
    expect(quotaView('advanced', 1000, w)).to.deep.equal({ limit: null, used: 1000, remaining: null, resetsAt: iso(w.to) });
  });
});

describe('entitlements: the plan table (unit)', () => {
  it('Standard: 3 tickets a month, e-mail and its written forms, problem and query, 1 requester, no end users', () => {
    expect(PLAN_RULES.standard).to.deep.equal({
      monthlyTickets: 3,
      channels: ['email', 'web', 'api'],
      ticketTypes: ['problem', 'query'],
      maxRequesters: 1,
      endUsers: false,
      seesCustomerTickets: false,
    });
  });

  it('Advanced: unlimited tickets, every channel including phone, every ticket type, 5 requesters, end users', () => {
    expect(PLAN_RULES.advanced).to.deep.equal({
      monthlyTickets: null,
      channels: ['email', 'web', 'api', 'phone'],
      ticketTypes: ['problem', 'query', 'request'],
      maxRequesters: 5,
      endUsers: true,
      seesCustomerTickets: true,
    });
  });

  it('has a row for exactly the two plans', () => {
    expect(Object.keys(PLAN_RULES).sort()).to.deep.equal(['advanced', 'standard']);
  });
});
