// The ready-made list filters ops paste into the Temporal UI (or `temporal workflow list --query`).
// One module for the README table, `npm run ops:filters` and the test that checks each filter finds
// what it says. The visibility query language has no now(): a filter that looks ahead is built for a
// given moment, with the time written out.
import { SA } from './search-attributes';

/** What a filter may be built with: the moment "now" means, and the person or customer some filters name. */
export interface FilterContext {
  now: Date;
  /** A technician's e-mail, for "a technician's queue". */
  assignee?: string;
  /** A customer's name, exactly as on the ticket. */
  customerName?: string;
}

export interface OpsFilter {
  id: string;
  /** What the list shows, as ops would ask for it. */
  title: string;
  query: (ctx: FilterContext) => string;
}

const HOUR = 3_600_000;

/** The statuses in which a ticket is still being worked (its clocks can still run or are paused). */
export const OPEN_STATUSES = ['open', 'in_progress', 'waiting_on_customer'] as const;

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const instant = (d: Date) => quote(d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
const inHours = (ctx: FilterContext, h: number) => instant(new Date(ctx.now.getTime() + h * HOUR));
const stillOpen = `${SA.status.name} IN (${OPEN_STATUSES.map(quote).join(', ')})`;
// Each due time is set only while its clock runs (null once met, while paused): a ticket with a
// target due before `at` is one whose response or resolution due time is before it. (One NextDueAt
// attribute would be simpler, but SQL visibility stores allow only 3 Datetime attributes.)
const dueBefore = (at: string) => `(${SA.responseDueAt.name} < ${at} OR ${SA.resolutionDueAt.name} < ${at})`;

export const OPS_FILTERS: readonly OpsFilter[] = [
  {
    id: 'advanced-critical-at-risk',
    title: 'Advanced critical (A) tickets with a target due in the next hour, or already overdue',
    query: (ctx) => `${SA.plan.name} = 'advanced' AND ${SA.impact.name} = 'A' AND ${dueBefore(inHours(ctx, 1))} AND ${stillOpen}`,
  },
  {
    id: 'at-risk-next-hour',
    title: 'Every ticket with a target due in the next hour, or already overdue',
    query: (ctx) => `${dueBefore(inHours(ctx, 1))} AND ${stillOpen}`,
  },
  {
    id: 'responses-due-next-hour',
    title: 'Not answered yet, first response due in the next hour (or overdue)',
    query: (ctx) => `${SA.status.name} = 'open' AND ${SA.responseDueAt.name} < ${inHours(ctx, 1)}`,
  },
  {
    // ResponseDueAt carries the next reply's due time while one is owed (workflows/ticket/visibility.ts).
    id: 'replies-due-next-hour',
    title: 'The customer wrote back: a next reply due in the next hour (or overdue)',
    query: (ctx) => `${SA.status.name} = 'in_progress' AND ${SA.responseDueAt.name} < ${inHours(ctx, 1)}`,
  },
  {
    id: 'breached-open',
    title: 'Breached tickets still being worked',
    query: () => `${SA.breached.name} = true AND ${stillOpen}`,
  },
  {
    id: 'unassigned-open',
    title: 'Open tickets nobody has taken',
    query: () => `${SA.assignee.name} IS NULL AND ${stillOpen}`,
  },
  {
    id: 'waiting-on-customer',
    title: 'Waiting on the customer (resolution clock paused)',
    query: () => `${SA.status.name} = 'waiting_on_customer'`,
  },
  {
    id: 'technician-queue',
    title: "A technician's open tickets (--assignee)",
    query: (ctx) => `${SA.assignee.name} = ${quote(ctx.assignee ?? 'tech@lastcall.example')} AND ${stillOpen}`,
  },
  {
    id: 'customer-open',
    title: "A customer's open tickets, by name (--customer)",
    query: (ctx) => `${SA.customerName.name} = ${quote(ctx.customerName ?? 'Acme Corp')} AND ${stillOpen}`,
  },
  {
    id: 'phone-open',
    title: 'Open tickets taken by phone',
    query: () => `${SA.channel.name} = 'phone' AND ${stillOpen}`,
  },
  {
    id: 'service-requests-open',
    title: 'Open service requests (Advanced ticket type)',
    query: () => `${SA.type.name} = 'request' AND ${stillOpen}`,
  },
  {
    id: 'sessions-starting-soon',
    title: 'Confirmed sessions and brand meetings starting in the next two hours',
    query: (ctx) => `${SA.sessionStatus.name} = 'confirmed' AND ${SA.sessionStartsAt.name} < ${inHours(ctx, 2)}`,
  },
  {
    id: 'sessions-stuck',
    title: 'Sessions nobody can serve or nobody confirms',
    query: () => `${SA.sessionStatus.name} IN ('waiting', 'stalled')`,
  },
];

export function opsFilter(id: string): OpsFilter {
  const f = OPS_FILTERS.find((x) => x.id === id);
  if (!f) throw new Error(`no ready-made filter "${id}" (known: ${OPS_FILTERS.map((x) => x.id).join(', ')})`);
  return f;
}

/** The workflow list of the Temporal UI with the query in its filter box. */
export function uiListUrl(uiBaseUrl: string, namespace: string, query: string): string {
  return `${uiBaseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** The same list from a POSIX shell: in double quotes when nothing in the query is special there. */
export function cliListCommand(query: string, namespace = 'default'): string {
  const shellQuoted = /["$`\\!]/.test(query) ? `'${query.replace(/'/g, `'\\''`)}'` : `"${query}"`;
  return `temporal workflow list${namespace === 'default' ? '' : ` --namespace ${namespace}`} --query ${shellQuoted}`;
}
