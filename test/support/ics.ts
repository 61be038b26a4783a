// Reads a calendar invitation the way a calendar client would (ical.js, Mozilla's parser), so a
// test fails on an .ics that clients would reject, not only on missing words.
import ICAL from 'ical.js';
import type { ReceivedMail } from './inbox';

export interface Invitation {
  method: string;
  uid: string;
  sequence: number;
  start: number;
  end: number;
  summary: string;
  status: string | null;
  organizer: string;
  attendees: string[];
}

export function invitationOf(mail: ReceivedMail): Invitation {
  const part = mail.attachments.find((a) => a.contentType.startsWith('text/calendar'));
  if (!part) throw new Error(`no text/calendar part in «${mail.subject}»`);
  const cal = new ICAL.Component(ICAL.parse(part.content));
  const vevent = cal.getFirstSubcomponent('vevent');
  if (!vevent) throw new Error('no VEVENT in the invitation');
  const event = new ICAL.Event(vevent);
  const addr = (v: unknown) => String(v).replace(/^mailto:/i, '').toLowerCase();
  return {
    method: String(cal.getFirstPropertyValue('method')),
    uid: event.uid,
    sequence: event.sequence,
    start: event.startDate.toJSDate().getTime(),
    end: event.endDate.toJSDate().getTime(),
    summary: event.summary,
    status: (vevent.getFirstPropertyValue('status') as string | null) ?? null,
    organizer: addr(vevent.getFirstPropertyValue('organizer')),
    attendees: vevent.getAllProperties('attendee').map((p) => addr(p.getFirstValue())),
  };
}
