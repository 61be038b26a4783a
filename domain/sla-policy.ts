// The SLA policy is data: this module holds the default (the program's table) and the rules for
// reading and validating a policy. Tickets copy their targets out of it when they are received.
import { Duration } from 'luxon';
import { z } from 'zod';
import { IMPACTS, PLANS, type Impact, type Plan } from './plans';

export interface TargetPair {
  /** ISO-8601 duration, e.g. PT2H. */
  response: string;
  resolution: string;
}

export interface SlaPolicy {
  /** Fraction of a target elapsed at which the warning goes out (0 < x < 1). */
  warningThreshold: number;
  /** How long a resolved ticket waits for a reopen before it closes by itself. */
  autoCloseAfter: string;
  targets: Record<Plan, Record<Impact, TargetPair>>;
}

/** The targets a ticket keeps for its whole life, resolved to milliseconds. */
export interface TicketTargets {
  responseMs: number;
  resolutionMs: number;
  warningThreshold: number;
  autoCloseAfterMs: number;
}

/** The support program's table (mission.md): response / resolution per plan and impact. */
export const DEFAULT_SLA_POLICY: SlaPolicy = {
  warningThreshold: 0.75,
  autoCloseAfter: 'P7D',
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
  .object({ response: isoDuration, resolution: isoDuration })
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

export const slaPolicySchema = z
  .object({
    warningThreshold: z.number().gt(0).lt(1).default(DEFAULT_SLA_POLICY.warningThreshold),
    autoCloseAfter: isoDuration.default(DEFAULT_SLA_POLICY.autoCloseAfter),
    targets: z.object(Object.fromEntries(PLANS.map((p) => [p, impactTable])) as Record<Plan, typeof impactTable>).strict(),
  })
  .strict();

export function targetsFor(policy: SlaPolicy, plan: Plan, impact: Impact): TicketTargets {
  const pair = policy.targets[plan][impact];
  return {
    responseMs: isoDurationMs(pair.response),
    resolutionMs: isoDurationMs(pair.resolution),
    warningThreshold: policy.warningThreshold,
    autoCloseAfterMs: isoDurationMs(policy.autoCloseAfter),
  };
}
