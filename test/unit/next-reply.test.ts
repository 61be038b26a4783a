// The third clock: after the customer writes to a ticket being worked, support owes an answer within
// the policy's next-reply target. Pure domain rules, in milliseconds.
import { expect } from 'chai';
import { slaPolicySchema, targetsFor, DEFAULT_SLA_POLICY } from '../../domain/sla-policy';
import {
  allowedSteps,
  applyCustomerMessage,
  applyDueAlarms,
  applyStep,
  checkStep,
  isBreached,
  nextWakeUp,
  openTicket,
  pendingAlarms,
  slaView,
  StepNotAllowed,
  type Step,
  type TicketEvent,
  type TicketState,
} from '../../domain/ticket-lifecycle';
import { countdowns } from '../../web/view-models';

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const MIN = 60_000;
const targets = { responseMs: 60 * MIN, resolutionMs: 24 * 60 * MIN, nextReplyMs: 30 * MIN, warningThreshold: 0.75, autoCloseAfterMs: 24 * 60 * MIN };
const TECH = 'tech@lastcall.example';

function fresh(t: Partial<typeof targets> = {}): TicketState {
  return openTicket({ ticketId: 't1', number: 1001, plan: 'advanced', impact: 'A', receivedAt: T0, targets: { ...targets, ...t } });
}
function step(s: TicketState, st: Step, at: number, events: TicketEvent[] = []): TicketState {
  const r = applyStep(s, st, at, TECH);
  events.push(...r.events);
  return r.state;
}
function wrote(s: TicketState, at: number, events: TicketEvent[] = []): TicketState {
  const r = applyCustomerMessage(s, { via: 'email', message: { textId: '6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', chars: 5 } }, at, 'customer:ana@acme.test');
  events.push(...r.events);
  return r.state;
}
function alarms(s: TicketState, at: number, events: TicketEvent[] = []): TicketState {
  const r = applyDueAlarms(s, at);
  events.push(...r.events);
  return r.state;
}
const answered = (s: TicketState, at: number) => step(s, { kind: 'respond', via: 'email', message: 'On it' }, at);
const reply = (s: TicketState, at: number, events?: TicketEvent[]) => step(s, { kind: 'reply', via: 'email', message: 'Try this' }, at, events);
const iso = (ms: number) => new Date(ms).toISOString();
const clockEvents = (events: TicketEvent[]) => events.filter((e) => e.data.clock === 'nextReply').map((e) => e.type);

describe('next-reply clock (unit)', () => {
  it('is optional in the policy, off unless a row sets it, and refused when malformed', () => {
    expect(targetsFor(DEFAULT_SLA_POLICY, 'advanced', 'A')).not.to.have.property('nextReplyMs');
    const policy = structuredClone(DEFAULT_SLA_POLICY);
    policy.targets.advanced.A.nextReply = 'PT30M';
    expect(targetsFor(slaPolicySchema.parse(policy), 'advanced', 'A').nextReplyMs).to.equal(30 * MIN);
    policy.targets.advanced.A.nextReply = 'P1M';
    expect(slaPolicySchema.safeParse(policy).success).to.equal(false);
    // Without a target, a customer's message starts no clock.
    const s = wrote(answered(fresh({ nextReplyMs: undefined }), T0 + 5 * MIN), T0 + 10 * MIN);
    expect(s.nextReply).to.equal(null);
    expect(slaView(s, T0 + 20 * MIN).nextReply).to.equal(null);
  });

  it('does not run before the first response: the response clock is what is owed then', () => {
    const s = wrote(fresh(), T0 + 5 * MIN);
    expect(s.nextReply).to.equal(null);
    expect(pendingAlarms(s).map((a) => a.clock)).to.deep.equal(['response', 'resolution']);
  });

  it('starts at the customer message after the first response and stops, met, at the reply', () => {
    const events: TicketEvent[] = [];
    let s = wrote(answered(fresh(), T0 + 5 * MIN), T0 + 10 * MIN, events);
    expect(slaView(s, T0 + 20 * MIN).nextReply).to.include({ status: 'running', dueAt: iso(T0 + 40 * MIN), remainingMs: 20 * MIN });
    expect(nextWakeUp(s)).to.equal(T0 + 10 * MIN + 0.75 * 30 * MIN);
    s = reply(s, T0 + 25 * MIN, events);
    expect(slaView(s, T0 + 60 * MIN).nextReply).to.include({ status: 'met', metAt: iso(T0 + 25 * MIN) });
    expect(events.map((e) => e.type)).to.deep.equal(['customer_message', 'replied', 'sla_met']);
    expect(events[2].data).to.deep.include({ clock: 'nextReply', dueAt: T0 + 40 * MIN, metAt: T0 + 25 * MIN });
    expect(pendingAlarms(s).map((a) => a.clock)).to.deep.equal(['resolution']);
    expect(isBreached(s)).to.equal(false);
  });

  it('counts from the oldest unanswered message: a second one does not move the due time', () => {
    let s = wrote(answered(fresh(), T0 + 5 * MIN), T0 + 10 * MIN);
    s = wrote(s, T0 + 25 * MIN);
    expect(slaView(s, T0 + 26 * MIN).nextReply!.dueAt).to.equal(iso(T0 + 40 * MIN));
  });

  it('warns, breaches and escalates on the chain like the other clocks; each cycle is its own target', () => {
    const events: TicketEvent[] = [];
    let s = wrote(answered(fresh({ resolutionMs: 10 * 24 * 60 * MIN }), T0 + 5 * MIN), T0 + 10 * MIN, events);
    s = alarms(s, T0 + 10 * MIN + 22.5 * MIN, events);
    s = alarms(s, T0 + 40 * MIN, events);
    expect(clockEvents(events)).to.deep.equal(['sla_warning', 'sla_breached']);
    expect(events.find((e) => e.type === 'sla_breached')!.data).to.deep.include({ clock: 'nextReply', dueAt: T0 + 40 * MIN, lateByMs: 0 });
    expect(isBreached(s)).to.equal(true);
    s = reply(s, T0 + 50 * MIN, events);
    // A late answer is no "met": the cycle stays breached.
    expect(clockEvents(events)).to.deep.equal(['sla_warning', 'sla_breached']);
    expect(slaView(s, T0 + 60 * MIN).nextReply!.status).to.equal('breached');
    // The next message opens a fresh cycle, answered in time this time.
    s = wrote(s, T0 + 60 * MIN, events);
    expect(slaView(s, T0 + 61 * MIN).nextReply).to.include({ status: 'running', dueAt: iso(T0 + 90 * MIN), breachedAt: null });
    s = reply(s, T0 + 70 * MIN, events);
    expect(clockEvents(events)).to.deep.equal(['sla_warning', 'sla_breached', 'sla_met']);
    // The ticket stays breached: the first cycle was missed.
    expect(isBreached(s)).to.equal(true);
  });

  it('a wait on the customer and a resolution answer the customer; reopening owes nothing by itself', () => {
    const events: TicketEvent[] = [];
    let s = wrote(answered(fresh(), T0 + 5 * MIN), T0 + 10 * MIN);
    s = step(s, { kind: 'wait-for-customer', message: 'Which version?' }, T0 + 15 * MIN, events);
    expect(clockEvents(events)).to.deep.equal(['sla_met']);
    // The customer answers the question: a new cycle (the same transition resumes the resolution clock).
    s = wrote(s, T0 + 20 * MIN);
    expect(s.status).to.equal('in_progress');
    expect(slaView(s, T0 + 21 * MIN).nextReply).to.include({ status: 'running', dueAt: iso(T0 + 50 * MIN) });
    s = step(s, { kind: 'resolve', resolution: 'Upgraded.' }, T0 + 30 * MIN, events);
    expect(clockEvents(events)).to.deep.equal(['sla_met', 'sla_met']);
    s = step(s, { kind: 'reopen', reason: 'Still broken' }, T0 + 40 * MIN);
    expect(slaView(s, T0 + 41 * MIN).nextReply!.status).to.equal('met');
    expect(pendingAlarms(s).map((a) => a.clock)).to.deep.equal(['resolution']);
  });

  it('the technician may record a reply by phone (customer-replied): it owes an answer too', () => {
    let s = answered(fresh(), T0 + 5 * MIN);
    s = step(s, { kind: 'wait-for-customer' }, T0 + 6 * MIN);
    s = step(s, { kind: 'customer-replied', message: 'Called: it is version 4' }, T0 + 10 * MIN);
    expect(slaView(s, T0 + 11 * MIN).nextReply).to.include({ status: 'running', dueAt: iso(T0 + 40 * MIN) });
  });

  it('reply is a step of a ticket that had its first response; respond stays the first one', () => {
    expect(() => checkStep(fresh(), { kind: 'reply', via: 'email', message: 'x' })).to.throw(StepNotAllowed, /reply follows the first response/);
    const s = answered(fresh(), T0 + 5 * MIN);
    expect(allowedSteps(s)).to.include('reply');
    expect(() => checkStep(s, { kind: 'respond', via: 'email', message: 'x' })).to.throw(StepNotAllowed, /a later answer is a reply/);
    // A reply with no cycle running is an answer all the same, and changes no clock.
    const r = applyStep(s, { kind: 'reply', via: 'phone', message: 'More news' }, T0 + 6 * MIN, TECH);
    expect(r.events.map((e) => e.type)).to.deep.equal(['replied']);
    expect(r.state.status).to.equal('in_progress');
  });

  it('a ticket carried from before the clock existed (no nextReply fields) keeps working', () => {
    const { nextReply: _c, nextReplyMs: _t, ...old } = answered(fresh(), T0 + 5 * MIN);
    const s = wrote(old as TicketState, T0 + 10 * MIN);
    expect(s.nextReply ?? null).to.equal(null);
    expect(pendingAlarms(s).map((a) => a.clock)).to.deep.equal(['resolution']);
    expect(slaView(s, T0 + 11 * MIN).nextReply).to.equal(null);
  });

  it('the pages count a cycle down only while it runs', () => {
    const view = (s: TicketState, at: number) => countdowns({ status: s.status, sla: slaView(s, at), targets: { warningThreshold: 0.75 } });
    let s = wrote(answered(fresh(), T0 + 5 * MIN), T0 + 10 * MIN);
    expect(view(s, T0 + 33 * MIN).nextReply).to.include({ running: true, risk: 'at-risk' });
    s = reply(s, T0 + 34 * MIN);
    expect(view(s, T0 + 35 * MIN).nextReply).to.include({ running: false, risk: 'done', status: 'met' });
    expect(view(fresh(), T0).nextReply).to.equal(null);
  });
});
