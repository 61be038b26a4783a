// Escalation beyond e-mail and phone (Advanced only): specialist sessions per technology, remote
// sessions as a way of delivering support, and remote meetings with a brand's engineers on highly
// complex incidents. Pure: which kinds a plan allows, the session's statuses and events as the
// ticket records them, and how a specialist is chosen.
import { addWorkingMs, isWorkingTime, type BusinessCalendar } from './business-calendar';
import type { Plan } from './plans';

export const SESSION_KINDS = ['specialist', 'remote', 'brand'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

export const SESSION_LABELS: Record<SessionKind, string> = {
  specialist: 'specialist session',
  remote: 'remote session',
  brand: 'brand-engineer meeting',
};

/** Which session kinds each plan includes (mission.md: specialist sessions and brand meetings are Advanced only). */
export const SESSION_KINDS_BY_PLAN: Record<Plan, readonly SessionKind[]> = {
  standard: [],
  advanced: SESSION_KINDS,
};

export function sessionAllowed(plan: Plan, kind: SessionKind): boolean {
  return SESSION_KINDS_BY_PLAN[plan].includes(kind);
}

export const SESSION_STATUSES = ['waiting', 'proposed', 'confirmed', 'stalled', 'held', 'no_show', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const FINAL_SESSION_STATUSES: readonly SessionStatus[] = ['held', 'no_show', 'cancelled'];
export const isFinalSession = (s: SessionStatus) => FINAL_SESSION_STATUSES.includes(s);

/** What a session workflow tells its ticket; the ticket records each as a `session_<type>` event. */
export const SESSION_EVENT_TYPES = [
  'waiting', // nobody to serve it yet (no specialist of the technology, no engineer contact of the brand)
  'proposed', // invitation sent with a time
  'follow_up', // brand: asked again to confirm
  'declined',
  'unconfirmed', // not confirmed in time
  'stalled', // the support lead was told it could not be arranged
  'confirmed',
  'reminder_sent',
  'rescheduled',
  'held',
  'no_show',
  'cancelled',
] as const;
export type SessionEventType = (typeof SESSION_EVENT_TYPES)[number];

export interface SessionParty {
  id?: string;
  name?: string;
  email: string;
}

export interface SessionEvent {
  sessionId: string;
  kind: SessionKind;
  type: SessionEventType;
  at: number;
  actor: string;
  status: SessionStatus;
  attempt: number;
  startsAt: number | null;
  host: SessionParty | null;
  data: Record<string, unknown>;
}

/** The ticket's own summary of one of its sessions. */
export interface SessionSummary {
  id: string;
  kind: SessionKind;
  status: SessionStatus;
  attempt: number;
  startsAt: number | null;
  host: SessionParty | null;
  requestedAt: number;
  requestedBy: string;
}

export const SESSION_OUTCOMES = ['held', 'no_show', 'rescheduled'] as const;
export type SessionOutcome = (typeof SESSION_OUTCOMES)[number];

/** What people may do to a session (confirm it, decline it, record its outcome). */
export const SESSION_ACTIONS = ['confirm', 'decline', 'outcome'] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];

/** Which actions a session accepts in each status; the API lists them and the workflow enforces them. */
export const SESSION_ACTIONS_BY_STATUS: Record<SessionStatus, readonly SessionAction[]> = {
  waiting: [],
  proposed: ['confirm', 'decline', 'outcome'],
  confirmed: ['decline', 'outcome'],
  stalled: ['outcome'],
  held: [],
  no_show: [],
  cancelled: [],
};

export interface SpecialistCandidate {
  id: string;
  name: string;
  email: string;
  technologies: string[];
  /** Open tickets assigned plus sessions proposed or confirmed. */
  load: number;
}

/**
 * The specialist for a technology: the least loaded of those who know it, ties to the name (so the
 * choice is stable), skipping those who already declined or let this request lapse.
 */
export function pickSpecialist(candidates: SpecialistCandidate[], technology: string, exclude: readonly string[] = []): SpecialistCandidate | null {
  const tech = technology.toLowerCase();
  const able = candidates.filter((c) => c.technologies.map((t) => t.toLowerCase()).includes(tech) && !exclude.includes(c.id));
  able.sort((a, b) => a.load - b.load || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return able[0] ?? null;
}

/** Workflow id of a ticket's n-th session of a kind, e.g. ticket-1001-specialist-1: findable next to its ticket. */
export const sessionWorkflowId = (ticketWorkflowId: string, kind: SessionKind, n: number) => `${ticketWorkflowId}-${kind}-${n}`;

const QUARTER_HOUR = 15 * 60_000;

/**
 * When to propose a session: the time asked for if it is still ahead, else `leadTimeMs` from now;
 * on a quarter hour when the lead time is that long (whole seconds otherwise: calendar invitations
 * carry no milliseconds), and inside the working hours of `calendar` when there is one.
 */
export function proposedStart(now: number, leadTimeMs: number, preferred: number | null, calendar: BusinessCalendar | null | undefined): number {
  if (preferred !== null && preferred > now) return Math.ceil(preferred / 1000) * 1000;
  const step = leadTimeMs >= QUARTER_HOUR ? QUARTER_HOUR : 1000;
  let at = Math.ceil((now + leadTimeMs) / step) * step;
  // The next opening: one working millisecond on from `at`, less that millisecond.
  if (calendar && !isWorkingTime(calendar, at)) at = Math.ceil((addWorkingMs(calendar, at, 1) - 1) / step) * step;
  return at;
}
