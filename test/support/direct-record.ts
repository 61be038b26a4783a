// The ticket record activity called straight from a test, beside a real ticket whose own workflow
// records nothing more meanwhile (impact C: deadlines hours away): for the record's own rules.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { RecordInput } from '../../activities/types';
import { createMailer } from '../../mail/mailer';
import { Ticket } from '../../db/models';
import { openTicket, type TicketState } from '../../domain/ticket-lifecycle';
import { LEAD, eventually, type TestSystem } from './harness';

export interface DirectRecord {
  ticket: Awaited<ReturnType<TestSystem['createTicket']>>;
  /** The ticket as its workflow opened it (its clocks, for snapshots). */
  state: TicketState;
  /** recordTicket in an activity's context (it logs through it), as the worker runs it. */
  record(input: RecordInput): Promise<void>;
  close(): void;
}

export async function directRecord(t: TestSystem): Promise<DirectRecord> {
  const c = await t.createCustomerFixture('standard');
  const ticket = await t.createTicket(c.id, { impact: 'C' });
  await eventually(async () => (await t.api('GET', `/api/tickets/${ticket.id}`)).body.events?.length > 0, 20_000, 'the received event');
  const row = (await Ticket.findByPk(ticket.id))!;
  const state = openTicket({ ticketId: row.id, number: Number(row.number), plan: row.plan, impact: row.impact, receivedAt: row.receivedAt.getTime(), targets: row.targets });
  const mailer = createMailer(t.inbox.url, 'support@lastcall.test');
  const { recordTicket } = createActivities({ sequelize: t.sys.sequelize, mailer, supportLeadEmail: LEAD });
  const logger = new DefaultLogger('ERROR');
  return {
    ticket,
    state,
    record: (input) => new MockActivityEnvironment({}, { logger }).run(recordTicket, input),
    close: () => mailer.close(),
  };
}
