// A ticket's sessions (a specialist session, a remote session, a brand-engineer meeting): each
// runs as a child workflow (workflows/session.ts) that reports back by signal; the ticket records
// what it reports, starts a brand meeting by itself when the policy says so, and withdraws the
// sessions still running once it is resolved or closed. A session outlives the run of the ticket
// that started it (continue-as-new): the ticket knows its sessions from what they reported.
import { CancellationScope, ChildWorkflowCancellationType, ParentClosePolicy, condition, getExternalWorkflowHandle, log, setHandler, startChild } from '@temporalio/workflow';
import { SESSION_LABELS, sessionWorkflowId } from '../../domain/sessions';
import { unstorableIssues } from '../../domain/storable-text';
import { activeSessions, applySessionEvent, applySessionRequested, autoBrandMeetingDue, checkSessionRequest, sessionCount, type TicketEvent } from '../../domain/ticket-lifecycle';
import { SA } from '../../temporal/search-attributes';
import { SESSION_WORKFLOW_TYPES, requestSessionUpdate, sessionEventSignal, ticketWorkflowId, type SessionRequestArgs, type SessionWorkflowInput } from '../definitions';
import { refuseUnstorable } from '../payload-checks';
import type { TicketContext } from './context';
import { refuse } from './refusals';

/** How long a ticket that ends waits for its sessions' last reports (a withdrawal) before it ends anyway. */
const SESSIONS_END_WAIT_MS = 10 * 60 * 1000;

export interface TicketSessions {
  /** The policy flags a ticket as highly complex when some targets breach: a brand meeting starts by itself. */
  autoEscalate(events: TicketEvent[]): Promise<void>;
  /** A resolved or closed ticket needs no session any more: their invitations are withdrawn. */
  cancel(): void;
  /** Every session started, ended (the ticket ends after them). */
  ended(): Promise<void>;
}

export function registerSessions(ticket: TicketContext): TicketSessions {
  const { input } = ticket;
  const scopes = new Map<string, CancellationScope>();
  const runs: Promise<unknown>[] = [];
  /** Sessions of this run whose workflow ended, whatever they reported. */
  const settled = new Set<string>();
  const withdrawn = new Set<string>();

  async function start(args: SessionRequestArgs): Promise<string> {
    const { state } = ticket;
    // From the ticket number, not workflowInfo(): the id must be the same when a history is replayed elsewhere.
    const sessionId = sessionWorkflowId(ticketWorkflowId(state.number), args.kind, sessionCount(state, args.kind) + 1);
    await ticket.commit(applySessionRequested(state, { kind: args.kind, sessionId, reason: args.reason ?? undefined }, Date.now(), args.actor));
    const { actor, ...request } = args;
    const child: SessionWorkflowInput = {
      ...request,
      sessionId,
      ticketWorkflowId: ticketWorkflowId(ticket.state.number),
      ticketId: ticket.state.ticketId,
      number: ticket.state.number,
      customerId: input.customerId,
      subject: input.subject,
      plan: ticket.state.plan,
      impact: ticket.state.impact,
      requestedBy: actor,
      assignee: ticket.state.assignee,
      ...(input.historyLimit !== undefined ? { historyLimit: input.historyLimit } : {}),
    };
    // Its own scope, so resolving or closing the ticket can cancel just this session.
    const scope = new CancellationScope();
    scopes.set(sessionId, scope);
    const handle = await scope.run(() =>
      startChild(SESSION_WORKFLOW_TYPES[args.kind], {
        workflowId: sessionId,
        args: [child],
        // The ticket's run may end before the session does (continue-as-new); resolving or closing
        // the ticket is what withdraws a session (cancel below).
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        staticSummary: `#${ticket.state.number} ${SESSION_LABELS[args.kind]}${args.technology ? ` (${args.technology})` : ''}${args.brand ? ` with ${args.brand}` : ''}`,
        staticDetails: `Ticket #${ticket.state.number}: ${input.subject}\n\nRequested by ${actor}${args.reason ? `\n\nWhy: ${args.reason}` : ''}`,
        typedSearchAttributes: [
          { key: SA.number, value: ticket.state.number },
          { key: SA.customer, value: input.customerId },
          { key: SA.sessionKind, value: args.kind },
        ],
      }),
    );
    runs.push(
      scope
        .run(() => handle.result())
        .catch((err) => log.warn('session ended with an error', { sessionId, err: String(err) }))
        .finally(() => {
          scopes.delete(sessionId);
          settled.add(sessionId);
        }),
    );
    return sessionId;
  }

  ticket.setUpdate(
    requestSessionUpdate,
    async (args) => {
      await ticket.ready();
      const sessionId = await start(args);
      return { ...ticket.view(), sessionId };
    },
    (args) => {
      refuseUnstorable(args);
      refuse(() => checkSessionRequest(ticket.state, args.kind));
    },
    (earlier) => ({ ...ticket.view(), sessionId: earlier.result?.sessionId ?? '' }),
  );

  setHandler(sessionEventSignal, async (ev) => {
    // Sent by the ticket's own sessions, but anyone with the Temporal UI can send it: text no
    // store can keep would leave the ticket stuck on its record, so it is dropped here.
    const unstorable = unstorableIssues(ev);
    if (unstorable) {
      log.warn('session event refused: it carries text that cannot be stored', { ticket: ticket.state.number, sessionId: String(ev?.sessionId ?? '').slice(0, 100), paths: unstorable.map((i) => i.path) });
      return;
    }
    // A session held is the first response: it stops the response clock, in working time.
    await ticket.ready();
    await ticket.commit(applySessionEvent(ticket.state, ev));
  });

  return {
    async autoEscalate(events) {
      const clockName = autoBrandMeetingDue(ticket.state, events);
      if (!clockName || !input.product) return;
      await start({
        actor: 'system',
        kind: 'brand',
        reason: `${clockName} target of an ${ticket.state.plan} impact ${ticket.state.impact} ticket breached`,
        brand: input.product.brand,
        technology: input.product.technology,
        requester: input.requester,
        endUser: input.endUser,
        timings: input.sessionTimings,
      });
    },
    cancel() {
      for (const x of activeSessions(ticket.state)) {
        if (withdrawn.has(x.id)) continue;
        withdrawn.add(x.id);
        const scope = scopes.get(x.id);
        if (scope) {
          scopes.delete(x.id);
          scope.cancel();
        } else {
          // Started by an earlier run of this ticket: asked to withdraw by its id; it reports "cancelled".
          getExternalWorkflowHandle(x.id)
            .cancel()
            .catch((err) => log.warn('could not withdraw a session of an earlier run', { sessionId: x.id, err: String(err) }));
        }
      }
    },
    async ended() {
      await Promise.all(runs);
      // Sessions of earlier runs end by their last report; one whose report never comes holds the ticket only so long.
      const allEnded = () => activeSessions(ticket.state).every((x) => settled.has(x.id));
      if (!allEnded()) await condition(allEnded, SESSIONS_END_WAIT_MS);
    },
  };
}
