import fc from 'fast-check';
import {
  computeReward,
  DEFAULT_REWARD_WEIGHTS,
} from '../../../lambdas/core/routing/reward';

const base = {
  ok: true,
  latencyMs: 1000,
  slaMs: 5000,
  costUsd: 0.002,
  referenceCostUsd: 0.01,
};

describe('Function: computeReward', () => {
  it('gives 0 to failures whatever their latency and cost', () => {
    // Act & Assess
    expect(computeReward({ ...base, ok: false })).toBe(0);
    expect(
      computeReward({ ...base, ok: false, latencyMs: 1, costUsd: 0 })
    ).toBe(0);
  });

  it('subtracts the weighted latency and cost shares from 1', () => {
    // Act
    const reward = computeReward(base, { latency: 0.3, cost: 0.2 });

    // Assess: 1 - 0.3 * 0.2 - 0.2 * 0.2
    expect(reward).toBeCloseTo(0.9, 12);
  });

  it('gives a free instant success 1 and caps each penalty at its weight', () => {
    // Act
    const perfect = computeReward({ ...base, latencyMs: 0, costUsd: 0 });
    const worst = computeReward({
      ...base,
      latencyMs: 60_000,
      costUsd: 5,
    });

    // Assess
    expect(perfect).toBe(1);
    expect(worst).toBeCloseTo(
      1 - DEFAULT_REWARD_WEIGHTS.latency - DEFAULT_REWARD_WEIGHTS.cost,
      12
    );
  });

  it('rewards faster and cheaper successes more', () => {
    // Act
    const slow = computeReward({ ...base, latencyMs: 4000 });
    const fast = computeReward({ ...base, latencyMs: 500 });
    const dear = computeReward({ ...base, costUsd: 0.009 });

    // Assess
    expect(fast).toBeGreaterThan(slow);
    expect(computeReward(base)).toBeGreaterThan(dear);
  });

  it('never inflates the reward on unusable inputs', () => {
    // Act
    const noSla = computeReward({ ...base, slaMs: 0 });
    const nanLatency = computeReward({ ...base, latencyMs: Number.NaN });
    const noReference = computeReward({ ...base, referenceCostUsd: 0 });
    const nanCost = computeReward({ ...base, costUsd: Number.NaN });

    // Assess: each counts as a fully used budget
    expect(noSla).toBeCloseTo(1 - 0.3 - 0.2 * 0.2, 12);
    expect(nanLatency).toBeCloseTo(noSla, 12);
    expect(noReference).toBeCloseTo(1 - 0.3 * 0.2 - 0.2, 12);
    expect(nanCost).toBeCloseTo(noReference, 12);
  });

  it('clamps to [0, 1] for any inputs and weights', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.double(),
        fc.double(),
        fc.double(),
        fc.double(),
        fc.double(),
        fc.double(),
        (ok, latencyMs, slaMs, costUsd, referenceCostUsd, a, b) => {
          const r = computeReward(
            { ok, latencyMs, slaMs, costUsd, referenceCostUsd },
            { latency: a, cost: b }
          );
          expect(r).toBeGreaterThanOrEqual(0);
          expect(r).toBeLessThanOrEqual(1);
          if (!ok) expect(r).toBe(0);
        }
      ),
      { numRuns: 300 }
    );
  });

  it('charges gamma per same-model failed attempt, capped at one', () => {
    // Prepare
    const weights = { latency: 0, cost: 0, errors: 0.25 };

    // Act
    const clean = computeReward({ ...base, errors: 0 }, weights);
    const once = computeReward({ ...base, errors: 1 }, weights);
    const thrice = computeReward({ ...base, errors: 3 }, weights);

    // Assess
    expect(clean).toBe(1);
    expect(once).toBeCloseTo(0.75, 12);
    expect(thrice).toBeCloseTo(0.75, 12);
  });
});
