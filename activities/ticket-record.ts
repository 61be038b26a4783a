// The ticket's record in one statement: a change's events appended, the e-mails they call for queued
// in the mail outbox, the ticket row moved to the change's snapshot. One round trip, atomic like a
// transaction, safe to retry.
//
// The record runs as a local activity, inside the workflow task that decided it and before that
// task is in the workflow's history. When the task is lost (the worker killed, a task timeout), its
// retry may decide otherwise under the same event numbers (later in time more alarms are due, a step
// that arrived meanwhile comes first): each record names the task that decided it (`decidedIn`, the
// history length then; migration 009) and a record of a later task supersedes what an abandoned
// attempt of an earlier one wrote. An abandoned attempt's write may also land after its retry's (a
// worker stalled past the task's timeout, its statement still queued for a connection): a record of
// an older task than the one that moved the ticket row supersedes nothing. Rows written before
// migration 009 name no task: task 0.
import { QueryTypes, type Sequelize } from 'sequelize';
import { dueAt } from '../domain/sla-clock';
import type { RecordInput } from './types';

/**
 * The statement's parts, each a WITH query of the one statement. All of them read the tables as
 * they were when the statement began (`stale` sees the rows `written` replaces, the final SELECT
 * what `stale` found), and each part that writes runs whether or not another part reads it.
 */
const PARTS: Array<[name: string, sql: string]> = [
  // Late: the ticket row was moved by a later task than this record's. Every event that task's
  // history holds from this record's task is numbered at most the row's version (numbers only
  // grow), and may still be on its way (a record of the same task, in flight): such a record only
  // fills numbers not written yet, up to the row's version. Anything else it says is an abandoned
  // attempt's, decided over by then.
  [
    'ticket',
    `SELECT t.snapshot_decided_in > :decidedIn AS late, t.snapshot_version AS version
       FROM tickets t WHERE t.id = CAST(:ticketId AS uuid)`,
  ],
  // This record's events, as rows (a late record's: the numbers it may still fill).
  [
    'incoming',
    `SELECT e.seq, e.type, e.actor, e.at, e.data
       FROM jsonb_to_recordset(CAST(:events AS jsonb)) AS e(seq integer, type text, actor text, at timestamptz, data jsonb), ticket
      WHERE NOT ticket.late
         OR (e.seq <= ticket.version AND NOT EXISTS (SELECT 1 FROM ticket_events x WHERE x.ticket_id = CAST(:ticketId AS uuid) AND x.seq = e.seq))`,
  ],
  // What this record supersedes, all of it written by an abandoned attempt (a late record: nothing):
  // - rewritten: an event at a number this record writes too, in other words, decided by this task
  //   or an earlier one (a later task's event at that number is the one that counts);
  // - beyond: an event past this record's version, decided by an earlier task (the abandoned
  //   attempt decided further than its retry did; this task's own are records still in flight).
  [
    'stale',
    `SELECT x.* FROM ticket_events x, ticket
      WHERE x.ticket_id = CAST(:ticketId AS uuid) AND NOT ticket.late
        AND ((coalesce(x.decided_in, 0) <= :decidedIn
              AND EXISTS (SELECT 1 FROM incoming i WHERE i.seq = x.seq AND (i.type, i.actor, i.at, i.data) IS DISTINCT FROM (x.type, x.actor, x.at, x.data)))
          OR (coalesce(x.decided_in, 0) < :decidedIn AND x.seq > :version))`,
  ],
  // Kept: an e-mail may have gone out for what was superseded.
  [
    'archived',
    `INSERT INTO ticket_events_superseded (ticket_id, seq, type, actor, at, data, recorded_at, decided_in, superseded_by)
     SELECT ticket_id, seq, type, actor, at, data, recorded_at, decided_in, :decidedIn FROM stale
     RETURNING seq`,
  ],
  // The stale events past this record's version go; those at its numbers are overwritten by `written`.
  [
    'dropped',
    `DELETE FROM ticket_events x USING stale s WHERE x.id = s.id AND x.seq > :version
     RETURNING x.seq`,
  ],
  // This record's events: new numbers are inserted, a rewritten one is overwritten, the same event
  // again (a retry of this record, or an abandoned attempt that decided alike) is left as it is.
  // Only the rows written here come back: the e-mails and the counters follow them. (A later
  // task's event is never overwritten: only two records of one ticket written at the same moment
  // get this far with one, the row's task being the latest of every event's.)
  [
    'written',
    `INSERT INTO ticket_events AS x (ticket_id, seq, type, actor, at, data, recorded_at, decided_in)
     SELECT CAST(:ticketId AS uuid), i.seq, i.type, i.actor, i.at, i.data, now(), :decidedIn
       FROM incoming i
      ORDER BY i.seq
     ON CONFLICT (ticket_id, seq) DO UPDATE
        SET type = excluded.type, actor = excluded.actor, at = excluded.at, data = excluded.data,
            recorded_at = excluded.recorded_at, decided_in = excluded.decided_in
      WHERE coalesce(x.decided_in, 0) <= :decidedIn
        AND (x.type, x.actor, x.at, x.data) IS DISTINCT FROM (excluded.type, excluded.actor, excluded.at, excluded.data)
     RETURNING x.seq, x.type, x.data`,
  ],
  // This record's e-mails, as rows.
  [
    'mails',
    `SELECT n.key, n.seq, n.notification
       FROM jsonb_to_recordset(CAST(:mails AS jsonb)) AS n(key text, seq integer, notification jsonb)`,
  ],
  // The superseded events' e-mails still waiting in the outbox are withdrawn (one this record
  // queues again under the same key stays).
  [
    'withdrawn',
    `DELETE FROM mail_outbox o USING stale s
      WHERE o.ticket_id = CAST(:ticketId AS uuid) AND split_part(o.key, ':', 2) = s.seq::text
        AND o.key NOT IN (SELECT key FROM mails)
     RETURNING o.key`,
  ],
  // The e-mails of the events written here. An event recorded before had its e-mails queued with
  // it (the sender may have sent and deleted them since): they are not queued twice.
  [
    'queued',
    `INSERT INTO mail_outbox (key, ticket_id, notification)
     SELECT m.key, CAST(:ticketId AS uuid), m.notification FROM mails m
      WHERE m.seq IN (SELECT seq FROM written)
     ON CONFLICT (key) DO NOTHING
     RETURNING key`,
  ],
  // The ticket row only moves forward, by (deciding task, version): a retried older snapshot never
  // overwrites a newer one; the same pair again is the same snapshot or, from an abandoned
  // attempt's retry, the one that counts.
  [
    'moved',
    `UPDATE tickets t
        SET status = s->>'status', assignee = NULLIF(s->'assignee', 'null'::jsonb), responded_via = s->>'respondedVia',
            clocks = s->'clocks', breached = (s->>'breached')::boolean,
            response_due_at = (s->>'responseDueAt')::timestamptz, resolution_due_at = (s->>'resolutionDueAt')::timestamptz,
            next_due_at = (s->>'nextDueAt')::timestamptz, resolved_at = (s->>'resolvedAt')::timestamptz,
            closed_at = (s->>'closedAt')::timestamptz, snapshot_version = :version,
            snapshot_decided_in = :decidedIn, updated_at = now()
       FROM (SELECT CAST(:snapshot AS jsonb) AS s) snap
      WHERE t.id = CAST(:ticketId AS uuid)
        AND (t.snapshot_decided_in, t.snapshot_version) <= (:decidedIn, :version)
     RETURNING t.id`,
  ],
];

/**
 * The events written, each saying whether it replaced a superseded one (`replaced`) and whether
 * that one was the same event in other words (`again`: its time, its lateness; counted already).
 */
const RESULT = `
  SELECT w.seq, w.type, w.data, t.number, t.plan, t.impact, (SELECT count(*) FROM queued)::int AS queued,
         EXISTS (SELECT 1 FROM stale s WHERE s.seq = w.seq) AS replaced,
         EXISTS (SELECT 1 FROM stale s WHERE s.seq = w.seq AND s.type = w.type) AS again
    FROM written w JOIN tickets t ON t.id = CAST(:ticketId AS uuid)
   ORDER BY w.seq`;

export const RECORD_STATEMENT = `WITH ${PARTS.map(([name, sql]) => `${name} AS (\n${sql}\n)`).join(',\n')}${RESULT}`;

export interface WrittenEvent {
  seq: number;
  type: string;
  data: Record<string, unknown> | null;
  number: string;
  plan: string;
  impact: string;
  /** E-mails this record queued (the same on every row). */
  queued: number;
  replaced: boolean;
  again: boolean;
}

const runningDue = (c: { runningSince: number | null } & Parameters<typeof dueAt>[0]) => (c.runningSince !== null ? dueAt(c) : null);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Write one record (see RECORD_STATEMENT); the events it wrote come back. */
export async function writeTicketRecord(sequelize: Sequelize, { ticketId, events, snapshot, notifications, decidedIn }: RecordInput): Promise<WrittenEvent[]> {
  const clocks = [snapshot.response, snapshot.resolution, ...(snapshot.nextReply ? [snapshot.nextReply] : [])];
  const dues = clocks.map(runningDue).filter((d): d is number => d !== null);
  const row = {
    status: snapshot.status,
    assignee: snapshot.assignee,
    respondedVia: snapshot.respondedVia,
    clocks: { response: snapshot.response, resolution: snapshot.resolution, ...(snapshot.nextReply ? { nextReply: snapshot.nextReply } : {}) },
    breached: snapshot.breached,
    responseDueAt: iso(dueAt(snapshot.response)),
    resolutionDueAt: iso(dueAt(snapshot.resolution)),
    nextDueAt: iso(dues.length ? Math.min(...dues) : null),
    resolvedAt: iso(snapshot.resolvedAt),
    closedAt: iso(snapshot.closedAt),
  };
  return sequelize.query<WrittenEvent>(RECORD_STATEMENT, {
    replacements: {
      ticketId,
      decidedIn,
      version: snapshot.version,
      events: JSON.stringify(events.map((e) => ({ seq: e.seq, type: e.type, actor: e.actor, at: new Date(e.at).toISOString(), data: e.data ?? {} }))),
      mails: JSON.stringify(notifications.map((n) => ({ key: n.key, seq: n.event.seq, notification: n }))),
      snapshot: JSON.stringify(row),
    },
    type: QueryTypes.SELECT,
  });
}
