// The I/O of the scheduled work (workflows/scheduled.ts): monthly SLA reports to Advanced
// customers, Advanced terms (reminders, the fall back to Standard), the lead's daily digest.
// Every e-mail is rendered here and queued in the mail outbox (mail/prepared-mail.ts) under a key
// of what it is about, which the outbox sends through the send log: a schedule that runs twice, or
// an activity retried, never sends it twice. `sent` in the answers means "owed now, queued".
import { Op, QueryTypes, UniqueConstraintError, type Sequelize } from 'sequelize';
import { log } from '@temporalio/activity';
import { stringify } from 'csv-stringify/sync';
import { AuditEntry, Customer, Subscription, User } from '../db/models';
import { requesterState, type Term } from '../domain/entitlements';
import { digestDays, previousMonth } from '../domain/sla-report';
import { TERM_END_LOOKBACK_MS, endedToStandard, reminderDue, successorOf } from '../domain/terms';
import { queueMail } from '../mail/prepared-mail';
import { leadDigestMail, monthlyReportMail, switchedToStandardMail, termReminderMail, type DigestTicket } from '../mail/scheduled-mail';
import { reportCsvRecords, slaReport } from '../services/reports';
import { leadRecipients, type Mailboxes } from './recipients';
import type { LoggedMail } from '../mail/send-log';

export interface ScheduledDeps {
  sequelize: Sequelize;
  boxes: Mailboxes;
  mailDomain: string;
  publicUrl?: string;
  /** Staff read the digest in this zone. */
  staffTimezone: string;
  /** An e-mail was queued (the outbox in this process sends it now). */
  mailQueued?: () => void;
}

/** The customer's requesters as mail sees them: the primary one first. */
async function customerMailbox(customerId: string) {
  const requesters = await User.findAll({ where: { customerId, role: 'requester', enabled: true }, order: [['isPrimary', 'DESC'], ['createdAt', 'ASC']] });
  if (!requesters.length) return null;
  const [first, ...rest] = requesters;
  return {
    to: first.email,
    cc: rest.length ? rest.map((r) => r.email).join(', ') : undefined,
    suspendedOnStandard: requesters.filter((r) => requesterState(r, 'standard') === 'suspended_by_plan').map((r) => r.email),
  };
}

export function createScheduledActivities(d: ScheduledDeps) {
  const { sequelize } = d;

  /** Queues one e-mail; `sent` when it is owed now (not queued or sent before under its key). */
  async function send(m: LoggedMail): Promise<{ sent: boolean; to: string }> {
    const sent = await queueMail(sequelize, m);
    if (sent) d.mailQueued?.();
    return { sent, to: m.to };
  }

  /** Customers that had Advanced at some point of the month before `at` (in their own time zone). */
  async function advancedCustomersForMonth({ at }: { at: number }): Promise<{ customerId: string; name: string; month: string }[]> {
    const subs = await Subscription.findAll({ where: { endsAt: { [Op.gt]: new Date(at - 62 * 86_400_000) } } });
    const ids = [...new Set(subs.map((s) => s.customerId))];
    const customers = ids.length ? await Customer.findAll({ where: { id: ids }, order: [['name', 'ASC']] }) : [];
    return customers.flatMap((c) => {
      const month = previousMonth(at, c.timezone);
      const had = subs.some((s) => s.customerId === c.id && s.startsAt < month.to && s.endsAt > month.from && s.endsAt > s.startsAt);
      return had ? [{ customerId: c.id, name: c.name, month: month.label }] : [];
    });
  }

  async function sendMonthlyReport({ customerId, at }: { customerId: string; at: number }): Promise<{ sent: boolean; to: string | null }> {
    const customer = await Customer.findByPk(customerId);
    if (!customer) return { sent: false, to: null };
    const period = previousMonth(at, customer.timezone);
    const box = await customerMailbox(customerId);
    if (!box) {
      log.warn('monthly report not sent: the customer has no enabled requester', { customerId, month: period.label });
      return { sent: false, to: null };
    }
    const report = await slaReport(sequelize, period, 'impact', { customerId });
    const breaches = await sequelize.query<{ number: string; subject: string; clocks: string[] }>(
      `SELECT t.number, t.subject, array_agg(DISTINCT e.data->>'clock' ORDER BY e.data->>'clock') AS clocks
       FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id AND e.type = 'sla_breached'
       WHERE t.customer_id = :customerId AND t.received_at >= :from AND t.received_at < :to
       GROUP BY t.number, t.subject ORDER BY t.number`,
      { replacements: { customerId, from: period.from, to: period.to }, type: QueryTypes.SELECT },
    );
    const mail = monthlyReportMail({
      customerName: customer.name,
      month: period.label,
      report,
      breaches: breaches.map((b) => ({ number: Number(b.number), subject: b.subject, clocks: b.clocks })),
      reportUrl: d.publicUrl ? `${d.publicUrl}/reports?month=${period.label}` : undefined,
    });
    return send({
      key: `monthly-report:${customerId}:${period.label}`,
      ticketId: null,
      kind: 'monthly_report',
      to: box.to,
      cc: box.cc,
      ...mail,
      messageId: `<report-${period.label}.${customerId}@${d.mailDomain}>`,
      attachments: [{ filename: `sla-report-${period.label}.csv`, content: stringify(reportCsvRecords(report)), contentType: 'text/csv' }],
      headers: { 'X-Report-Month': period.label },
    });
  }

  /** Reminders before a term ends unrenewed, and the fall back to Standard once it has ended. */
  async function keepAdvancedTerms({ at }: { at: number }): Promise<{ reminded: string[]; endedToStandard: string[] }> {
    const recent = await Subscription.findAll({ where: { endsAt: { [Op.gt]: new Date(at - TERM_END_LOOKBACK_MS) } }, attributes: ['customerId'] });
    const customerIds = [...new Set(recent.map((s) => s.customerId))];
    const all = customerIds.length ? await Subscription.findAll({ where: { customerId: customerIds }, order: [['startsAt', 'ASC']] }) : [];
    const reminded: string[] = [];
    const ended: string[] = [];
    for (const customerId of customerIds) {
      const subs = all.filter((s) => s.customerId === customerId);
      const customer = await Customer.findByPk(customerId);
      if (!customer) continue;
      // Read once per customer, and only when one of its terms has something to say.
      let cached: Awaited<ReturnType<typeof customerMailbox>> | undefined;
      const mailbox = async () => (cached === undefined ? (cached = await customerMailbox(customerId)) : cached);
      for (const s of subs) {
        if (reminderDue(s, subs, at)) {
          const box = await mailbox();
          if (!box) continue;
          const mail = termReminderMail({ customerName: customer.name, term: s.term as Term, endsAt: s.termEndsAt, timezone: customer.timezone, cancelled: s.cancelMode === 'end_of_term', suspended: box.suspendedOnStandard });
          const r = await send({ key: `term-reminder:${s.id}`, ticketId: null, kind: 'term_reminder', to: box.to, cc: box.cc, ...mail, messageId: `<term-reminder.${s.id}@${d.mailDomain}>` });
          if (r.sent) reminded.push(s.id);
        }
        if (endedToStandard(s, subs, at) && !successorOf(s, subs)) {
          const box = await mailbox();
          try {
            // Recorded once (a unique index backs this up), at the moment the term ended.
            await AuditEntry.create({
              at: s.endsAt,
              actor: 'system:advanced-terms',
              actorUserId: null,
              action: 'subscription.ended_to_standard',
              targetType: 'subscription',
              targetId: s.id,
              data: { customerId, term: s.term, cancelMode: s.cancelMode, suspendedRequesters: box?.suspendedOnStandard ?? [], recordedAt: new Date(at).toISOString() },
            });
          } catch (err) {
            if (!(err instanceof UniqueConstraintError)) throw err;
          }
          if (!box) continue;
          const mail = switchedToStandardMail({ customerName: customer.name, endedAt: s.endsAt, timezone: customer.timezone, suspended: box.suspendedOnStandard });
          const r = await send({ key: `term-ended:${s.id}`, ticketId: null, kind: 'plan_switched', to: box.to, cc: box.cc, ...mail, messageId: `<term-ended.${s.id}@${d.mailDomain}>` });
          if (r.sent) ended.push(s.id);
        }
      }
    }
    return { reminded, endedToStandard: ended };
  }

  /** What breached yesterday and what falls due today, in the staff's time zone. */
  async function sendLeadDigest({ at }: { at: number }): Promise<{ sent: boolean; breached: number; atRisk: number }> {
    const { yesterday, today } = digestDays(at, d.staffTimezone);
    const rows = (sql: string, replacements: Record<string, unknown>) => sequelize.query<Record<string, any>>(sql, { replacements, type: QueryTypes.SELECT });
    const toDigest = (r: Record<string, any>): DigestTicket => ({
      number: Number(r.number), subject: r.subject, customer: r.customer, plan: r.plan, impact: r.impact, assignee: r.assignee ?? null, clock: r.clock, at: new Date(r.at),
    });
    const breached = (
      await rows(
        `SELECT t.number, t.subject, c.name AS customer, t.plan, t.impact, t.assignee->>'email' AS assignee, e.data->>'clock' AS clock, e.at
         FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id JOIN customers c ON c.id = t.customer_id
         WHERE e.type = 'sla_breached' AND e.at >= :from AND e.at < :to ORDER BY e.at`,
        { from: yesterday.from, to: yesterday.to },
      )
    ).map(toDigest);
    const atRisk = (
      await rows(
        `SELECT t.number, t.subject, c.name AS customer, t.plan, t.impact, t.assignee->>'email' AS assignee,
                CASE WHEN t.next_due_at = t.response_due_at THEN 'response' ELSE 'resolution' END AS clock, t.next_due_at AS at
         FROM tickets t JOIN customers c ON c.id = t.customer_id
         WHERE t.status IN ('open', 'in_progress') AND NOT t.breached AND t.next_due_at < :to ORDER BY t.next_due_at`,
        { to: today.to },
      )
    ).map(toDigest);
    const mail = leadDigestMail({ day: today.label, timezone: d.staffTimezone, breached, atRisk, consoleUrl: d.publicUrl ? `${d.publicUrl}/console` : undefined });
    const who = await leadRecipients(d.boxes);
    const r = await send({ key: `lead-digest:${today.label}`, ticketId: null, kind: 'lead_digest', ...who, ...mail, messageId: `<digest-${today.label}@${d.mailDomain}>` });
    return { sent: r.sent, breached: breached.length, atRisk: atRisk.length };
  }

  return { advancedCustomersForMonth, sendMonthlyReport, keepAdvancedTerms, sendLeadDigest };
}

export type ScheduledActivities = ReturnType<typeof createScheduledActivities>;
