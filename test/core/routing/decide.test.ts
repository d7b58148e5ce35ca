import { MemoryBanditStore } from '../../../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../../../lambdas/core/adapters/local/memory-latency-tracker';
import type { BanditStore } from '../../../lambdas/core/ports';
import { seededRng } from '../../../lambdas/core/routing/bandit';
import { type DecideDeps, decide } from '../../../lambdas/core/routing/decide';
import {
  DEFAULT_ROUTING_SETTINGS,
  DEFAULT_TIER_SLA_MS,
  SLA_PENALTY,
} from '../../../lambdas/core/routing/defaults';
import type {
  ExternalExclusion,
  Rng,
  RoutingSettings,
} from '../../../lambdas/core/routing/types';
import type { BudgetTier } from '../../../lambdas/core/types';
import { makeContext, makeModel } from './fixtures';

function deps(overrides: Partial<DecideDeps> = {}): DecideDeps {
  return {
    latency: new MemoryLatencyTracker({ now: () => 0 }),
    bandit: new MemoryBanditStore({ now: () => 0 }),
    rng: seededRng(1),
    settings: DEFAULT_ROUTING_SETTINGS,
    ...overrides,
  };
}

function settings(overrides: Partial<RoutingSettings>): RoutingSettings {
  return { ...DEFAULT_ROUTING_SETTINGS, ...overrides };
}

const throwingRng: Rng = () => {
  throw new Error('rng must not be called');
};

// A cheap slow model, a fast high-quality dear one.
const cheap = makeModel('cheap', {
  pricing: { inputPer1M: 0.1, outputPer1M: 0.4 },
  expectedLatencyMs: 3000,
  quality: 0.55,
});
const fast = makeModel('fast', {
  pricing: { inputPer1M: 3, outputPer1M: 15 },
  expectedLatencyMs: 600,
  quality: 0.92,
});
// A generalist and a slightly worse legal specialist.
const generalist = makeModel('generalist', {
  pricing: { inputPer1M: 1, outputPer1M: 4 },
  expectedLatencyMs: 1000,
  quality: 0.75,
});
const legal = makeModel('legal', {
  pricing: { inputPer1M: 1.1, outputPer1M: 4.4 },
  expectedLatencyMs: 1100,
  quality: 0.75,
  domains: ['legal'],
});

function tierContext(tier: BudgetTier, domain = 'general') {
  return makeContext({
    budgetTier: tier,
    domain,
    maxLatencyMs: DEFAULT_TIER_SLA_MS[tier],
    promptChars: 2000,
  });
}

describe('Function: decide', () => {
  it('returns no choice and propensity 0 when nothing is eligible', () => {
    // Prepare
    const models = [makeModel('a', { status: 'deprecated' })];

    // Act
    const decision = decide(models, makeContext(), deps({ rng: throwingRng }));

    // Assess
    expect(decision).toEqual({
      contextKey: 'general|standard|false',
      chosen: undefined,
      propensity: 0,
      fallbacks: [],
      candidates: [],
      excluded: [
        {
          modelId: 'a',
          code: 'status',
          reason: 'status deprecated is not routable',
        },
      ],
    });
  });

  it('chooses a single eligible model with propensity 1 and no sampling', () => {
    // Prepare
    const bandit = new MemoryBanditStore({ now: () => 0 });
    bandit.update('general|standard|false', 'a', 1);

    // Act
    const decision = decide(
      [makeModel('a'), makeModel('b', { region: 'us' })],
      makeContext({ region: 'eu' }),
      deps({ bandit, rng: throwingRng })
    );

    // Assess
    expect(decision.chosen?.model.id).toBe('a');
    expect(decision.propensity).toBe(1);
    expect(decision.chosen?.probability).toBe(1);
    expect(decision.chosen?.banditMean).toBeCloseTo(2 / 3, 12);
    expect(decision.chosen?.banditSample).toBe(decision.chosen?.banditMean);
    expect(decision.fallbacks).toEqual([]);
    expect(decision.excluded.map((e) => e.modelId)).toEqual(['b']);
  });

  it('is deterministic for a seed', () => {
    // Prepare
    const models = [cheap, fast, generalist, legal];
    const ctx = tierContext('standard', 'legal');

    // Act
    const a = decide(models, ctx, deps({ rng: seededRng(123) }));
    const b = decide(models, ctx, deps({ rng: seededRng(123) }));

    // Assess
    expect(b).toEqual(a);
  });

  it('picks the cheap model in the low tier', () => {
    // Act
    const ranked = decide([fast, cheap], tierContext('low'), deps());
    const policyOnly = decide(
      [fast, cheap],
      tierContext('low'),
      deps({ settings: settings({ banditWeight: 0 }) })
    );

    // Assess
    expect(ranked.candidates[0].model.id).toBe('cheap');
    expect(policyOnly.chosen?.model.id).toBe('cheap');
    expect(policyOnly.propensity).toBe(1);
  });

  it('picks the fast, high-quality model in the premium tier', () => {
    // Act
    const ranked = decide([cheap, fast], tierContext('premium'), deps());
    const policyOnly = decide(
      [cheap, fast],
      tierContext('premium'),
      deps({ settings: settings({ banditWeight: 0 }) })
    );

    // Assess
    expect(ranked.candidates[0].model.id).toBe('fast');
    expect(policyOnly.chosen?.model.id).toBe('fast');
  });

  it('prefers the legal specialist for legal requests only', () => {
    // Prepare
    const policyOnly = deps({ settings: settings({ banditWeight: 0 }) });

    // Act
    const forLegal = decide(
      [generalist, legal],
      tierContext('standard', 'legal'),
      policyOnly
    );
    const forGeneral = decide(
      [generalist, legal],
      tierContext('standard', 'general'),
      policyOnly
    );

    // Assess
    expect(forLegal.chosen?.model.id).toBe('legal');
    expect(forLegal.contextKey).toBe('legal|standard|false');
    expect(forGeneral.chosen?.model.id).toBe('generalist');
  });

  it('penalises a model over the SLA but keeps it as a fallback', () => {
    // Prepare: slow would win on cost, but its latency estimate breaks the SLA
    const quick = makeModel('quick', {
      expectedLatencyMs: 2000,
      pricing: { inputPer1M: 2, outputPer1M: 8 },
    });
    const slow = makeModel('slow', {
      expectedLatencyMs: 2100,
      pricing: { inputPer1M: 0.5, outputPer1M: 2 },
    });
    const within = makeContext({ maxLatencyMs: 5000 });
    const breached = makeContext({ maxLatencyMs: 2050 });
    const policyOnly = deps({ settings: settings({ banditWeight: 0 }) });

    // Act
    const relaxed = decide([quick, slow], within, policyOnly);
    const strict = decide([quick, slow], breached, policyOnly);

    // Assess
    expect(relaxed.chosen?.model.id).toBe('slow');
    expect(strict.chosen?.model.id).toBe('quick');
    const penalised = strict.fallbacks[0];
    expect(penalised.model.id).toBe('slow');
    expect(penalised.overSla).toBe(true);
    expect(penalised.finalScore).toBeCloseTo(
      penalised.policyScore * SLA_PENALTY,
      12
    );
  });

  it('computes final scores from the policy score and the Thompson draw', () => {
    // Prepare
    const w = DEFAULT_ROUTING_SETTINGS.banditWeight;

    // Act
    const decision = decide(
      [cheap, fast, generalist],
      tierContext('standard'),
      deps({ rng: seededRng(9) })
    );

    // Assess
    for (const c of decision.candidates) {
      const penalty = c.overSla ? SLA_PENALTY : 1;
      expect(c.finalScore).toBeCloseTo(
        ((1 - w) * c.policyScore + w * c.banditSample) * penalty,
        12
      );
      expect(c.banditMean).toBe(0.5);
    }
    const best = Math.max(...decision.candidates.map((c) => c.finalScore));
    expect(decision.chosen?.finalScore).toBe(best);
  });

  it('breaks exact ties towards the cheaper model', () => {
    // Prepare: latency-only weights make both policy scores equal
    const latencyOnly = settings({
      banditWeight: 0,
      weights: {
        ...DEFAULT_ROUTING_SETTINGS.weights,
        standard: { cost: 0, latency: 1, quality: 0, domain: 0 },
      },
    });
    const dear = makeModel('a-dear', {
      pricing: { inputPer1M: 5, outputPer1M: 5 },
    });
    const thrifty = makeModel('z-thrifty', {
      pricing: { inputPer1M: 1, outputPer1M: 1 },
    });

    // Act
    const decision = decide(
      [dear, thrifty],
      makeContext(),
      deps({ settings: latencyOnly })
    );

    // Assess
    expect(decision.candidates[0].finalScore).toBe(
      decision.candidates[1].finalScore
    );
    expect(decision.chosen?.model.id).toBe('z-thrifty');
    expect(decision.candidates.map((c) => c.model.id)).toEqual([
      'z-thrifty',
      'a-dear',
    ]);
  });

  it('orders candidates and caps fallbacks by expected score', () => {
    // Prepare
    const models = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) =>
      makeModel(id, { quality: 0.4 + i * 0.1 })
    );

    // Act
    const capped = decide(models, makeContext(), deps());
    const none = decide(
      models,
      makeContext(),
      deps({ settings: settings({ maxFallbacks: 0 }) })
    );

    // Assess
    expect(capped.candidates.map((c) => c.model.id)).toEqual([
      'f',
      'e',
      'd',
      'c',
      'b',
      'a',
    ]);
    expect(capped.fallbacks).toHaveLength(3);
    const expectedOrder = capped.candidates.filter((c) => c !== capped.chosen);
    expect(capped.fallbacks).toEqual(expectedOrder.slice(0, 3));
    expect(none.fallbacks).toEqual([]);
  });

  it('reports propensities that match the observed choice frequencies', () => {
    // Prepare: equal policy scores, different posteriors
    const key = 'general|standard|false';
    const bandit = new MemoryBanditStore({ now: () => 0 });
    const rewards: Record<string, [number, number]> = {
      a: [7, 3],
      b: [5, 5],
      c: [4, 6],
    };
    for (const [id, [wins, losses]] of Object.entries(rewards)) {
      for (let i = 0; i < wins; i++) bandit.update(key, id, 1);
      for (let i = 0; i < losses; i++) bandit.update(key, id, 0);
    }
    const models = ['a', 'b', 'c'].map((id) => makeModel(id));
    const shared = deps({ bandit, rng: seededRng(2024) });
    const rounds = 3000;
    const chosen: Record<string, number> = { a: 0, b: 0, c: 0 };
    const reported: Record<string, number> = { a: 0, b: 0, c: 0 };

    // Act
    for (let r = 0; r < rounds; r++) {
      const d = decide(models, makeContext(), shared);
      chosen[d.chosen!.model.id] += 1;
      expect(d.propensity).toBe(d.chosen!.probability);
      for (const c of d.candidates) reported[c.model.id] += c.probability;
    }

    // Assess
    for (const id of ['a', 'b', 'c']) {
      expect(
        Math.abs(chosen[id] / rounds - reported[id] / rounds)
      ).toBeLessThan(0.03);
    }
    expect(chosen.a).toBeGreaterThan(chosen.b);
    expect(chosen.b).toBeGreaterThan(chosen.c);
  });

  it('estimates probabilities from the actual draw plus the extra draws', () => {
    // Prepare
    const samples = 15;
    const models = ['a', 'b', 'c', 'd'].map((id) => makeModel(id));

    // Act
    const decision = decide(
      models,
      makeContext(),
      deps({ settings: settings({ propensitySamples: samples }) })
    );

    // Assess
    expect(decision.propensity).toBeGreaterThanOrEqual(1 / (samples + 1));
    let total = 0;
    for (const c of decision.candidates) {
      const draws = c.probability * (samples + 1);
      expect(draws).toBeCloseTo(Math.round(draws), 9);
      total += c.probability;
    }
    expect(total).toBeCloseTo(1, 12);
  });

  it('gives probability 0 to a candidate that cannot win and never picks it', () => {
    // Prepare: hopeless loses on every term by more than the bandit weight
    const best = makeModel('best', { quality: 1, domains: ['legal'] });
    const hopeless = makeModel('hopeless', {
      quality: 0,
      expectedLatencyMs: 20_000,
      pricing: { inputPer1M: 50, outputPer1M: 200 },
      domains: ['medical'],
    });
    const ctx = makeContext({ domain: 'legal', maxLatencyMs: 60_000 });

    // Act
    const decisions = Array.from({ length: 200 }, (_, seed) =>
      decide([hopeless, best], ctx, deps({ rng: seededRng(seed) }))
    );

    // Assess
    for (const d of decisions) {
      expect(d.chosen?.model.id).toBe('best');
      expect(d.propensity).toBe(1);
      expect(d.fallbacks[0].probability).toBe(0);
    }
  });

  it('treats a corrupt posterior as the prior instead of failing', () => {
    // Prepare
    const corrupt: BanditStore = {
      get: () => ({ alpha: Number.NaN, beta: -1 }),
      update: () => undefined,
      reset: () => undefined,
      snapshot: () => ({}),
    };

    // Act
    const decision = decide(
      [makeModel('a'), makeModel('b')],
      makeContext(),
      deps({ bandit: corrupt })
    );

    // Assess
    expect(decision.chosen).toBeDefined();
    expect(decision.candidates.map((c) => c.banditMean)).toEqual([0.5, 0.5]);
    expect(decision.propensity).toBeGreaterThan(0);
  });

  it('handles more candidates than its preallocated scratch', () => {
    // Prepare
    const many = Array.from({ length: 40 }, (_, i) =>
      makeModel(`m${i}`, { quality: 0.5 + (i % 7) * 0.01 })
    );
    const shared = deps({ rng: seededRng(8) });

    // Act
    const large = decide(many, makeContext(), shared);
    const small = decide(many.slice(0, 3), makeContext(), shared);

    // Assess
    for (const d of [large, small]) {
      const total = d.candidates.reduce((a, c) => a + c.probability, 0);
      expect(total).toBeCloseTo(1, 12);
      expect(d.propensity).toBeGreaterThan(0);
      expect(d.chosen?.finalScore).toBe(
        Math.max(...d.candidates.map((c) => c.finalScore))
      );
    }
    expect(large.candidates).toHaveLength(40);
    expect(small.candidates).toHaveLength(3);
  });

  it('keeps externally excluded models out of the choice', () => {
    // Prepare
    const external = new Map<string, ExternalExclusion>([
      ['fast', { code: 'circuit_open', reason: 'circuit open' }],
    ]);

    // Act
    const decision = decide(
      [fast, cheap],
      tierContext('premium'),
      deps({ external })
    );

    // Assess
    expect(decision.chosen?.model.id).toBe('cheap');
    expect(decision.excluded).toEqual([
      { modelId: 'fast', code: 'circuit_open', reason: 'circuit open' },
    ]);
  });
});
