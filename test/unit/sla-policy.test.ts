import { expect } from 'chai';
import { DEFAULT_SLA_POLICY, isoDurationMs, slaPolicySchema, targetsFor } from '../../domain/sla-policy';
import { IMPACTS, PLANS } from '../../domain/plans';

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
        expect(t.warningThreshold).to.equal(0.75);
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
    expect(slaPolicySchema.safeParse({ ...DEFAULT_SLA_POLICY, targets: onlyStandard }).success).to.equal(false);
    expect(slaPolicySchema.safeParse({ ...DEFAULT_SLA_POLICY, warningThreshold: 1 }).success).to.equal(false);
    expect(slaPolicySchema.safeParse({ ...DEFAULT_SLA_POLICY, warningThreshold: 0 }).success).to.equal(false);
  });
});
