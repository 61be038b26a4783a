import { expect } from 'chai';
import { notificationsFor } from '../../domain/notifications';
import type { TicketEvent } from '../../domain/ticket-lifecycle';

const ev = (seq: number, type: TicketEvent['type']): TicketEvent => ({ seq, type, at: 0, actor: 'system', data: {} });

describe('notification rules (unit)', () => {
  it('sends requester, assignee-or-lead and lead e-mails for the right events only', () => {
    const out = notificationsFor('abc', [ev(1, 'received'), ev(2, 'sla_warning'), ev(3, 'sla_breached'), ev(4, 'assigned'), ev(5, 'sla_met')]);
    expect(out.map((n) => [n.kind, n.audience])).to.deep.equal([
      ['received', 'requester'],
      ['sla_warning', 'assignee_or_lead'],
      ['sla_breached', 'lead'],
    ]);
    expect(out[2].key).to.equal('abc:3:sla_breached');
  });
});
