// "At risk" from the ticket's own escalation chain (domain/at-risk.ts), and the pages' live script,
// which only compares the instant the server gives it with the time.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { expect } from 'chai';
import fc from 'fast-check';
import { atRiskFrom, clockCounts, clockRisk, firstWarningAt } from '../../domain/at-risk';
import { DEFAULT_ESCALATION, type EscalationLevel } from '../../domain/escalation';
import { DEFAULT_SLA_POLICY, targetsFor, type TicketTargets } from '../../domain/sla-policy';
import { openTicket, pendingAlarms, slaView } from '../../domain/ticket-lifecycle';

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const MIN = 60_000;
const chain = (...warnings: number[]): EscalationLevel[] => [...warnings.map((at) => ({ at, notify: 'assignee_or_lead' as const })), { at: 1, notify: 'lead' }];
const targets = (escalation?: EscalationLevel[], extra: Partial<TicketTargets> = {}): TicketTargets => ({ responseMs: 60 * MIN, resolutionMs: 240 * MIN, autoCloseAfterMs: 60 * MIN, escalation, ...extra });
const ticket = (t: TicketTargets) => openTicket({ ticketId: 't1', number: 1001, plan: 'advanced', impact: 'A', receivedAt: T0, targets: t });
/** The response clock as the API shows it `ms` after reception (no alarm applied: nobody warned yet). */
const responseAt = (t: TicketTargets, ms: number) => slaView(ticket(t), T0 + ms).response;

describe('at risk (unit)', () => {
  describe('firstWarningAt: the first level below the breach of the ticket\'s own chain', () => {
    it('is 75 % for the default policy, as targetsFor copies it onto a ticket', () => {
      expect(firstWarningAt(targetsFor(DEFAULT_SLA_POLICY, 'standard', 'B'))).to.equal(0.75);
      expect(firstWarningAt({ escalation: DEFAULT_ESCALATION })).to.equal(0.75);
    });
    it('follows the policy: another first level, several warnings (the earliest), none at all (null)', () => {
      const policy = { ...DEFAULT_SLA_POLICY, escalation: chain(0.4, 0.9) };
      expect(firstWarningAt(targetsFor(policy, 'advanced', 'A'))).to.equal(0.4);
      expect(firstWarningAt(targets(chain()))).to.equal(null);
      expect(firstWarningAt(targets([{ at: 1, notify: 'lead' }, { at: 1.5, notify: 'manager' }]))).to.equal(null);
    });
    it('reads a ticket from before the chain by its one warningThreshold', () => {
      expect(firstWarningAt(targets(undefined, { warningThreshold: 0.6 }))).to.equal(0.6);
    });
  });

  describe('clockRisk', () => {
    it('turns at risk at the chain\'s first level, not at a fixed 75 %', () => {
      const half = targets(chain(0.5));
      expect(clockRisk(responseAt(half, 29 * MIN), true, 0.5)).to.equal('ok');
      expect(clockRisk(responseAt(half, 30 * MIN), true, 0.5)).to.equal('at-risk');
      const late = targets(chain(0.9));
      expect(clockRisk(responseAt(late, 50 * MIN), true, 0.9)).to.equal('ok');
      expect(clockRisk(responseAt(late, 54 * MIN), true, 0.9)).to.equal('at-risk');
    });
    it('without a warning level a clock is ok until it is late', () => {
      const none = targets(chain());
      expect(clockRisk(responseAt(none, 59 * MIN), true, null)).to.equal('ok');
      expect(clockRisk(responseAt(none, 60 * MIN + 1), true, null)).to.equal('breached');
    });
    it('a clock the workflow already warned about is at risk whatever the level; one that no longer counts is done', () => {
      const warned = { ...responseAt(targets(chain(0.9)), MIN), warnedAt: new Date(T0).toISOString() };
      expect(clockRisk(warned, true, 0.9)).to.equal('at-risk');
      expect(clockRisk(warned, false, 0.9)).to.equal('done');
    });
    it('counts the response while the ticket is open, the resolution until it is resolved', () => {
      expect(clockCounts('open', 'response')).to.equal(true);
      expect(clockCounts('in_progress', 'response')).to.equal(false);
      expect(clockCounts('in_progress', 'resolution')).to.equal(true);
      expect(clockCounts('waiting_on_customer', 'resolution')).to.equal(false);
      expect(clockCounts('resolved', 'resolution')).to.equal(false);
    });
  });

  describe('atRiskFrom: the instant the live countdown turns at risk', () => {
    it('is the moment the workflow\'s first warning falls due', () => {
      for (const at of [0.25, 0.5, 0.75, 0.9]) {
        const t = targets(chain(at));
        const warning = pendingAlarms(ticket(t)).find((a) => a.clock === 'response' && a.kind === 'warning')!;
        expect(Date.parse(atRiskFrom(responseAt(t, 0), true, at)!), `first warning at ${at}`).to.equal(warning.at);
      }
    });
    it('is none when the clock does not count or the chain has no warning', () => {
      const c = responseAt(targets(chain(0.5)), MIN);
      expect(atRiskFrom(c, false, 0.5)).to.equal(null);
      expect(atRiskFrom(c, true, null)).to.equal(null);
    });
    it('says exactly what clockRisk says, at every moment before the due time (property)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1_000, max: 48 * 60 * MIN }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (targetMs, warnAt, share) => {
          const t = targets(chain(warnAt), { responseMs: targetMs, resolutionMs: targetMs });
          // Before the due time: at it the clock reads breached, which the script shows from the next millisecond.
          const elapsed = Math.min(Math.floor(share * targetMs), targetMs - 1);
          const view = responseAt(t, elapsed);
          const byScript = T0 + elapsed >= Date.parse(atRiskFrom(view, true, warnAt)!);
          return byScript === (clockRisk(view, true, warnAt) === 'at-risk');
        }),
      );
    });
  });

  describe('the pages\' live script (web/static/countdown.js)', () => {
    const script = readFileSync(path.join(__dirname, '..', '..', 'web', 'static', 'countdown.js'), 'utf8');
    /** Runs the script once over elements with these attributes; returns the risk each ends with. */
    function tick(now: number, elements: Array<Record<string, string>>): string[] {
      const els = elements.map((attrs) => {
        const a: Record<string, string> = { 'data-running': 'true', 'data-warned': 'false', 'data-left': '{time}', 'data-overdue': '-{time}', 'data-label-risk': 'at risk', 'data-label-breached': 'breached', ...attrs };
        const child = { textContent: '' };
        return { className: '', getAttribute: (k: string) => a[k] ?? null, setAttribute: (k: string, v: string) => (a[k] = v), querySelector: () => child, risk: () => a['data-risk'] };
      });
      const FixedDate = class extends Date {
        static now() {
          return now;
        }
      };
      vm.runInNewContext(script, { document: { querySelectorAll: () => els }, Date: FixedDate, setInterval: () => 0, String, Math, Number });
      return els.map((e) => e.risk());
    }
    it('colours by the instant the server gives, never by a fraction of its own', () => {
      const due = new Date(T0 + 60 * MIN).toISOString();
      const at = (m: number) => new Date(T0 + m * MIN).toISOString();
      expect(tick(T0 + 10 * MIN, [{ 'data-due': due, 'data-risk-from': at(6) }, { 'data-due': due, 'data-risk-from': at(54) }, { 'data-due': due, 'data-risk-from': '' }])).to.deep.equal(['at-risk', 'ok', 'ok']);
      // 59 minutes in: past any 75 %, still ok without a warning level; late once due.
      expect(tick(T0 + 59 * MIN, [{ 'data-due': due, 'data-risk-from': '' }, { 'data-due': due, 'data-risk-from': '', 'data-warned': 'true' }])).to.deep.equal(['ok', 'at-risk']);
      expect(tick(T0 + 61 * MIN, [{ 'data-due': due, 'data-risk-from': '' }])).to.deep.equal(['breached']);
    });
  });
});
