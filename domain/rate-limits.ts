// How much one party may do in a window before the engine answers 429: the flood limits at the
// outside edges. Each is "at most N per window", counted in Postgres (services/rate-limits.ts) so
// every API process shares the count. These are flood limits, not plan rules: Standard's quota of
// three tickets a month is domain/entitlements.ts's and stays as it is.

export interface Limit {
  /** How many in one window. */
  points: number;
  /** The window, in seconds; it starts with the first one counted. */
  windowS: number;
}

export const LIMIT_NAMES = ['failedTokens', 'signInLinksPerClient', 'signInLinksPerAddress', 'intakePerRequester', 'intakePerCustomer', 'endUserCopies', 'heldMailPerClient', 'heldMailPerSender'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];
export type RateLimitSettings = Record<LimitName, Limit>;

/** What a 429 names as limited (details.limit), and the prefix of its counters' keys. */
export const LIMIT_CODES: Record<LimitName, string> = {
  failedTokens: 'failed_tokens',
  signInLinksPerClient: 'sign_in_links_per_client',
  signInLinksPerAddress: 'sign_in_links_per_address',
  intakePerRequester: 'intake_per_requester',
  intakePerCustomer: 'intake_per_customer',
  endUserCopies: 'end_user_copies',
  heldMailPerClient: 'held_mail_per_client',
  heldMailPerSender: 'held_mail_per_sender',
};

/**
 * What a busy helpdesk stays well inside. Wrong tokens: a person mistypes a few, a script with an
 * old token a few dozen before someone notices; 30 in 15 minutes from one address is guessing.
 * Sign-in links: 5 to one mailbox in 15 minutes (as many as the sender will mail anyway), 20 an
 * hour from one address. Intake: 60 tickets an hour from one requester, 150 from one customer
 * (up to five requesters); an end user named on 10 tickets in a day gets no more copies.
 * Held mail (unauthenticated, waiting for a person): a real requester whose provider does not sign
 * sends a handful a day; past 10 a day for one address or 20 from one sending server, whoever
 * forges them fills nobody's queue (the rest is dropped unanswered).
 */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  failedTokens: { points: 30, windowS: 15 * 60 },
  signInLinksPerClient: { points: 20, windowS: 3600 },
  signInLinksPerAddress: { points: 5, windowS: 15 * 60 },
  intakePerRequester: { points: 60, windowS: 3600 },
  intakePerCustomer: { points: 150, windowS: 3600 },
  endUserCopies: { points: 10, windowS: 86_400 },
  heldMailPerClient: { points: 20, windowS: 86_400 },
  heldMailPerSender: { points: 10, windowS: 86_400 },
};

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** A whole number written the plain way ("30", not "030", "3e1" or " 30"). */
function count(text: string): number | null {
  const n = Number(text);
  return text !== '' && Number.isSafeInteger(n) && n >= 1 && String(n) === text ? n : null;
}

/** "30/15m": 30 per 15 minutes (units s, m, h, d); null when it is not written so. */
export function parseLimit(text: string): Limit | null {
  const parts = text.split('/');
  if (parts.length !== 2) return null;
  const points = count(parts[0]);
  const unit = UNITS[parts[1].slice(-1)];
  const amount = count(parts[1].slice(0, -1));
  return points !== null && unit !== undefined && amount !== null ? { points, windowS: amount * unit } : null;
}

/** The way parseLimit reads it, in the largest unit that divides the window. */
export function formatLimit(limit: Limit): string {
  const [unit, size] = Object.entries(UNITS).reverse().find(([, s]) => limit.windowS % s === 0)!;
  return `${limit.points}/${limit.windowS / size}${unit}`;
}
