// What people do to a ticket through the API: the technician steps and the customer's messages,
// as validated Updates. The API checked the body already; a caller straight from the Temporal CLI
// or UI has not, so the validators check it again. Validators do not run on replay, so they refuse
// nothing a running ticket already took.
import type { UpdateDefinition } from '@temporalio/common';
import { applyCustomerMessage, applyStep, checkCustomerMessage, checkStep, type Step, type StepKind } from '../../domain/ticket-lifecycle';
import { STEP_UPDATES, customerMessageUpdate, type Actor, type StepResult } from '../definitions';
import { refuseUnstorable } from '../payload-checks';
import type { TicketContext } from './context';
import { invalidPayload, refuse, stepChecks } from './refusals';

export function registerSteps(ticket: TicketContext): void {
  function registerStep<A extends Actor>(def: UpdateDefinition<StepResult, [A]>, toStep: (args: NoInfer<A>) => Step): void {
    ticket.setUpdate(
      def,
      async (args: A) => {
        await ticket.ready();
        await ticket.commit(applyStep(ticket.state, toStep(args), Date.now(), args.actor));
        return ticket.view();
      },
      (args: A) => {
        const kind = (Object.keys(STEP_UPDATES) as StepKind[]).find((k) => STEP_UPDATES[k].name === def.name)!;
        const issues = stepChecks().stepUpdateIssues(kind, args);
        if (issues) throw invalidPayload(kind, issues);
        refuse(() => checkStep(ticket.state, toStep(args)));
      },
      () => ticket.view(),
    );
  }

  registerStep(STEP_UPDATES.assign, (a) => ({ kind: 'assign', assignee: a.assignee }));
  registerStep(STEP_UPDATES.respond, (a) => ({ kind: 'respond', via: a.via, message: a.message }));
  registerStep(STEP_UPDATES.reply, (a) => ({ kind: 'reply', via: a.via, message: a.message }));
  registerStep(STEP_UPDATES['wait-for-customer'], (a) => ({ kind: 'wait-for-customer', message: a.message }));
  registerStep(STEP_UPDATES['customer-replied'], (a) => ({ kind: 'customer-replied', message: a.message }));
  registerStep(STEP_UPDATES.resolve, (a) => ({ kind: 'resolve', resolution: a.resolution }));
  registerStep(STEP_UPDATES.reopen, (a) => ({ kind: 'reopen', reason: a.reason }));
  registerStep(STEP_UPDATES.close, (a) => ({ kind: 'close', reason: a.reason }));

  ticket.setUpdate(
    customerMessageUpdate,
    async ({ actor, ...msg }) => {
      await ticket.ready();
      await ticket.commit(applyCustomerMessage(ticket.state, msg, Date.now(), actor));
      return ticket.view();
    },
    (args) => {
      refuseUnstorable(args);
      refuse(() => checkCustomerMessage(ticket.state));
    },
    () => ticket.view(),
  );
}
