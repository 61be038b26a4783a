// What ops read of a ticket in the Temporal UI without opening its history: the search attributes
// they filter on, the current details on its page, and the summaries of its timers and records.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { Notification } from '../../domain/notifications';
import { IMPACT_LABELS } from '../../domain/plans';
import { dueAt } from '../../domain/sla-clock';
import { autoCloseAt, customerReminderAt, isBreached, pendingAlarms, slaView, type TicketEvent, type TicketState } from '../../domain/ticket-lifecycle';
import { SA, STARTED_TICKET_STATE } from '../../temporal/search-attributes';
import { OPS_RETRY_RECORD } from '../definitions';

/** A record that failed for good, as the details tell it (see record.ts). */
export interface StuckDetails {
  since: number;
  type: string;
  reason: string;
  records: number;
}

export interface Visibility {
  /** After each change: the search attributes it moved, and the details. */
  publish(): void;
  /** The details again, after something they tell that is not a change (a refusal, a record owed). */
  refresh(): void;
  /** The last step refused without an answer to its sender (an ops signal), shown in the details. */
  refused(text: string): void;
  /** Whether a record waits for a lead's retry: findable when Postgres is what is down. */
  publishStuck(stuck: boolean): void;
}

export function createVisibility(ticket: { readonly state: TicketState }, stuck: () => StuckDetails | null, continued = false): Visibility {
  let lastRefusal: string | null = null;

  // The search attributes as last upserted, to compare against (Dates as epoch ms). The start
  // (services/workflow-starter.ts) sets the ticket's fixed attributes, its status and breached
  // flag: the first publish upserts only what the start could not know (the due times, an assignee).
  // A continued run inherits its attributes from the run before, which published them for its state.
  const published = new Map<string, unknown>(
    continued
      ? attributesOf(ticket.state).map(({ key, value }) => [key.name, comparable(value)])
      : [
          [SA.status.name, STARTED_TICKET_STATE.status],
          [SA.breached.name, STARTED_TICKET_STATE.breached],
          [SA.assignee.name, STARTED_TICKET_STATE.assignee],
        ],
  );

  const refresh = () => setCurrentDetails(currentDetails(ticket.state, lastRefusal, stuck()));

  return {
    // A warning or an escalation moves none of the attributes ops filter on: only what changed is
    // upserted, and nothing when nothing did (each upsert is a history event and a write to the
    // visibility store).
    publish() {
      const attributes = attributesOf(ticket.state);
      const changed = attributes.filter(({ key, value }) => !published.has(key.name) || published.get(key.name) !== comparable(value));
      for (const { key, value } of attributes) published.set(key.name, comparable(value));
      if (changed.length > 0) upsertSearchAttributes(changed);
      refresh();
    },
    refresh,
    refused(text) {
      lastRefusal = text;
    },
    publishStuck(value) {
      upsertSearchAttributes([{ key: SA.recordStuck, value }]);
    },
  };
}

/** The attributes of the ticket's state that move (the fixed ones are set by its start). */
function attributesOf(state: TicketState) {
  // ResponseDueAt is the next answer owed to the customer: the first response, then a next reply
  // while one is owed (no search attribute is left for a clock of its own; docs/operations.md).
  const owed = [state.response, state.nextReply].find((c) => c && c.runningSince !== null);
  const responseDue = owed ? dueAt(owed) : null;
  const resolutionDue = state.resolution.runningSince !== null ? dueAt(state.resolution) : null;
  return [
    { key: SA.status, value: state.status },
    { key: SA.breached, value: isBreached(state) },
    { key: SA.assignee, value: state.assignee ? state.assignee.email : null },
    { key: SA.responseDueAt, value: responseDue !== null ? new Date(responseDue) : null },
    { key: SA.resolutionDueAt, value: resolutionDue !== null ? new Date(resolutionDue) : null },
  ];
}

const comparable = (v: unknown) => (v instanceof Date ? v.getTime() : v);

/** What ops read on the workflow's page: its state, who has it, what falls due next, a stuck record. */
export function currentDetails(state: TicketState, lastRefusal: string | null, stuck: StuckDetails | null): string {
  const sla = slaView(state, Date.now());
  const [next] = pendingAlarms(state);
  const close = autoCloseAt(state);
  const nextLine = next
    ? `Next: ${next.clock} ${next.kind} at ${new Date(next.at).toISOString()}`
    : close !== null
      ? `Next: closes by itself at ${new Date(close).toISOString()}`
      : state.status === 'waiting_on_customer'
        ? 'Next: the customer\'s reply (resolution clock paused)'
        : 'Next: nothing due';
  return [
    `**Ticket #${state.number}** · ${state.plan} · impact ${state.impact} (${IMPACT_LABELS[state.impact]}) · **${state.status}**`,
    `Assignee: ${state.assignee ? state.assignee.email : 'unassigned'}`,
    `Response: ${sla.response.status}${sla.response.dueAt ? ` · due ${sla.response.dueAt}` : ''}`,
    `Resolution: ${sla.resolution.status}${sla.resolution.dueAt ? ` · due ${sla.resolution.dueAt}` : ''}`,
    ...(sla.nextReply ? [`Next reply: ${sla.nextReply.status}${sla.nextReply.dueAt ? ` · due ${sla.nextReply.dueAt}` : ''}`] : []),
    nextLine,
    ...(lastRefusal ? [`Last refused step: ${lastRefusal}`] : []),
    ...(stuck
      ? [`**Record stuck** since ${new Date(stuck.since).toISOString()} (${stuck.type}: ${stuck.reason.slice(0, 300)}); ${stuck.records} record(s) waiting. Once fixed: ${OPS_RETRY_RECORD} with {"actor": "<a lead's e-mail>"}`]
      : []),
  ].join('\n\n');
}

/** What the pending timer waits for, as ops read it in the Temporal UI. */
export function timerSummary(state: TicketState, wakeAt: number): string {
  const [next] = pendingAlarms(state);
  if (next && next.at === wakeAt) return `#${state.number} ${next.clock} ${next.kind} at ${new Date(next.at).toISOString()}`;
  if (customerReminderAt(state) === wakeAt) return `#${state.number} reminder to the customer at ${new Date(wakeAt).toISOString()}`;
  return `auto-close of resolved ticket #${state.number}`;
}

/** The record's summary a person reads in the ticket's history: its events and the e-mails queued with them. */
export function recordSummary(number: number, events: TicketEvent[], mails: Notification[]): string {
  return [`#${number} record: ${events.map((e) => e.type).join(', ')}`, ...mails.map((n) => `e-mail ${n.kind} to ${n.audience}`)].join(' · ').slice(0, 200);
}
