// A customer's entitlement as the rules in domain/entitlements.ts read it from the database:
// support, plan in force, quota use, requesters. Used by intake (under the customer's row lock),
// authentication and the entitlement endpoint.
import { Op, type Transaction } from 'sequelize';
import { Customer, Product, Subscription, Ticket, User } from '../db/models';
import {
  PLAN_RULES,
  activeRequesters,
  planInForce,
  quotaView,
  quotaWindow,
  subscriptionInForce,
  supportStatus,
  type QuotaWindow,
} from '../domain/entitlements';
import type { Plan } from '../domain/plans';

export async function customerPlan(customerId: string, now = Date.now(), transaction?: Transaction): Promise<Plan> {
  const subs = await Subscription.findAll({ where: { customerId, endsAt: { [Op.gt]: new Date(now) } }, transaction });
  return planInForce(subs, now).plan;
}

export async function ticketsInWindow(customerId: string, window: QuotaWindow, transaction?: Transaction): Promise<number> {
  return Ticket.count({ where: { customerId, receivedAt: { [Op.gte]: window.from, [Op.lt]: window.to } }, transaction });
}

/**
 * A customer's entitlement: the customer with its products and subscriptions in one query. With
 * `lock` (inside `transaction`), the customer's row stays locked for the rest of it, so intake's
 * checks and its insert see one state of the entitlement. null when there is no such customer.
 */
export async function loadEntitlement(customerId: string, now = Date.now(), o: { transaction?: Transaction; lock?: boolean } = {}) {
  const customer = await Customer.findOne({
    where: { id: customerId },
    include: [
      { model: Product, as: 'products' },
      { model: Subscription, as: 'subscriptions' },
    ],
    order: [[{ model: Subscription, as: 'subscriptions' }, 'startsAt', 'ASC']],
    transaction: o.transaction,
    // Only the customer's row: its products and subscriptions are read, not locked.
    lock: o.lock && o.transaction ? { level: o.transaction.LOCK.UPDATE, of: Customer } : undefined,
  });
  return customer ? entitlementOf(customer, now) : null;
}

function entitlementOf(customer: Customer, now: number) {
  const products = customer.products ?? [];
  const subscriptions = customer.subscriptions ?? [];
  const support = supportStatus(products, now);
  const { plan, until } = planInForce(subscriptions, now);
  return { customer, products, subscriptions, support, plan, planUntil: until, current: subscriptionInForce(subscriptions, now) };
}

export type Entitlement = NonNullable<Awaited<ReturnType<typeof loadEntitlement>>>;

/** What the customer's entitlement looks like to people; `loaded`: the caller's entitlement of the same `now`, not read again. */
export async function entitlementView(customer: Customer, now = Date.now(), loaded?: Entitlement) {
  const e = loaded ?? (await loadEntitlement(customer.id, now))!;
  const window = quotaWindow(now, customer.timezone);
  const used = await ticketsInWindow(customer.id, window);
  const requesters = await User.findAll({ where: { customerId: customer.id, role: 'requester' } });
  const rules = PLAN_RULES[e.plan];
  return {
    customerId: customer.id,
    timezone: customer.timezone,
    support: e.support,
    plan: e.plan,
    planUntil: e.planUntil ? e.planUntil.toISOString() : null,
    subscription: e.current ? subscriptionView(e.current) : null,
    quota: quotaView(e.plan, used, window),
    requesters: { limit: rules.maxRequesters, active: activeRequesters(requesters, e.plan) },
    rules: { channels: rules.channels, ticketTypes: rules.ticketTypes, endUsers: rules.endUsers },
  };
}

export function subscriptionView(s: Subscription) {
  return {
    id: s.id,
    plan: s.plan,
    term: s.term,
    startsAt: s.startsAt.toISOString(),
    termEndsAt: s.termEndsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    cancelledAt: s.cancelledAt ? s.cancelledAt.toISOString() : null,
    cancelMode: s.cancelMode,
    createdBy: s.createdBy,
  };
}
