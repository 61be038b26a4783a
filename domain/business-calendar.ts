// SLA targets count working time only: a ticket filed on Friday evening must not breach over the
// weekend. This module turns a calendar (office hours in a zone, plus holidays) into working
// milliseconds. It runs inside Temporal workflow code, so every function here is a pure function
// of its arguments: no clock, no I/O, no randomness. All instants are epoch milliseconds.
import { Info, type Zone } from 'luxon';
import { epochDay, minuteOfDay, WEEKDAYS, type BusinessCalendar } from './calendar-notation';

// The calendar's shape is written in calendar-notation.ts (the schema reads it too); its users take it from here.
import type { WorkingWindows } from './working-windows';
export { WEEKDAYS, type BusinessCalendar, type Weekday } from './calendar-notation';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How far addWorkingMs looks for working time before it gives up. */
const MAX_SEARCH_DAYS = 20 * 366;

// ---- Compiled calendars -------------------------------------------------------------------------

interface Compiled {
  /** luxon's zone; UTC comes back as a fixed-offset zone, which needs no Intl lookups. */
  zone: Zone;
  /** Per weekday (0 = mon), flat [start, end, start, end, ...] minutes of the local day. */
  week: number[][];
  /** Holidays as epoch day numbers (days since 1970-01-01 on the local calendar). */
  holidays: Set<number>;
  /** Epoch day number -> flat [start, end, ...] instants of that local day's non-empty intervals. */
  days: Map<number, readonly number[]>;
}

// Caches only trade memory for speed (luxon's offset lookup costs ~15 µs through Intl); a result
// never depends on what is cached, so they keep the functions deterministic. Keyed by the
// calendar's content rather than its identity, so a caller mutating a calendar cannot read stale days.
const compiledByContent = new Map<string, Compiled>();
const MAX_CALENDARS = 64;
const MAX_CACHED_DAYS = 2 * MAX_SEARCH_DAYS;
const NO_INTERVALS: readonly number[] = Object.freeze([]);

function compile(cal: BusinessCalendar): Compiled {
  const key = JSON.stringify(cal);
  const hit = compiledByContent.get(key);
  if (hit) return hit;
  // The schema, and zod with it, is loaded on the first calendar compiled, not with this module:
  // every ticket workflow imports this module, most never need zod (see worker/workflow-bundle.ts).
  const { calendarProblems } = require('./business-calendar-schema') as typeof import('./business-calendar-schema');
  const problems = calendarProblems(cal);
  if (problems) throw new Error(`Invalid business calendar:\n${problems}`);
  const compiled: Compiled = {
    zone: Info.normalizeZone(cal.timezone),
    week: WEEKDAYS.map((d) => (cal.hours[d] ?? []).flatMap(([s, e]) => [minuteOfDay(s, false)!, minuteOfDay(e, true)!])),
    holidays: new Set(cal.holidays.map((h) => epochDay(h)!)),
    days: new Map(),
  };
  if (compiledByContent.size >= MAX_CALENDARS) compiledByContent.clear();
  compiledByContent.set(key, compiled);
  return compiled;
}

/** Zone offset at an instant, in ms. */
function offsetMs(zone: Zone, atMs: number): number {
  return zone.offset(atMs) * MINUTE;
}

/**
 * The instant at which a local wall-clock time (given as ms since the epoch as if the zone were
 * UTC) is read. Not via luxon's DateTime.fromObject on purpose: for a time in a spring-forward gap
 * luxon moves forward by the gap's length (00:30 -> 01:30), while a working interval must open at
 * the first instant that exists (01:00). A wall time that happens twice (fall back) is its first
 * occurrence, so the mapping stays monotonic and a day's intervals stay sorted.
 * Assumes at most one offset change within a day either side, true of every real zone today.
 */
function wallToInstant(zone: Zone, wallMs: number): number {
  const before = offsetMs(zone, wallMs - DAY);
  const after = offsetMs(zone, wallMs + DAY);
  const early = wallMs - before;
  const late = wallMs - after;
  const earlyOk = offsetMs(zone, early) === before;
  const lateOk = offsetMs(zone, late) === after;
  if (earlyOk && lateOk) return Math.min(early, late);
  if (earlyOk) return early;
  if (lateOk) return late;
  // In a gap: `late` still reads the old offset, `early` already the new one; the transition
  // between them is the first instant that exists after the wall time.
  let lo = Math.min(early, late);
  let hi = Math.max(early, late);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMs(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

// Zone name -> epoch day -> the offset that holds all around that day (NaN: it changes nearby).
// Shared by every calendar of the zone.
const steadyOffsets = new Map<string, Map<number, number>>();

/**
 * The single offset in force from a day before to a day after the local day, or undefined when
 * it changes in that window. Most days have one: their wall times convert by plain subtraction.
 */
function steadyOffsetMs(zone: Zone, day: number): number | undefined {
  if (zone.isUniversal) return offsetMs(zone, 0);
  let byDay = steadyOffsets.get(zone.name);
  if (!byDay) steadyOffsets.set(zone.name, (byDay = new Map()));
  let offset = byDay.get(day);
  if (offset === undefined) {
    const before = offsetMs(zone, day * DAY - DAY);
    offset = offsetMs(zone, day * DAY + 2 * DAY) === before ? before : Number.NaN;
    if (byDay.size >= MAX_CACHED_DAYS) byDay.clear();
    byDay.set(day, offset);
  }
  return Number.isNaN(offset) ? undefined : offset;
}

/** The working intervals of one local day, as instants. */
function dayIntervals(c: Compiled, day: number): readonly number[] {
  const hit = c.days.get(day);
  if (hit) return hit;
  // 1970-01-01 was a Thursday (index 3 with mon = 0).
  const minutes = c.week[(((day + 3) % 7) + 7) % 7];
  let result = NO_INTERVALS;
  if (minutes.length > 0 && !c.holidays.has(day)) {
    const midnight = day * DAY;
    const steady = steadyOffsetMs(c.zone, day);
    const toInstant = (minute: number) =>
      steady === undefined ? wallToInstant(c.zone, midnight + minute * MINUTE) : midnight + minute * MINUTE - steady;
    const instants: number[] = [];
    for (let i = 0; i < minutes.length; i += 2) {
      const start = toInstant(minutes[i]);
      const end = toInstant(minutes[i + 1]);
      // An interval wholly inside a spring-forward gap does not exist that day.
      if (end > start) instants.push(start, end);
    }
    result = instants;
  }
  if (c.days.size >= MAX_CACHED_DAYS) c.days.clear();
  c.days.set(day, result);
  return result;
}

/**
 * First local day that may hold working time at or after an instant. Offsets stay within ±14 h,
 * so the day before the instant's UTC day is always early enough, without an offset lookup.
 */
function firstDayAround(atMs: number): number {
  return Math.floor(atMs / DAY) - 1;
}

/** The range of a JavaScript Date, beyond which luxon cannot tell an offset. */
const MAX_INSTANT = 8.64e15;

function assertInstant(name: string, value: number): void {
  if (!(Math.abs(value) <= MAX_INSTANT)) throw new RangeError(`${name} must be a finite number of epoch milliseconds, got ${value}`);
}

// ---- Working time -------------------------------------------------------------------------------

/** Working milliseconds in [fromMs, toMs); 0 when toMs <= fromMs. */
export function workingMsBetween(cal: BusinessCalendar, fromMs: number, toMs: number): number {
  const open = workingIntervals(cal, fromMs, toMs);
  let total = 0;
  for (let i = 0; i < open.length; i += 2) total += open[i + 1] - open[i];
  return total;
}

/**
 * The earliest instant t >= fromMs with workingMsBetween(cal, fromMs, t) === ms. ms <= 0 returns
 * fromMs unchanged. When the budget runs out exactly at the end of a working interval, that end
 * is returned (not the next opening): a deadline at closing time is due at closing time.
 */
export function addWorkingMs(cal: BusinessCalendar, fromMs: number, ms: number): number {
  assertInstant('fromMs', fromMs);
  if (!Number.isFinite(ms)) throw new RangeError(`ms must be a finite number of milliseconds, got ${ms}`);
  if (ms <= 0) return fromMs;
  const c = compile(cal);
  const firstDay = firstDayAround(fromMs);
  let remaining = ms;
  for (let day = firstDay; day <= firstDay + MAX_SEARCH_DAYS; day++) {
    const iv = dayIntervals(c, day);
    for (let i = 0; i < iv.length; i += 2) {
      const end = iv[i + 1];
      if (end <= fromMs) continue;
      const start = Math.max(iv[i], fromMs);
      if (remaining <= end - start) return start + remaining;
      remaining -= end - start;
    }
  }
  throw new Error(
    `Cannot add ${ms} ms of working time from ${new Date(fromMs).toISOString()}: the calendar (${cal.timezone}) has too little working time in the next 20 years (holidays covering every working day?)`,
  );
}

/** The working intervals within [fromMs, toMs), flat (start0, end0, …) and clipped: what working-windows.ts carries. */
export function workingIntervals(cal: BusinessCalendar, fromMs: number, toMs: number): number[] {
  assertInstant('fromMs', fromMs);
  assertInstant('toMs', toMs);
  const c = compile(cal);
  const open: number[] = [];
  for (let day = firstDayAround(fromMs); day <= Math.floor(toMs / DAY) + 1; day++) {
    const iv = dayIntervals(c, day);
    for (let i = 0; i < iv.length; i += 2) {
      const start = Math.max(iv[i], fromMs);
      const end = Math.min(iv[i + 1], toMs);
      if (end > start) open.push(start, end);
    }
  }
  return open;
}

/**
 * The windows a clock records (domain/working-windows.ts): from `from` through `workingMs` of
 * working time and at least until `until`. Run by an activity, never by a workflow's replay.
 */
export function windowsFor(cal: BusinessCalendar, from: number, workingMs: number, until: number): WorkingWindows {
  const to = Math.max(addWorkingMs(cal, from, workingMs), until);
  return { from, to, open: workingIntervals(cal, from, to) };
}

/** Whether the instant falls inside working time. */
export function isWorkingTime(cal: BusinessCalendar, atMs: number): boolean {
  assertInstant('atMs', atMs);
  const c = compile(cal);
  const first = firstDayAround(atMs);
  for (let day = first; day <= first + 2; day++) {
    const iv = dayIntervals(c, day);
    for (let i = 0; i < iv.length; i += 2) if (iv[i] <= atMs && atMs < iv[i + 1]) return true;
  }
  return false;
}

// ---- Calendars ----------------------------------------------------------------------------------

/** A 24×7 calendar in UTC: with it, working time is plain elapsed time. */
export const ALWAYS_OPEN: BusinessCalendar = {
  timezone: 'UTC',
  hours: Object.fromEntries(WEEKDAYS.map((d) => [d, [['00:00', '24:00']]])),
  holidays: [],
};

// One array per day, so that editing a copy's Monday cannot change its Tuesday.
const officeDay = (): Array<[string, string]> => [['09:00', '18:00']];

/**
 * Example calendar: the Santiago office, Mon–Fri 09:00–18:00, closed on Chile's national holidays.
 * KEEP UP TO DATE: the list covers 2026 and 2027 only. Every year add the next year's holidays as
 * published by the government (gob.cl/feriados), including holidays declared later by law
 * (election days, one-off holidays). The 2027 dates were derived from the laws in force and should
 * be checked against the official list once it is published. Regional holidays (Arica 7 June,
 * Chillán 20 August) are left out.
 */
export const CHILE_OFFICE_HOURS: BusinessCalendar = {
  timezone: 'America/Santiago',
  hours: { mon: officeDay(), tue: officeDay(), wed: officeDay(), thu: officeDay(), fri: officeDay() },
  holidays: [
    // 2026
    '2026-01-01', // Año Nuevo
    '2026-04-03', // Viernes Santo
    '2026-04-04', // Sábado Santo
    '2026-05-01', // Día Nacional del Trabajo
    '2026-05-21', // Día de las Glorias Navales
    '2026-06-21', // Día Nacional de los Pueblos Indígenas (winter solstice, Ley 21.357)
    '2026-06-29', // San Pedro y San Pablo
    '2026-07-16', // Día de la Virgen del Carmen
    '2026-08-15', // Asunción de la Virgen
    '2026-09-18', // Independencia Nacional
    '2026-09-19', // Día de las Glorias del Ejército
    '2026-10-12', // Encuentro de Dos Mundos
    '2026-10-31', // Día de las Iglesias Evangélicas y Protestantes
    '2026-11-01', // Día de Todos los Santos
    '2026-12-08', // Inmaculada Concepción
    '2026-12-25', // Navidad
    // 2027
    '2027-01-01', // Año Nuevo
    '2027-03-26', // Viernes Santo
    '2027-03-27', // Sábado Santo
    '2027-05-01', // Día Nacional del Trabajo
    '2027-05-21', // Día de las Glorias Navales
    '2027-06-21', // Día Nacional de los Pueblos Indígenas (solstice on 21 June in Chile's time)
    '2027-06-28', // San Pedro y San Pablo (29th is a Tuesday: moved to Monday, Ley 19.668)
    '2027-07-16', // Día de la Virgen del Carmen
    '2027-08-15', // Asunción de la Virgen
    '2027-09-17', // Fiestas Patrias (18 and 19 fall on Saturday and Sunday, Ley 20.983)
    '2027-09-18', // Independencia Nacional
    '2027-09-19', // Día de las Glorias del Ejército
    '2027-10-11', // Encuentro de Dos Mundos (12th is a Tuesday: moved to Monday, Ley 19.668)
    '2027-10-31', // Día de las Iglesias Evangélicas y Protestantes
    '2027-11-01', // Día de Todos los Santos
    '2027-12-08', // Inmaculada Concepción
    '2027-12-25', // Navidad
  ],
};
