import { expect } from 'chai';
import { notificationsFor } from '../../domain/notifications';
import type { TicketEvent } from '../../domain/ticket-lifecycle';

const ev = (seq: number, type: TicketEvent['type'], data: Record<string, unknown> = {}): TicketEvent => ({ seq, type, at: 0, actor: 'system', data });
const audiences = (events: TicketEvent[]) => notificationsFor('abc', events).map((n) => [n.kind, n.audience]);

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

  describe('escalation chain audiences', () => {
    it('a level naming its audience in data.notify goes to that audience', () => {
      expect(
        audiences([
          ev(1, 'sla_warning', { clock: 'response', notify: 'manager' }),
          ev(2, 'sla_breached', { clock: 'response', notify: 'assignee_or_lead' }),
          ev(3, 'sla_escalated', { clock: 'response', notify: 'lead' }),
          ev(4, 'sla_escalated', { clock: 'resolution', notify: 'manager' }),
        ]),
      ).to.deep.equal([
        ['sla_warning', 'manager'],
        ['sla_breached', 'assignee_or_lead'],
        ['sla_escalated', 'lead'],
        ['sla_escalated', 'manager'],
      ]);
    });

    it('without data.notify: warning to assignee_or_lead, breach to lead, escalation to manager', () => {
      expect(audiences([ev(1, 'sla_warning', { clock: 'response' }), ev(2, 'sla_breached', { clock: 'response' }), ev(3, 'sla_escalated', { clock: 'response' })])).to.deep.equal([
        ['sla_warning', 'assignee_or_lead'],
        ['sla_breached', 'lead'],
        ['sla_escalated', 'manager'],
      ]);
    });

    it('an unknown data.notify falls back to the default', () => {
      expect(audiences([ev(1, 'sla_escalated', { notify: 'ceo' }), ev(2, 'sla_breached', { notify: 'requester' })])).to.deep.equal([
        ['sla_escalated', 'manager'],
        ['sla_breached', 'lead'],
      ]);
    });

    it('data.notify on a non-SLA event does not redirect it', () => {
      expect(audiences([ev(1, 'responded', { notify: 'manager' })])).to.deep.equal([['responded', 'requester']]);
    });

    it('keys stay per ticket, seq and type', () => {
      const out = notificationsFor('t-9', [ev(7, 'sla_escalated', { notify: 'manager' })]);
      expect(out.map((n) => n.key)).to.deep.equal(['t-9:7:sla_escalated']);
    });
  });

  describe('sessions', () => {
    it('session events and flagged_complex send nothing (sessions mail their own)', () => {
      expect(
        notificationsFor('abc', [
          ev(1, 'flagged_complex', { reason: 'x' }),
          ev(2, 'session_requested', { kind: 'brand' }),
          ev(3, 'session_proposed', { kind: 'specialist' }),
          ev(4, 'session_confirmed'),
          ev(5, 'session_held', { notify: 'manager' }),
          ev(6, 'session_stalled', { notify: 'lead' }),
          ev(7, 'session_cancelled'),
        ]),
      ).to.deep.equal([]);
    });
  });
});
