// All of the ticket workflow's I/O: the ticket record in Postgres and the e-mails.
import type { Sequelize } from 'sequelize';
import { log } from '@temporalio/activity';
import { countRecordedEvents, ticketRecordFailures } from '../observability/metrics';
import { createSessionActivities } from './sessions';
import { createScheduledActivities } from './scheduled';
import { DEFAULT_TIMEZONE } from '../domain/entitlements';
import type { TicketMailDeps } from './ticket-mail';
import { DEFAULT_MAIL_DOMAIN, type Mailer } from '../mail/mailer';
import type { RecordInput } from './types';
import { writeTicketRecord } from './ticket-record';
import { findActor, findAssignee } from '../services/assignees';
import { clearStuck, markStuck, type StuckMark } from '../services/stuck-records';
import { withFailureTypes } from './failures';
import { windowsFor, type BusinessCalendar } from '../domain/business-calendar';
import { proposedStart } from '../domain/sessions';
import type { WindowsNeeded } from '../domain/ticket-lifecycle';

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
  /** Told when a record or an activity queued e-mails in the mail outbox (the sender starts on them at once). */
  mailQueued?: () => void;
}

/** Who ticket e-mails go to and how they are named, for the mail outbox's sender. */
export function ticketMailDeps(deps: ActivityDeps): TicketMailDeps {
  return {
    mailer: deps.mailer,
    boxes: { supportLeadEmail: deps.supportLeadEmail, supportManagerEmail: deps.supportManagerEmail ?? deps.supportLeadEmail },
    mailDomain: deps.mailDomain ?? DEFAULT_MAIL_DOMAIN,
    ticketUrl: deps.ticketUrl,
  };
}

export function createActivities(deps: ActivityDeps) {
  const { sequelize } = deps;
  const { mailDomain, boxes } = ticketMailDeps(deps);

  /**
   * Append the events, queue the e-mails they call for, and move the ticket row to the snapshot, in
   * one statement (activities/ticket-record.ts); safe to retry, and after a lost workflow task.
   */
  async function recordTicket(input: RecordInput): Promise<void> {
    const { decidedIn } = input;
    const recorded = await writeTicketRecord(sequelize, input);
    if (recorded.length === 0) return;
    const ticket = { number: recorded[0].number, plan: recorded[0].plan, impact: recorded[0].impact };
    if (recorded[0].queued > 0) deps.mailQueued?.();
    if (recorded.some((e) => e.replaced)) {
      log.warn('record replaced what an abandoned attempt of a workflow task wrote', { ticketNumber: Number(ticket.number), decidedIn, seqs: recorded.filter((e) => e.replaced).map((e) => e.seq) });
    }
    // An event recorded again in other words (its time, its lateness) was counted the first time.
    const fresh = recorded.filter((e) => !e.again);
    countRecordedEvents(ticket, fresh);
    for (const e of fresh) {
      if (e.type === 'sla_breached' || e.type === 'sla_escalated') {
        log.warn(e.type === 'sla_breached' ? 'SLA target breached' : 'SLA breach escalated', { ticketNumber: Number(ticket.number), clock: e.data?.clock, level: e.data?.level });
      }
    }
  }

  /**
   * The ticket's record failed for good: say so where the ticket's own rows are not needed (they may
   * be what fails), and tell the lead through the mail outbox, on the first mark of an episode.
   */
  async function markRecordStuck(m: StuckMark): Promise<void> {
    const { marked, queued } = await markStuck(sequelize, m);
    if (queued) deps.mailQueued?.();
    if (marked) ticketRecordFailures.inc({ type: m.type });
    log.error('ticket record stuck: its workflow keeps what it could not write until a lead retries it', { ticketId: m.ticketId, type: m.type, reason: m.reason, records: m.records });
  }

  async function clearRecordStuck({ ticketId }: { ticketId: string }): Promise<void> {
    if (await clearStuck(sequelize, ticketId)) log.info('ticket record no longer stuck', { ticketId });
  }

  // Every failure no retry can mend is non-retryable, under a stable type (activities/failures.ts).
  return withFailureTypes({
    recordTicket,
    markRecordStuck,
    clearRecordStuck,
    // The calendar's working time a ticket's clocks record (domain/working-windows.ts): computed here,
    // with this Node's time-zone rules, once; a replay reads the answer from the history.
    async workingWindows({ calendar, from, workingMs, until }: WindowsNeeded) {
      return windowsFor(calendar, from, workingMs, until);
    },
    // When a session is proposed on a calendar: its next opening, decided once, likewise.
    async proposedStart({ now, leadTimeMs, preferred, calendar }: { now: number; leadTimeMs: number; preferred: number | null; calendar: BusinessCalendar }) {
      return proposedStart(now, leadTimeMs, preferred, calendar);
    },
    // An ops signal names its assignee; the directory decides, as it does for the API's assign step.
    findAssignee,
    // And whoever sends it must be a member of staff allowed to do it.
    findActor,
    ...createSessionActivities({ sequelize, boxes, mailDomain, mailQueued: deps.mailQueued }),
    ...createScheduledActivities({ sequelize, boxes, mailDomain, publicUrl: deps.publicUrl, staffTimezone: deps.staffTimezone ?? DEFAULT_TIMEZONE, mailQueued: deps.mailQueued }),
  });
}

export type TicketActivities = ReturnType<typeof createActivities>;
