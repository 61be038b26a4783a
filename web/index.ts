// The people's pages, served by the same Express app as the API: requesters file and follow their
// tickets, technicians and leads work the queue. Every rule is the services' (the same use cases as
// the JSON API); this layer only turns forms into calls and answers into HTML.
import express, { Router, type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import type { Logger } from 'pino';
import { retryAfterOf } from '../api/errors';
import { isKind } from '../domain/errors';
import { noStore } from '../api/security-headers';
import { unstorableIssues } from '../domain/storable-text';
import { decodedPath } from '../api/middleware';
import { redactUrl } from '../runtime/logger';
import { isLang, type Lang } from '../i18n';
import { render, webDir, locals } from './render';
import type { WebDeps } from './web-deps';
import { signInRoutes } from './routes/sign-in';
import { requesterRoutes } from './routes/requester';
import { consoleRoutes } from './routes/console';
import { reportPages } from './routes/reports';

export type { WebDeps } from './web-deps';

export const SESSION_COOKIE = 'lc_session';
const LANG_COOKIE = 'lc_lang';
const WEB_PATHS = /^\/(?:$|(?:sign-in|sign-out|tickets|console|reports)(?:\/|$)|static\/)/;

export function webRouter(deps: WebDeps): Router {
  const r = Router();
  // Everything else (the API, health checks, unknown paths) keeps its JSON answers.
  r.use((req, _res, next) => (WEB_PATHS.test(req.path) ? next() : next('router')));
  r.use('/static', express.static(webDir('static'), { maxAge: '1h', index: false }));
  // Pages show a person's tickets, or carry a CSRF token or a one-time link's token: never kept.
  // (The security headers are the whole app's: api/security-headers.ts.)
  r.use(noStore);
  r.use(cookieParser(deps.secret));
  r.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 100 }));
  r.use(language(deps.secureCookies));
  r.use(session(deps));

  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => deps.secret,
    // Bound to the browser's session: a token from before signing in is not valid after.
    getSessionIdentifier: (req) => (req.signedCookies?.[SESSION_COOKIE] as string | undefined) ?? '',
    cookieName: deps.secureCookies ? '__Host-lc_csrf' : 'lc_csrf',
    cookieOptions: { sameSite: 'lax', secure: deps.secureCookies, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf,
  });
  r.use((req, res, next) => {
    res.locals.csrfToken = () => generateCsrfToken(req, res);
    next();
  });
  r.use(doubleCsrfProtection);
  // The API's rule for text no store can keep (domain/storable-text.ts), in the page's words: the
  // path (an undecodable one too), the form and the query.
  r.use((req, res, next) => {
    const path = decodedPath(req.path);
    const issues = [...(path === null ? ['path'] : (unstorableIssues(path) ?? [])), ...(unstorableIssues(req.body) ?? []), ...(unstorableIssues(req.query) ?? [])];
    if (issues.length === 0) return next();
    render(req, res, 'error', { message: 'error.unstorableText' }, 400);
  });

  r.get('/', (req, res) => {
    const p = locals(res).principal;
    if (p) return res.redirect(303, p.role === 'requester' ? '/tickets' : '/console');
    render(req, res, 'home', { supportAddress: deps.supportAddress });
  });
  r.use(signInRoutes(deps, SESSION_COOKIE));
  r.use('/tickets', requesterRoutes(deps));
  r.use('/console', consoleRoutes(deps));
  r.use('/reports', reportPages(deps.sequelize));
  r.use((req, res) => render(req, res, 'error', { message: 'error.notFound' }, 404));
  r.use(pageErrors(deps.log));
  return r;
}

/** ?lang= chooses and is remembered; else the browser's preference; else Spanish (the program is Chilean). */
function language(secure: boolean) {
  return (req: Request, res: Response, next: NextFunction) => {
    let lang: Lang;
    const asked = req.query.lang;
    if (isLang(asked)) {
      lang = asked;
      res.cookie(LANG_COOKIE, lang, { sameSite: 'lax', secure, httpOnly: true, maxAge: 365 * 86_400_000, path: '/' });
    } else if (isLang(req.cookies?.[LANG_COOKIE])) {
      lang = req.cookies[LANG_COOKIE];
    } else {
      lang = req.get('accept-language') ? ((req.acceptsLanguages('es', 'en') || 'es') as Lang) : 'es';
    }
    res.locals.lang = lang;
    next();
  };
}

function session(deps: WebDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.principal = null;
    const id = req.signedCookies?.[SESSION_COOKIE] as string | undefined;
    if (!id) return next();
    deps.auth.principalOf(id).then((r) => {
      if (r?.ok) res.locals.principal = r.principal;
      // An expired session, or an account disabled since: the browser forgets it.
      else res.clearCookie(SESSION_COOKIE, { path: '/' });
      next();
    }, next);
  };
}

function pageErrors(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if ((err as { code?: string }).code === 'EBADCSRFTOKEN') return render(req, res, 'error', { message: 'error.csrf' }, 403);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large' || type === 'parameters.too.many') return render(req, res, 'error', { message: 'error.internal' }, 413);
    // A ticket the person may not see is a page that does not exist, as in the API.
    if (isKind(err, 'not_found')) return render(req, res, 'error', { message: 'error.notFound' }, 404);
    if (isKind(err, 'forbidden')) return render(req, res, 'error', { message: 'error.forbidden' }, 403);
    if (isKind(err, 'rate_limited')) {
      const seconds = retryAfterOf(err) ?? 60;
      res.setHeader('Retry-After', String(seconds));
      return render(req, res, 'error', { message: 'error.rateLimited', vars: { minutes: Math.ceil(seconds / 60) } }, 429);
    }
    // The request's own logger, so the line carries its request id.
    (req.log ?? log).error({ err, path: redactUrl(req.path) }, 'page failed');
    if (res.headersSent) return;
    try {
      render(req, res, 'error', { message: 'error.internal' }, 500);
    } catch {
      res.status(500).type('text').send('internal error');
    }
  };
}
