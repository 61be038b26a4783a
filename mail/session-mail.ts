// The words of every session e-mail, and the calendar invitation (iCalendar, RFC 5545/5546) that
// invitations and cancellations carry. Pure: (type, session facts) -> message.
import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import { SESSION_LABELS, type SessionKind, type SessionParty } from '../domain/sessions';

export type SessionMailType =
  | 'invitation'
  | 'follow_up'
  | 'reminder'
  | 'cancellation'
  | 'summary'
  | 'no_show'
  | 'outcome_due'
  | 'lead_waiting'
  | 'lead_stalled';

export interface SessionFacts {
  sessionId: string;
  kind: SessionKind;
  number: number;
  subject: string;
  startsAt: number | null;
  durationMs: number;
  /** Bumped on each new proposal so calendars replace the event instead of adding another. */
  sequence: number;
  host: SessionParty | null;
  attendees: SessionParty[];
  agenda: string | null;
  reason: string | null;
  technology: string | null;
  brand: string | null;
  notes: string | null;
}

const when = (ms: number | null) => (ms === null ? 'to be set' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const person = (p: SessionParty) => (p.name ? `${p.name} <${p.email}>` : p.email);
const title = (s: SessionFacts) =>
  `${SESSION_LABELS[s.kind][0].toUpperCase()}${SESSION_LABELS[s.kind].slice(1)}${s.technology && s.kind === 'specialist' ? ` (${s.technology})` : ''}${s.brand && s.kind === 'brand' ? ` with ${s.brand}` : ''}`;

function details(s: SessionFacts): string {
  return [
    `Ticket:    #${s.number} "${s.subject}"`,
    `When:      ${when(s.startsAt)} (${Math.round(s.durationMs / 60_000)} min)`,
    s.host ? `Host:      ${person(s.host)}` : null,
    `Attendees: ${s.attendees.map(person).join(', ') || 'to be found'}`,
    s.reason ? `Why:       ${s.reason}` : null,
    s.agenda ? `Agenda:    ${s.agenda}` : null,
  ]
    .filter(Boolean)
    .join('\n');
}

export function renderSessionMail(type: SessionMailType, s: SessionFacts): { subject: string; text: string } {
  const tag = `[Ticket #${s.number}]`;
  const footer = `\n\n--\nLast Call Support · ticket #${s.number} · ${s.sessionId}`;
  switch (type) {
    case 'invitation':
      return {
        subject: `${tag} Invitation: ${title(s)} at ${when(s.startsAt)}`,
        text: `You are invited to a ${SESSION_LABELS[s.kind]}.\n\n${details(s)}\n\nThe attached invitation adds it to your calendar. Please confirm or decline.${footer}`,
      };
    case 'follow_up':
      return {
        subject: `${tag} Please confirm: ${title(s)} at ${when(s.startsAt)}`,
        text: `We are still waiting for your confirmation of the meeting below; the customer's incident needs your engineers.\n\n${details(s)}${footer}`,
      };
    case 'reminder':
      return { subject: `${tag} Reminder: ${title(s)} at ${when(s.startsAt)}`, text: `The ${SESSION_LABELS[s.kind]} below starts soon.\n\n${details(s)}${footer}` };
    case 'cancellation':
      return { subject: `${tag} Cancelled: ${title(s)} at ${when(s.startsAt)}`, text: `The ${SESSION_LABELS[s.kind]} below will not take place.\n\n${details(s)}${footer}` };
    case 'summary':
      return {
        subject: `${tag} Held: ${title(s)}`,
        text: `The ${SESSION_LABELS[s.kind]} took place.\n\n${details(s)}${s.notes ? `\n\n${s.kind === 'brand' ? 'Minutes' : 'Notes'}:\n${s.notes}` : ''}${footer}`,
      };
    case 'no_show':
      return { subject: `${tag} Not held: ${title(s)}`, text: `The ${SESSION_LABELS[s.kind]} below did not take place (no-show).\n\n${details(s)}${s.notes ? `\n\n${s.notes}` : ''}${footer}` };
    case 'outcome_due':
      return {
        subject: `${tag} How did it go? ${title(s)}`,
        text: `The ${SESSION_LABELS[s.kind]} below should be over. Record its outcome (held, no-show or rescheduled) on the ticket.\n\n${details(s)}${footer}`,
      };
    case 'lead_waiting':
      return {
        subject: `${tag} Nobody to serve: ${title(s)}`,
        text:
          `A ${SESSION_LABELS[s.kind]} was requested for ticket #${s.number}, but ` +
          (s.kind === 'brand' ? `there is no engineer contact for the brand ${s.brand}. Add one; the meeting is arranged as soon as there is.` : `no specialist in ${s.technology} is available. Add one (a technician with that technology); the session is arranged as soon as there is.`) +
          `\n\nThe request waits; it is not lost.${footer}`,
      };
    case 'lead_stalled':
      return {
        subject: `${tag} Needs you: ${title(s)} not confirmed`,
        text: `Nobody confirmed the ${SESSION_LABELS[s.kind]} below after repeated ${s.kind === 'brand' ? 'follow-ups' : 'proposals'}. Please step in.\n\n${details(s)}${footer}`,
      };
  }
}

/** The iTIP invitation (METHOD:REQUEST) or withdrawal (METHOD:CANCEL) of a session, as .ics text. */
export function sessionInvitation(s: SessionFacts, method: 'REQUEST' | 'CANCEL', mailDomain: string): { method: 'REQUEST' | 'CANCEL'; filename: string; content: string } {
  const cal = ical({ prodId: { company: 'Last Call', product: 'SLA engine', language: 'EN' }, method: method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST });
  const start = new Date(s.startsAt ?? 0);
  cal.createEvent({
    // One UID per session: a new proposal (higher SEQUENCE) moves the same event in the calendar.
    id: `${s.sessionId}@${mailDomain}`,
    sequence: method === 'CANCEL' ? s.sequence + 1 : s.sequence,
    start,
    end: new Date(start.getTime() + s.durationMs),
    summary: `#${s.number} ${title(s)}: ${s.subject}`,
    description: details(s),
    status: method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: 'Last Call Support', email: `support@${mailDomain}` },
    attendees: s.attendees.map((a) => ({ name: a.name, email: a.email, rsvp: true, role: ICalAttendeeRole.REQ, status: ICalAttendeeStatus.NEEDSACTION })),
    url: undefined,
  });
  return { method, filename: method === 'CANCEL' ? 'cancel.ics' : 'invite.ics', content: cal.toString() };
}
