// The Temporal Schedules of the scheduled work (workflows/scheduled.ts), created or brought up to
// date at start, so ops see them under Schedules in the Temporal UI and can pause, trigger or
// backfill them there (or with `temporal schedule …`).
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { DEFAULT_TIMEZONE } from '../domain/entitlements';
import { LOCKS, withAdvisoryLock } from '../db/locks';

export interface SchedulesConfig {
  taskQueue: string;
  /** Calendar times are read in this zone (default America/Santiago). */
  timezone?: string;
  /** How often the Advanced term keeper looks (default every minute: ends are applied within it). */
  termCheckEvery?: Duration;
  /** Hour of the day (in `timezone`) for the monthly reports (on the 1st) and the lead's digest. */
  hour?: number;
  /** Prepended to the schedule ids (tests keep theirs apart). */
  idPrefix?: string;
}

export const SCHEDULE_IDS = { monthlyReports: 'sla-monthly-reports', advancedTerms: 'advanced-terms', leadDigest: 'lead-daily-digest' } as const;

export function scheduleDefinitions(c: SchedulesConfig): ScheduleOptions[] {
  const timezone = c.timezone ?? DEFAULT_TIMEZONE;
  const hour = c.hour ?? 8;
  const prefix = c.idPrefix ?? '';
  const make = (id: string, workflowType: string, spec: ScheduleSpec, note: string, catchupWindow: Duration): ScheduleOptions => ({
    scheduleId: prefix + id,
    spec,
    action: { type: 'startWorkflow', workflowType, args: [{}], taskQueue: c.taskQueue, workflowId: prefix + id, staticSummary: note },
    // A run still going when the next is due is not doubled; runs missed while the server was down are made up within the window.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow },
    state: { note },
  });
  return [
    make(SCHEDULE_IDS.monthlyReports, 'monthlySlaReportsWorkflow', { calendars: [{ dayOfMonth: 1, hour, minute: 0 }], timezone }, "Each Advanced customer's SLA report for the previous month, by e-mail", '7 days'),
    make(SCHEDULE_IDS.advancedTerms, 'advancedTermsWorkflow', { intervals: [{ every: c.termCheckEvery ?? '1 minute' }] }, 'Reminders before Advanced terms end unrenewed; the fall back to Standard when they end', '1 day'),
    make(SCHEDULE_IDS.leadDigest, 'leadDigestWorkflow', { calendars: [{ hour, minute: 0 }], timezone }, "The support lead's digest: breached yesterday, at risk today", '1 day'),
  ];
}

/** Create each schedule, or update an existing one to this definition (a changed hour or zone takes effect). */
export async function ensureSchedules(client: Client, c: SchedulesConfig): Promise<string[]> {
  const ids: string[] = [];
  for (const def of scheduleDefinitions(c)) {
    try {
      await client.schedule.create(def);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(def.scheduleId).update((prev) => ({ ...prev, spec: def.spec, action: def.action, policies: { ...prev.policies, ...def.policies } }));
    }
    ids.push(def.scheduleId);
  }
  return ids;
}

/**
 * ensureSchedules from one of several worker replicas starting together: they take turns under the
 * deployment's lock (its database), so each schedule is created once and the others find it.
 */
export function ensureSchedulesInTurn(databaseUrl: string, client: Client, c: SchedulesConfig): Promise<string[]> {
  return withAdvisoryLock(databaseUrl, LOCKS.temporalSetup, () => ensureSchedules(client, c));
}
