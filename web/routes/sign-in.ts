// Signing in with an access token or a one-time link sent by e-mail, and signing out. Wrong tokens
// and links count against the client's address, and link requests against it and the address
// typed (services/rate-limits.ts); a limit passed is the 429 page (web/index.ts).
import { Router, type Request, type Response } from 'express';
import type { WebDeps } from '../web-deps';
import { LINK_TTL_MS, SESSION_TTL_MS, type SignInResult } from '../../services/web-auth';
import { email as emailAddress } from '../../api/schemas';
import { clientKey } from '../../domain/client-address';
import { render, locals } from '../render';

const MINUTES = LINK_TTL_MS / 60_000;
// Any path of this site is a few hundred characters; a longer `next` is not one of ours.
const MAX_NEXT = 2000;
const SAME_SITE = 'http://same-site.invalid';

/**
 * Only a path on this site: `next` must not send anyone elsewhere. Read the way a browser reads a
 * Location header (the WHATWG URL parser: "//host", "/\host" and tabs or newlines in between all
 * name another host), and kept only when it stays on this one.
 */
export function safeNext(x: unknown): string | null {
  if (typeof x !== 'string' || x.length > MAX_NEXT || !x.startsWith('/')) return null;
  let url: URL;
  try {
    url = new URL(x, SAME_SITE);
  } catch {
    return null;
  }
  return url.origin === SAME_SITE ? url.pathname + url.search : null;
}

export function signInRoutes(deps: WebDeps, cookie: string): Router {
  const r = Router();
  const page = (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    render(req, res, 'sign-in', { minutes: MINUTES, next: safeNext(req.query.next ?? req.body?.next), ...extra }, status);

  function opened(res: Response, result: Extract<SignInResult, { ok: true }>, next: string | null) {
    res.cookie(cookie, result.sessionId, { signed: true, httpOnly: true, sameSite: 'lax', secure: deps.secureCookies, maxAge: SESSION_TTL_MS, path: '/' });
    res.redirect(303, next ?? (result.user.role === 'requester' ? '/tickets' : '/console'));
  }

  r.get('/sign-in', (req, res) => page(req, res));

  r.post('/sign-in/token', async (req, res) => {
    const token = String(req.body?.token ?? '').trim();
    if (!token) return page(req, res, { tokenError: 'signIn.error.TOKEN_EMPTY' }, 400);
    const client = clientKey(req.ip);
    // The API's budget of wrong tokens: a client that used it up is refused, right token or not.
    await deps.limits.checkTokenClient(client);
    const result = await deps.auth.signInWithToken(token);
    if (!result.ok) {
      if (result.code === 'INVALID_TOKEN') await deps.limits.tokenFailed(client);
      return page(req, res, { tokenError: `signIn.error.${result.code}` }, 401);
    }
    opened(res, result, safeNext(req.body?.next));
  });

  // The same work for any address: checked, counted, one row queued, answered. Whether anyone has
  // the address is decided later by the outbox's sender (services/sign-in-mail.ts), off this path.
  r.post('/sign-in/link', async (req, res) => {
    const typed = String(req.body?.email ?? '');
    const parsed = emailAddress.safeParse(typed);
    if (!parsed.success) return page(req, res, { email: typed.trim().slice(0, 320), emailError: 'signIn.error.EMAIL_INVALID' }, 400);
    await deps.limits.signInLinkRequested(clientKey(req.ip), parsed.data);
    await deps.auth.requestLink(parsed.data, locals(res).lang);
    page(req, res, { sentTo: parsed.data });
  });

  // A confirmation page, not a sign-in on GET: mail scanners that open links must not spend them.
  r.get('/sign-in/link/:token', (req, res) => render(req, res, 'sign-in-confirm', { token: String(req.params.token) }));

  r.post('/sign-in/link/:token', async (req, res) => {
    const client = clientKey(req.ip);
    await deps.limits.checkTokenClient(client);
    const result = await deps.auth.redeemLink(String(req.params.token));
    if (!result.ok) {
      // A guessed link is a guessed token.
      if (result.code === 'INVALID_LINK') await deps.limits.tokenFailed(client);
      return page(req, res, { tokenError: `signIn.error.${result.code}` }, 401);
    }
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
