// All of the ticket workflow's I/O: the ticket record in Postgres and the e-mails.
import { Op, type Sequelize } from 'sequelize';
import { log } from '@temporalio/activity';
import { NotificationRow, Ticket, TicketEventRow } from '../db/models';
import type { Notification } from '../domain/notifications';
import { dueAt } from '../domain/sla-clock';
import type { Mailer } from '../mail/mailer';
import { renderNotification } from '../mail/templates';
import type { RecordInput } from './types';

export interface ActivityDeps {
  sequelize: Sequelize;
  mailer: Mailer;
  supportLeadEmail: string;
  /** Builds the link to a ticket in mails, e.g. http://localhost:3000/api/tickets/<id>. */
  ticketUrl?: (ticketId: string) => string;
  mailDomain?: string;
}

const runningDue = (c: { runningSince: number | null } & Parameters<typeof dueAt>[0]) => (c.runningSince !== null ? dueAt(c) : null);
const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

export function createActivities(deps: ActivityDeps) {
  const { sequelize, mailer } = deps;
  const mailDomain = deps.mailDomain ?? 'lastcall.example';

  /** Append the events and move the ticket row to the snapshot; safe to retry. */
  async function recordTicket({ ticketId, events, snapshot }: RecordInput): Promise<void> {
    await sequelize.transaction(async (transaction) => {
      if (events.length) {
        await TicketEventRow.bulkCreate(
          events.map((e) => ({ ticketId, seq: e.seq, type: e.type, actor: e.actor, at: new Date(e.at), data: e.data })),
          { transaction, ignoreDuplicates: true },
        );
      }
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
    });
  }

  /**
   * Send one notification once: the send log is keyed by ticket, event and kind. The row is claimed
   * before the SMTP call and marked sent after it, so an activity retry after a successful send
   * does not send again; a failed send releases the claim for the retry.
   */
  async function notify(n: Notification): Promise<{ sent: boolean; to?: string }> {
    const previous = await NotificationRow.findByPk(n.key);
    if (previous?.state === 'sent') return { sent: false, to: previous.recipient };
    const row = await Ticket.findByPk(n.ticketId);
    if (!row) throw new Error(`ticket ${n.ticketId} for notification ${n.key} not found`);
    const to =
      n.audience === 'requester'
        ? row.requesterEmail
        : n.audience === 'assignee_or_lead'
          ? (row.assignee?.email ?? deps.supportLeadEmail)
          : deps.supportLeadEmail;
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
        ticketUrl: deps.ticketUrl?.(row.id),
      },
      n.event,
    );
    // A stable Message-ID lets replies thread back to the ticket.
    const messageId = `<ticket-${number}.${n.event.seq}.${n.kind}@${mailDomain}>`;
    if (!previous) {
      await NotificationRow.create({ key: n.key, ticketId: row.id, kind: n.kind, recipient: to, subject: mail.subject, messageId, sentAt: null });
    }
    try {
      // The end user a ticket names (Advanced) hears what its requester hears.
      const cc = n.audience === 'requester' && row.endUser ? row.endUser.email : undefined;
      await mailer.send({ to, cc, subject: mail.subject, text: mail.text, messageId, headers: { 'X-Ticket-Number': String(number) } });
    } catch (err) {
      await NotificationRow.destroy({ where: { key: n.key, state: 'sending' } });
      throw err;
    }
    await NotificationRow.update({ state: 'sent', sentAt: new Date() }, { where: { key: n.key } });
    log.info('notification sent', { key: n.key, to, kind: n.kind });
    return { sent: true, to };
  }

  return { recordTicket, notify };
}

export type TicketActivities = ReturnType<typeof createActivities>;
