// What the templates show for a clock and for a history event, in the page's language.
import { atRiskFrom, clockCounts, clockRisk, type ClockRisk } from '../domain/at-risk';
import type { ClockView } from '../domain/sla-clock';
import { CLOCK_NAMES, type ClockName, type SlaView, type TicketStatus } from '../domain/ticket-lifecycle';
import { hasKey, type MessageKey, type Translate } from '../i18n';

export interface Countdown {
  running: boolean;
  risk: ClockRisk;
  status: ClockView['status'];
  dueAt: string | null;
  /** When the live countdown turns at risk (domain/at-risk.ts); null: it will not by the time alone. */
  riskFrom: string | null;
  warned: boolean;
  remainingMs: number;
  metAt: string | null;
  breachedAt: string | null;
}

/** `running`: the ticket's state says this clock still counts; `warnAt`: the first warning level of its targets. */
export function countdown(c: ClockView, running: boolean, warnAt: number | null): Countdown {
  return {
    running: running && c.dueAt !== null,
    risk: clockRisk(c, running, warnAt),
    status: c.status,
    dueAt: c.dueAt,
    riskFrom: atRiskFrom(c, running, warnAt),
    warned: c.warnedAt !== null,
    remainingMs: c.remainingMs,
    metAt: c.metAt,
    breachedAt: c.breachedAt,
  };
}

/** A ticket as the services show it, as far as its countdowns go. */
export interface TicketClocks {
  status: TicketStatus;
  sla: SlaView;
  /** The first warning level of the ticket's own chain (null: none before the breach). */
  targets: { warningThreshold: number | null };
}

export interface Countdowns {
  response: Countdown;
  resolution: Countdown;
  /** The current or last next-reply cycle; null when the ticket has none. */
  nextReply: Countdown | null;
}

/** Every countdown of a ticket, for every page that shows them. */
export function countdowns(x: TicketClocks): Countdowns {
  const one = (name: ClockName, c: ClockView, counts = clockCounts(x.status, name)) => countdown(c, counts, x.targets.warningThreshold);
  const reply = x.sla.nextReply;
  // A next-reply cycle counts only while it runs: an answered one (met or late) is over.
  return { response: one('response', x.sla.response), resolution: one('resolution', x.sla.resolution), nextReply: reply ? one('nextReply', reply, clockCounts(x.status, 'nextReply') && reply.status === 'running') : null };
}

export interface EventLike {
  type: string;
  data: Record<string, unknown>;
}

export function eventText(t: Translate, e: EventLike): string {
  const clock = CLOCK_NAMES.includes(e.data.clock as ClockName) ? t(`event.clock.${e.data.clock as ClockName}`) : '';
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
