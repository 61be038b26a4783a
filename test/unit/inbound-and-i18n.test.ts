// Pure rules of the ways in: which messages a machine wrote, what an e-mail body says about impact
// and type, and that every value the pages name has words in both languages.
import { expect } from 'chai';
import { automatedReason } from '../../mail/loop-guard';
import { hintsFromBody } from '../../services/inbound-mail';
import { en, es, refusalText, translator } from '../../i18n';
import { CHANNELS, IMPACTS, PLANS, TICKET_TYPES } from '../../domain/plans';
import { TICKET_STATUSES } from '../../domain/ticket-lifecycle';
import { SESSION_ACTIONS, SESSION_KINDS, SESSION_OUTCOMES } from '../../domain/sessions';
import type { ClockView } from '../../domain/sla-clock';
import { countdown } from '../../web/view-models';
import { firstWarningAt } from '../../domain/at-risk';
import { DEFAULT_ESCALATION } from '../../domain/escalation';

const h = (lines: Record<string, string>) => Object.entries(lines).map(([key, value]) => ({ key: key.toLowerCase(), line: `${key}: ${value}` }));

describe('inbound mail: loop guard (unit)', () => {
  const person = 'ana@customer.test';
  it('lets a person\'s message through', () => {
    expect(automatedReason(h({ From: person, Subject: 'Help' }), person, person)).to.equal(null);
    expect(automatedReason(h({ 'Auto-Submitted': 'no' }), person, person)).to.equal(null);
    expect(automatedReason(h({ Precedence: 'first-class' }), person, person)).to.equal(null);
  });
  it('drops auto-replies, bulk mail, bounces and delivery reports', () => {
    expect(automatedReason(h({ 'Auto-Submitted': 'auto-replied' }), person, person)).to.match(/Auto-Submitted/);
    expect(automatedReason(h({ 'Auto-Submitted': 'auto-generated; owner-email="x@y"' }), person, person)).to.match(/Auto-Submitted/);
    for (const p of ['bulk', 'junk', 'list', 'auto_reply', 'BULK']) expect(automatedReason(h({ Precedence: p }), person, person), p).to.match(/Precedence/);
    expect(automatedReason(h({ 'X-Auto-Response-Suppress': 'OOF, AutoReply' }), person, person)).to.equal('X-Auto-Response-Suppress');
    expect(automatedReason(h({ 'X-Autoreply': 'yes' }), person, person)).to.equal('auto-responder header');
    expect(automatedReason(h({}), null, person)).to.equal('null return path');
    expect(automatedReason(h({ 'Return-Path': '<>' }), person, person)).to.equal('null return path');
    expect(automatedReason(h({ 'Content-Type': 'multipart/report; report-type=delivery-status' }), person, person)).to.equal('delivery report');
    expect(automatedReason(h({}), 'mailer-daemon@mx.test', 'MAILER-DAEMON@mx.test')).to.equal('mailer daemon');
  });
});

describe('inbound mail: what a body says (unit)', () => {
  it('reads impact and type lines in Spanish or English, else moderate problem', () => {
    expect(hintsFromBody('The server is down')).to.deep.equal({ impact: 'B', type: 'problem' });
    expect(hintsFromBody('Hola\nImpacto: a\nTipo: consulta')).to.deep.equal({ impact: 'A', type: 'query' });
    expect(hintsFromBody('Impact: C\nType: service request\n')).to.deep.equal({ impact: 'C', type: 'request' });
    expect(hintsFromBody('Impact: Z\nType: nonsense')).to.deep.equal({ impact: 'B', type: 'problem' });
  });
});

describe('i18n (unit)', () => {
  const keys = [
    ...PLANS.map((x) => `plan.${x}`),
    ...IMPACTS.map((x) => `impact.${x}`),
    ...TICKET_TYPES.map((x) => `type.${x}`),
    ...CHANNELS.map((x) => `channel.${x}`),
    ...TICKET_STATUSES.map((x) => `status.${x}`),
    ...SESSION_KINDS.map((x) => `console.session.kind.${x}`),
    ...SESSION_ACTIONS.map((x) => `console.session.action.${x}`),
    ...SESSION_OUTCOMES.map((x) => `console.session.outcome.${x}`),
  ];
  it('has words for every plan, impact, type, channel, status and session value, in both languages', () => {
    for (const k of keys) {
      expect(en, k).to.have.property(k);
      expect(es, k).to.have.property(k);
    }
  });
  it('fills in values and leaves unknown ones visible', () => {
    expect(translator('es')('console.count', { count: 3 })).to.equal('3 casos');
    expect(translator('en')('console.count')).to.equal('{count} tickets');
  });
  it('puts a plan refusal in plain words, with the quota\'s reset date in the customer\'s zone', () => {
    const r = { code: 'QUOTA_EXCEEDED', message: '…', details: { plan: 'standard', limit: 3, used: 3, remaining: 0, resetsAt: '2026-12-01T03:00:00.000Z' } };
    expect(refusalText('es', r, 'America/Santiago')).to.equal('El plan Estándar permite 3 casos por mes calendario y ya se usaron todos. El cupo se renueva el 1 dic 2026, 00:00.');
    expect(refusalText('en', r, 'America/Santiago')).to.equal('The Standard plan allows 3 tickets per calendar month and all are used. The quota resets 1 Dec 2026, 00:00.');
    expect(refusalText('en', { code: 'NO_ACTIVE_SUPPORT', message: '', details: { reason: 'the licences have not been delivered yet' } })).to.equal('There is no support right now: the licences have not been delivered yet.');
    expect(refusalText('es', { code: 'SOMETHING_NEW', message: 'new rule' })).to.equal('No se pudo recibir la solicitud: new rule');
  });
});

describe('console countdown colours (unit)', () => {
  // The default chain's first warning (75 %), which these colours were written for.
  const warnAt = firstWarningAt({ escalation: DEFAULT_ESCALATION });
  const clock = (over: Partial<ClockView>): ClockView => ({ status: 'running', targetMs: 100_000, dueAt: '2026-11-25T12:00:00.000Z', remainingMs: 80_000, elapsedMs: 20_000, pausedMs: 0, metAt: null, breachedAt: null, warnedAt: null, ...over });
  it('ok while plenty is left, at risk past the warning (or once the workflow warned), breached when overdue', () => {
    expect(countdown(clock({}), true, warnAt).risk).to.equal('ok');
    expect(countdown(clock({ remainingMs: 20_000 }), true, warnAt).risk).to.equal('at-risk');
    expect(countdown(clock({ warnedAt: '2026-11-25T11:59:00.000Z' }), true, warnAt).risk).to.equal('at-risk');
    expect(countdown(clock({ remainingMs: -1 }), true, warnAt).risk).to.equal('breached');
    expect(countdown(clock({ status: 'breached', remainingMs: -5_000 }), true, warnAt).risk).to.equal('breached');
  });
  it('stops when the clock stops: met, or paused (which keeps its time left)', () => {
    const met = countdown(clock({ status: 'met', metAt: '2026-11-25T11:58:00.000Z' }), false, warnAt);
    expect([met.running, met.risk]).to.deep.equal([false, 'done']);
    const paused = countdown(clock({ status: 'paused', dueAt: null }), false, warnAt);
    expect([paused.running, paused.risk]).to.deep.equal([false, 'ok']);
  });
});
