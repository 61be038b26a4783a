// All of the ticket workflow's I/O: the ticket record in Postgres and the e-mails.
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { log } from '@temporalio/activity';
import { NotificationRow, Ticket } from '../db/models';
import { countRecordedEvents, type RecordedEvent } from '../observability/metrics';
import { leadRecipients, managerRecipients } from './recipients';
import { createSessionActivities } from './sessions';
import { createScheduledActivities } from './scheduled';
import { DEFAULT_TIMEZONE } from '../domain/entitlements';
import { sendOnce } from './send-log';
import type { Notification } from '../domain/notifications';
import { dueAt } from '../domain/sla-clock';
import type { Mailer } from '../mail/mailer';
import { renderNotification } from '../mail/templates';
import type { RecordInput } from './types';
import { findAssignee } from '../services/assignees';

export interface ActivityDeps {
  sequelize: Sequelize;
  mailer: Mailer;
  supportLeadEmail: string;
  supportManagerEmail?: string;
  /** Builds the link to a ticket in mails, e.g. http://localhost:3000/tickets/<id> (its page). */
  ticketUrl?: (ticketId: string) => string;
  mailDomain?: string;
  /** Where links in scheduled mail point (reports, the console). */
  publicUrl?: string;
  /** The support team's time zone (the lead's digest). */
  staffTimezone?: string;
}

const runningDue = (c: { runningSince: number | null } & Parameters<typeof dueAt>[0]) => (c.runningSince !== null ? dueAt(c) : null);
const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

export function createActivities(deps: ActivityDeps) {
  const { sequelize, mailer } = deps;
  const mailDomain = deps.mailDomain ?? 'lastcall.example';
  const boxes = { supportLeadEmail: deps.supportLeadEmail, supportManagerEmail: deps.supportManagerEmail ?? deps.supportLeadEmail };

  /** Append the events and move the ticket row to the snapshot; safe to retry. */
  async function recordTicket({ ticketId, events, snapshot }: RecordInput): Promise<void> {
    const recorded = await sequelize.transaction(async (transaction) => {
      // Only the rows this attempt inserted come back: a retried attempt counts nothing twice.
      const inserted = events.length
        ? await sequelize.query<RecordedEvent>(
            `INSERT INTO ticket_events (ticket_id, seq, type, actor, at, data, recorded_at)
             SELECT CAST(:ticketId AS uuid), e.seq, e.type, e.actor, e.at, e.data, now()
               FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS e(seq integer, type text, actor text, at timestamptz, data jsonb)
              ORDER BY e.seq
             ON CONFLICT (ticket_id, seq) DO NOTHING
             RETURNING type, data`,
            {
              replacements: { ticketId, events: JSON.stringify(events.map((e) => ({ seq: e.seq, type: e.type, actor: e.actor, at: new Date(e.at).toISOString(), data: e.data ?? {} }))) },
              type: QueryTypes.SELECT,
              transaction,
            },
          )
        : [];
      const ticket = inserted.length ? await Ticket.findByPk(ticketId, { attributes: ['number', 'plan', 'impact'], transaction }) : null;
      const responseDue = runningDue(snapshot.response);
      const resolutionDue = runningDue(snapshot.resolution);
      const dues = [responseDue, resolutionDue].filter((d): d is number => d !== null);
      // Only move forward: a retried older snapshot must not overwrite a newer one.
      await Ticket.update(
        {
          status: snapshot.status,
          assignee: snapshot.assignee,
          respondedVia: snapshot.respondedVia,
          clocks: { response: snapshot.response, resolution: snapshot.resolution },
          breached: snapshot.breached,
          responseDueAt: toDate(dueAt(snapshot.response)),
          resolutionDueAt: toDate(dueAt(snapshot.resolution)),
          nextDueAt: dues.length ? new Date(Math.min(...dues)) : null,
          resolvedAt: toDate(snapshot.resolvedAt),
          closedAt: toDate(snapshot.closedAt),
          snapshotVersion: snapshot.version,
        },
        { where: { id: ticketId, snapshotVersion: { [Op.lt]: snapshot.version } }, transaction },
      );
      return ticket ? { ticket, inserted } : null;
    });
    // Counted once committed: a rolled-back attempt inserts (and counts) again on its retry.
    if (!recorded) return;
    const { ticket, inserted } = recorded;
    countRecordedEvents(ticket, inserted);
    for (const e of inserted) {
      if (e.type === 'sla_breached' || e.type === 'sla_escalated') {
        log.warn(e.type === 'sla_breached' ? 'SLA target breached' : 'SLA breach escalated', { ticketNumber: Number(ticket.number), clock: e.data?.clock, level: e.data?.level });
      }
    }
  }

  /** Send one notification once (the send log is keyed by ticket, event and kind). */
  async function notify(n: Notification): Promise<{ sent: boolean; to?: string }> {
    const previous = await NotificationRow.findByPk(n.key);
    if (previous?.state === 'sent') return { sent: false, to: previous.recipient };
    const row = await Ticket.findByPk(n.ticketId);
    if (!row) throw new Error(`ticket ${n.ticketId} for notification ${n.key} not found`);
    const who =
      n.audience === 'requester'
        ? // The end user a ticket names (Advanced) hears what its requester hears.
          { to: row.requesterEmail, cc: row.endUser?.email }
        : n.audience === 'assignee_or_lead'
          ? row.assignee
            ? { to: row.assignee.email }
            : await leadRecipients(boxes)
          : n.audience === 'lead'
            ? await leadRecipients(boxes)
            : managerRecipients(boxes);
    const number = Number(row.number);
    const mail = renderNotification(
      n.kind,
      {
        number,
        subject: row.subject,
        plan: row.plan,
        impact: row.impact,
        requesterName: row.requesterName,
        responseDueAt: row.responseDueAt,
        resolutionDueAt: row.resolutionDueAt,
        assignee: row.assignee?.email ?? null,
        ticketUrl: deps.ticketUrl?.(row.id),
      },
      n.event,
    );
    // A stable Message-ID lets replies thread back to the ticket.
    const messageId = `<ticket-${number}.${n.event.seq}.${n.kind}@${mailDomain}>`;
    const result = await sendOnce(mailer, {
      key: n.key,
      ticketId: row.id,
      kind: n.kind,
      ...who,
      subject: mail.subject,
      text: mail.text,
      messageId,
      // A ticket written by e-mail gets its answers in the customer's own thread.
      ...(row.sourceMessageId ? { inReplyTo: row.sourceMessageId, references: [row.sourceMessageId] } : {}),
      headers: { 'X-Ticket-Number': String(number) },
    });
    if (result.sent) log.info('notification sent', { ticketNumber: number, key: n.key, to: who.to, kind: n.kind });
    return result;
  }

  return {
    recordTicket,
    notify,
    // An ops signal names its assignee; the directory decides, as it does for the API's assign step.
    findAssignee,
    ...createSessionActivities({ mailer, boxes, mailDomain }),
    ...createScheduledActivities({ sequelize, mailer, boxes, mailDomain, publicUrl: deps.publicUrl, staffTimezone: deps.staffTimezone ?? DEFAULT_TIMEZONE }),
  };
}

export type TicketActivities = ReturnType<typeof createActivities>;
