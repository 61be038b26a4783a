// Spanish and English: picking the language, filling in values, dates and durations, and turning a
// service's refusal (its code and details) into plain words.
import { DEFAULT_TIMEZONE } from '../domain/entitlements';
import { en, type MessageKey, type Messages } from './en';
import { es } from './es';

export const LANGS = ['es', 'en'] as const;
export type Lang = (typeof LANGS)[number];
const TABLES: Record<Lang, Messages> = { es, en };
const LOCALES: Record<Lang, string> = { es: 'es-CL', en: 'en-GB' };

export const isLang = (x: unknown): x is Lang => typeof x === 'string' && (LANGS as readonly string[]).includes(x);

export type Translate = (key: MessageKey, vars?: Record<string, string | number | null | undefined>) => string;

export function translator(lang: Lang): Translate {
  const table = TABLES[lang];
  return (key, vars = {}) => table[key].replace(/\{(\w+)\}/g, (m, name: string) => (vars[name] === undefined || vars[name] === null ? m : String(vars[name])));
}

export function hasKey(key: string): key is MessageKey {
  return key in en;
}

/** A moment as people read it, in a time zone (the customer's, or Santiago's for staff). */
export function formatDate(lang: Lang, at: string | Date | number | null | undefined, timeZone = DEFAULT_TIMEZONE): string {
  if (at === null || at === undefined) return '—';
  const d = new Date(at);
  // Spelled out, 24-hour: es-CL's own medium style reads "01-12-2026, 12:00 a. m.".
  return new Intl.DateTimeFormat(LOCALES[lang], { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(d);
}

/** A duration as "2 h 05 min" or "45 s": the same shape the console's script writes. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export interface Refusal {
  code: string;
  message: string;
  details?: unknown;
}

// domain/entitlements.ts words the reason for no support in English; each maps to a key here.
const SUPPORT_REASONS: Record<string, MessageKey> = {
  'the customer has no products bought through Last Call': 'reason.support.no_products',
  'the licences have not been delivered yet': 'reason.support.not_delivered',
  'the purchase has not been confirmed yet': 'reason.support.not_confirmed',
  'no product is in force any more': 'reason.support.expired',
};

/** A refusal of a service (a DomainError's code and details) in plain words of one language. */
export function refusalText(lang: Lang, r: Refusal, timeZone?: string, extra: Record<string, string> = {}): string {
  const t = translator(lang);
  const d = (r.details && typeof r.details === 'object' && !Array.isArray(r.details) ? r.details : {}) as Record<string, unknown>;
  const list = (xs: unknown, prefix: 'channel' | 'type') =>
    Array.isArray(xs) ? xs.map((x) => (hasKey(`${prefix}.${x}`) ? t(`${prefix}.${x}` as MessageKey) : String(x))).join(', ') : '';
  const plan = typeof d.plan === 'string' && hasKey(`plan.${d.plan}`) ? t(`plan.${d.plan}` as MessageKey) : String(d.plan ?? '');
  const vars: Record<string, string | number> = {
    ...extra,
    plan,
    allowed: list(d.allowed, r.code === 'CHANNEL_NOT_IN_PLAN' ? 'channel' : 'type'),
    channel: typeof d.channel === 'string' && hasKey(`channel.${d.channel}`) ? t(`channel.${d.channel}` as MessageKey) : String(d.channel ?? ''),
    type: typeof d.type === 'string' && hasKey(`type.${d.type}`) ? t(`type.${d.type}` as MessageKey) : String(d.type ?? ''),
    limit: String(d.limit ?? ''),
    date: typeof d.resetsAt === 'string' ? formatDate(lang, d.resetsAt, timeZone) : '',
    state: String(d.state ?? ''),
    status: typeof d.status === 'string' && hasKey(`status.${d.status}`) ? t(`status.${d.status}` as MessageKey) : String(d.status ?? ''),
    reason: typeof d.reason === 'string' ? (SUPPORT_REASONS[d.reason] ? t(SUPPORT_REASONS[d.reason]) : d.reason) : '',
    wait: typeof d.retryAfterSeconds === 'number' ? formatDuration(d.retryAfterSeconds * 1000) : '',
    message: r.message,
  };
  const key = `reason.${r.code}`;
  return hasKey(key) ? t(key, vars) : t('reason.other', vars);
}

export { en, es };
export type { MessageKey };
