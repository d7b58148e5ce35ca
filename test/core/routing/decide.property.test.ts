import fc from 'fast-check';
import { MemoryBanditStore } from '../../../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../../../lambdas/core/adapters/local/memory-latency-tracker';
import { seededRng } from '../../../lambdas/core/routing/bandit';
import { contextKey } from '../../../lambdas/core/routing/context-key';
import { decide } from '../../../lambdas/core/routing/decide';
import { DEFAULT_ROUTING_SETTINGS } from '../../../lambdas/core/routing/defaults';
import type {
  ExternalExclusion,
  RoutingContext,
  RoutingDecision,
  RoutingSettings,
} from '../../../lambdas/core/routing/types';
import type { ModelConfig } from '../../../lambdas/core/types';

const DOMAINS = ['legal', 'medical', 'code'] as const;

const modelArb = (id: string): fc.Arbitrary<ModelConfig> =>
  fc.record({
    id: fc.constant(id),
    provider: fc.constantFrom('bedrock', 'gemini', 'llama-api'),
    providerType: fc.constantFrom(
      'bedrock' as const,
      'gemini' as const,
      'openai-compatible' as const,
      'echo' as const
    ),
    providerModelId: fc.constant(`upstream-${id}`),
    aliases: fc.subarray([`${id}-alias`]),
    region: fc.constantFrom('eu', 'eu', 'us', 'global'),
    capabilities: fc.oneof(
      { weight: 3, arbitrary: fc.constant(['tools', 'streaming'] as const) },
      { weight: 1, arbitrary: fc.subarray(['tools', 'streaming'] as const) }
    ),
    contextWindow: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 32_000, max: 200_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }) }
    ),
    maxOutputTokens: fc.integer({ min: 1, max: 8192 }),
    pricing: fc.record({
      inputPer1M: fc.oneof(
        fc.constant(0),
        fc.double({ min: 0, max: 30, noNaN: true })
      ),
      outputPer1M: fc.oneof(
        fc.constant(0),
        fc.double({ min: 0, max: 120, noNaN: true })
      ),
    }),
    domains: fc.subarray([...DOMAINS, 'general']),
    quality: fc.double({ min: 0, max: 1, noNaN: true }),
    expectedLatencyMs: fc.double({ min: 1, max: 20_000, noNaN: true }),
    status: fc.oneof(
      { weight: 6, arbitrary: fc.constant('active' as const) },
      { weight: 2, arbitrary: fc.constant('canary' as const) },
      { weight: 1, arbitrary: fc.constant('shadow' as const) },
      { weight: 1, arbitrary: fc.constant('deprecated' as const) }
    ),
  });

const modelsArb: fc.Arbitrary<ModelConfig[]> = fc
  .oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 9, arbitrary: fc.integer({ min: 1, max: 12 }) }
  )
  .chain((n) =>
    n === 0
      ? fc.constant([])
      : fc.tuple(...Array.from({ length: n }, (_, i) => modelArb(`m${i}`)))
  );

const weightsArb = fc.record({
  latency: fc.double({ min: 0, max: 1, noNaN: true }),
  cost: fc.double({ min: 0, max: 1, noNaN: true }),
  quality: fc.double({ min: 0, max: 1, noNaN: true }),
  domain: fc.double({ min: 0, max: 1, noNaN: true }),
});

const settingsArb: fc.Arbitrary<RoutingSettings> = fc.record({
  weights: fc.record({
    low: weightsArb,
    standard: weightsArb,
    premium: weightsArb,
  }),
  banditWeight: fc.oneof(
    fc.constant(0),
    fc.constant(DEFAULT_ROUTING_SETTINGS.banditWeight),
    fc.double({ min: 0, max: 1, noNaN: true })
  ),
  maxFallbacks: fc.integer({ min: 0, max: 5 }),
  propensitySamples: fc.integer({ min: 0, max: 40 }),
});

interface Scenario {
  readonly models: ModelConfig[];
  readonly ctx: RoutingContext;
  readonly external: Map<string, ExternalExclusion>;
  readonly rewards: readonly [number, number][];
  readonly latencies: readonly [number, number][];
  readonly settings: RoutingSettings;
  readonly seed: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = modelsArb.chain((models) => {
  const ids = models.map((m) => m.id);
  const idxArb = fc.integer({ min: 0, max: Math.max(0, ids.length - 1) });
  // Restrictions are the exception, so most scenarios keep some candidates.
  const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: arb }
    );
  const ctxArb: fc.Arbitrary<RoutingContext> = fc.record({
    model: fc.oneof(
      { weight: 3, arbitrary: fc.constant({ kind: 'auto' as const }) },
      {
        weight: 1,
        arbitrary: fc.subarray([...ids, 'unknown']).map((modelIds) => ({
          kind: 'named' as const,
          name: 'group',
          modelIds,
        })),
      }
    ),
    domain: fc.constantFrom('general', ...DOMAINS),
    budgetTier: fc.constantFrom(
      'low' as const,
      'standard' as const,
      'premium' as const
    ),
    needsTools: fc.boolean(),
    needsStreaming: fc.boolean(),
    region: fc.constantFrom(
      'eu' as const,
      'any' as const,
      'any' as const,
      'any' as const
    ),
    providers: rarely(fc.subarray(['bedrock', 'gemini', 'llama-api', 'echo'])),
    maxLatencyMs: fc.integer({ min: 100, max: 20_000 }),
    promptChars: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 400_000 }) }
    ),
    messageCount: fc.integer({ min: 1, max: 40 }),
    maxOutputTokens: rarely(fc.integer({ min: 1, max: 8192 })),
    allowedModels: rarely(
      fc.subarray([...ids, ...ids.map((id) => `${id}-alias`)])
    ),
  });
  const externalArb = fc
    .array(
      fc.tuple(
        fc.constantFrom(...(ids.length > 0 ? ids : ['none'])),
        fc.constantFrom(
          'kill_switch' as const,
          'circuit_open' as const,
          'provider_unavailable' as const
        )
      ),
      { maxLength: 3 }
    )
    .map(
      (pairs) =>
        new Map<string, ExternalExclusion>(
          pairs.map(([id, code]) => [id, { code, reason: `${code} on ${id}` }])
        )
    );
  return fc.record({
    models: fc.constant(models),
    ctx: ctxArb,
    external: externalArb,
    rewards: fc.array(
      fc.tuple(idxArb, fc.double({ min: -0.5, max: 1.5, noNaN: true })),
      { maxLength: 60 }
    ),
    latencies: fc.array(
      fc.tuple(idxArb, fc.double({ min: 0, max: 30_000, noNaN: true })),
      { maxLength: 30 }
    ),
    settings: settingsArb,
    seed: fc.integer(),
  });
});

function run(s: Scenario): RoutingDecision {
  const bandit = new MemoryBanditStore();
  const latency = new MemoryLatencyTracker();
  const key = contextKey(s.ctx.domain, s.ctx.budgetTier, s.ctx.needsTools);
  for (const [i, reward] of s.rewards) {
    if (s.models[i]) bandit.update(key, s.models[i].id, reward);
  }
  for (const [i, ms] of s.latencies) {
    if (s.models[i]) latency.observe(s.models[i].id, ms);
  }
  return decide(s.models, s.ctx, {
    bandit,
    latency,
    rng: seededRng(s.seed),
    settings: s.settings,
    external: s.external,
  });
}

const RUNS = { numRuns: 300 };
describe('Function: decide (properties)', () => {
  it('accounts for every model exactly once, as a candidate or an exclusion', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const d = run(s);
        const seen = [
          ...d.candidates.map((c) => c.model.id),
          ...d.excluded.map((e) => e.modelId),
        ].sort();
        expect(seen).toEqual(s.models.map((m) => m.id).sort());
      }),
      RUNS
    );
  });

  it('never chooses an excluded model, and chooses whenever something is eligible', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const d = run(s);
        const excluded = new Set(d.excluded.map((e) => e.modelId));
        if (d.candidates.length === 0) {
          expect(d.chosen).toBeUndefined();
          expect(d.propensity).toBe(0);
          return;
        }
        expect(d.chosen).toBeDefined();
        expect(excluded.has(d.chosen!.model.id)).toBe(false);
        expect(d.candidates).toContain(d.chosen);
        for (const [id] of s.external) {
          if (d.chosen!.model.id === id) throw new Error(`chose ${id}`);
        }
      }),
      RUNS
    );
  });

  it('keeps fallbacks eligible, distinct, capped and without the choice', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const d = run(s);
        const ids = d.fallbacks.map((f) => f.model.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBeLessThanOrEqual(s.settings.maxFallbacks);
        expect(ids).not.toContain(d.chosen?.model.id);
        for (const f of d.fallbacks) expect(d.candidates).toContain(f);
        expect(ids.length).toBe(
          Math.min(
            s.settings.maxFallbacks,
            Math.max(0, d.candidates.length - 1)
          )
        );
      }),
      RUNS
    );
  });

  it('gives a propensity in (0, 1] and probabilities that sum to 1', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const d = run(s);
        if (d.candidates.length === 0) return;
        expect(d.propensity).toBeGreaterThan(0);
        expect(d.propensity).toBeLessThanOrEqual(1);
        expect(d.propensity).toBe(d.chosen!.probability);
        const total = d.candidates.reduce((a, c) => a + c.probability, 0);
        expect(Math.abs(total - 1)).toBeLessThanOrEqual(1e-9);
        for (const c of d.candidates) {
          expect(c.probability).toBeGreaterThanOrEqual(0);
        }
      }),
      RUNS
    );
  });

  it('chooses the highest final score and ranks candidates by expected score', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const d = run(s);
        if (!d.chosen) return;
        for (const c of d.candidates) {
          expect(c.finalScore).toBeLessThanOrEqual(d.chosen.finalScore);
          for (const v of [
            c.policyScore,
            c.components.cost,
            c.components.latency,
            c.components.quality,
            c.components.domain,
            c.banditSample,
          ]) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
          }
        }
        const w = Math.min(1, Math.max(0, s.settings.banditWeight));
        const expected = d.candidates.map(
          (c) =>
            ((1 - w) * c.policyScore + w * c.banditMean) * (c.overSla ? 0.5 : 1)
        );
        for (let i = 1; i < expected.length; i++) {
          expect(expected[i]).toBeLessThanOrEqual(expected[i - 1] + 1e-12);
        }
      }),
      RUNS
    );
  });
});
