// What the templates show for a clock and for a history event, in the page's language.
import type { ClockView } from '../domain/sla-clock';
import { hasKey, type MessageKey, type Translate } from './i18n';

// The usual first warning (DEFAULT_ESCALATION); the workflow's own warnedAt wins when it fired earlier.
const WARN_FRACTION = 0.75;

export interface Countdown {
  running: boolean;
  risk: 'ok' | 'at-risk' | 'breached' | 'done';
  status: ClockView['status'];
  dueAt: string | null;
  targetMs: number;
  warned: boolean;
  remainingMs: number;
  metAt: string | null;
  breachedAt: string | null;
}

/** `running`: the ticket's state says this clock still counts (response: open; resolution: open or in progress). */
export function countdown(c: ClockView, running: boolean): Countdown {
  const live = running && c.dueAt !== null;
  let risk: Countdown['risk'] = 'done';
  if (c.status === 'breached' || (live && c.remainingMs < 0)) risk = 'breached';
  else if (live && (c.warnedAt !== null || c.remainingMs <= (1 - WARN_FRACTION) * c.targetMs)) risk = 'at-risk';
  else if (live || c.status === 'paused') risk = 'ok';
  return { running: live, risk, status: c.status, dueAt: c.dueAt, targetMs: c.targetMs, warned: c.warnedAt !== null, remainingMs: c.remainingMs, metAt: c.metAt, breachedAt: c.breachedAt };
}

export interface EventLike {
  type: string;
  data: Record<string, unknown>;
}

export function eventText(t: Translate, e: EventLike): string {
  const clock = e.data.clock === 'response' || e.data.clock === 'resolution' ? t(`event.clock.${e.data.clock}`) : '';
  if (e.type.startsWith('session_')) return t('event.session', { id: String(e.data.sessionId ?? ''), type: e.type.slice('session_'.length).replace(/_/g, ' ') });
  const key = `event.${e.type}`;
  if (!hasKey(key)) return e.type;
  const assignee = e.data.assignee as { name?: string; email?: string } | undefined;
  const via = typeof e.data.via === 'string' ? e.data.via : '';
  return t(key as MessageKey, { clock: clock.charAt(0).toUpperCase() + clock.slice(1), who: assignee?.name ?? assignee?.email ?? '', via: hasKey(`channel.${via}`) ? t(`channel.${via}` as MessageKey) : via });
}

/** The words of an event a customer reads: the technician's message, the resolution, the customer's own text. */
export function eventDetail(e: EventLike): string | null {
  const d = e.data;
  for (const k of ['message', 'resolution', 'reason'] as const) if (typeof d[k] === 'string' && d[k]) return d[k] as string;
  return null;
}
