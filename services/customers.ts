// Admin use cases on customers: the customer record, its products (the right to support) and its
// Advanced subscriptions (terms, renewals, cancellations). Each change is audited in its transaction.
import { Op, type Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize';
import { Customer, Product, Subscription } from '../db/models';
import { isUuid } from './ids';
import { DEFAULT_TIMEZONE, productSupportState, subscriptionInForce, termEnd, type Term } from '../domain/entitlements';
import { DomainError, notFound } from '../domain/errors';
import type { Principal } from './access';
import { audit } from './audit';
import { entitlementView, subscriptionView } from './entitlements';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const customerView = (c: Customer) => ({ id: c.id, name: c.name, timezone: c.timezone, createdAt: c.createdAt.toISOString() });

export const productView = (p: Product, now = Date.now()) => ({
  id: p.id,
  customerId: p.customerId,
  brand: p.brand,
  name: p.name,
  technology: p.technology,
  purchaseConfirmedAt: iso(p.purchaseConfirmedAt),
  licensesDeliveredAt: iso(p.licensesDeliveredAt),
  inForceUntil: iso(p.inForceUntil),
  supportState: productSupportState(p, now),
});

export async function findCustomer(customerId: string, transaction?: Transaction, lock = false): Promise<Customer> {
  const c = isUuid(customerId) ? await Customer.findByPk(customerId, { transaction, lock: lock && transaction ? transaction.LOCK.UPDATE : undefined }) : null;
  if (!c) throw notFound(`customer ${customerId}`);
  return c;
}

/** Locks the customer's row for the rest of the transaction: its entitlement changes one at a time. */
export const lockCustomer = (customerId: string, transaction: Transaction) => findCustomer(customerId, transaction, true);

const noSubscription = () => new DomainError('conflict', 'NO_SUBSCRIPTION', 'the customer has no advanced subscription in force or scheduled');

export function createCustomerService(sequelize: Sequelize) {
  const tx = <T>(fn: (t: Transaction) => Promise<T>) => sequelize.transaction(fn);

  async function createCustomer(body: { name: string; timezone?: string }, actor: Principal) {
    return tx(async (transaction) => {
      const c = await Customer.create({ name: body.name, timezone: body.timezone ?? DEFAULT_TIMEZONE }, { transaction });
      await audit(actor, 'customer.create', { type: 'customer', id: c.id }, { name: c.name, timezone: c.timezone }, transaction);
      return customerView(c);
    });
  }

  async function listCustomers() {
    return (await Customer.findAll({ order: [['createdAt', 'ASC']] })).map(customerView);
  }

  async function addProduct(customerId: string, body: ProductInput, actor: Principal) {
    return tx(async (transaction) => {
      await lockCustomer(customerId, transaction);
      const p = await Product.create(
        {
          customerId,
          brand: body.brand,
          name: body.name,
          technology: body.technology,
          purchaseConfirmedAt: body.purchaseConfirmedAt ?? null,
          licensesDeliveredAt: body.licensesDeliveredAt ?? null,
          inForceUntil: body.inForceUntil ?? null,
        },
        { transaction },
      );
      await audit(actor, 'product.create', { type: 'product', id: p.id }, productView(p), transaction);
      return productView(p);
    });
  }

  async function updateProduct(customerId: string, productId: string, patch: Partial<ProductInput>, actor: Principal) {
    return tx(async (transaction) => {
      await lockCustomer(customerId, transaction);
      const p = isUuid(productId) ? await Product.findOne({ where: { id: productId, customerId }, transaction }) : null;
      if (!p) throw notFound(`product ${productId} of customer ${customerId}`);
      const before = productView(p);
      await p.update(patch, { transaction });
      await audit(actor, 'product.update', { type: 'product', id: p.id }, { customerId, before, patch }, transaction);
      return productView(p);
    });
  }

  async function listProducts(customerId: string) {
    await findCustomer(customerId);
    return (await Product.findAll({ where: { customerId }, order: [['createdAt', 'ASC']] })).map((p) => productView(p));
  }

  /** Terms that are, or will be, in force (voided and ended ones excluded), soonest first. */
  async function liveTerms(customerId: string, now: Date, transaction: Transaction) {
    const subs = await Subscription.findAll({ where: { customerId, endsAt: { [Op.gt]: now } }, order: [['startsAt', 'ASC']], transaction });
    return subs.filter((s) => s.endsAt > s.startsAt);
  }

  async function subscribe(customerId: string, body: { plan: 'advanced'; term: Term; startsAt?: Date }, actor: Principal) {
    return tx(async (transaction) => {
      const customer = await lockCustomer(customerId, transaction);
      const now = new Date();
      const startsAt = body.startsAt ?? now;
      const termEndsAt = termEnd(startsAt, body.term, 0, customer.timezone);
      if (termEndsAt <= now) throw new DomainError('unprocessable', 'TERM_IN_THE_PAST', `a ${body.term} term starting ${startsAt.toISOString()} would already have ended`);
      const clash = (await liveTerms(customerId, now, transaction)).find((s) => s.startsAt < termEndsAt && s.endsAt > startsAt);
      if (clash) {
        throw new DomainError('conflict', 'SUBSCRIPTION_EXISTS', `an advanced subscription is already in force or scheduled until ${clash.endsAt.toISOString()}; renew it instead`, {
          subscription: subscriptionView(clash),
        });
      }
      const s = await Subscription.create(
        { customerId, plan: 'advanced', term: body.term, anchorAt: startsAt, termIndex: 0, startsAt, termEndsAt, endsAt: termEndsAt, cancelledAt: null, cancelMode: null, createdBy: actor.label },
        { transaction },
      );
      await audit(actor, 'subscription.create', { type: 'subscription', id: s.id }, { customerId, ...subscriptionView(s) }, transaction);
      return { customer, subscription: subscriptionView(s) };
    }).then(async ({ customer, subscription }) => ({ subscription, entitlement: await entitlementView(customer) }));
  }

  async function renew(customerId: string, body: { term?: Term }, actor: Principal) {
    return tx(async (transaction) => {
      const customer = await lockCustomer(customerId, transaction);
      const now = new Date();
      const live = await liveTerms(customerId, now, transaction);
      if (live.length === 0) throw noSubscription();
      const last = live[live.length - 1];
      // Renewing withdraws a cancellation at the end of the term.
      for (const s of live.filter((x) => x.cancelMode === 'end_of_term')) await s.update({ cancelMode: null, cancelledAt: null }, { transaction });
      const term = body.term ?? last.term;
      // Same term: keep counting from the chain's anchor so month ends never drift.
      const [anchorAt, termIndex] = term === last.term ? [last.anchorAt, last.termIndex + 1] : [last.termEndsAt, 0];
      const termEndsAt = termEnd(anchorAt, term, termIndex, customer.timezone);
      const s = await Subscription.create(
        { customerId, plan: 'advanced', term, anchorAt, termIndex, startsAt: last.termEndsAt, termEndsAt, endsAt: termEndsAt, cancelledAt: null, cancelMode: null, createdBy: actor.label },
        { transaction },
      );
      await audit(actor, 'subscription.renew', { type: 'subscription', id: s.id }, { customerId, renews: last.id, ...subscriptionView(s) }, transaction);
      return { customer, subscription: subscriptionView(s) };
    }).then(async ({ customer, subscription }) => ({ subscription, entitlement: await entitlementView(customer) }));
  }

  async function cancel(customerId: string, body: { immediately?: boolean }, actor: Principal) {
    return tx(async (transaction) => {
      const customer = await lockCustomer(customerId, transaction);
      const now = new Date();
      const live = await liveTerms(customerId, now, transaction);
      if (live.length === 0) throw noSubscription();
      const current = subscriptionInForce(live, now.getTime());
      const mode = body.immediately ? 'immediately' : 'end_of_term';
      for (const s of live) {
        if (s === current) {
          await s.update({ cancelMode: mode, cancelledAt: now, ...(body.immediately ? { endsAt: now } : {}) }, { transaction });
        } else {
          // Terms paid for later (renewals) never come into force.
          await s.update({ cancelMode: mode, cancelledAt: now, endsAt: s.startsAt }, { transaction });
        }
      }
      await audit(actor, 'subscription.cancel', { type: 'customer', id: customerId }, { mode, terms: live.map((s) => s.id) }, transaction);
      return { customer, subscriptions: live.map(subscriptionView) };
    }).then(async ({ customer, subscriptions }) => ({ subscriptions, entitlement: await entitlementView(customer) }));
  }

  async function subscriptions(customerId: string) {
    await findCustomer(customerId);
    return (await Subscription.findAll({ where: { customerId }, order: [['startsAt', 'ASC'], ['createdAt', 'ASC']] })).map(subscriptionView);
  }

  return { createCustomer, listCustomers, addProduct, updateProduct, listProducts, subscribe, renew, cancel, subscriptions };
}

export interface ProductInput {
  brand: string;
  name: string;
  technology: string;
  purchaseConfirmedAt?: Date | null;
  licensesDeliveredAt?: Date | null;
  inForceUntil?: Date | null;
}

export type CustomerService = ReturnType<typeof createCustomerService>;
