import { MemoryBanditStore } from '../../../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../../../lambdas/core/adapters/local/memory-latency-tracker';
import type { ExplorationSettings } from '../../../lambdas/core/learning/config';
import { seededRng } from '../../../lambdas/core/routing/bandit';
import { type DecideDeps, decide } from '../../../lambdas/core/routing/decide';
import { DEFAULT_ROUTING_SETTINGS } from '../../../lambdas/core/routing/defaults';
import { makeContext, makeModel } from './fixtures';

function deps(
  exploration: ExplorationSettings | undefined,
  overrides: Partial<DecideDeps> = {}
): DecideDeps {
  return {
    latency: new MemoryLatencyTracker({ now: () => 0 }),
    bandit: new MemoryBanditStore({ now: () => 0 }),
    rng: seededRng(7),
    settings: DEFAULT_ROUTING_SETTINGS,
    exploration,
    ...overrides,
  };
}

// best: clearly first on policy; the others explorable unless stated.
const best = makeModel('best', { quality: 1, domains: ['legal'] });
const second = makeModel('second', { quality: 0.5 });
const third = makeModel('third', { quality: 0.4 });
const slow = makeModel('slow', { quality: 0.4, expectedLatencyMs: 9000 });
const dear = makeModel('dear', {
  quality: 0.4,
  pricing: { inputPer1M: 100, outputPer1M: 400 },
});
const ctx = makeContext({ domain: 'legal', maxLatencyMs: 5000 });
const greedy = {
  ...DEFAULT_ROUTING_SETTINGS,
  banditWeight: 0,
};

describe('Function: decide (exploration)', () => {
  it('mixes exactly: (1 - rate) to the greedy arm plus rate / |explorable| to each', () => {
    // Prepare: no Thompson noise (w = 0), so the mix is exact
    const d = deps({ rate: 0.06 }, { settings: greedy });

    // Act
    const decision = decide([best, second, third], ctx, d);

    // Assess
    const p = Object.fromEntries(
      decision.candidates.map((c) => [c.model.id, c.probability])
    );
    expect(p.best).toBeCloseTo(0.94 + 0.02, 12);
    expect(p.second).toBeCloseTo(0.02, 12);
    expect(p.third).toBeCloseTo(0.02, 12);
    expect(decision.propensity).toBeCloseTo(p[decision.chosen!.model.id], 12);
  });

  it('chooses arms as often as their logged propensities say', () => {
    // Prepare
    const d = deps({ rate: 0.2 }, { settings: greedy, rng: seededRng(11) });
    const counts = new Map<string, number>();
    const n = 20_000;
    let explored = 0;

    // Act
    for (let i = 0; i < n; i++) {
      const decision = decide([best, second, third, slow], ctx, d);
      const id = decision.chosen!.model.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      if (decision.explored) explored++;
    }

    // Assess: slow breaks the SLA, so it is never explored
    expect((counts.get('best') ?? 0) / n).toBeCloseTo(0.8 + 0.2 / 3, 1);
    expect((counts.get('second') ?? 0) / n).toBeCloseTo(0.2 / 3, 1);
    expect(counts.get('slow')).toBeUndefined();
    expect(explored / n).toBeCloseTo((0.2 * 2) / 3, 1);
  });

  it('keeps probabilities summing to 1 with Thompson sampling on', () => {
    // Prepare
    const d = deps({ rate: 0.04 });

    // Act
    const decision = decide([best, second, third, slow], ctx, d);

    // Assess
    const total = decision.candidates.reduce((s, c) => s + c.probability, 0);
    expect(total).toBeCloseTo(1, 12);
    for (const c of decision.candidates) {
      if (c.model.id !== 'slow')
        expect(c.probability).toBeGreaterThanOrEqual(0.04 / 3 - 1e-12);
    }
    expect(decision.propensity).toBeGreaterThan(0);
  });

  it('does not explore arms over the cost ceiling', () => {
    // Prepare
    const d = deps({ rate: 0.1, maxCostUsd: 0.01 }, { settings: greedy });

    // Act
    const decision = decide([best, second, dear], ctx, d);

    // Assess
    const dearArm = decision.candidates.find((c) => c.model.id === 'dear')!;
    expect(dearArm.estimatedCostUsd).toBeGreaterThan(0.01);
    expect(dearArm.probability).toBe(0);
    const secondArm = decision.candidates.find((c) => c.model.id === 'second')!;
    expect(secondArm.probability).toBeCloseTo(0.05, 12);
  });

  it('leaves decisions untouched without exploration settings', () => {
    // Act
    const decision = decide(
      [best, second],
      ctx,
      deps(undefined, { settings: greedy })
    );

    // Assess
    expect(decision.chosen!.model.id).toBe('best');
    expect(decision.propensity).toBe(1);
    expect(decision.explored).toBe(false);
  });

  it('keeps a single candidate at propensity 1', () => {
    // Act
    const decision = decide([best], ctx, deps({ rate: 0.2 }));

    // Assess
    expect(decision.propensity).toBe(1);
  });
});
