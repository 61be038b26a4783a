// The headers every answer carries (pages, API, static files, errors), in one place: helmet's
// defaults, with the pages' own Content-Security-Policy (they load nothing from elsewhere, run no
// inline script and may not be framed), their Referrer-Policy, and HSTS only where the site is
// served over HTTPS (a PUBLIC_URL that starts with https): telling browsers to insist on HTTPS for
// a plain-HTTP site would lock them out of it.
import helmet from 'helmet';
import type { RequestHandler } from 'express';

export function securityHeaders(o: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'same-origin' },
    // A year, subdomains included (helmet's default), once the site is HTTPS.
    strictTransportSecurity: o.https,
    // frame-ancestors 'none' for the browsers that only know the older header.
    xFrameOptions: { action: 'deny' },
  });
}

/** For answers that carry a person's data or a one-time secret: no browser or proxy keeps a copy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
