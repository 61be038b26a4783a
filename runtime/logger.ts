// One JSON log stream per process (pino). Credentials never reach it: the paths below are censored
// wherever a log line carries them, and URLs are cut before they are logged (sign-in links carry
// their one-time token in the path).
import pino, { type DestinationStream, type Logger } from 'pino';

const SECRET_KEYS = ['token', 'password', 'adminToken', 'webSecret', 'secret', 'taskToken', 'authorization', 'cookie', '_csrf', 'csrfToken', 'smtpUrl', 'databaseUrl'];

/** Every logger and child of ours redacts these (pino-http's child gets them too: a child's list replaces its parent's). */
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  'config.adminToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["x-admin-token"]',
  'req.params.token',
  'req.query.token',
  'res.headers["set-cookie"]',
  'headers["set-cookie"]',
];

// Path segments after these hold a secret; query parameters of these names too.
const SECRET_PATH = /(\/sign-in\/link\/)[^/?#]+/g;
const SECRET_QUERY = /([?&](?:token|access_token|key|secret|password|code|_csrf)=)[^&#]*/gi;

/** A URL as it may be logged. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_PATH, '$1[Redacted]').replace(SECRET_QUERY, '$1[Redacted]');
}

export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = { level, name, redact: REDACT_PATHS };
  return destination ? pino(options, destination) : pino(options);
}
