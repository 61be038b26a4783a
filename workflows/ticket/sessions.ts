// A ticket's sessions (a specialist session, a remote session, a brand-engineer meeting): each
// runs as a child workflow (workflows/session.ts) that reports back by signal; the ticket records
// what it reports, starts a brand meeting by itself when the policy says so, and withdraws the
// sessions still running once it is resolved or closed.
import { CancellationScope, ChildWorkflowCancellationType, ParentClosePolicy, log, setHandler, startChild } from '@temporalio/workflow';
import { SESSION_LABELS, sessionWorkflowId } from '../../domain/sessions';
import { unstorableIssues } from '../../domain/storable-text';
import { activeSessions, applySessionEvent, applySessionRequested, autoBrandMeetingDue, checkSessionRequest, sessionCount, type TicketEvent } from '../../domain/ticket-lifecycle';
import { SA } from '../../temporal/search-attributes';
import { SESSION_WORKFLOW_TYPES, requestSessionUpdate, sessionEventSignal, ticketWorkflowId, type SessionRequestArgs, type SessionWorkflowInput } from '../definitions';
import { refuseUnstorable } from '../payload-checks';
import type { TicketContext } from './context';
import { refuse } from './refusals';

export interface TicketSessions {
  /** The policy flags a ticket as highly complex when some targets breach: a brand meeting starts by itself. */
  autoEscalate(events: TicketEvent[]): Promise<void>;
  /** A resolved or closed ticket needs no session any more: their invitations are withdrawn. */
  cancel(): void;
  /** Every session started, ended (the ticket ends after them). */
  ended(): Promise<unknown>;
}

export function registerSessions(ticket: TicketContext): TicketSessions {
  const { input } = ticket;
  const scopes = new Map<string, CancellationScope>();
  const runs: Promise<unknown>[] = [];

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
    };
    // Its own scope, so resolving or closing the ticket can cancel just this session.
    const scope = new CancellationScope();
    scopes.set(sessionId, scope);
    const handle = await scope.run(() =>
      startChild(SESSION_WORKFLOW_TYPES[args.kind], {
        workflowId: sessionId,
        args: [child],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
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
        .finally(() => scopes.delete(sessionId)),
    );
    return sessionId;
  }

  setHandler(
    requestSessionUpdate,
    async (args) => {
      await ticket.receivedFirst();
      const sessionId = await start(args);
      return { ...ticket.view(), sessionId };
    },
    {
      validator: (args) => {
        refuseUnstorable(args);
        refuse(() => checkSessionRequest(ticket.state, args.kind));
      },
    },
  );

  setHandler(sessionEventSignal, async (ev) => {
    // Sent by the ticket's own sessions, but anyone with the Temporal UI can send it: text no
    // store can keep would leave the ticket stuck on its record, so it is dropped here.
    const unstorable = unstorableIssues(ev);
    if (unstorable) {
      log.warn('session event refused: it carries text that cannot be stored', { ticket: ticket.state.number, sessionId: String(ev?.sessionId ?? '').slice(0, 100), paths: unstorable.map((i) => i.path) });
      return;
    }
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
        const scope = scopes.get(x.id);
        if (scope) {
          scopes.delete(x.id);
          scope.cancel();
        }
      }
    },
    ended: () => Promise.all(runs),
  };
}
