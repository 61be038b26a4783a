// The words of the scheduled e-mails: a customer's monthly SLA report, term reminders and the
// switch to Standard, the support lead's daily digest. Pure: facts in, message out.
import type { SlaReport, ReportRow } from '../domain/sla-report';
import type { RenderedMail } from './templates';

const pct = (p: number | null) => (p === null ? 'n/a (nothing decided yet)' : `${p.toFixed(1)} %`);
const hours = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 3_600_000).toFixed(1)} h`);
const day = (d: Date, tz: string) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: tz }).format(d);

function rowLine(r: ReportRow): string {
  return `  ${r.label.padEnd(10)} received ${r.received}; response ${r.response.met} met / ${r.response.breached} breached (${pct(r.response.compliancePct)}); resolution ${r.resolution.met} met / ${r.resolution.breached} breached (${pct(r.resolution.compliancePct)})`;
}

export function monthlyReportMail(o: { customerName: string; month: string; report: SlaReport; breaches: { number: number; subject: string; clocks: string[] }[]; reportUrl?: string }): RenderedMail {
  const t = o.report.totals;
  const lines = [
    `Hello ${o.customerName},`,
    '',
    `Here is how Last Call kept its support promises to you in ${o.month} (${o.report.period.timezone}).`,
    '',
    `Tickets received: ${t.received}`,
    `First response on time: ${t.response.met} of ${t.response.met + t.response.breached} decided (${pct(t.response.compliancePct)}); median ${hours(t.response.medianMs)}, 90th percentile ${hours(t.response.p90Ms)}`,
    `Resolved on time: ${t.resolution.met} of ${t.resolution.met + t.resolution.breached} decided (${pct(t.resolution.compliancePct)}); median ${hours(t.resolution.medianMs)}, 90th percentile ${hours(t.resolution.p90Ms)}`,
    // Only where the policy keeps the clock (or kept it this month): otherwise nothing to say.
    ...(t.nextReply.met + t.nextReply.breached + t.nextReply.running > 0
      ? [`Later answers on time: ${t.nextReply.met} of ${t.nextReply.met + t.nextReply.breached} decided (${pct(t.nextReply.compliancePct)})`]
      : []),
    `Overall compliance: ${pct(t.compliancePct)}`,
    `Time waiting on your answers: ${hours(t.waitingOnCustomerMs)}`,
    `Still open: ${t.openNow}`,
    '',
    'By impact:',
    ...o.report.groups.map(rowLine),
    '',
    o.breaches.length ? 'Where we missed a target:' : 'We missed no target this month.',
    ...o.breaches.map((b) => `  #${b.number} ${b.subject} (${b.clocks.join(' and ')})`),
    '',
    'The figures are attached as a CSV file.',
    ...(o.reportUrl ? [`The report with charts: ${o.reportUrl}`] : []),
    '',
    '--',
    'Last Call Support · Advanced plan',
  ];
  return { subject: `Your SLA report for ${o.month}: ${pct(t.compliancePct)} of targets met`, text: lines.join('\n') };
}

export function termReminderMail(o: { customerName: string; term: string; endsAt: Date; timezone: string; cancelled: boolean; suspended: string[] }): RenderedMail {
  const ends = day(o.endsAt, o.timezone);
  const lines = [
    `Hello ${o.customerName},`,
    '',
    o.cancelled
      ? `As you asked, your Advanced support plan (${o.term} term) ends on ${ends}.`
      : `Your Advanced support plan (${o.term} term) ends on ${ends} and has not been renewed.`,
    '',
    'Unless it is renewed by then, support continues on the Standard plan: e-mail only, at most 3 tickets a month, one requester,',
    'problems and queries only, no specialist sessions or brand-engineer meetings, and longer response and resolution times.',
    ...(o.suspended.length ? ['', `These requesters will be suspended until Advanced is back: ${o.suspended.join(', ')}.`] : []),
    '',
    'To renew, answer this e-mail or contact your account manager.',
    '',
    '--',
    'Last Call Support',
  ];
  return { subject: `Your Advanced support plan ends on ${ends}`, text: lines.join('\n') };
}

export function switchedToStandardMail(o: { customerName: string; endedAt: Date; timezone: string; suspended: string[] }): RenderedMail {
  const lines = [
    `Hello ${o.customerName},`,
    '',
    `Your Advanced support plan ended on ${day(o.endedAt, o.timezone)}. Support continues on the Standard plan from then on:`,
    'e-mail only, at most 3 tickets a month, one requester, problems and queries only.',
    'Tickets already open keep the targets they were received with.',
    ...(o.suspended.length ? ['', `Suspended until Advanced is back: ${o.suspended.join(', ')}.`] : []),
    '',
    'To come back to Advanced, answer this e-mail or contact your account manager.',
    '',
    '--',
    'Last Call Support',
  ];
  return { subject: 'Your support plan is now Standard', text: lines.join('\n') };
}

export interface DigestTicket {
  number: number;
  subject: string;
  customer: string;
  plan: string;
  impact: string;
  assignee: string | null;
  /** Breached: which clock and when; at risk: which clock is due when. */
  clock: string;
  at: Date;
}

export function leadDigestMail(o: { day: string; timezone: string; breached: DigestTicket[]; atRisk: DigestTicket[]; consoleUrl?: string }): RenderedMail {
  const line = (x: DigestTicket, verb: string) =>
    `  #${x.number} [${x.plan} ${x.impact}] ${x.subject} (${x.customer}) · ${x.clock} ${verb} ${day(x.at, o.timezone)} · ${x.assignee ?? 'unassigned'}`;
  const lines = [
    `Support digest for ${o.day} (${o.timezone})`,
    '',
    `Breached yesterday: ${o.breached.length}`,
    ...o.breached.map((x) => line(x, 'breached')),
    '',
    `At risk today (due before midnight, not breached yet): ${o.atRisk.length}`,
    ...o.atRisk.map((x) => line(x, 'due')),
    ...(o.consoleUrl ? ['', `The queue: ${o.consoleUrl}`] : []),
  ];
  return { subject: `Support digest ${o.day}: ${o.breached.length} breached yesterday, ${o.atRisk.length} at risk today`, text: lines.join('\n') };
}
