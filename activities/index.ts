// All of the ticket workflow's I/O: the ticket record in Postgres and the e-mails.
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { log } from '@temporalio/activity';
import { Ticket } from '../db/models';
import { countRecordedEvents, type RecordedEvent } from '../observability/metrics';
import { createSessionActivities } from './sessions';
import { createScheduledActivities } from './scheduled';
import { DEFAULT_TIMEZONE } from '../domain/entitlements';
import { createTicketMail, type TicketMailDeps } from './ticket-mail';
import type { Notification } from '../domain/notifications';
import { dueAt } from '../domain/sla-clock';
import { DEFAULT_MAIL_DOMAIN, type Mailer } from '../mail/mailer';
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
  /** Told when a record queued e-mails in the mail outbox (the sender starts on them at once). */
  mailQueued?: () => void;
}

const runningDue = (c: { runningSince: number | null } & Parameters<typeof dueAt>[0]) => (c.runningSince !== null ? dueAt(c) : null);
const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

/** Who ticket e-mails go to and how they are named, for the notify activity and the mail outbox's sender alike. */
export function ticketMailDeps(deps: ActivityDeps): TicketMailDeps {
  return {
    mailer: deps.mailer,
    boxes: { supportLeadEmail: deps.supportLeadEmail, supportManagerEmail: deps.supportManagerEmail ?? deps.supportLeadEmail },
    mailDomain: deps.mailDomain ?? DEFAULT_MAIL_DOMAIN,
    ticketUrl: deps.ticketUrl,
  };
}

export function createActivities(deps: ActivityDeps) {
  const { sequelize, mailer } = deps;
  const { mailDomain, boxes } = ticketMailDeps(deps);

  /**
   * Append the events, queue the e-mails they call for, and move the ticket row to the snapshot, in
   * one transaction; safe to retry.
   */
  async function recordTicket({ ticketId, events, snapshot, notifications = [] }: RecordInput): Promise<void> {
    const recorded = await sequelize.transaction(async (transaction) => {
      // Only the rows this attempt inserted come back: a retried attempt counts nothing twice.
      const inserted = events.length
        ? await sequelize.query<RecordedEvent & { seq: number }>(
            `INSERT INTO ticket_events (ticket_id, seq, type, actor, at, data, recorded_at)
             SELECT CAST(:ticketId AS uuid), e.seq, e.type, e.actor, e.at, e.data, now()
               FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS e(seq integer, type text, actor text, at timestamptz, data jsonb)
              ORDER BY e.seq
             ON CONFLICT (ticket_id, seq) DO NOTHING
             RETURNING seq, type, data`,
            {
              replacements: { ticketId, events: JSON.stringify(events.map((e) => ({ seq: e.seq, type: e.type, actor: e.actor, at: new Date(e.at).toISOString(), data: e.data ?? {} }))) },
              type: QueryTypes.SELECT,
              transaction,
            },
          )
        : [];
      // E-mails only for the events this attempt inserted: an earlier attempt that committed the
      // events queued their e-mails with them (and the sender may have sent and deleted them since).
      const newSeqs = new Set(inserted.map((e) => Number(e.seq)));
      const queue = notifications.filter((n) => newSeqs.has(n.event.seq));
      if (queue.length) {
        await sequelize.query(
          `INSERT INTO mail_outbox (key, ticket_id, notification)
           SELECT n.key, CAST(:ticketId AS uuid), n.notification FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS n(key text, notification jsonb)
           ON CONFLICT (key) DO NOTHING`,
          { replacements: { ticketId, rows: JSON.stringify(queue.map((n) => ({ key: n.key, notification: n }))) }, transaction },
        );
      }
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
      return ticket ? { ticket, inserted, queued: queue.length } : null;
    });
    // Counted once committed: a rolled-back attempt inserts (and counts) again on its retry.
    if (!recorded) return;
    const { ticket, inserted, queued } = recorded;
    if (queued) deps.mailQueued?.();
    countRecordedEvents(ticket, inserted);
    for (const e of inserted) {
      if (e.type === 'sla_breached' || e.type === 'sla_escalated') {
        log.warn(e.type === 'sla_breached' ? 'SLA target breached' : 'SLA breach escalated', { ticketNumber: Number(ticket.number), clock: e.data?.clock, level: e.data?.level });
      }
    }
  }

  const sendTicketMail = createTicketMail(ticketMailDeps(deps));

  /** Send one notification once: tickets begun before the mail outbox still call this. */
  async function notify(n: Notification): Promise<{ sent: boolean; to?: string }> {
    const { number, ...result } = await sendTicketMail(n);
    if (result.sent) log.info('notification sent', { ticketNumber: number, key: n.key, to: result.to, kind: n.kind });
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
