// The custom search attributes ops use to find tickets in the Temporal UI. One list, used by the
// dev server launcher (registered at start), by tests, and by the workflow when it upserts them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  plan: defineSearchAttributeKey('SlaPlan', SearchAttributeType.KEYWORD),
  impact: defineSearchAttributeKey('SlaImpact', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD),
  customer: defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD),
  customerName: defineSearchAttributeKey('CustomerName', SearchAttributeType.KEYWORD),
  channel: defineSearchAttributeKey('TicketChannel', SearchAttributeType.KEYWORD),
  type: defineSearchAttributeKey('TicketType', SearchAttributeType.KEYWORD),
  breached: defineSearchAttributeKey('SlaBreached', SearchAttributeType.BOOL),
  number: defineSearchAttributeKey('TicketNumber', SearchAttributeType.INT),
  assignee: defineSearchAttributeKey('Assignee', SearchAttributeType.KEYWORD),
  responseDueAt: defineSearchAttributeKey('ResponseDueAt', SearchAttributeType.DATETIME),
  resolutionDueAt: defineSearchAttributeKey('ResolutionDueAt', SearchAttributeType.DATETIME),
  // Set while the ticket's record cannot be written (a lead must retry it): findable when Postgres is what is down.
  recordStuck: defineSearchAttributeKey('RecordStuck', SearchAttributeType.BOOL),
  // On session workflows (children of a ticket): which kind, and where it stands.
  sessionKind: defineSearchAttributeKey('SessionKind', SearchAttributeType.KEYWORD),
  sessionStatus: defineSearchAttributeKey('SessionStatus', SearchAttributeType.KEYWORD),
  sessionStartsAt: defineSearchAttributeKey('SessionStartsAt', SearchAttributeType.DATETIME),
} as const;

/**
 * The state attributes a ticket's workflow starts with (services/workflow-starter.ts sets them on
 * the start, no assignee among them): the workflow upserts only what moves away from these.
 */
export const STARTED_TICKET_STATE = { status: 'open', breached: false, assignee: null } as const;

// Mind the per-type limits of SQL visibility stores (the dev server's SQLite, Postgres, MySQL): at
// most 3 Datetime and 10 Keyword attributes per namespace. Datetime is full (two due times, one
// session start); Keyword is full too. Both due times are set only while their clock runs, so
// "due before X" is `ResponseDueAt < X OR ResolutionDueAt < X` (temporal/ops-filters.ts).
export const ALL_SEARCH_ATTRIBUTES = Object.values(SA);

const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

/** `--search-attribute Name=Type` flags for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${CLI_TYPE_NAMES[k.type]}`]);
}
