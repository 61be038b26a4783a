// The support program's entitlement rules (mission.md, plan table) as pure functions: who has
// support, which plan is in force, subscription terms, the monthly quota window, and what a plan
// allows at intake. No I/O: the intake service, the entitlement endpoint and the tests share them.
import { DateTime } from 'luxon';
import { CHANNELS, TICKET_TYPES, type Channel, type Plan, type TicketType } from './plans';

export const DEFAULT_TIMEZONE = 'America/Santiago';

export interface PlanRules {
  /** Tickets accepted per calendar month in the customer's time zone; null = unlimited. */
  monthlyTickets: number | null;
  channels: readonly Channel[];
  ticketTypes: readonly TicketType[];
  /** Active requesters (users who may file tickets) per customer. */
  maxRequesters: number;
  /** May a ticket name an end user besides the requester? */
  endUsers: boolean;
  /** Does a requester see the tickets of the customer's other requesters? */
  seesCustomerTickets: boolean;
}

export const PLAN_RULES: Record<Plan, PlanRules> = {
  standard: {
    monthlyTickets: 3,
    // E-mail only; written forms of it (the web form, the API) count as e-mail. No phone.
    channels: ['email', 'web', 'api'],
    ticketTypes: ['problem', 'query'],
    maxRequesters: 1,
    endUsers: false,
    seesCustomerTickets: false,
  },
  advanced: {
    monthlyTickets: null,
    channels: CHANNELS,
    ticketTypes: TICKET_TYPES,
    maxRequesters: 5,
    endUsers: true,
    seesCustomerTickets: true,
  },
};

// ---- The right to support -------------------------------------------------------------------

export interface ProductFacts {
  purchaseConfirmedAt: Date | null;
  licensesDeliveredAt: Date | null;
  inForceUntil: Date | null;
}

export type ProductSupportState = 'in_force' | 'purchase_not_confirmed' | 'licenses_not_delivered' | 'expired';

export function productSupportState(p: ProductFacts, now: number): ProductSupportState {
  if (p.inForceUntil !== null && p.inForceUntil.getTime() <= now) return 'expired';
  if (p.purchaseConfirmedAt === null || p.purchaseConfirmedAt.getTime() > now) return 'purchase_not_confirmed';
  if (p.licensesDeliveredAt === null || p.licensesDeliveredAt.getTime() > now) return 'licenses_not_delivered';
  return 'in_force';
}

export interface SupportStatus {
  active: boolean;
  /** Why there is no support; null when there is. */
  reason: string | null;
  productsInForce: number;
}

/** Support starts when a purchase is confirmed and its licences delivered, while a product is in force. */
export function supportStatus(products: ProductFacts[], now: number): SupportStatus {
  const states = products.map((p) => productSupportState(p, now));
  const productsInForce = states.filter((s) => s === 'in_force').length;
  if (productsInForce > 0) return { active: true, reason: null, productsInForce };
  let reason = 'the customer has no products bought through Last Call';
  if (states.includes('licenses_not_delivered')) reason = 'the licences have not been delivered yet';
  else if (states.includes('purchase_not_confirmed')) reason = 'the purchase has not been confirmed yet';
  else if (states.length > 0) reason = 'no product is in force any more';
  return { active: false, reason, productsInForce };
}

// ---- Subscriptions and terms ----------------------------------------------------------------

export const TERMS = ['monthly', 'annual'] as const;
export type Term = (typeof TERMS)[number];

/**
 * End of the `index`-th term (0 = the first) of a subscription chain that began at `anchor`.
 * Counted from the anchor, not chained term by term, so a chain begun on the 31st keeps ending
 * on the last day of short months and goes back to the 31st afterwards (luxon clamps to the
 * month's end: Jan 31 + 1 month = Feb 28/29; Feb 29 + 1 year = Feb 28). Calendar arithmetic in
 * the customer's time zone, so a term keeps its wall-clock time across DST changes.
 */
export function termEnd(anchor: Date, term: Term, index: number, timezone = DEFAULT_TIMEZONE): Date {
  const start = DateTime.fromJSDate(anchor, { zone: timezone });
  const end = term === 'monthly' ? start.plus({ months: index + 1 }) : start.plus({ years: index + 1 });
  return end.toJSDate();
}

export interface SubscriptionFacts {
  startsAt: Date;
  /** When the term stops being in force: its end, or the moment an immediate cancellation took effect. */
  endsAt: Date;
}

/** The subscription in force at `now`, if any. */
export function subscriptionInForce<S extends SubscriptionFacts>(subscriptions: S[], now: number): S | null {
  return subscriptions.find((s) => s.startsAt.getTime() <= now && now < s.endsAt.getTime()) ?? null;
}

/** Advanced while a subscription covers `now`, else Standard (which never expires). */
export function planInForce(subscriptions: SubscriptionFacts[], now: number): { plan: Plan; until: Date | null } {
  const current = subscriptionInForce(subscriptions, now);
  if (!current) return { plan: 'standard', until: null };
  // Renewed terms follow each other without a gap: Advanced lasts to the end of the last one.
  let until = current.endsAt;
  for (;;) {
    const next = subscriptions.find((s) => s.startsAt.getTime() === until.getTime() && s.endsAt.getTime() > until.getTime());
    if (!next) break;
    until = next.endsAt;
  }
  return { plan: 'advanced', until };
}

// ---- The monthly quota ----------------------------------------------------------------------

export interface QuotaWindow {
  from: Date;
  /** The moment the quota resets. */
  to: Date;
}

/** The calendar month containing `now`, in the customer's time zone. */
export function quotaWindow(now: number, timezone = DEFAULT_TIMEZONE): QuotaWindow {
  const start = DateTime.fromMillis(now, { zone: timezone }).startOf('month');
  return { from: start.toJSDate(), to: start.plus({ months: 1 }).toJSDate() };
}

export function isValidTimezone(tz: string): boolean {
  return DateTime.now().setZone(tz).isValid;
}

// ---- Requesters -----------------------------------------------------------------------------

export interface RequesterFacts {
  id: string;
  enabled: boolean;
  isPrimary: boolean;
}

export type RequesterState = 'active' | 'disabled' | 'suspended_by_plan';

/**
 * Whether a requester may act today. Dropping to Standard keeps only the primary requester
 * active; the others are kept, suspended, and come back with a new Advanced term.
 */
export function requesterState(r: RequesterFacts, plan: Plan): RequesterState {
  if (!r.enabled) return 'disabled';
  if (PLAN_RULES[plan].maxRequesters <= 1 && !r.isPrimary) return 'suspended_by_plan';
  return 'active';
}

export function activeRequesters(requesters: RequesterFacts[], plan: Plan): number {
  return requesters.filter((r) => requesterState(r, plan) === 'active').length;
}

// ---- Intake rules ---------------------------------------------------------------------------

export type IntakeRefusalCode =
  | 'NO_ACTIVE_SUPPORT'
  | 'CHANNEL_NOT_IN_PLAN'
  | 'TICKET_TYPE_NOT_IN_PLAN'
  | 'END_USER_NOT_IN_PLAN'
  | 'QUOTA_EXCEEDED';

export interface IntakeRefusal {
  code: IntakeRefusalCode;
  message: string;
  details: object;
}

export interface IntakeRequest {
  channel: Channel;
  type: TicketType;
  hasEndUser: boolean;
}

/** The plan rules that need no counting; the quota is checked under a lock (checkQuota). */
export function checkIntake(support: SupportStatus, plan: Plan, req: IntakeRequest): IntakeRefusal | null {
  const rules = PLAN_RULES[plan];
  if (!support.active) {
    return { code: 'NO_ACTIVE_SUPPORT', message: `no support: ${support.reason}`, details: { reason: support.reason } };
  }
  if (!rules.channels.includes(req.channel)) {
    return {
      code: 'CHANNEL_NOT_IN_PLAN',
      message: `the ${plan} plan takes tickets by ${rules.channels.join(', ')} only, not by ${req.channel}`,
      details: { plan, channel: req.channel, allowed: rules.channels },
    };
  }
  if (!rules.ticketTypes.includes(req.type)) {
    return {
      code: 'TICKET_TYPE_NOT_IN_PLAN',
      message: `the ${plan} plan covers ${rules.ticketTypes.join(' and ')} tickets, not ${req.type}`,
      details: { plan, type: req.type, allowed: rules.ticketTypes },
    };
  }
  if (req.hasEndUser && !rules.endUsers) {
    return {
      code: 'END_USER_NOT_IN_PLAN',
      message: `the ${plan} plan supports only the requester; naming an end user needs the advanced plan`,
      details: { plan },
    };
  }
  return null;
}

export interface QuotaView {
  limit: number | null;
  used: number;
  remaining: number | null;
  resetsAt: string;
}

export function quotaView(plan: Plan, used: number, window: QuotaWindow): QuotaView {
  const limit = PLAN_RULES[plan].monthlyTickets;
  return { limit, used, remaining: limit === null ? null : Math.max(0, limit - used), resetsAt: window.to.toISOString() };
}

export function checkQuota(plan: Plan, used: number, window: QuotaWindow): IntakeRefusal | null {
  const q = quotaView(plan, used, window);
  if (q.limit === null || used < q.limit) return null;
  return {
    code: 'QUOTA_EXCEEDED',
    message: `the ${plan} plan allows ${q.limit} tickets per calendar month; all are used. The quota resets at ${q.resetsAt}`,
    details: { ...q, plan },
  };
}
