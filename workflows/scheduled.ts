// The work that runs on Temporal Schedules (temporal/schedules.ts), each run one short workflow
// ops can read in the UI: the monthly SLA reports, the Advanced term keeper, the lead's digest.
// They only orchestrate; the activities read the database and queue the mail for the outbox, once per key.
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { TicketActivities } from '../activities';

import { MAIL, SCHEDULED as READ } from './activity-options';

// Each report is queued by its own activity, retried on its own (within MAIL's day) without holding up the others.
const { advancedCustomersForMonth, keepAdvancedTerms, sendLeadDigest } = proxyActivities<TicketActivities>(READ);
const { sendMonthlyReport } = proxyActivities<TicketActivities>(MAIL);

export interface ScheduledInput {
  /** The moment the run stands for (tests, or re-running a missed day); default: when the schedule fired. */
  asOf?: number;
}

/** A scheduled run stands for its scheduled time, even when it starts late (catch-up after an outage). */
function runAt(input: ScheduledInput): number {
  if (input.asOf !== undefined) return input.asOf;
  const scheduled = workflowInfo().searchAttributes?.TemporalScheduledStartTime?.[0];
  const at = scheduled instanceof Date ? scheduled.getTime() : typeof scheduled === 'string' ? Date.parse(scheduled) : NaN;
  return Number.isFinite(at) ? at : Date.now();
}

export async function monthlySlaReportsWorkflow(input: ScheduledInput = {}): Promise<{ month: string | null; sent: number; customers: number }> {
  const at = runAt(input);
  const customers = await advancedCustomersForMonth.executeWithOptions(
    { ...READ, summary: 'Advanced customers of the previous month' },
    [{ at }],
  );
  let sent = 0;
  // One after the other: a month's reports are few, and each is its own retried activity.
  for (const c of customers) {
    const r = await sendMonthlyReport.executeWithOptions(
      { ...MAIL, summary: `SLA report ${c.month} to ${c.name}` },
      [{ customerId: c.customerId, at }],
    );
    if (r.sent) sent++;
  }
  log.info('monthly SLA reports done', { customers: customers.length, sent });
  return { month: customers[0]?.month ?? null, sent, customers: customers.length };
}

export async function advancedTermsWorkflow(input: ScheduledInput = {}): Promise<{ reminded: string[]; endedToStandard: string[] }> {
  return keepAdvancedTerms.executeWithOptions(
    { ...READ, summary: 'term reminders and ends of Advanced terms' },
    [{ at: runAt(input) }],
  );
}

export async function leadDigestWorkflow(input: ScheduledInput = {}): Promise<{ sent: boolean; breached: number; atRisk: number }> {
  return sendLeadDigest.executeWithOptions(
    { ...READ, summary: "the support lead's daily digest" },
    [{ at: runAt(input) }],
  );
}
