import { expect } from 'chai';
import { parseOpsRetryRecord, parseOpsStep, retryRecordIssues, stepBodies, stepUpdateIssues } from '../../domain/step-bodies';
import { applyRecordResumed, applyRecordStuck, applyStepRefused, openTicket } from '../../domain/ticket-lifecycle';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

describe('step payloads shared by the API and ops signals (unit)', () => {
  it('an ops payload is the API body plus the actor, recorded as ops:<email>', () => {
    const body = { resolution: '  Restarted the service ' };
    expect(stepBodies.resolve.parse(body)).to.deep.equal({ resolution: 'Restarted the service' });
    expect(parseOpsStep('resolve', { ...body, actor: 'Olga@LastCall.example' })).to.deep.equal({
      ok: true,
      actor: 'ops:olga@lastcall.example',
      email: 'olga@lastcall.example',
      step: { kind: 'resolve', resolution: 'Restarted the service' },
    });
  });

  it('assign names the person by id or by e-mail, for the directory to confirm', () => {
    const byEmail = parseOpsStep('assign', { actor: 'olga@lastcall.example', assigneeEmail: 'Tom@lastcall.example' });
    expect(byEmail.ok && byEmail.assignee).to.deep.equal({ assigneeEmail: 'tom@lastcall.example' });
    const id = '6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5';
    const byId = parseOpsStep('assign', { actor: 'olga@lastcall.example', assigneeId: id });
    expect(byId.ok && byId.assignee).to.deep.equal({ assigneeId: id });
    expect(parseOpsStep('assign', { actor: 'olga@lastcall.example', assigneeId: id, assigneeEmail: 'tom@lastcall.example' }).ok).to.equal(false);
  });

  it('refuses what the API refuses, saying why, under the actor when there is one', () => {
    const unknownField = parseOpsStep('close', { actor: 'olga@lastcall.example', force: true });
    expect(unknownField).to.include({ ok: false, actor: 'ops:olga@lastcall.example' });
    expect(stepBodies.close.safeParse({ force: true }).success).to.equal(false);
    const noActor = parseOpsStep('respond', { via: 'fax', message: 'hi' });
    expect(noActor.ok).to.equal(false);
    if (!noActor.ok) {
      expect(noActor.actor).to.equal('ops:unknown');
      expect(noActor.issues.join(' ')).to.contain('actor').and.to.contain('via');
      expect(noActor.reason).to.match(/^invalid payload: /);
    }
    expect(parseOpsStep('resolve', null).ok).to.equal(false);
    expect(parseOpsStep('resolve', { actor: 'olga@lastcall.example', resolution: '   ' }).ok).to.equal(false);
  });

  it('holds a step Update to what the API sends', () => {
    // The texts are stored by the API and referred to (domain/ticket-texts.ts): a text itself is refused.
    const ref = { textId: '6f1c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', chars: 5 };
    expect(stepUpdateIssues('respond', { actor: 'tech@lastcall.example', via: 'email', message: ref })).to.equal(null);
    expect(stepUpdateIssues('respond', { actor: 'tech@lastcall.example', via: 'email', message: 'On it' })).to.be.an('array').that.is.not.empty;
    expect(stepUpdateIssues('resolve', { actor: 'tech@lastcall.example', resolution: { ...ref, chars: 20_001 } })).to.be.an('array').that.is.not.empty;
    expect(stepUpdateIssues('assign', { actor: 'tech@lastcall.example', assignee: { name: 'Tom', email: 'tom@lastcall.example' } })).to.equal(null);
    expect(stepUpdateIssues('respond', { actor: 'tech@lastcall.example', via: 'email' })).to.be.an('array').that.is.not.empty;
    expect(stepUpdateIssues('assign', { actor: 'tech@lastcall.example', assignee: { email: 'not an e-mail' } })).to.be.an('array').that.is.not.empty;
  });

  it('a refused step adds its event and changes nothing else', () => {
    const s = openTicket({ ticketId: 't1', number: 1001, plan: 'advanced', impact: 'A', receivedAt: T0, targets: { responseMs: 60 * MIN, resolutionMs: 240 * MIN, warningThreshold: 0.75, autoCloseAfterMs: 60 * MIN } });
    // Late enough that alarms are due: a refusal must not record them (it is not a step).
    const r = applyStepRefused(s, { step: 'close', via: 'signal ops.close', reason: 'only a resolved ticket can be closed' }, T0 + 120 * MIN, 'ops:olga@lastcall.example');
    expect(r.events).to.have.length(1);
    expect(r.events[0]).to.deep.include({ type: 'step_refused', seq: s.nextSeq, actor: 'ops:olga@lastcall.example' });
    expect(r.events[0].data).to.deep.include({ step: 'close', via: 'signal ops.close', status: 'open' });
    const { version, nextSeq, ...rest } = r.state;
    const { version: v0, nextSeq: n0, ...rest0 } = s;
    expect(rest).to.deep.equal(rest0);
    expect([version, nextSeq]).to.deep.equal([v0 + 1, n0 + 1]);
  });

  it('ops.retry-record carries only who asks for it; the API\'s retry names its caller', () => {
    expect(parseOpsRetryRecord({ actor: 'Lea@LastCall.example' })).to.deep.equal({ ok: true, actor: 'ops:lea@lastcall.example', email: 'lea@lastcall.example' });
    expect(parseOpsRetryRecord({ actor: 'lea@lastcall.example', force: true })).to.include({ ok: false, actor: 'ops:lea@lastcall.example' });
    expect(parseOpsRetryRecord({ actor: 'lea\u0000@lastcall.example' })).to.include({ ok: false, actor: 'ops:unknown' });
    expect(retryRecordIssues({ actor: 'lea@lastcall.example' })).to.equal(null);
    expect(retryRecordIssues({})).to.be.an('array').that.is.not.empty;
  });

  it('a stuck record and its retry add their events and change nothing else', () => {
    const s = openTicket({ ticketId: 't1', number: 1001, plan: 'standard', impact: 'B', receivedAt: T0, targets: { responseMs: 60 * MIN, resolutionMs: 240 * MIN, warningThreshold: 0.75, autoCloseAfterMs: 60 * MIN } });
    // Late enough that alarms are due: neither records them (they are not steps).
    const stuck = applyRecordStuck(s, { type: 'DB_INTEGRITY_VIOLATION', reason: 'check', records: 1 }, T0 + 120 * MIN);
    expect(stuck.events).to.deep.equal([{ seq: 1, type: 'record_stuck', at: T0 + 120 * MIN, actor: 'system', data: { type: 'DB_INTEGRITY_VIOLATION', reason: 'check', records: 1 } }]);
    const resumed = applyRecordResumed(stuck.state, { stuckSince: T0 + 120 * MIN, records: 3 }, T0 + 130 * MIN, 'lea@lastcall.example');
    expect(resumed.events.map((e) => [e.seq, e.type, e.actor])).to.deep.equal([[2, 'record_resumed', 'lea@lastcall.example']]);
    const { version, nextSeq, ...rest } = resumed.state;
    const { version: v0, nextSeq: n0, ...rest0 } = s;
    expect(rest).to.deep.equal(rest0);
    expect([version, nextSeq]).to.deep.equal([v0 + 2, n0 + 2]);
  });
});
