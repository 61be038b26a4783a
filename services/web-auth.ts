// Browser sign-in: a session per browser (random id in a cookie, only its hash stored) opened with
// a person's access token or a one-time link sent to their e-mail. Whether the person may act is
// decided by the same check as a bearer token (services/access.ts, principalForUser).
//
// A session and a link carry the user's session generation from when their credential was valid;
// revoking or reissuing the user's tokens moves the generation on (services/access.ts,
// revokeTokens), and only the current generation is admitted: on every request for a session, at
// redemption for a link. So a session ends with the tokens of its user, whether it was opened with
// one of them, with a link, or by a sign-in that raced the revocation.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Op, QueryTypes, fn, col, where, type Sequelize } from 'sequelize';
import { SignInLink, User, WebSession } from '../db/models';
import { authenticate, principalForUser, type AuthResult } from './access';
import type { Lang } from '../i18n';

export const SESSION_TTL_MS = 12 * 3600_000;
export const LINK_TTL_MS = 15 * 60_000;
// A mailbox is not flooded by someone typing another person's address again and again.
const MAX_LINKS_PER_WINDOW = 5;

const digest = (s: string) => createHash('sha256').update(s).digest('hex');
const secret = () => randomBytes(32).toString('base64url');

export type SignInResult = { ok: true; sessionId: string; user: User } | { ok: false; code: string; message: string };

/**
 * A one-time link for the person with this address, or null when there is none, the account is
 * disabled, or the mailbox had its share of links lately. Called by the outbox's sender
 * (services/sign-in-mail.ts), never on the request's path: the page answers the same either way.
 */
export async function issueLink(email: string): Promise<{ user: User; token: string } | null> {
  const sequelize = User.sequelize!;
  // The user's row locked while its recent links are counted: the outbox sends several rows at
  // once, and requests for one mailbox must not all see room for one more.
  return sequelize.transaction(async (transaction) => {
    const user = await User.findOne({ where: where(fn('lower', col('email')), email.toLowerCase()), lock: transaction.LOCK.UPDATE, transaction });
    if (!user || !user.enabled) return null;
    const recent = await SignInLink.count({ where: { userId: user.id, createdAt: { [Op.gt]: new Date(Date.now() - LINK_TTL_MS) } }, transaction });
    if (recent >= MAX_LINKS_PER_WINDOW) return null;
    const token = secret();
    await SignInLink.create(
      { tokenHash: digest(token), userId: user.id, generation: user.sessionGeneration, expiresAt: new Date(Date.now() + LINK_TTL_MS), usedAt: null },
      { transaction },
    );
    return { user, token };
  });
}

/** A link whose e-mail could not be sent: nobody has it, and it must not count against the mailbox's share. */
export async function withdrawLink(token: string): Promise<void> {
  await SignInLink.destroy({ where: { tokenHash: digest(token), usedAt: null } });
}

export function createWebAuth(sequelize: Sequelize, adminToken: string | undefined) {
  async function openSession(user: User, generation: number): Promise<SignInResult> {
    const check = await principalForUser(user);
    if (!check.ok) return check;
    const sessionId = secret();
    // Expired sessions and links are of no use to anyone: swept whenever someone signs in.
    await WebSession.destroy({ where: { expiresAt: { [Op.lt]: new Date() } } });
    await SignInLink.destroy({ where: { expiresAt: { [Op.lt]: new Date(Date.now() - 86_400_000) } } });
    await WebSession.create({ idHash: digest(sessionId), userId: user.id, generation, expiresAt: new Date(Date.now() + SESSION_TTL_MS) });
    return { ok: true, sessionId, user };
  }

  async function signInWithToken(token: string): Promise<SignInResult> {
    const r = await authenticate(token, adminToken);
    if (!r.ok) return r;
    if (!r.principal.userId) return { ok: false, code: 'NO_USER', message: 'the bootstrap admin token has no user' };
    // The generation read in the same statement that found the token valid: a revocation committed
    // after it leaves this session of an older generation.
    const user = r.principal.user ?? (await User.findByPk(r.principal.userId))!;
    return openSession(user, user.sessionGeneration);
  }

  /**
   * Queues a sign-in link for whoever has this address: one outbox row, the same for any address,
   * so the answer takes the same path whether or not there is an account (services/sign-in-mail.ts
   * decides, after the answer, whether there is anyone to send it to).
   */
  async function requestLink(email: string, lang: Lang): Promise<void> {
    await sequelize.query(`INSERT INTO mail_outbox (key, kind, notification) VALUES (:key, 'sign_in_link', CAST(:payload AS jsonb))`, {
      replacements: { key: `sign-in:${randomUUID()}`, payload: JSON.stringify({ email, lang }) },
    });
  }

  async function redeemLink(token: string): Promise<SignInResult> {
    // One statement, so two tabs opening the same link cannot both use it; a link of an older
    // session generation (its user's tokens revoked since) is as dead as a used one.
    const rows = await sequelize.query<{ user_id: string; generation: number }>(
      `UPDATE sign_in_links l SET used_at = now()
         FROM users u
        WHERE l.token_hash = :hash AND l.used_at IS NULL AND l.expires_at > now()
          AND u.id = l.user_id AND u.session_generation = l.generation
       RETURNING l.user_id, l.generation`,
      { replacements: { hash: digest(token) }, type: QueryTypes.SELECT },
    );
    const user = rows[0] ? await User.findByPk(rows[0].user_id) : null;
    if (!user) return { ok: false, code: 'INVALID_LINK', message: 'the link is used, expired or unknown' };
    return openSession(user, rows[0].generation);
  }

  /**
   * The person behind a browser's session, checked afresh on every request: a disabled account is
   * out at once, and so is a session of an older generation (its user's tokens revoked or reissued).
   */
  async function principalOf(sessionId: string): Promise<AuthResult | null> {
    const s = await WebSession.findOne({ where: { idHash: digest(sessionId), expiresAt: { [Op.gt]: new Date() } }, include: [{ model: User, as: 'user', required: true }] });
    if (!s?.user || s.generation !== s.user.sessionGeneration) return null;
    return principalForUser(s.user);
  }

  async function endSession(sessionId: string): Promise<void> {
    await WebSession.destroy({ where: { idHash: digest(sessionId) } });
  }

  return { signInWithToken, requestLink, redeemLink, principalOf, endSession };
}

export type WebAuth = ReturnType<typeof createWebAuth>;
