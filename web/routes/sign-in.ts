// Signing in with an access token or a one-time link sent by e-mail, and signing out.
import { Router, type Response } from 'express';
import type { WebDeps } from '../index';
import { LINK_TTL_MS, SESSION_TTL_MS, type SignInResult } from '../../services/web-auth';
import { render, locals } from '../render';
import { translator } from '../i18n';

const MINUTES = LINK_TTL_MS / 60_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Only a path on this site: `next` must not send anyone elsewhere. */
const safeNext = (x: unknown) => (typeof x === 'string' && /^\/(?!\/)[\w\-./?=&%]*$/.test(x) ? x : null);

export function signInRoutes(deps: WebDeps, cookie: string): Router {
  const r = Router();
  const page = (req: Parameters<typeof render>[0], res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    render(req, res, 'sign-in', { canMail: Boolean(deps.mailer), minutes: MINUTES, next: safeNext(req.query.next ?? req.body?.next), ...extra }, status);

  function opened(res: Response, result: Extract<SignInResult, { ok: true }>, next: string | null) {
    res.cookie(cookie, result.sessionId, { signed: true, httpOnly: true, sameSite: 'lax', secure: deps.secureCookies, maxAge: SESSION_TTL_MS, path: '/' });
    res.redirect(303, next ?? (result.user.role === 'requester' ? '/tickets' : '/console'));
  }

  r.get('/sign-in', (req, res) => page(req, res));

  r.post('/sign-in/token', async (req, res) => {
    const token = String(req.body?.token ?? '').trim();
    if (!token) return page(req, res, { tokenError: 'signIn.error.TOKEN_EMPTY' }, 400);
    const result = await deps.auth.signInWithToken(token);
    if (!result.ok) return page(req, res, { tokenError: `signIn.error.${result.code}` }, 401);
    opened(res, result, safeNext(req.body?.next));
  });

  r.post('/sign-in/link', async (req, res) => {
    const email = String(req.body?.email ?? '').trim().toLowerCase();
    if (!EMAIL.test(email) || email.length > 320) return page(req, res, { email, emailError: 'signIn.error.EMAIL_INVALID' }, 400);
    if (!deps.mailer) return page(req, res, { email }, 503);
    const link = await deps.auth.issueLink(email);
    if (link) {
      const t = translator(locals(res).lang);
      const url = `${deps.publicUrl()}/sign-in/link/${link.token}`;
      await deps.mailer.send({
        kind: 'sign_in_link',
        to: link.user.email,
        subject: t('signIn.mail.subject'),
        text: t('signIn.mail.text', { name: link.user.name, minutes: MINUTES, url }),
      });
    }
    // The same answer whether or not the address has an account.
    page(req, res, { sentTo: email });
  });

  // A confirmation page, not a sign-in on GET: mail scanners that open links must not spend them.
  r.get('/sign-in/link/:token', (req, res) => render(req, res, 'sign-in-confirm', { token: String(req.params.token) }));

  r.post('/sign-in/link/:token', async (req, res) => {
    const result = await deps.auth.redeemLink(String(req.params.token));
    if (!result.ok) return page(req, res, { tokenError: result.code === 'INVALID_LINK' ? 'signIn.error.INVALID_LINK' : `signIn.error.${result.code}` }, 401);
    opened(res, result, null);
  });

  r.post('/sign-out', async (req, res) => {
    const id = req.signedCookies?.[cookie] as string | undefined;
    if (id) await deps.auth.endSession(id);
    res.clearCookie(cookie, { path: '/' });
    res.redirect(303, '/');
  });
  return r;
}
