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

/** The customer is found (or locked) by the caller, see services/customers.ts. */
export async function loadEntitlement(customer: Customer, now = Date.now(), transaction?: Transaction) {
  const customerId = customer.id;
  // One after the other: inside a transaction they share one connection.
  const products = await Product.findAll({ where: { customerId }, transaction });
  const subscriptions = await Subscription.findAll({ where: { customerId }, order: [['startsAt', 'ASC']], transaction });
  const support = supportStatus(products, now);
  const { plan, until } = planInForce(subscriptions, now);
  const window = quotaWindow(now, customer.timezone);
  return { customer, products, subscriptions, support, plan, planUntil: until, window, current: subscriptionInForce(subscriptions, now) };
}

export async function entitlementView(customer: Customer, now = Date.now()) {
  const e = await loadEntitlement(customer, now);
  const used = await ticketsInWindow(customer.id, e.window);
  const requesters = await User.findAll({ where: { customerId: customer.id, role: 'requester' } });
  const rules = PLAN_RULES[e.plan];
  return {
    customerId: customer.id,
    timezone: e.customer.timezone,
    support: e.support,
    plan: e.plan,
    planUntil: e.planUntil ? e.planUntil.toISOString() : null,
    subscription: e.current ? subscriptionView(e.current) : null,
    quota: quotaView(e.plan, used, e.window),
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
