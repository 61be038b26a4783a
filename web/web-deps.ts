// What the pages are given by the app that mounts them (api/app.ts): the services they call and the
// settings of their cookies and links. Its own module so the router (index.ts) and its routes both read it.
import type { Logger } from 'pino';
import type { Sequelize } from 'sequelize';
import type { TicketService } from '../services/tickets';
import type { SessionService } from '../services/sessions';
import type { WebAuth } from '../services/web-auth';
import type { RateLimits } from '../services/rate-limits';
import type { HeldMailService } from '../services/held-mail';

export interface WebDeps {
  tickets: TicketService;
  sequelize: Sequelize;
  sessions: SessionService;
  auth: WebAuth;
  /** The flood limits: wrong tokens and sign-in link requests per client address, links per e-mail address. */
  limits: RateLimits;
  /** Signs the session cookie and keys the CSRF tokens. */
  secret: string;
  /** Cookies only over HTTPS (a PUBLIC_URL that starts with https). */
  secureCookies: boolean;
  /** Where links in e-mails point: never taken from the request's Host header. */
  publicUrl: () => string;
  supportAddress: string;
  log: Logger;
  /** The held-mail queue (inbound mail whose sender is not authenticated); without it the console has no such page. */
  heldMail?: HeldMailService;
}
