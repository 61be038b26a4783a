// What makes a business calendar valid: the schema the SLA policy is checked with, and the check
// the calendar functions run once per distinct calendar before they use it.
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { epochDay, minuteOfDay, WEEKDAYS, type BusinessCalendar, type Weekday } from './calendar-notation';

const interval = z.tuple([z.string(), z.string()]).superRefine(([start, end], ctx) => {
  const s = minuteOfDay(start, false);
  const e = minuteOfDay(end, true);
  if (s === undefined) ctx.addIssue({ code: 'custom', path: [0], message: `start "${start}" is not a local time HH:mm between 00:00 and 23:59` });
  if (e === undefined) ctx.addIssue({ code: 'custom', path: [1], message: `end "${end}" is not a local time HH:mm between 00:00 and 23:59, or 24:00` });
  if (s !== undefined && e !== undefined && s >= e) {
    ctx.addIssue({ code: 'custom', path: [1], message: `end ${end} must be after start ${start} (an interval cannot cross midnight: end it at 24:00 and open the next day at 00:00)` });
  }
});

const dayHours = z.array(interval).superRefine((list, ctx) => {
  // Sorted, non-overlapping intervals let the engine walk a day once without merging.
  for (let i = 1; i < list.length; i++) {
    const prevEnd = minuteOfDay(list[i - 1][1], true);
    const start = minuteOfDay(list[i][0], false);
    if (prevEnd === undefined || start === undefined) continue; // reported by the interval itself
    if (start < prevEnd) {
      ctx.addIssue({
        code: 'custom',
        path: [i],
        message: `interval ${list[i][0]}–${list[i][1]} starts before the previous one (${list[i - 1][0]}–${list[i - 1][1]}) ends; intervals of a day must be sorted and must not overlap`,
      });
    }
  }
});

const weekHours = z
  .object(Object.fromEntries(WEEKDAYS.map((d) => [d, dayHours.optional()])) as Record<Weekday, z.ZodOptional<typeof dayHours>>)
  .strict();

const holidayDate = z.string().refine((s) => epochDay(s) !== undefined, {
  message: 'holiday must be a real calendar date written YYYY-MM-DD',
});

/** Validates a BusinessCalendar. */
export const businessCalendarSchema: z.ZodType<BusinessCalendar> = z
  .object({
    timezone: z.string().refine((tz) => IANAZone.isValidZone(tz), { message: 'timezone must be an IANA zone name, e.g. America/Santiago' }),
    hours: weekHours,
    holidays: z.array(holidayDate),
  })
  .strict()
  .superRefine((cal, ctx) => {
    // Without a single working interval no budget could ever be consumed.
    if (!WEEKDAYS.some((d) => (cal.hours[d]?.length ?? 0) > 0)) {
      ctx.addIssue({ code: 'custom', path: ['hours'], message: 'the calendar has no working hours in the week; give at least one day an interval' });
    }
  });

/** What is wrong with a calendar, readable, or null when it is valid. */
export function calendarProblems(cal: unknown): string | null {
  const parsed = businessCalendarSchema.safeParse(cal);
  return parsed.success ? null : z.prettifyError(parsed.error);
}
