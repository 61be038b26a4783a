// How a business calendar is written: its shape (office hours per weekday in a zone, holidays) and
// how its dates and times of day are read. Both the calendar functions (business-calendar.ts) and
// what makes a calendar valid (business-calendar-schema.ts) read calendars this way; pure, so it
// runs inside workflow code.

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BusinessCalendar {
  /** IANA zone in which the hours and holidays are read, e.g. America/Santiago. */
  timezone: string;
  /** Working hours per weekday as [start, end) local 'HH:mm' pairs, e.g. { mon: [['09:00','13:00'],['14:00','18:00']] }. A missing or empty day is closed. '24:00' is allowed as an end. */
  hours: Partial<Record<Weekday, Array<[string, string]>>>;
  /** Local dates (YYYY-MM-DD) closed all day. */
  holidays: string[];
}

const DAY = 86_400_000;

/** Epoch day number (days since 1970-01-01) of a 'YYYY-MM-DD' date, or undefined when it is no real date. */
export function epochDay(date: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  // setUTCFullYear, unlike Date.UTC, keeps years 0–99 as written. It rolls 2026-02-30 over to
  // 2 March; a real date reads back the same.
  const ms = new Date(0).setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === date ? ms / DAY : undefined;
}

/** Minutes since local midnight of 'HH:mm', or undefined when it is not a time of day. */
export function minuteOfDay(hhmm: string, isEnd: boolean): number | undefined {
  if (isEnd && hhmm === '24:00') return 1440;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}
