import { expect } from 'chai';
import { DEFAULT_SLA_POLICY, isoDurationMs, slaPolicySchema, targetsFor } from '../../domain/sla-policy';
import { IMPACTS, PLANS } from '../../domain/plans';
import { CHILE_OFFICE_HOURS } from '../../domain/business-calendar';

const HOUR = 3_600_000;

describe('SLA policy (unit)', () => {
  // The support program's table, written out independently of the policy module.
  const table: Record<string, [number, number]> = {
    'standard/A': [2, 8],
    'standard/B': [4, 16],
    'standard/C': [8, 32],
    'advanced/A': [1, 4],
    'advanced/B': [2, 8],
    'advanced/C': [4, 16],
  };

  for (const plan of PLANS) {
    for (const impact of IMPACTS) {
      it(`default ${plan}/${impact} equals the program table`, () => {
        const [response, resolution] = table[`${plan}/${impact}`];
        const t = targetsFor(DEFAULT_SLA_POLICY, plan, impact);
        expect(t.responseMs).to.equal(response * HOUR);
        expect(t.resolutionMs).to.equal(resolution * HOUR);
        expect(t.escalation).to.deep.equal([
          { at: 0.75, notify: 'assignee_or_lead' },
          { at: 1, notify: 'lead' },
          { at: 1.5, notify: 'manager' },
        ]);
        expect(t.calendar).to.equal(null);
      });
    }
  }

  it('covers exactly 12 plan x impact pairs', () => {
    const pairs = PLANS.flatMap((p) => IMPACTS.map((i) => DEFAULT_SLA_POLICY.targets[p][i]));
    expect(pairs).to.have.length(6);
    expect(pairs.flatMap((p) => [p.response, p.resolution])).to.have.length(12);
  });

  it('reads ISO-8601 durations and refuses calendar units and nonsense', () => {
    expect(isoDurationMs('PT5S')).to.equal(5000);
    expect(isoDurationMs('PT1H30M')).to.equal(90 * 60_000);
    expect(isoDurationMs('P1D')).to.equal(24 * HOUR);
    expect(() => isoDurationMs('P1M')).to.throw(/years or months/);
    expect(() => isoDurationMs('2 hours')).to.throw(/ISO-8601/);
    expect(() => isoDurationMs('PT0S')).to.throw(/longer than zero/);
  });

  it('accepts the default policy and rejects a resolution shorter than its response', () => {
    expect(slaPolicySchema.safeParse(DEFAULT_SLA_POLICY).success).to.equal(true);
    const bad = structuredClone(DEFAULT_SLA_POLICY);
    bad.targets.advanced.A = { response: 'PT2H', resolution: 'PT1H' };
    const r = slaPolicySchema.safeParse(bad);
    expect(r.success).to.equal(false);
    expect(JSON.stringify(r.error?.issues)).to.contain('resolution');
  });

  it('rejects a policy missing a plan or with a threshold outside (0,1)', () => {
    const { advanced: _omit, ...onlyStandard } = DEFAULT_SLA_POLICY.targets;
    const { escalation: _chain, ...older } = DEFAULT_SLA_POLICY;
    expect(slaPolicySchema.safeParse({ ...DEFAULT_SLA_POLICY, targets: onlyStandard }).success).to.equal(false);
    expect(slaPolicySchema.safeParse({ ...older, warningThreshold: 1 }).success).to.equal(false);
    expect(slaPolicySchema.safeParse({ ...older, warningThreshold: 0 }).success).to.equal(false);
  });

  it('reads a policy of the older form (one warningThreshold) as the two-level chain it meant', () => {
    const older = { warningThreshold: 0.6, autoCloseAfter: 'P7D', targets: DEFAULT_SLA_POLICY.targets };
    const p = slaPolicySchema.parse(older);
    expect(p.escalation).to.deep.equal([
      { at: 0.6, notify: 'assignee_or_lead' },
      { at: 1, notify: 'lead' },
    ]);
    expect(p).to.not.have.property('warningThreshold');
    expect(p.sessions).to.deep.equal(DEFAULT_SLA_POLICY.sessions);
    expect(slaPolicySchema.safeParse({ ...DEFAULT_SLA_POLICY, warningThreshold: 0.5 }).success, 'both forms at once').to.equal(false);
  });

  it('refuses a chain without exactly one breach level, out of order, or naming an unknown audience', () => {
    const chain = (escalation: unknown) => slaPolicySchema.safeParse({ ...DEFAULT_SLA_POLICY, escalation });
    expect(chain([{ at: 0.5, notify: 'lead' }]).success, 'no breach level').to.equal(false);
    expect(chain([{ at: 1, notify: 'lead' }, { at: 0.5, notify: 'lead' }]).success, 'out of order').to.equal(false);
    expect(chain([{ at: 1, notify: 'ceo' }]).success, 'unknown audience').to.equal(false);
    expect(chain([{ at: 1, notify: 'lead' }]).success, 'breach only').to.equal(true);
    expect(chain([{ at: 0.5, notify: 'assignee_or_lead' }, { at: 0.9, notify: 'lead' }, { at: 1, notify: 'lead' }, { at: 2, notify: 'manager' }]).success).to.equal(true);
  });

  it('a target row may run on a named calendar, which must exist', () => {
    const withCal = structuredClone(DEFAULT_SLA_POLICY);
    withCal.calendars = { office: CHILE_OFFICE_HOURS };
    withCal.targets.standard.C = { response: 'PT8H', resolution: 'PT32H', calendar: 'office' };
    const p = slaPolicySchema.parse(withCal);
    expect(targetsFor(p, 'standard', 'C').calendar).to.deep.equal(CHILE_OFFICE_HOURS);
    expect(targetsFor(p, 'standard', 'A').calendar).to.equal(null);
    withCal.targets.standard.B = { response: 'PT4H', resolution: 'PT16H', calendar: 'nowhere' };
    const bad = slaPolicySchema.safeParse(withCal);
    expect(bad.success).to.equal(false);
    expect(JSON.stringify(bad.error?.issues)).to.contain('no calendar named');
  });

  it('copies the automatic brand meeting rule into the targets of the rows it covers', () => {
    expect(targetsFor(DEFAULT_SLA_POLICY, 'advanced', 'A').autoBrandMeetingOn).to.deep.equal(['response']);
    expect(targetsFor(DEFAULT_SLA_POLICY, 'advanced', 'B').autoBrandMeetingOn).to.deep.equal([]);
    expect(targetsFor(DEFAULT_SLA_POLICY, 'standard', 'A').autoBrandMeetingOn).to.deep.equal([]);
  });
});
