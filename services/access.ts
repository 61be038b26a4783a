// Bearer tokens and the principal behind a request. Tokens are random, shown once, stored only as
// a sha256 hash, and revocable; ADMIN_TOKEN from the environment bootstraps the first admin.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import { ApiToken, Subscription, User } from '../db/models';
import type { Role } from '../domain/roles';
import type { Plan } from '../domain/plans';
import { planInForce, requesterState, type RequesterState } from '../domain/entitlements';
import { customerPlan } from './entitlements';

export interface Principal {
  /** null for the bootstrap admin of ADMIN_TOKEN, which has no user row. */
  userId: string | null;
  role: Role;
  name: string;
  email: string;
  customerId: string | null;
  /** How events and the audit log name this person. */
  label: string;
  /** A requester's customer's plan as of this request (read once, at authentication); null for staff. */
  plan: Plan | null;
  /** The user row this principal was read from, so a request does not read it again (none for the bootstrap admin). */
  user?: User;
}

export const BOOTSTRAP_ADMIN: Principal = { userId: null, role: 'admin', name: 'Bootstrap admin', email: 'admin', customerId: null, label: 'bootstrap-admin', plan: null };

const TOKEN_PREFIX = 'lcs_';
/** How fresh a token's "last used" stays: it is written again once it is older than this. */
export const LAST_USED_RESOLUTION_MS = 60_000;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function principalOf(user: User, plan: Plan | null): Principal {
  return { userId: user.id, role: user.role, name: user.name, email: user.email, customerId: user.customerId, label: user.email, plan, user };
}

/** A new token for the user; the plain value is returned once and never stored. */
export async function issueToken(userId: string, transaction?: Transaction): Promise<string> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await ApiToken.create({ userId, tokenHash: hashToken(token), tokenPrefix: token.slice(0, 10), revokedAt: null, lastUsedAt: null }, { transaction });
  return token;
}

/**
 * Revokes every token of the user and ends their browser sessions and unused sign-in links: all of
 * them, however they were opened, since whoever held a token may have used it to open one. The
 * user's session generation moves on in the same transaction, and services/web-auth.ts admits a
 * session or a link only of the current generation, so a sign-in racing the revocation is void too.
 */
export async function revokeTokens(userId: string, transaction?: Transaction): Promise<number> {
  const [n] = await ApiToken.update({ revokedAt: new Date() }, { where: { userId, revokedAt: null }, transaction });
  await User.increment('sessionGeneration', { where: { id: userId }, transaction });
  return n;
}

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; code: 'INVALID_TOKEN' | 'USER_DISABLED' | 'REQUESTER_SUSPENDED'; message: string };

export async function authenticate(token: string, bootstrapAdminToken: string | undefined): Promise<AuthResult> {
  if (bootstrapAdminToken && safeEqual(token, bootstrapAdminToken)) return { ok: true, principal: BOOTSTRAP_ADMIN };
  // The token, its user and (for a requester) the customer's subscriptions not ended yet: one query.
  const row = await ApiToken.findOne({
    where: { tokenHash: hashToken(token), revokedAt: { [Op.is]: null } },
    include: [
      {
        model: User,
        as: 'user',
        required: true,
        include: [{ model: Subscription, as: 'customerSubscriptions', required: false, where: { endsAt: { [Op.gt]: new Date() } } }],
      },
    ],
  });
  if (!row?.user) return { ok: false, code: 'INVALID_TOKEN', message: 'the bearer token is not valid (unknown or revoked)' };
  const result = await principalForUser(row.user);
  // Best effort: a lost last-used stamp must not fail the request. To the minute, so a client
  // calling many times a second does not write the token's row on every call.
  const now = Date.now();
  if (result.ok && (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS)) void row.update({ lastUsedAt: new Date(now) }).catch(() => {});
  return result;
}

/**
 * Whether a user may act right now, and as whom: the one check behind a bearer token and a web
 * session alike (a disabled account, or a requester suspended by a drop to Standard, may not).
 */
export async function principalForUser(user: User): Promise<AuthResult> {
  if (!user.enabled) return { ok: false, code: 'USER_DISABLED', message: `the account ${user.email} is disabled` };
  let plan: Plan | null = null;
  if (user.role === 'requester') {
    // Read with the user when it was (authenticate), else now.
    plan = user.customerSubscriptions ? planInForce(user.customerSubscriptions, Date.now()).plan : await customerPlan(user.customerId!);
  }
  if (plan !== null) {
    const state: RequesterState = requesterState(user, plan);
    if (state === 'suspended_by_plan') {
      return { ok: false, code: 'REQUESTER_SUSPENDED', message: `the account ${user.email} is suspended: the customer's standard plan allows one requester, its primary one` };
    }
  }
  return { ok: true, principal: principalOf(user, plan) };
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
