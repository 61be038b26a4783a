// A ticket's sessions as a reader sees them, the same in a ticket's view (services/tickets.ts) and
// in its list of sessions (services/sessions.ts): staff get each with its link into the Temporal UI,
// a requester what their ticket's history shows of it (domain/visibility.ts).
import type { SessionRow } from '../db/models';
import { SESSION_ACTIONS_BY_STATUS } from '../domain/sessions';
import { requesterSession } from '../domain/visibility';
import type { Principal } from './access';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function sessionRowView(r: SessionRow) {
  return {
    id: r.id,
    ticketId: r.ticketId,
    kind: r.kind,
    status: r.status,
    attempt: r.attempt,
    technology: r.technology,
    brand: r.brand,
    host: r.host,
    attendees: r.attendees,
    startsAt: iso(r.startsAt),
    endsAt: r.startsAt ? new Date(r.startsAt.getTime() + r.durationMs).toISOString() : null,
    notes: r.notes,
    requestedBy: r.requestedBy,
    lastEvent: r.lastEvent,
    allowedActions: SESSION_ACTIONS_BY_STATUS[r.status],
    updatedAt: r.updatedAt.toISOString(),
  };
}

export function sessionsAsSeenBy(rows: SessionRow[], p: Principal, uiLink: (workflowId: string) => string) {
  if (p.role === 'requester') return rows.map((r) => requesterSession(sessionRowView(r)));
  return rows.map((r) => ({ ...sessionRowView(r), temporalUiUrl: uiLink(r.id) }));
}
