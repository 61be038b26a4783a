import { expect } from 'chai';
import type { Plan } from '../../domain/plans';
import { CHILE_OFFICE_HOURS } from '../../domain/business-calendar';
import { pickSpecialist, proposedStart, sessionAllowed, SESSION_ACTIONS_BY_STATUS, type SessionEvent, type SpecialistCandidate } from '../../domain/sessions';
import type { TicketTargets } from '../../domain/sla-policy';
import {
  activeSessions,
  applyDueAlarms,
  applySessionEvent,
  applySessionRequested,
  applyStep,
  autoBrandMeetingDue,
  checkSessionRequest,
  NotInPlan,
  openTicket,
  slaView,
  StepNotAllowed,
  type Step,
  type TicketState,
} from '../../domain/ticket-lifecycle';

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const MIN = 60_000;
const targets: TicketTargets = { responseMs: 60 * MIN, resolutionMs: 240 * MIN, autoCloseAfterMs: 24 * 60 * MIN };

function fresh(plan: Plan = 'advanced', t: TicketTargets = targets): TicketState {
  return openTicket({ ticketId: 't1', number: 1001, plan, impact: 'A', receivedAt: T0, targets: t });
}
function step(s: TicketState, st: Step, at: number): TicketState {
  return applyStep(s, st, at, 'tech@lastcall.example').state;
}
function request(s: TicketState, kind: SessionEvent['kind'], sessionId: string, at: number): TicketState {
  return applySessionRequested(s, { kind, sessionId }, at, 'tech@lastcall.example').state;
}
/** A session workflow's report; `status` is the session's status after it. */
function report(sessionId: string, kind: SessionEvent['kind'], type: SessionEvent['type'], status: SessionEvent['status'], at: number): SessionEvent {
  return { sessionId, kind, type, status, at, actor: 'system', attempt: 1, startsAt: at, host: { email: 'spec@lastcall.example' }, data: {} };
}

describe('sessions (unit)', () => {
  describe('pickSpecialist', () => {
    const people: SpecialistCandidate[] = [
      { id: 's4', name: 'Ana', email: 'ana2@x', technologies: ['oracle'], load: 1 },
      { id: 's3', name: 'Carla', email: 'carla@x', technologies: ['Oracle', 'Linux'], load: 2 },
      { id: 's2', name: 'Bruno', email: 'bruno@x', technologies: ['oracle'], load: 1 },
      { id: 's1', name: 'Ana', email: 'ana1@x', technologies: ['ORACLE'], load: 1 },
      { id: 's5', name: 'Zoe', email: 'zoe@x', technologies: ['linux'], load: 0 },
    ];
    const pick = (tech: string, exclude: string[] = []) => pickSpecialist(people, tech, exclude)?.id ?? null;

    it('the least loaded wins over an earlier name', () => {
      expect(pick('linux')).to.equal('s5');
    });

    it('matches the technology case-insensitively', () => {
      expect(pick('LiNuX')).to.equal('s5');
      expect(pick('Oracle')).to.equal('s1');
    });

    it('breaks ties by name, then by id', () => {
      // s1, s2, s4 all carry load 1: Ana before Bruno, and of the two Anas s1 before s4.
      expect(pick('oracle')).to.equal('s1');
    });

    it('skips excluded ids', () => {
      expect(pick('oracle', ['s1'])).to.equal('s4');
      expect(pick('oracle', ['s1', 's4'])).to.equal('s2');
      expect(pick('oracle', ['s1', 's4', 's2'])).to.equal('s3');
      expect(pick('linux', ['s5'])).to.equal('s3');
    });

    it('is null when nobody knows the technology', () => {
      expect(pick('sap')).to.equal(null);
      expect(pick('oracle', ['s1', 's2', 's3', 's4'])).to.equal(null);
      expect(pickSpecialist([], 'oracle')).to.equal(null);
    });
  });

  describe('sessionAllowed', () => {
    it('Standard allows no session kind', () => {
      expect([sessionAllowed('standard', 'specialist'), sessionAllowed('standard', 'remote'), sessionAllowed('standard', 'brand')]).to.deep.equal([false, false, false]);
    });

    it('Advanced allows all three', () => {
      expect([sessionAllowed('advanced', 'specialist'), sessionAllowed('advanced', 'remote'), sessionAllowed('advanced', 'brand')]).to.deep.equal([true, true, true]);
    });
  });

  describe('checkSessionRequest', () => {
    it('a Standard ticket is refused with NotInPlan naming the plan', () => {
      expect(() => checkSessionRequest(fresh('standard'), 'specialist')).to.throw(NotInPlan, 'the standard plan does not include specialist sessions');
      expect(() => checkSessionRequest(fresh('standard'), 'brand')).to.throw(NotInPlan, 'the standard plan does not include brand-engineer meetings');
    });

    it('a resolved or closed Advanced ticket is refused with StepNotAllowed', () => {
      const resolved = step(fresh(), { kind: 'resolve', resolution: 'done' }, T0 + 10 * MIN);
      const closed = step(resolved, { kind: 'close' }, T0 + 20 * MIN);
      expect(() => checkSessionRequest(resolved, 'remote')).to.throw(StepNotAllowed, /is resolved; reopen it/);
      expect(() => checkSessionRequest(closed, 'remote')).to.throw(StepNotAllowed, /is closed/);
      try {
        checkSessionRequest(resolved, 'remote');
        expect.fail('should have thrown');
      } catch (e) {
        expect(e).to.be.instanceOf(StepNotAllowed);
        expect((e as StepNotAllowed).step).to.equal('request remote session');
        expect((e as StepNotAllowed).status).to.equal('resolved');
      }
    });

    it('an open or in-progress Advanced ticket may ask', () => {
      expect(() => checkSessionRequest(fresh(), 'brand')).not.to.throw();
      const working = step(fresh(), { kind: 'respond', via: 'email', message: 'x' }, T0 + 5 * MIN);
      expect(() => checkSessionRequest(working, 'specialist')).not.to.throw();
    });

    it('a second active session of the same kind is refused; another kind is fine', () => {
      const s = request(fresh(), 'specialist', 'sp-1', T0 + MIN);
      expect(() => checkSessionRequest(s, 'specialist')).to.throw(StepNotAllowed, 'already has a specialist session under way (sp-1, waiting)');
      expect(() => checkSessionRequest(s, 'remote')).not.to.throw();
      expect(() => checkSessionRequest(s, 'brand')).not.to.throw();
    });

    it('a stalled session still blocks; once it ends a new one of that kind is allowed', () => {
      let s = request(fresh(), 'specialist', 'sp-1', T0 + MIN);
      s = applySessionEvent(s, report('sp-1', 'specialist', 'stalled', 'stalled', T0 + 2 * MIN)).state;
      expect(() => checkSessionRequest(s, 'specialist')).to.throw(StepNotAllowed, /sp-1, stalled/);
      s = applySessionEvent(s, report('sp-1', 'specialist', 'cancelled', 'cancelled', T0 + 3 * MIN)).state;
      expect(() => checkSessionRequest(s, 'specialist')).not.to.throw();
      expect(activeSessions(s)).to.deep.equal([]);
    });

    it('applySessionRequested enforces the same check', () => {
      expect(() => applySessionRequested(fresh('standard'), { kind: 'remote', sessionId: 'r-1' }, T0, 'tech')).to.throw(NotInPlan);
    });
  });

  describe('applySessionRequested', () => {
    it('a brand request flags the ticket complex, then records the request', () => {
      const r = applySessionRequested(fresh(), { kind: 'brand', sessionId: 'b-1', reason: 'firmware crash' }, T0 + 5 * MIN, 'lead@x');
      expect(r.events.map((e) => e.type)).to.deep.equal(['flagged_complex', 'session_requested']);
      expect(r.events.map((e) => e.seq)).to.deep.equal([1, 2]);
      expect(r.events[0].data).to.deep.equal({ reason: 'firmware crash' });
      expect(r.events[1].data).to.deep.equal({ sessionId: 'b-1', kind: 'brand', reason: 'firmware crash' });
      expect(r.state.complex).to.equal(true);
      expect(r.state.sessions).to.deep.equal([
        { id: 'b-1', kind: 'brand', status: 'waiting', attempt: 0, startsAt: null, host: null, requestedAt: T0 + 5 * MIN, requestedBy: 'lead@x' },
      ]);
    });

    it('a second brand request after the first ended is not flagged again', () => {
      let s = request(fresh(), 'brand', 'b-1', T0 + 5 * MIN);
      s = applySessionEvent(s, report('b-1', 'brand', 'no_show', 'no_show', T0 + 60 * MIN)).state;
      const r = applySessionRequested(s, { kind: 'brand', sessionId: 'b-2' }, T0 + 70 * MIN, 'lead@x');
      expect(r.events.map((e) => e.type)).to.deep.equal(['session_requested']);
      expect(r.state.sessions.map((x) => x.id)).to.deep.equal(['b-1', 'b-2']);
    });

    it('a specialist request does not flag the ticket complex', () => {
      const r = applySessionRequested(fresh(), { kind: 'specialist', sessionId: 'sp-1' }, T0, 'tech');
      expect(r.events.map((e) => e.type)).to.deep.equal(['session_requested']);
      expect(r.state.complex).to.equal(false);
    });
  });

  describe('applySessionEvent', () => {
    it('a held session on an open ticket is its first response', () => {
      const s = request(fresh(), 'remote', 'r-1', T0 + 5 * MIN);
      const r = applySessionEvent(s, report('r-1', 'remote', 'held', 'held', T0 + 20 * MIN));
      expect(r.events.map((e) => e.type)).to.deep.equal(['session_held', 'responded', 'sla_met']);
      expect(r.events[0].data).to.deep.include({ sessionId: 'r-1', kind: 'remote' });
      expect(r.events[1].data.via).to.equal('remote_session');
      expect(r.events[2].data).to.deep.include({ clock: 'response', metAt: T0 + 20 * MIN });
      expect(r.state.status).to.equal('in_progress');
      expect(r.state.respondedVia).to.equal('remote_session');
      expect(r.state.sessions[0].status).to.equal('held');
      expect(slaView(r.state, T0 + 20 * MIN).response.status).to.equal('met');
    });

    it('a held session after the response target records the breach, not a met target', () => {
      const s = request(fresh(), 'remote', 'r-1', T0 + 5 * MIN);
      const r = applySessionEvent(s, report('r-1', 'remote', 'held', 'held', T0 + 70 * MIN));
      expect(r.events.map((e) => e.type)).to.deep.equal(['session_held', 'sla_breached', 'responded']);
      expect(r.state.response.breachedAt).to.equal(T0 + 60 * MIN);
    });

    it('a held session on an answered ticket records only session_held', () => {
      let s = step(fresh(), { kind: 'respond', via: 'phone', message: 'calling' }, T0 + 10 * MIN);
      s = request(s, 'remote', 'r-1', T0 + 15 * MIN);
      const r = applySessionEvent(s, report('r-1', 'remote', 'held', 'held', T0 + 20 * MIN));
      expect(r.events.map((e) => e.type)).to.deep.equal(['session_held']);
      expect(r.state.respondedVia).to.equal('phone');
      expect(r.state.status).to.equal('in_progress');
    });

    it('a report for an unknown session id is ignored', () => {
      const s = request(fresh(), 'remote', 'r-1', T0 + 5 * MIN);
      const r = applySessionEvent(s, report('r-9', 'remote', 'held', 'held', T0 + 20 * MIN));
      expect(r.events).to.deep.equal([]);
      expect(r.state).to.equal(s);
      expect(r.state.status).to.equal('open');
    });

    it('other reports update the summary without answering the ticket', () => {
      const s = request(fresh(), 'specialist', 'sp-1', T0 + 5 * MIN);
      const r = applySessionEvent(s, report('sp-1', 'specialist', 'proposed', 'proposed', T0 + 6 * MIN));
      expect(r.events.map((e) => e.type)).to.deep.equal(['session_proposed']);
      expect(r.state.status).to.equal('open');
      expect(r.state.sessions[0]).to.deep.include({ status: 'proposed', attempt: 1, startsAt: T0 + 6 * MIN });
      expect(activeSessions(r.state).map((x) => x.id)).to.deep.equal(['sp-1']);
    });
  });

  describe('autoBrandMeetingDue', () => {
    const onResponse: TicketTargets = { ...targets, autoBrandMeetingOn: ['response'] };

    it("is 'response' when a response breach was just recorded", () => {
      const r = applyDueAlarms(fresh('advanced', onResponse), T0 + 61 * MIN);
      expect(r.events.map((e) => e.type)).to.deep.equal(['sla_breached']);
      expect(autoBrandMeetingDue(r.state, r.events)).to.equal('response');
    });

    it('is null for a Standard ticket', () => {
      const r = applyDueAlarms(fresh('standard', onResponse), T0 + 61 * MIN);
      expect(r.events.map((e) => e.type)).to.deep.equal(['sla_breached']);
      expect(autoBrandMeetingDue(r.state, r.events)).to.equal(null);
    });

    it('is null for a resolution breach when only response is configured', () => {
      const s = step(fresh('advanced', onResponse), { kind: 'respond', via: 'email', message: 'x' }, T0 + 10 * MIN);
      const r = applyDueAlarms(s, T0 + 241 * MIN);
      expect(r.events.map((e) => `${e.type}:${e.data.clock}`)).to.deep.equal(['sla_breached:resolution']);
      expect(autoBrandMeetingDue(r.state, r.events)).to.equal(null);
    });

    it('is null once the ticket is complex', () => {
      const s = request(fresh('advanced', onResponse), 'brand', 'b-1', T0 + 30 * MIN);
      const r = applyDueAlarms(s, T0 + 61 * MIN);
      expect(r.events.map((e) => e.type)).to.deep.equal(['sla_breached']);
      expect(autoBrandMeetingDue(r.state, r.events)).to.equal(null);
    });

    it('is null when no breach is among the events', () => {
      const r = applyDueAlarms(fresh('advanced', onResponse), T0 + 45 * MIN);
      expect(r.events.map((e) => e.type)).to.deep.equal(['sla_warning']);
      expect(autoBrandMeetingDue(r.state, r.events)).to.equal(null);
    });
  });

  describe('SESSION_ACTIONS_BY_STATUS', () => {
    it('proposed allows confirm, decline and outcome', () => {
      expect(SESSION_ACTIONS_BY_STATUS.proposed).to.deep.equal(['confirm', 'decline', 'outcome']);
    });

    it('held and cancelled allow nothing', () => {
      expect(SESSION_ACTIONS_BY_STATUS.held).to.deep.equal([]);
      expect(SESSION_ACTIONS_BY_STATUS.cancelled).to.deep.equal([]);
    });
  });

  describe('proposedStart', () => {
    const at = (iso: string) => Date.parse(iso);
    const HOUR = 3_600_000;

    it('is the lead time ahead, on the next quarter hour', () => {
      expect(proposedStart(at('2026-11-25T10:07:30Z'), 4 * HOUR, null, null)).to.equal(at('2026-11-25T14:15:00Z'));
      expect(proposedStart(at('2026-11-25T10:00:00Z'), 4 * HOUR, null, null)).to.equal(at('2026-11-25T14:00:00Z'));
    });

    it('keeps whole seconds for lead times under a quarter hour (calendar invitations carry no milliseconds)', () => {
      expect(proposedStart(at('2026-11-25T10:00:00.250Z'), 6_000, null, null)).to.equal(at('2026-11-25T10:00:07Z'));
    });

    it('takes the time asked for while it is ahead, else falls back to the lead time', () => {
      expect(proposedStart(at('2026-11-25T10:00:00Z'), 4 * HOUR, at('2026-11-26T15:30:00.400Z'), null)).to.equal(at('2026-11-26T15:30:01Z'));
      expect(proposedStart(at('2026-11-25T10:00:00Z'), 4 * HOUR, at('2026-11-25T09:00:00Z'), null)).to.equal(at('2026-11-25T14:00:00Z'));
    });

    it('moves a proposal outside office hours to the next opening', () => {
      // Friday 2026-11-27 16:00 in Santiago (UTC−3) + 4 h = 20:00, closed: Monday 09:00 local = 12:00Z.
      expect(proposedStart(at('2026-11-27T19:00:00Z'), 4 * HOUR, null, CHILE_OFFICE_HOURS)).to.equal(at('2026-11-30T12:00:00Z'));
      // Inside office hours it stays: Wednesday 10:00 local + 4 h = 14:00 local = 17:00Z.
      expect(proposedStart(at('2026-11-25T13:00:00Z'), 4 * HOUR, null, CHILE_OFFICE_HOURS)).to.equal(at('2026-11-25T17:00:00Z'));
      // Monday 2026-12-07 17:00 local + 4 h lands on the 2026-12-08 holiday night: Wednesday 09:00 local.
      expect(proposedStart(at('2026-12-07T20:00:00Z'), 4 * HOUR, null, CHILE_OFFICE_HOURS)).to.equal(at('2026-12-09T12:00:00Z'));
    });
  });
});
