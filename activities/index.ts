// All of the ticket workflow's I/O: the ticket record in Postgres and the e-mails.
import { QueryTypes, type Sequelize } from 'sequelize';
import { log } from '@temporalio/activity';
import { countRecordedEvents, ticketRecordFailures, type RecordedEvent } from '../observability/metrics';
import { createSessionActivities } from './sessions';
import { createScheduledActivities } from './scheduled';
import { DEFAULT_TIMEZONE } from '../domain/entitlements';
import type { TicketMailDeps } from './ticket-mail';
import { dueAt } from '../domain/sla-clock';
import { DEFAULT_MAIL_DOMAIN, type Mailer } from '../mail/mailer';
import type { RecordInput } from './types';
import { findActor, findAssignee } from '../services/assignees';
import { clearStuck, markStuck, type StuckMark } from '../services/stuck-records';
import { withFailureTypes } from './failures';

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
  const { sequelize, mailer } = deps;
  const { mailDomain, boxes } = ticketMailDeps(deps);

  /**
   * Append the events, queue the e-mails they call for, and move the ticket row to the snapshot, in
   * one statement (one round trip, atomic like a transaction); safe to retry.
   *
   * A record from a later workflow task (decidedIn) replaces events an abandoned attempt of an
   * earlier task wrote under the same numbers, and drops those it wrote beyond this snapshot: that
   * attempt never reached the workflow's history (see migration 009). What it replaced is archived,
   * and its e-mails still waiting in the outbox are withdrawn.
   */
  async function recordTicket({ ticketId, events, snapshot, notifications, decidedIn }: RecordInput): Promise<void> {
    const responseDue = runningDue(snapshot.response);
    const resolutionDue = runningDue(snapshot.resolution);
    const dues = [responseDue, resolutionDue].filter((d): d is number => d !== null);
    const iso = (ms: number | null) => toDate(ms)?.toISOString() ?? null;
    const row = {
      version: snapshot.version,
      status: snapshot.status,
      assignee: snapshot.assignee,
      respondedVia: snapshot.respondedVia,
      clocks: { response: snapshot.response, resolution: snapshot.resolution },
      breached: snapshot.breached,
      responseDueAt: iso(dueAt(snapshot.response)),
      resolutionDueAt: iso(dueAt(snapshot.resolution)),
      nextDueAt: iso(dues.length ? Math.min(...dues) : null),
      resolvedAt: iso(snapshot.resolvedAt),
      closedAt: iso(snapshot.closedAt),
    };
    // Only the events this attempt inserted (or replaced with something else) come back, and only
    // their e-mails are queued: an earlier attempt that committed the events queued their e-mails
    // with them (the sender may have sent and deleted them since), and a retried attempt counts
    // nothing twice. The row only moves forward, by (deciding task, version): a retried older
    // snapshot must not overwrite a newer one; the same pair again is the same snapshot or, from an
    // abandoned attempt's retry, the one that counts. All sub-statements read the tables as they were
    // before this statement (which is what `stale` and the counters need); `archived`, `dropped`,
    // `withdrawn` and `moved` run although nothing reads them, as every data-modifying WITH does.
    const recorded = await sequelize.query<RecordedEvent & { seq: number; number: string; plan: string; impact: string; queued: number; replaced: boolean; again: boolean }>(
      `WITH incoming AS (
         SELECT e.seq, e.type, e.actor, e.at, e.data
           FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS e(seq integer, type text, actor text, at timestamptz, data jsonb)
       ), stale AS (
         SELECT x.* FROM ticket_events x
          WHERE x.ticket_id = CAST(:ticketId AS uuid) AND CAST(:decidedIn AS integer) IS NOT NULL
            AND ((coalesce(x.decided_in, 0) <= CAST(:decidedIn AS integer)
                  AND EXISTS (SELECT 1 FROM incoming i WHERE i.seq = x.seq AND (i.type, i.actor, i.at, i.data) IS DISTINCT FROM (x.type, x.actor, x.at, x.data)))
              OR (coalesce(x.decided_in, 0) < CAST(:decidedIn AS integer) AND x.seq > CAST(:version AS integer)))
       ), archived AS (
         INSERT INTO ticket_events_superseded (ticket_id, seq, type, actor, at, data, recorded_at, decided_in, superseded_by)
         SELECT ticket_id, seq, type, actor, at, data, recorded_at, decided_in, CAST(:decidedIn AS integer) FROM stale
         RETURNING seq
       ), dropped AS (
         DELETE FROM ticket_events x USING stale s WHERE x.id = s.id AND x.seq > CAST(:version AS integer)
         RETURNING x.seq
       ), ins AS (
         INSERT INTO ticket_events AS x (ticket_id, seq, type, actor, at, data, recorded_at, decided_in)
         SELECT CAST(:ticketId AS uuid), i.seq, i.type, i.actor, i.at, i.data, now(), CAST(:decidedIn AS integer)
           FROM incoming i
          ORDER BY i.seq
         ON CONFLICT (ticket_id, seq) DO UPDATE
            SET type = excluded.type, actor = excluded.actor, at = excluded.at, data = excluded.data,
                recorded_at = excluded.recorded_at, decided_in = excluded.decided_in
          WHERE CAST(:decidedIn AS integer) IS NOT NULL AND coalesce(x.decided_in, 0) <= CAST(:decidedIn AS integer)
            AND (x.type, x.actor, x.at, x.data) IS DISTINCT FROM (excluded.type, excluded.actor, excluded.at, excluded.data)
         RETURNING x.seq, x.type, x.data
       ), mails AS (
         SELECT n.key, n.seq, n.notification
           FROM jsonb_to_recordset(CAST(:mails AS jsonb)) AS n(key text, seq integer, notification jsonb)
       ), withdrawn AS (
         DELETE FROM mail_outbox o USING stale s
          WHERE o.ticket_id = CAST(:ticketId AS uuid) AND split_part(o.key, ':', 2) = s.seq::text
            AND o.key NOT IN (SELECT key FROM mails)
         RETURNING o.key
       ), queued AS (
         INSERT INTO mail_outbox (key, ticket_id, notification)
         SELECT m.key, CAST(:ticketId AS uuid), m.notification FROM mails m
          WHERE m.seq IN (SELECT seq FROM ins)
         ON CONFLICT (key) DO NOTHING
         RETURNING key
       ), moved AS (
         UPDATE tickets t
            SET status = s->>'status', assignee = NULLIF(s->'assignee', 'null'::jsonb), responded_via = s->>'respondedVia',
                clocks = s->'clocks', breached = (s->>'breached')::boolean,
                response_due_at = (s->>'responseDueAt')::timestamptz, resolution_due_at = (s->>'resolutionDueAt')::timestamptz,
                next_due_at = (s->>'nextDueAt')::timestamptz, resolved_at = (s->>'resolvedAt')::timestamptz,
                closed_at = (s->>'closedAt')::timestamptz, snapshot_version = (s->>'version')::integer,
                snapshot_decided_in = coalesce(CAST(:decidedIn AS integer), t.snapshot_decided_in), updated_at = now()
           FROM (SELECT CAST(:snapshot AS jsonb) AS s) snap
          WHERE t.id = CAST(:ticketId AS uuid)
            AND CASE WHEN CAST(:decidedIn AS integer) IS NULL THEN t.snapshot_version < (s->>'version')::integer
                     ELSE (t.snapshot_decided_in, t.snapshot_version) <= (CAST(:decidedIn AS integer), (s->>'version')::integer) END
         RETURNING t.id
       )
       SELECT ins.seq, ins.type, ins.data, t.number, t.plan, t.impact, (SELECT count(*) FROM queued)::int AS queued,
              EXISTS (SELECT 1 FROM stale s WHERE s.seq = ins.seq) AS replaced,
              EXISTS (SELECT 1 FROM stale s WHERE s.seq = ins.seq AND s.type = ins.type) AS again
         FROM ins JOIN tickets t ON t.id = CAST(:ticketId AS uuid)
        ORDER BY ins.seq`,
      {
        replacements: {
          ticketId,
          decidedIn: decidedIn ?? null,
          version: snapshot.version,
          events: JSON.stringify(events.map((e) => ({ seq: e.seq, type: e.type, actor: e.actor, at: new Date(e.at).toISOString(), data: e.data ?? {} }))),
          mails: JSON.stringify(notifications.map((n) => ({ key: n.key, seq: n.event.seq, notification: n }))),
          snapshot: JSON.stringify(row),
        },
        type: QueryTypes.SELECT,
      },
    );
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
    // An ops signal names its assignee; the directory decides, as it does for the API's assign step.
    findAssignee,
    // And whoever sends it must be a member of staff allowed to do it.
    findActor,
    ...createSessionActivities({ mailer, boxes, mailDomain }),
    ...createScheduledActivities({ sequelize, mailer, boxes, mailDomain, publicUrl: deps.publicUrl, staffTimezone: deps.staffTimezone ?? DEFAULT_TIMEZONE }),
  });
}

export type TicketActivities = ReturnType<typeof createActivities>;
