// Admin use cases on people: a customer's requesters (limited by plan) and staff (technicians,
// leads, admins); disabling and enabling them; issuing and revoking their tokens. Audited.
import { UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import { User } from '../db/models';
import { isUuid } from './ids';
import { PLAN_RULES, activeRequesters, requesterState } from '../domain/entitlements';
import type { Plan } from '../domain/plans';
import type { Role, StaffRole } from '../domain/roles';
import { DomainError, notFound } from '../domain/errors';
import { issueToken, revokeTokens, type Principal } from './access';
import { audit } from './audit';
import { lockCustomer } from './customers';
import { customerPlan } from './entitlements';

export function userView(u: User, plan?: Plan) {
  return {
    id: u.id,
    role: u.role,
    name: u.name,
    email: u.email,
    phone: u.phone,
    customerId: u.customerId,
    technologies: u.technologies,
    primary: u.role === 'requester' ? u.isPrimary : undefined,
    enabled: u.enabled,
    // For requesters: whether the customer's plan lets them act today.
    state: u.role === 'requester' && plan ? requesterState(u, plan) : u.enabled ? 'active' : 'disabled',
    createdAt: u.createdAt.toISOString(),
  };
}

const planOf = (customerId: string, transaction?: Transaction) => customerPlan(customerId, Date.now(), transaction);

function emailTaken(email: string) {
  return new DomainError('conflict', 'EMAIL_TAKEN', `a user with e-mail ${email} already exists`);
}

export interface UserHooks {
  /** A technician or lead who knows these technologies is now active. */
  staffAvailable?: (technologies: string[]) => Promise<unknown>;
}

export function createUserService(sequelize: Sequelize, hooks: UserHooks = {}) {
  // After the commit: the new specialist must be visible to the sessions that look for one.
  const announce = async (u: { role: string; enabled: boolean; technologies: string[] }) => {
    if (u.role !== 'requester' && u.role !== 'admin' && u.enabled && u.technologies.length) await hooks.staffAvailable?.(u.technologies);
  };

  async function requesterRoom(customerId: string, plan: Plan, transaction: Transaction) {
    const requesters = await User.findAll({ where: { customerId, role: 'requester' }, transaction });
    const limit = PLAN_RULES[plan].maxRequesters;
    const active = activeRequesters(requesters, plan);
    if (active >= limit) {
      throw new DomainError('unprocessable', 'REQUESTER_LIMIT_REACHED', `the ${plan} plan allows ${limit} active requester${limit > 1 ? 's' : ''}; the customer has ${active}`, { plan, limit, active });
    }
    return requesters;
  }

  async function createRequester(customerId: string, body: { name: string; email: string; phone?: string }, actor: Principal) {
    try {
      return await sequelize.transaction(async (transaction) => {
        await lockCustomer(customerId, transaction);
        const plan = await planOf(customerId, transaction);
        const requesters = await requesterRoom(customerId, plan, transaction);
        // The primary requester is the one Standard keeps; a new one takes over when the primary is disabled.
        const primary = requesters.find((r) => r.isPrimary);
        const makePrimary = !primary || !primary.enabled;
        if (primary && makePrimary) await primary.update({ isPrimary: false }, { transaction });
        const u = await User.create({ customerId, role: 'requester', name: body.name, email: body.email, phone: body.phone ?? null, isPrimary: makePrimary }, { transaction });
        const token = await issueToken(u.id, transaction);
        await audit(actor, 'user.create', { type: 'user', id: u.id }, { role: 'requester', customerId, email: u.email, primary: makePrimary }, transaction);
        return { ...userView(u, plan), token };
      });
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw emailTaken(body.email);
      throw err;
    }
  }

  async function createStaff(body: { name: string; email: string; role: StaffRole; technologies?: string[]; phone?: string }, actor: Principal) {
    try {
      const created = await sequelize.transaction(async (transaction) => {
        const u = await User.create(
          { customerId: null, role: body.role, name: body.name, email: body.email, phone: body.phone ?? null, technologies: body.technologies ?? [] },
          { transaction },
        );
        const token = await issueToken(u.id, transaction);
        await audit(actor, 'user.create', { type: 'user', id: u.id }, { role: u.role, email: u.email, technologies: u.technologies }, transaction);
        return { ...userView(u), token };
      });
      await announce(created);
      return created;
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw emailTaken(body.email);
      throw err;
    }
  }

  async function findUser(id: string, transaction?: Transaction): Promise<User> {
    const u = isUuid(id) ? await User.findByPk(id, { transaction }) : null;
    if (!u) throw notFound(`user ${id}`);
    return u;
  }

  async function view(u: User) {
    return userView(u, u.customerId ? await planOf(u.customerId) : undefined);
  }

  async function list(q: { role?: Role; customerId?: string }) {
    const where: Record<string, unknown> = {};
    if (q.role) where.role = q.role;
    if (q.customerId) where.customerId = q.customerId;
    const users = await User.findAll({ where, order: [['createdAt', 'ASC']] });
    return Promise.all(users.map(view));
  }

  async function setEnabled(id: string, enabled: boolean, actor: Principal) {
    const result = await sequelize.transaction(async (transaction) => {
      let u = await findUser(id, transaction);
      if (u.enabled === enabled) return view(u);
      if (enabled && u.role === 'requester') {
        await lockCustomer(u.customerId!, transaction);
        await requesterRoom(u.customerId!, await planOf(u.customerId!, transaction), transaction);
      }
      // Disabling ends the person's browser sessions for good: enabling them again later does not
      // bring back a session opened before (someone may have been disabled for sharing it).
      if (!enabled) await User.increment('sessionGeneration', { where: { id: u.id }, transaction });
      u = await u.update({ enabled }, { transaction });
      await audit(actor, enabled ? 'user.enable' : 'user.disable', { type: 'user', id: u.id }, { email: u.email }, transaction);
      return view(u);
    });
    if (enabled) await announce(result);
    return result;
  }

  /** Revokes every token of the user and issues a new one (shown once). */
  async function reissueToken(id: string, actor: Principal) {
    return sequelize.transaction(async (transaction) => {
      const u = await findUser(id, transaction);
      const revoked = await revokeTokens(u.id, transaction);
      const token = await issueToken(u.id, transaction);
      await audit(actor, 'token.reissue', { type: 'user', id: u.id }, { email: u.email, revoked }, transaction);
      return { ...(await view(u)), token };
    });
  }

  async function revoke(id: string, actor: Principal) {
    return sequelize.transaction(async (transaction) => {
      const u = await findUser(id, transaction);
      const revoked = await revokeTokens(u.id, transaction);
      await audit(actor, 'token.revoke', { type: 'user', id: u.id }, { email: u.email, revoked }, transaction);
      return { userId: u.id, revoked };
    });
  }

  return { createRequester, createStaff, findUser, view, list, setEnabled, reissueToken, revoke };
}

export type UserService = ReturnType<typeof createUserService>;
