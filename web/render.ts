// Server-rendered pages: Eta templates (HTML-escaped by default) under web/views, with the
// language, the signed-in person and the CSRF token every form needs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import { Eta } from 'eta';
import type { Principal } from '../services/access';
import { formatBytes, formatDate, formatDuration, translator, type Lang } from '../i18n';
import { countdowns, eventText } from './view-models';

/** web/<name> from the sources (ts-node) and from the build (dist/web → ../../web). */
export function webDir(name: 'views' | 'static'): string {
  const candidates = [path.join(__dirname, name), path.join(__dirname, '..', '..', 'web', name)];
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new Error(`web/${name} not found (looked in ${candidates.join(', ')})`);
  return found;
}

const eta = new Eta({ views: webDir('views'), autoEscape: true, cache: process.env.NODE_ENV === 'production' });

export interface PageLocals {
  lang: Lang;
  principal: Principal | null;
  csrfToken: () => string;
}

export function locals(res: Response): PageLocals {
  return res.locals as unknown as PageLocals;
}

export function render(req: Request, res: Response, view: string, data: Record<string, unknown> = {}, status = 200): void {
  const l = locals(res);
  const t = translator(l.lang);
  const html = eta.render(view, {
    lang: l.lang,
    t,
    principal: l.principal,
    csrf: l.csrfToken ? l.csrfToken() : '',
    path: req.path,
    query: req.query,
    date: (at: string | Date | number | null | undefined, tz?: string) => formatDate(l.lang, at, tz),
    duration: formatDuration,
    bytes: formatBytes,
    countdowns,
    eventText: (e: Parameters<typeof eventText>[1]) => eventText(t, e),
    langHref: (lang: Lang) => {
      const q = new URLSearchParams(req.query as Record<string, string>);
      q.set('lang', lang);
      return `${req.path}?${q.toString()}`;
    },
    ...data,
  });
  res.status(status).type('html').send(html);
}
