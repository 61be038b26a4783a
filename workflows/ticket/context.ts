// What the parts of one ticket's workflow share: its input, the ticket as decided so far, and the
// one way to change it. Each part (steps, ops, sessions, the record) gets this and nothing more.
import type { TicketState, Transition } from '../../domain/ticket-lifecycle';
import type { StepResult, TicketWorkflowInput } from '../definitions';
import type { RunBoundary } from '../run-boundary';

export interface TicketContext {
  readonly input: TicketWorkflowInput;
  /** The ticket as decided so far; only commit() moves it. */
  readonly state: TicketState;
  /** Take a transition: the new state, its record (events and e-mails), what ops see in the UI. */
  commit(t: Transition): Promise<void>;
  /** What a step's caller gets back. */
  view(): StepResult;
  /**
   * Resolves once "received" is decided and the calendar's working time is recorded as far as a
   * decision now needs (domain/working-windows.ts). A step that reaches a workflow before its first
   * task ran (a busy server) is handled before the workflow body; it must still come after "received".
   */
  ready(): Promise<void>;
  /** Every update registers here: a retry of one applied in an earlier run is answered, not applied again. */
  setUpdate: RunBoundary['setUpdate'];
}
