import { expect } from 'chai';
import { CHILE_OFFICE_HOURS } from '../../domain/business-calendar';
import type { EscalationLevel } from '../../domain/escalation';
import type { TicketTargets } from '../../domain/sla-policy';
import {
  applyDueAlarms,
  applyStep,
  openTicket,
  pendingAlarms,
  slaView,
  type Step,
  type TicketEvent,
  type TicketState,
} from '../../domain/ticket-lifecycle';

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const CHAIN: EscalationLevel[] = [
  { at: 0.75, notify: 'assignee_or_lead' },
  { at: 1, notify: 'lead' },
  { at: 1.5, notify: 'manager' },
];
const targets: TicketTargets = { responseMs: 60 * MIN, resolutionMs: 240 * MIN, autoCloseAfterMs: 24 * HOUR, escalation: CHAIN };

function fresh(t: TicketTargets = targets, receivedAt = T0): TicketState {
  return openTicket({ ticketId: 't1', number: 1001, plan: 'advanced', impact: 'A', receivedAt, targets: t });
}
function step(s: TicketState, st: Step, at: number): TicketState {
  return applyStep(s, st, at, 'tech@lastcall.example').state;
}
/** "type:clock" of each event, the shape most expectations below are written in. */
const tc = (events: TicketEvent[]) => events.map((e) => `${e.type}:${e.data.clock}`);
const respond: Step = { kind: 'respond', via: 'email', message: 'on it' };
const t = (iso: string) => Date.parse(iso);

describe('escalation chain (unit)', () => {
  describe('levels fire in order', () => {
    it('the first alarm is the response warning at 75 % (45 of 60 min)', () => {
      expect(pendingAlarms(fresh())[0]).to.deep.include({ clock: 'response', kind: 'warning', level: 0, notify: 'assignee_or_lead', fraction: 0.75, at: T0 + 45 * MIN });
    });

    it('warning at 45m, breach at 60m, escalation at 90m, each naming its audience', () => {
      const w = applyDueAlarms(fresh(), T0 + 45 * MIN);
      expect(tc(w.events)).to.deep.equal(['sla_warning:response']);
      expect(w.events[0].data.notify).to.equal('assignee_or_lead');

      const b = applyDueAlarms(w.state, T0 + 60 * MIN);
      expect(tc(b.events)).to.deep.equal(['sla_breached:response']);
      expect(b.events[0].data.notify).to.equal('lead');
      expect(b.state.response.breachedAt).to.equal(T0 + 60 * MIN);

      expect(pendingAlarms(b.state)[0]).to.deep.include({ clock: 'response', kind: 'escalation', level: 2, at: T0 + 90 * MIN });
      const e = applyDueAlarms(b.state, T0 + 90 * MIN);
      expect(tc(e.events)).to.deep.equal(['sla_escalated:response']);
      expect(e.events[0].data).to.deep.include({ notify: 'manager', fraction: 1.5, level: 2, dueAt: T0 + 60 * MIN, escalatedAt: T0 + 90 * MIN });
    });

    it('each level fires once: applying again yields no response event', () => {
      let s = fresh();
      s = applyDueAlarms(s, T0 + 45 * MIN).state;
      expect(applyDueAlarms(s, T0 + 45 * MIN).events).to.deep.equal([]);
      s = applyDueAlarms(s, T0 + 60 * MIN).state;
      expect(applyDueAlarms(s, T0 + 60 * MIN).events).to.deep.equal([]);
      s = applyDueAlarms(s, T0 + 90 * MIN).state;
      expect(applyDueAlarms(s, T0 + 90 * MIN).events).to.deep.equal([]);
      expect(applyDueAlarms(s, T0 + 179 * MIN).events).to.deep.equal([]);
      // 200m: only the resolution warning (240 × 0.75 = 180m) is new.
      expect(tc(applyDueAlarms(s, T0 + 200 * MIN).events)).to.deep.equal(['sla_warning:resolution']);
    });
  });

  describe('catch-up', () => {
    it('at 100m a fresh ticket gets the response breach then escalation, the warning passed silently', () => {
      const r = applyDueAlarms(fresh(), T0 + 100 * MIN);
      expect(tc(r.events)).to.deep.equal(['sla_breached:response', 'sla_escalated:response']);
      expect(r.events[0].data).to.deep.include({ dueAt: T0 + 60 * MIN, lateByMs: 40 * MIN });
      expect(r.events[1].data.escalatedAt).to.equal(T0 + 90 * MIN);
      expect(r.events.map((e) => e.at)).to.deep.equal([T0 + 100 * MIN, T0 + 100 * MIN]);
    });

    it('the resolution warning (180m) is not due at 100m', () => {
      const r = applyDueAlarms(fresh(), T0 + 100 * MIN);
      expect(r.state.resolution.level).to.equal(0);
      expect(pendingAlarms(r.state)).to.have.length(1);
      expect(pendingAlarms(r.state)[0]).to.deep.include({ clock: 'resolution', kind: 'warning', at: T0 + 180 * MIN });
    });
  });

  describe('cancelled when the ticket moves on', () => {
    it('a response at 70m (after the breach, before 90m) stops the response escalation', () => {
      const r = applyStep(fresh(), respond, T0 + 70 * MIN, 'tech');
      expect(r.events.map((e) => e.type)).to.deep.equal(['sla_breached', 'responded']);
      const later = applyDueAlarms(r.state, T0 + 500 * MIN);
      // Resolution: warning (180) passed silently, breach (240), escalation (360).
      expect(tc(later.events)).to.deep.equal(['sla_breached:resolution', 'sla_escalated:resolution']);
    });

    it('resolving at 250m (after the breach, before 360m) stops the resolution escalation', () => {
      let s = step(fresh(), respond, T0 + 10 * MIN);
      const r = applyStep(s, { kind: 'resolve', resolution: 'fixed' }, T0 + 250 * MIN, 'tech');
      expect(r.events.map((e) => e.type)).to.deep.equal(['sla_breached', 'resolved']);
      expect(r.events[0].data.clock).to.equal('resolution');
      s = r.state;
      expect(pendingAlarms(s)).to.deep.equal([]);
      expect(applyDueAlarms(s, T0 + 1000 * MIN).events).to.deep.equal([]);
    });
  });

  describe('tickets from before the chain', () => {
    const legacy: TicketTargets = { responseMs: 60 * MIN, resolutionMs: 240 * MIN, autoCloseAfterMs: 24 * HOUR, warningThreshold: 0.75 };

    it('warn at 45m and breach at 60m with the default audiences', () => {
      const w = applyDueAlarms(fresh(legacy), T0 + 45 * MIN);
      expect(tc(w.events)).to.deep.equal(['sla_warning:response']);
      expect(w.events[0].data.notify).to.equal('assignee_or_lead');
      const b = applyDueAlarms(w.state, T0 + 60 * MIN);
      expect(tc(b.events)).to.deep.equal(['sla_breached:response']);
      expect(b.events[0].data.notify).to.equal('lead');
    });

    it('never escalate, however late', () => {
      const r = applyDueAlarms(fresh(legacy), T0 + 10_000 * MIN);
      expect(tc(r.events)).to.deep.equal(['sla_breached:response', 'sla_breached:resolution']);
      expect(pendingAlarms(r.state)).to.deep.equal([]);
      expect(applyDueAlarms(r.state, T0 + 20_000 * MIN).events).to.deep.equal([]);
    });
  });

  describe('reopen of a breached clock', () => {
    it('escalates once 360m of running time have passed, the resolved stretch not counted', () => {
      let s = step(fresh(), respond, T0 + 10 * MIN);
      s = step(s, { kind: 'resolve', resolution: 'fixed' }, T0 + 250 * MIN); // breached at 240, 250m elapsed
      s = step(s, { kind: 'reopen', reason: 'back' }, T0 + 300 * MIN); // 50m resolved stretch
      // 360 − 250 = 110m more running time from 300m: 410m.
      expect(pendingAlarms(s)).to.have.length(1);
      expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'resolution', kind: 'escalation', level: 2, at: T0 + 410 * MIN });
      expect(applyDueAlarms(s, T0 + 409 * MIN).events).to.deep.equal([]);
      const r = applyDueAlarms(s, T0 + 410 * MIN);
      expect(tc(r.events)).to.deep.equal(['sla_escalated:resolution']);
      expect(r.events[0].data.escalatedAt).to.equal(T0 + 410 * MIN);
      expect(applyDueAlarms(r.state, T0 + 1000 * MIN).events).to.deep.equal([]);
    });

    it('a breached clock does not warn or breach again after the reopen', () => {
      let s = step(fresh(), respond, T0 + 10 * MIN);
      s = step(s, { kind: 'resolve', resolution: 'fixed' }, T0 + 250 * MIN);
      s = step(s, { kind: 'reopen' }, T0 + 300 * MIN);
      const r = applyDueAlarms(s, T0 + 405 * MIN);
      expect(r.events).to.deep.equal([]);
      expect(r.state.resolution.breachedAt).to.equal(T0 + 240 * MIN);
    });
  });

  describe('waiting on the customer', () => {
    it('a pause shifts the escalation instant by the pause length', () => {
      let s = step(fresh(), respond, T0 + 10 * MIN);
      s = applyDueAlarms(s, T0 + 240 * MIN).state; // warning 180 passed silently, breach at 240
      s = step(s, { kind: 'wait-for-customer' }, T0 + 300 * MIN); // 300m elapsed
      expect(pendingAlarms(s)).to.deep.equal([]);
      // 370m is past the unpaused escalation (360m) but the clock is paused.
      expect(applyDueAlarms(s, T0 + 370 * MIN).events).to.deep.equal([]);
      const replied = applyStep(s, { kind: 'customer-replied' }, T0 + 380 * MIN, 'customer');
      expect(replied.events.map((e) => e.type)).to.deep.equal(['customer_replied']);
      s = replied.state;
      // 80m pause: 360 + 80 = 440m.
      expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'resolution', kind: 'escalation', at: T0 + 440 * MIN });
      expect(applyDueAlarms(s, T0 + 439 * MIN).events).to.deep.equal([]);
      expect(tc(applyDueAlarms(s, T0 + 440 * MIN).events)).to.deep.equal(['sla_escalated:resolution']);
    });

    it('a pause before the warning shifts every level', () => {
      let s = step(fresh(), respond, T0 + 10 * MIN);
      s = step(s, { kind: 'wait-for-customer' }, T0 + 100 * MIN);
      s = step(s, { kind: 'customer-replied' }, T0 + 130 * MIN); // 30m pause
      expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'resolution', kind: 'warning', at: T0 + 210 * MIN });
      s = applyDueAlarms(s, T0 + 210 * MIN).state;
      expect(pendingAlarms(s)[0]).to.deep.include({ kind: 'breach', at: T0 + 270 * MIN });
      s = applyDueAlarms(s, T0 + 270 * MIN).state;
      expect(s.resolution.breachedAt).to.equal(T0 + 270 * MIN);
      expect(pendingAlarms(s)[0]).to.deep.include({ kind: 'escalation', at: T0 + 390 * MIN });
    });
  });

  describe('the escalation names the instant the target was missed', () => {
    // The escalation e-mail says "missed its … target at <data.dueAt>": after a pause that must still
    // be the breach instant (240m), not runningSince + (target − elapsed) = 380 + (240 − 300) = 320m.
    it('after a pause past the breach, data.dueAt is still the breach instant (240m)', () => {
      let s = step(fresh(), respond, T0 + 10 * MIN);
      s = applyDueAlarms(s, T0 + 240 * MIN).state;
      s = step(s, { kind: 'wait-for-customer' }, T0 + 300 * MIN);
      s = step(s, { kind: 'customer-replied' }, T0 + 380 * MIN);
      const r = applyDueAlarms(s, T0 + 440 * MIN);
      expect(r.events[0].data.dueAt).to.equal(T0 + 240 * MIN);
    });

    // With a calendar, a negative remaining budget must not turn the reopen instant into the due time. Received Mon 2026-11-30 09:00 local (12:00Z), 2h
    // resolution, resolved 11:30 local (breach 11:00 local = 14:00Z), reopened 14:00 local (17:00Z);
    // escalation at 3h working = 14:30 local (17:30Z). Actual data.dueAt 17:00Z, expected 14:00Z.
    it('after a reopen of a calendar clock, data.dueAt is still the breach instant', () => {
      const MON_09 = t('2026-11-30T12:00:00Z');
      const cal: TicketTargets = { responseMs: 30 * MIN, resolutionMs: 2 * HOUR, autoCloseAfterMs: 24 * HOUR, escalation: CHAIN, calendar: CHILE_OFFICE_HOURS };
      let s = step(fresh(cal, MON_09), respond, MON_09 + 10 * MIN);
      s = step(s, { kind: 'resolve', resolution: 'fixed' }, t('2026-11-30T14:30:00Z'));
      s = step(s, { kind: 'reopen' }, t('2026-11-30T17:00:00Z'));
      const r = applyDueAlarms(s, t('2026-11-30T17:30:00Z'));
      expect(tc(r.events)).to.deep.equal(['sla_escalated:resolution']);
      expect(r.events[0].data.dueAt).to.equal(t('2026-11-30T14:00:00Z'));
    });
  });

  describe('calendar clocks (Santiago office hours)', () => {
    // America/Santiago is UTC−3 from September to April (checked with luxon for every date below).
    const cal = (responseMs: number, resolutionMs: number): TicketTargets => ({
      responseMs,
      resolutionMs,
      autoCloseAfterMs: 24 * HOUR,
      escalation: CHAIN,
      calendar: CHILE_OFFICE_HOURS,
    });
    const FRI_17 = t('2026-11-27T20:00:00Z'); // Friday 17:00 local

    it('Friday 17:00 + 2h is due Monday 10:00, warned Monday 09:30', () => {
      const s = fresh(cal(2 * HOUR, 8 * HOUR), FRI_17);
      expect(slaView(s, FRI_17).response.dueAt).to.equal('2026-11-30T13:00:00.000Z');
      expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'response', kind: 'warning', at: t('2026-11-30T12:30:00Z') });
    });

    it('the weekend does not count: Saturday noon still has 1h left', () => {
      const s = fresh(cal(2 * HOUR, 8 * HOUR), FRI_17);
      const v = slaView(s, t('2026-11-28T15:00:00Z')).response;
      expect(v.remainingMs).to.equal(1 * HOUR);
      expect(v.elapsedMs).to.equal(1 * HOUR);
      expect(v.status).to.equal('running');
      expect(applyDueAlarms(s, t('2026-11-29T23:00:00Z')).events).to.deep.equal([]);
    });

    it('levels fire on working time: breach Monday 10:00, escalation Monday 11:00', () => {
      let s = fresh(cal(2 * HOUR, 8 * HOUR), FRI_17);
      const w = applyDueAlarms(s, t('2026-11-30T12:30:00Z'));
      expect(tc(w.events)).to.deep.equal(['sla_warning:response']);
      const b = applyDueAlarms(w.state, t('2026-11-30T13:00:00Z'));
      expect(tc(b.events)).to.deep.equal(['sla_breached:response']);
      expect(b.state.response.breachedAt).to.equal(t('2026-11-30T13:00:00Z'));
      s = b.state;
      // 1.5 × 2h = 3h working: 1h Friday + 2h Monday = Monday 11:00 local.
      expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'response', kind: 'escalation', at: t('2026-11-30T14:00:00Z') });
    });

    it('the 8 December holiday does not count: Monday 17:00 + 2h is due Wednesday 10:00', () => {
      const MON_17 = t('2026-12-07T20:00:00Z');
      const s = fresh(cal(2 * HOUR, 8 * HOUR), MON_17);
      expect(slaView(s, MON_17).response.dueAt).to.equal('2026-12-09T13:00:00.000Z');
      expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'response', kind: 'warning', at: t('2026-12-09T12:30:00Z') });
      // Tuesday noon (the holiday): still 1h left.
      expect(slaView(s, t('2026-12-08T15:00:00Z')).response.remainingMs).to.equal(1 * HOUR);
    });

    it('a paused and resumed calendar clock keeps counting working time only', () => {
      const MON_09 = t('2026-11-30T12:00:00Z');
      let s = fresh(cal(2 * HOUR, 16 * HOUR), MON_09);
      s = step(s, respond, t('2026-11-30T13:00:00Z')); // Monday 10:00
      s = step(s, { kind: 'wait-for-customer' }, t('2026-11-30T20:00:00Z')); // Monday 17:00: 8h worked
      // Tuesday noon, paused: a working day passes without counting.
      const paused = slaView(s, t('2026-12-01T15:00:00Z')).resolution;
      expect(paused.status).to.equal('paused');
      expect(paused.elapsedMs).to.equal(8 * HOUR);
      expect(paused.remainingMs).to.equal(8 * HOUR);
      s = step(s, { kind: 'customer-replied' }, t('2026-12-02T15:00:00Z')); // Wednesday 12:00
      const resumed = slaView(s, t('2026-12-02T15:00:00Z')).resolution;
      expect(resumed.elapsedMs).to.equal(8 * HOUR);
      // 8h more: Wednesday 12–18 (6h) + Thursday 09–11 (2h).
      expect(resumed.dueAt).to.equal('2026-12-03T14:00:00.000Z');
      // The pause is wall time: Monday 20:00Z to Wednesday 15:00Z.
      expect(resumed.pausedMs).to.equal(43 * HOUR);
      // Warning at 12h: 4h from Wednesday 12:00 = 16:00 local.
      expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'resolution', kind: 'warning', at: t('2026-12-02T19:00:00Z') });
      // Thursday 10:00 local: 8 + 6 + 1 = 15h worked.
      expect(slaView(s, t('2026-12-03T13:00:00Z')).resolution.remainingMs).to.equal(1 * HOUR);
    });

    it('a calendar escalation falls on working time: 24h of a 16h target lands Friday 10:00', () => {
      const MON_09 = t('2026-11-30T12:00:00Z');
      let s = step(fresh(cal(2 * HOUR, 16 * HOUR), MON_09), respond, t('2026-11-30T13:00:00Z'));
      s = step(s, { kind: 'wait-for-customer' }, t('2026-11-30T20:00:00Z'));
      s = step(s, { kind: 'customer-replied' }, t('2026-12-02T15:00:00Z'));
      // Breach at 16h (Thursday 11:00 local), then escalation at 24h: Wed 6h + Thu 9h + Fri 1h.
      s = applyDueAlarms(s, t('2026-12-03T14:00:00Z')).state;
      expect(s.resolution.breachedAt).to.equal(t('2026-12-03T14:00:00Z'));
      expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'resolution', kind: 'escalation', at: t('2026-12-04T13:00:00Z') });
    });
  });
});
