import { expect } from 'chai';
import {
  applyAutoClose,
  applyDueAlarms,
  applyStep,
  allowedSteps,
  nextWakeUp,
  openTicket,
  pendingAlarms,
  slaView,
  StepNotAllowed,
  type Step,
  type TicketState,
} from '../../domain/ticket-lifecycle';

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const MIN = 60_000;
const targets = { responseMs: 60 * MIN, resolutionMs: 240 * MIN, warningThreshold: 0.75, autoCloseAfterMs: 24 * 60 * MIN };

function fresh(): TicketState {
  return openTicket({ ticketId: 't1', number: 1001, plan: 'advanced', impact: 'A', receivedAt: T0, targets });
}
function step(s: TicketState, st: Step, at: number): TicketState {
  return applyStep(s, st, at, 'tech@lastcall.example').state;
}

describe('ticket lifecycle and deadline arithmetic (unit)', () => {
  it('counts deadlines from the moment the ticket was received', () => {
    const v = slaView(fresh(), T0 + 10 * MIN);
    expect(v.response.dueAt).to.equal(new Date(T0 + 60 * MIN).toISOString());
    expect(v.resolution.dueAt).to.equal(new Date(T0 + 240 * MIN).toISOString());
    expect(v.response.remainingMs).to.equal(50 * MIN);
    expect(v.response.status).to.equal('running');
  });

  it('a response in time is met and removes the response alarms', () => {
    const s = step(fresh(), { kind: 'respond', via: 'phone', message: 'on it' }, T0 + 20 * MIN);
    const v = slaView(s, T0 + 90 * MIN);
    expect(v.response.status).to.equal('met');
    expect(v.response.metAt).to.equal(new Date(T0 + 20 * MIN).toISOString());
    expect(pendingAlarms(s).map((a) => `${a.clock}:${a.kind}`)).to.deep.equal(['resolution:warning']);
    expect(s.respondedVia).to.equal('phone');
  });

  it('waiting on the customer pauses the resolution clock and shifts its due time by the pause', () => {
    let s = step(fresh(), { kind: 'respond', via: 'email', message: 'hi' }, T0 + 10 * MIN);
    s = step(s, { kind: 'wait-for-customer' }, T0 + 30 * MIN);
    const paused = slaView(s, T0 + 60 * MIN).resolution;
    expect(paused.status).to.equal('paused');
    expect(paused.dueAt).to.equal(null);
    expect(paused.pausedMs).to.equal(30 * MIN);
    expect(paused.remainingMs).to.equal(210 * MIN);
    expect(nextWakeUp(s)).to.equal(null);
    s = step(s, { kind: 'customer-replied' }, T0 + 90 * MIN);
    const resumed = slaView(s, T0 + 90 * MIN).resolution;
    expect(resumed.status).to.equal('running');
    expect(resumed.pausedMs).to.equal(60 * MIN);
    expect(resumed.dueAt).to.equal(new Date(T0 + 300 * MIN).toISOString());
  });

  it('resolve then reopen runs the resolution clock again from where it stopped', () => {
    let s = step(fresh(), { kind: 'respond', via: 'email', message: 'hi' }, T0 + 10 * MIN);
    s = step(s, { kind: 'resolve', resolution: 'restarted the service' }, T0 + 100 * MIN);
    expect(slaView(s, T0 + 200 * MIN).resolution.status).to.equal('met');
    s = step(s, { kind: 'reopen', reason: 'still broken' }, T0 + 160 * MIN);
    const v = slaView(s, T0 + 160 * MIN).resolution;
    expect(v.status).to.equal('running');
    expect(v.elapsedMs).to.equal(100 * MIN);
    expect(v.pausedMs).to.equal(60 * MIN);
    expect(v.dueAt).to.equal(new Date(T0 + 300 * MIN).toISOString());
    expect(s.status).to.equal('in_progress');
  });

  it('fires the warning at 75 % and the breach at the due time, recording the due time as breachedAt', () => {
    const s = fresh();
    expect(pendingAlarms(s)[0]).to.deep.include({ clock: 'response', kind: 'warning', at: T0 + 45 * MIN });
    const warned = applyDueAlarms(s, T0 + 45 * MIN);
    expect(warned.events.map((e) => e.type)).to.deep.equal(['sla_warning']);
    const breached = applyDueAlarms(warned.state, T0 + 61 * MIN);
    expect(breached.events.map((e) => e.type)).to.deep.equal(['sla_breached']);
    expect(breached.state.response.breachedAt).to.equal(T0 + 60 * MIN);
    expect(slaView(breached.state, T0 + 61 * MIN).response.status).to.equal('breached');
  });

  it('skips a warning whose breach is already due (one e-mail that says more)', () => {
    const r = applyDueAlarms(fresh(), T0 + 65 * MIN);
    expect(r.events.map((e) => `${e.type}:${e.data.clock}`)).to.deep.equal(['sla_breached:response']);
  });

  it('a late response cannot turn a missed target into a met one', () => {
    const s = step(fresh(), { kind: 'respond', via: 'email', message: 'sorry' }, T0 + 70 * MIN);
    const v = slaView(s, T0 + 70 * MIN).response;
    expect(v.status).to.equal('breached');
    expect(v.breachedAt).to.equal(new Date(T0 + 60 * MIN).toISOString());
  });

  it('rejects steps that make no sense in the state', () => {
    const responded = step(fresh(), { kind: 'respond', via: 'email', message: 'x' }, T0 + 1);
    expect(() => step(responded, { kind: 'respond', via: 'email', message: 'again' }, T0 + 2)).to.throw(StepNotAllowed, /first response was already given/);
    expect(() => step(fresh(), { kind: 'close' }, T0 + 2)).to.throw(StepNotAllowed);
    const resolved = step(responded, { kind: 'resolve', resolution: 'done' }, T0 + 3);
    const closed = step(resolved, { kind: 'close' }, T0 + 4);
    expect(() => step(closed, { kind: 'resolve', resolution: 'again' }, T0 + 5)).to.throw(StepNotAllowed, /closed/);
    expect(allowedSteps(closed)).to.deep.equal([]);
    expect(allowedSteps(fresh())).to.include.members(['respond', 'resolve', 'assign']);
  });

  it('closes a resolved ticket by itself after the auto-close period, and never before', () => {
    const resolved = step(fresh(), { kind: 'resolve', resolution: 'done' }, T0 + 10 * MIN);
    expect(nextWakeUp(resolved)).to.equal(T0 + 10 * MIN + targets.autoCloseAfterMs);
    expect(applyAutoClose(resolved, T0 + 11 * MIN).events).to.have.length(0);
    const closed = applyAutoClose(resolved, T0 + 10 * MIN + targets.autoCloseAfterMs);
    expect(closed.state.status).to.equal('closed');
    expect(closed.events[0].data.automatic).to.equal(true);
  });

  it('numbers events in order so re-recording them is idempotent', () => {
    let t = applyStep(fresh(), { kind: 'respond', via: 'email', message: 'x' }, T0 + MIN, 'a');
    const seqs = t.events.map((e) => e.seq);
    t = applyStep(t.state, { kind: 'resolve', resolution: 'y' }, T0 + 2 * MIN, 'a');
    const all = [...seqs, ...t.events.map((e) => e.seq)];
    expect(all).to.deep.equal([...all].sort((a, b) => a - b));
    expect(new Set(all).size).to.equal(all.length);
  });
});
