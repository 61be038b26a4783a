// What a person may read of the tickets: which tickets (every read goes through ticketScope: a
// ticket, the list, the reports, the pages) and, for a customer's requester, which events of a
// ticket's history and which fields of their data. Pure, so the API and the pages share one rule.
import { PLAN_RULES } from './entitlements';
import type { Plan } from './plans';
import type { Role } from './roles';

/** The facts about a reader the rule needs (services/access.ts' Principal has them). */
export interface Reader {
  role: Role;
  userId: string | null;
  customerId: string | null;
  /** A requester's customer's plan as of the request; null for staff. */
  plan: Plan | null;
}

/** The tickets a reader may see: those matching every field given; {} means all of them. */
export interface TicketScope {
  customerId?: string;
  requesterId?: string;
}

/** Requesters see their customer's tickets; on Standard only their own. Staff see every ticket. */
export function ticketScope(p: Reader): TicketScope {
  if (p.role !== 'requester') return {};
  // Without a known plan, the narrower Standard view.
  return PLAN_RULES[p.plan ?? 'standard'].seesCustomerTickets ? { customerId: p.customerId! } : { customerId: p.customerId!, requesterId: p.userId! };
}

// ---- A ticket's history as its customer reads it ---------------------------------------------------

/**
 * The events a requester reads, each with the fields of its data they may read. What is not here is
 * the support team's business: alarms, breaches and escalations, assignments, refused steps, a
 * technician's decline of a session and why, the record's own troubles, and any field not named
 * (a host's user id, who was invited, the customer's name as staff file it).
 */
export const REQUESTER_EVENT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  received: ['subject', 'responseDueAt', 'resolutionDueAt'],
  responded: ['via', 'message'],
  replied: ['via', 'message'],
  waiting_on_customer: ['message'],
  customer_replied: ['via', 'message'],
  customer_message: ['via', 'subject', 'message', 'attachments'],
  resolved: ['resolution', 'firstResponse'],
  reopened: ['reason'],
  closed: ['reason', 'automatic'],
  session_proposed: ['sessionId', 'kind', 'attempt', 'startsAt'],
  session_confirmed: ['sessionId', 'kind', 'attempt', 'startsAt'],
  // The minutes go to every attendee, the customer included, in the session's summary e-mail.
  session_held: ['sessionId', 'kind', 'startsAt', 'notes'],
  session_cancelled: ['sessionId', 'kind', 'reason'],
};

/** The event types a requester reads (the pages' history, the API for a requester). */
export const REQUESTER_EVENTS: readonly string[] = Object.keys(REQUESTER_EVENT_FIELDS);

export interface RecordedEvent {
  seq: number;
  type: string;
  at: string;
  actor: string;
  data: Record<string, unknown>;
}

/** Who did something, as a requester reads it: the customer's own people by address, the system, else "support". */
export const SUPPORT_ACTOR = 'support';

/**
 * A ticket's history as a requester reads it: only their events, only the fields they may read.
 * `customerAddresses`: the ticket's requester and end user, whose own actions keep their name; a
 * message the customer wrote is theirs whoever of the customer sent it. Every other person (a
 * technician, ops in the Temporal UI) is "support".
 */
export function requesterHistory(events: readonly RecordedEvent[], customerAddresses: readonly (string | null | undefined)[]): RecordedEvent[] {
  const ours = new Set(customerAddresses.filter((a): a is string => !!a).map((a) => a.toLowerCase()));
  return events.flatMap((e) => {
    const fields = REQUESTER_EVENT_FIELDS[e.type];
    if (!fields) return [];
    const data: Record<string, unknown> = {};
    for (const f of fields) if (e.data && Object.hasOwn(e.data, f)) data[f] = e.data[f];
    const byCustomer = e.type === 'customer_message' || (e.type === 'customer_replied' && typeof e.data?.via === 'string') || ours.has(e.actor.toLowerCase());
    const actor = e.actor === 'system' || byCustomer ? e.actor : SUPPORT_ACTOR;
    return [{ seq: e.seq, type: e.type, at: e.at, actor, data }];
  });
}

/** A ticket's session as its customer reads it: when and what; who was invited, who asked and what staff may do next are not theirs. */
export const REQUESTER_SESSION_FIELDS = ['id', 'kind', 'status', 'attempt', 'technology', 'brand', 'startsAt', 'endsAt'] as const;

export function requesterSession<S extends Record<string, unknown> & { host?: { name?: string; email: string } | null }>(session: S): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of REQUESTER_SESSION_FIELDS) if (Object.hasOwn(session, f)) out[f] = session[f];
  // Who holds it is on the invitation they received; the directory's id of that person is not.
  out.host = session.host ? { name: session.host.name ?? null, email: session.host.email } : null;
  return out;
}
