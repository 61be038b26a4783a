// The SLA policy is data: this module holds the default (the program's table plus the escalation
// chain and session timings) and the rules for reading and validating a policy. Tickets copy their
// targets out of it when they are received, so a later policy change never moves a running deadline.
import { Duration } from 'luxon';
import { z } from 'zod';
import type { BusinessCalendar } from './business-calendar';
import { businessCalendarSchema } from './business-calendar-schema';
import { IMPACTS, PLANS, type Impact, type Plan } from './plans';
import { DEFAULT_ESCALATION, ESCALATION_AUDIENCES, legacyChain, type EscalationLevel } from './escalation';

export { escalationChain, type EscalationAudience, type EscalationLevel } from './escalation';

export interface TargetPair {
  /** ISO-8601 duration, e.g. PT2H. */
  response: string;
  resolution: string;
  /**
   * The next reply: after a customer writes to a ticket being worked, support answers within this
   * (ISO-8601 duration). Optional; absent = no such clock for this plan and impact.
   */
  nextReply?: string;
  /** Name of a calendar in `calendars`: the clocks of this row count only its working hours. Absent = 24×7. */
  calendar?: string;
}

/** How specialist sessions, remote sessions and brand meetings are arranged (ISO-8601 durations). */
export interface SessionTimings {
  /** How far ahead a session is proposed when nobody asked for a time. */
  leadTime: string;
  /** How long a proposal waits for confirmation before it is proposed again. */
  confirmWithin: string;
  /** The reminder goes out this long before the session starts. */
  reminderBefore: string;
  duration: string;
  /** Brand meetings: follow-up e-mails to the brand's engineers at this interval until they confirm. */
  followUpEvery: string;
  /** Follow-ups (brand) or proposals (sessions) before the support lead is told the session is stuck. */
  maxAttempts: number;
  /** Safety net: how often a request with nobody to serve it looks again. Adding or enabling a specialist, or a brand contact, wakes it at once (a signal); this only catches a wake-up that was lost. */
  retryEvery: string;
  /** Name of a calendar in `calendars`: sessions are proposed only in its working hours. */
  calendar?: string;
}

export interface AutoBrandMeeting {
  plans: Plan[];
  impacts: Impact[];
  /** Which target's breach flags the ticket as a highly complex incident. */
  on: Array<'response' | 'resolution'>;
}

export interface SlaPolicy {
  /** Older form of a chain with one warning; accepted on input, replaced by `escalation`. */
  warningThreshold?: number;
  /** How long a resolved ticket waits for a reopen before it closes by itself. */
  autoCloseAfter: string;
  /** How long a ticket waits on the customer before the customer is reminded (once per wait). */
  customerReminderAfter: string;
  escalation: EscalationLevel[];
  targets: Record<Plan, Record<Impact, TargetPair>>;
  calendars: Record<string, BusinessCalendar>;
  sessions: SessionTimings;
  autoBrandMeeting: AutoBrandMeeting;
}

/** The targets a ticket keeps for its whole life, resolved to milliseconds. */
export interface TicketTargets {
  responseMs: number;
  resolutionMs: number;
  /** The next-reply target; absent = the ticket keeps no next-reply clock. */
  nextReplyMs?: number;
  /** Tickets received before the escalation chain existed carry only this (one warning). */
  warningThreshold?: number;
  autoCloseAfterMs: number;
  /** Absent on tickets from before reminders: they get DEFAULT_CUSTOMER_REMINDER_MS. */
  customerReminderAfterMs?: number;
  escalation?: EscalationLevel[];
  /** The working-hours calendar both clocks run on; absent or null = 24×7. */
  calendar?: BusinessCalendar | null;
  /** Breach of these clocks starts a brand-engineer meeting by itself. */
  autoBrandMeetingOn?: Array<'response' | 'resolution'>;
}

/** Session timings in milliseconds, as the session workflows use them. */
export interface SessionTimingsMs {
  leadTimeMs: number;
  confirmWithinMs: number;
  reminderBeforeMs: number;
  durationMs: number;
  followUpEveryMs: number;
  maxAttempts: number;
  retryEveryMs: number;
  calendar?: BusinessCalendar | null;
}

/** The support program's table (mission.md): response / resolution per plan and impact. */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  autoCloseAfter: 'P7D',
  customerReminderAfter: 'P2D',
  escalation: DEFAULT_ESCALATION,
  targets: {
    standard: {
      A: { response: 'PT2H', resolution: 'PT8H' },
      B: { response: 'PT4H', resolution: 'PT16H' },
      C: { response: 'PT8H', resolution: 'PT32H' },
    },
    advanced: {
      A: { response: 'PT1H', resolution: 'PT4H' },
      B: { response: 'PT2H', resolution: 'PT8H' },
      C: { response: 'PT4H', resolution: 'PT16H' },
    },
  },
  calendars: {},
  sessions: {
    leadTime: 'PT4H',
    confirmWithin: 'PT2H',
    reminderBefore: 'PT30M',
    duration: 'PT1H',
    followUpEvery: 'PT4H',
    maxAttempts: 3,
    retryEvery: 'P1D',
  },
  autoBrandMeeting: { plans: ['advanced'], impacts: ['A'], on: ['response'] },
};

/**
 * Milliseconds of an ISO-8601 duration. Years and months are refused: their length depends on
 * the calendar, and an SLA target must mean the same span for every ticket.
 */
export function isoDurationMs(iso: string): number {
  const d = Duration.fromISO(iso);
  if (!d.isValid) throw new Error(`"${iso}" is not an ISO-8601 duration (e.g. PT2H, PT30M, PT5S)`);
  if (d.years || d.quarters || d.months) throw new Error(`"${iso}" uses years or months; use days, hours, minutes or seconds`);
  const ms = d.as('milliseconds');
  if (!(ms > 0)) throw new Error(`"${iso}" must be longer than zero`);
  return ms;
}

const isoDuration = z.string().superRefine((value, ctx) => {
  try {
    isoDurationMs(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const targetPair = z
  .object({ response: isoDuration, resolution: isoDuration, nextReply: isoDuration.optional(), calendar: z.string().min(1).max(64).optional() })
  .strict()
  .superRefine((pair, ctx) => {
    try {
      if (isoDurationMs(pair.resolution) < isoDurationMs(pair.response)) {
        ctx.addIssue({ code: 'custom', path: ['resolution'], message: 'resolution target must not be shorter than the response target' });
      }
    } catch {
      // Each field already reports its own format error.
    }
  });

const impactTable = z.object(Object.fromEntries(IMPACTS.map((i) => [i, targetPair])) as Record<Impact, typeof targetPair>).strict();

const escalationSchema = z
  .array(z.object({ at: z.number().gt(0).max(4), notify: z.enum(ESCALATION_AUDIENCES) }).strict())
  .min(1)
  .max(10)
  .superRefine((levels, ctx) => {
    for (let i = 1; i < levels.length; i++) {
      if (!(levels[i].at > levels[i - 1].at)) ctx.addIssue({ code: 'custom', path: [i, 'at'], message: 'levels must be in strictly increasing order of `at`' });
    }
    if (levels.filter((l) => l.at === 1).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'the chain needs exactly one level at 1 (the breach)' });
    }
  });

const sessionsSchema = z
  .object({
    leadTime: isoDuration,
    confirmWithin: isoDuration,
    reminderBefore: isoDuration,
    duration: isoDuration,
    followUpEvery: isoDuration,
    maxAttempts: z.number().int().min(1).max(20),
    retryEvery: isoDuration,
    calendar: z.string().min(1).max(64).optional(),
  })
  .strict();

const autoBrandMeetingSchema = z
  .object({ plans: z.array(z.enum(PLANS)), impacts: z.array(z.enum(IMPACTS)), on: z.array(z.enum(['response', 'resolution'])) })
  .strict();

export const slaPolicySchema = z
  .object({
    warningThreshold: z.number().gt(0).lt(1).optional(),
    autoCloseAfter: isoDuration.default(DEFAULT_SLA_POLICY.autoCloseAfter),
    customerReminderAfter: isoDuration.default(DEFAULT_SLA_POLICY.customerReminderAfter),
    escalation: escalationSchema.optional(),
    targets: z.object(Object.fromEntries(PLANS.map((p) => [p, impactTable])) as Record<Plan, typeof impactTable>).strict(),
    calendars: z.record(z.string().min(1).max(64), businessCalendarSchema).default({}),
    sessions: sessionsSchema.default(DEFAULT_SLA_POLICY.sessions),
    autoBrandMeeting: autoBrandMeetingSchema.default(DEFAULT_SLA_POLICY.autoBrandMeeting),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.warningThreshold !== undefined && p.escalation !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['warningThreshold'], message: 'give either `escalation` or the older `warningThreshold`, not both' });
    }
    if (p.sessions.calendar !== undefined && !p.calendars[p.sessions.calendar]) {
      ctx.addIssue({ code: 'custom', path: ['sessions', 'calendar'], message: `no calendar named "${p.sessions.calendar}" in calendars` });
    }
    for (const plan of PLANS) {
      for (const impact of IMPACTS) {
        const name = p.targets[plan][impact].calendar;
        if (name !== undefined && !p.calendars[name]) {
          ctx.addIssue({ code: 'custom', path: ['targets', plan, impact, 'calendar'], message: `no calendar named "${name}" in calendars` });
        }
      }
    }
  })
  // One shape out, whichever came in: a bare warningThreshold becomes the two-level chain it meant.
  .transform(({ warningThreshold, escalation, ...rest }): SlaPolicy => ({
    ...rest,
    escalation: escalation ?? legacyChain(warningThreshold ?? DEFAULT_ESCALATION[0].at),
  }));

export function targetsFor(policy: SlaPolicy, plan: Plan, impact: Impact): TicketTargets {
  const pair = policy.targets[plan][impact];
  const auto = policy.autoBrandMeeting;
  return {
    responseMs: isoDurationMs(pair.response),
    resolutionMs: isoDurationMs(pair.resolution),
    ...(pair.nextReply ? { nextReplyMs: isoDurationMs(pair.nextReply) } : {}),
    autoCloseAfterMs: isoDurationMs(policy.autoCloseAfter),
    customerReminderAfterMs: isoDurationMs(policy.customerReminderAfter),
    escalation: policy.escalation,
    calendar: pair.calendar ? policy.calendars[pair.calendar] : null,
    autoBrandMeetingOn: auto.plans.includes(plan) && auto.impacts.includes(impact) ? auto.on : [],
  };
}

export function sessionTimingsMs(policy: Pick<SlaPolicy, 'sessions' | 'calendars'>): SessionTimingsMs {
  const s = policy.sessions;
  return {
    calendar: s.calendar ? (policy.calendars[s.calendar] ?? null) : null,
    leadTimeMs: isoDurationMs(s.leadTime),
    confirmWithinMs: isoDurationMs(s.confirmWithin),
    reminderBeforeMs: isoDurationMs(s.reminderBefore),
    durationMs: isoDurationMs(s.duration),
    followUpEveryMs: isoDurationMs(s.followUpEvery),
    maxAttempts: s.maxAttempts,
    retryEveryMs: isoDurationMs(s.retryEvery),
  };
}
