import { expect } from 'chai';
import fc from 'fast-check';
import { REQUESTER_EVENTS, REQUESTER_EVENT_FIELDS, SUPPORT_ACTOR, requesterHistory, requesterSession, ticketScope } from '../../domain/visibility';

describe('what a person may read (unit)', () => {
  it('staff read every ticket; a requester their customer\'s, on Standard (or an unknown plan) only their own', () => {
    for (const role of ['technician', 'lead', 'admin'] as const) expect(ticketScope({ role, userId: 'u', customerId: null, plan: null })).to.deep.equal({});
    expect(ticketScope({ role: 'requester', userId: 'u1', customerId: 'c1', plan: 'advanced' })).to.deep.equal({ customerId: 'c1' });
    expect(ticketScope({ role: 'requester', userId: 'u1', customerId: 'c1', plan: 'standard' })).to.deep.equal({ customerId: 'c1', requesterId: 'u1' });
    expect(ticketScope({ role: 'requester', userId: 'u1', customerId: 'c1', plan: null })).to.deep.equal({ customerId: 'c1', requesterId: 'u1' });
  });

  const at = '2026-11-25T12:00:00.000Z';
  const event = (seq: number, type: string, actor: string, data: Record<string, unknown>) => ({ seq, type, at, actor, data });

  it('a requester reads the customer\'s events with their own fields only; the support team\'s are left out', () => {
    const history = [
      event(1, 'received', 'ana@customer.test', { subject: 'Down', customerName: 'Acme', responseDueAt: 1, resolutionDueAt: 2 }),
      event(2, 'sla_warning', 'system', { clock: 'response' }),
      event(3, 'assigned', 'lead@lastcall.test', { assignee: { email: 'tom@lastcall.test' } }),
      event(4, 'step_refused', 'ops:olga@lastcall.test', { reason: 'x' }),
      event(5, 'session_proposed', 'system', { sessionId: 's1', kind: 'specialist', attempt: 1, startsAt: 3, host: { id: 'uuid', email: 'tom@lastcall.test' }, attendees: ['tom@lastcall.test'] }),
      event(6, 'session_declined', 'tom@lastcall.test', { sessionId: 's1', reason: 'on leave' }),
      event(7, 'responded', 'ops:tom@lastcall.test', { via: 'email', message: 'On it' }),
      event(8, 'customer_message', 'pedro@customer.test', { via: 'email', message: 'More', messageId: '<m@x>', status: 'in_progress' }),
      event(9, 'customer_replied', 'pedro@customer.test', { via: 'email', message: null }),
      event(10, 'record_stuck', 'system', { reason: 'check_violation' }),
      event(11, 'sla_breached', 'system', { clock: 'response' }),
      event(12, 'closed', 'system', { reason: 'auto', automatic: true }),
    ];
    expect(requesterHistory(history, ['ANA@customer.test'])).to.deep.equal([
      event(1, 'received', 'ana@customer.test', { subject: 'Down', responseDueAt: 1, resolutionDueAt: 2 }),
      event(5, 'session_proposed', 'system', { sessionId: 's1', kind: 'specialist', attempt: 1, startsAt: 3 }),
      event(7, 'responded', SUPPORT_ACTOR, { via: 'email', message: 'On it' }),
      // A colleague's message is the customer's, named as such.
      event(8, 'customer_message', 'pedro@customer.test', { via: 'email', message: 'More' }),
      event(9, 'customer_replied', 'pedro@customer.test', { via: 'email', message: null }),
      event(12, 'closed', 'system', { reason: 'auto', automatic: true }),
    ]);
  });

  it('whatever an event carries, a requester gets only listed types and listed fields, and staff as "support"', () => {
    const types = [...REQUESTER_EVENTS, 'sla_warning', 'sla_breached', 'sla_escalated', 'assigned', 'step_refused', 'session_declined', 'session_requested', 'flagged_complex', 'record_stuck', 'record_resumed', 'anything'];
    fc.assert(
      fc.property(fc.array(fc.record({ type: fc.constantFrom(...types), actor: fc.constantFrom('system', 'ana@customer.test', 'tom@lastcall.test', 'ops:olga@lastcall.test'), data: fc.dictionary(fc.string(), fc.jsonValue()) })), (xs) => {
        const out = requesterHistory(xs.map((x, i) => event(i + 1, x.type, x.actor, x.data)), ['ana@customer.test']);
        for (const e of out) {
          expect(REQUESTER_EVENTS).to.include(e.type);
          for (const k of Object.keys(e.data)) expect(REQUESTER_EVENT_FIELDS[e.type]).to.include(k);
          // Only the customer's own messages carry their sender as is (inbound mail takes them from the customer's people only).
          if (!['customer_message', 'customer_replied'].includes(e.type)) expect(['system', 'ana@customer.test', SUPPORT_ACTOR]).to.include(e.actor);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a session as its customer reads it: when and what, not who was invited or the host\'s id', () => {
    const s = { id: 's1', ticketId: 't', kind: 'remote', status: 'proposed', attempt: 1, technology: null, brand: null, host: { id: 'uuid', name: 'Tom', email: 'tom@lastcall.test' }, attendees: [{ email: 'x' }], startsAt: 'a', endsAt: 'b', notes: 'n', requestedBy: 'lead', lastEvent: 'proposed', allowedActions: ['confirm'], updatedAt: 'u' };
    expect(requesterSession(s)).to.deep.equal({ id: 's1', kind: 'remote', status: 'proposed', attempt: 1, technology: null, brand: null, startsAt: 'a', endsAt: 'b', host: { name: 'Tom', email: 'tom@lastcall.test' } });
  });
});
