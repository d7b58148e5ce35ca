import { MemoryBanditStore } from '../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../lambdas/core/adapters/local/memory-latency-tracker';
import { DEFAULT_LEARNING_SETTINGS } from '../lambdas/core/learning/config';
import { defaultRng, seededRng } from '../lambdas/core/routing/bandit';
import { contextKey } from '../lambdas/core/routing/context-key';
import { decide } from '../lambdas/core/routing/decide';
import { DEFAULT_ROUTING_SETTINGS } from '../lambdas/core/routing/defaults';
import type { RoutingContext } from '../lambdas/core/routing/types';
import type { ModelConfig, ProviderType } from '../lambdas/core/types';

/** Options of the routing micro-benchmark. */
export interface RoutingBenchOptions {
  /** Timed decisions (after warm-up). @default 20000 */
  readonly iterations?: number;
  /** Eligible models per decision. @default 10 */
  readonly candidates?: number;
  /** Override of the Monte Carlo draws (tuning). @default DEFAULT_ROUTING_SETTINGS */
  readonly propensitySamples?: number;
}

/** Latency of one `decide` call, microseconds. */
export interface RoutingBenchResult {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
  readonly iterations: number;
}

const TYPES: readonly ProviderType[] = [
  'bedrock',
  'gemini',
  'openai-compatible',
];

/*
 * Near-identical models on purpose: no candidate can be ruled out of the
 * propensity simulation, so this measures the worst case, not the typical one.
 */
function benchModels(count: number): ModelConfig[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `model-${i}`,
    provider: `provider-${i % 3}`,
    providerType: TYPES[i % 3],
    providerModelId: `upstream-${i}`,
    aliases: [],
    region: 'eu',
    capabilities: ['tools', 'streaming'],
    contextWindow: 128_000,
    maxOutputTokens: 4096,
    pricing: { inputPer1M: 1 + i * 0.01, outputPer1M: 4 + i * 0.02 },
    domains: i % 2 === 0 ? ['legal'] : [],
    quality: 0.8,
    expectedLatencyMs: 1000,
    status: 'active',
  }));
}

function percentile(sorted: Float64Array, q: number): number {
  const idx = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, idx)];
}

/**
 * Measures `decide` over `candidates` eligible models with warm bandit and
 * latency state (posteriors off the prior, so the general Gamma path runs).
 */
export function benchRoutingDecision(
  options: RoutingBenchOptions = {}
): RoutingBenchResult {
  const iterations = options.iterations ?? 20_000;
  const models = benchModels(options.candidates ?? 10);
  const ctx: RoutingContext = {
    model: { kind: 'auto' },
    domain: 'legal',
    budgetTier: 'standard',
    needsTools: true,
    needsStreaming: true,
    region: 'eu',
    maxLatencyMs: 5000,
    promptChars: 6000,
    messageCount: 4,
  };
  const rng = seededRng(42);
  const bandit = new MemoryBanditStore();
  const latency = new MemoryLatencyTracker();
  const key = contextKey(ctx.domain, ctx.budgetTier, ctx.needsTools);
  for (let round = 0; round < 200; round++) {
    for (const [i, m] of models.entries()) {
      bandit.update(key, m.id, rng() < 0.5 + i * 0.02 ? 0.9 : 0.1);
      latency.observe(m.id, 800 + rng() * 400);
    }
  }
  const deps = {
    latency,
    bandit,
    rng: defaultRng,
    // As the router runs it: bounded exploration mixed in.
    exploration: DEFAULT_LEARNING_SETTINGS.exploration,
    settings: {
      ...DEFAULT_ROUTING_SETTINGS,
      propensitySamples:
        options.propensitySamples ?? DEFAULT_ROUTING_SETTINGS.propensitySamples,
    },
  };

  let sink = 0;
  for (let i = 0; i < Math.max(2000, iterations / 10); i++) {
    sink += decide(models, ctx, deps).propensity;
  }
  const timings = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    const decision = decide(models, ctx, deps);
    timings[i] = Number(process.hrtime.bigint() - start) / 1000;
    sink += decision.propensity;
  }
  // Keeps the optimiser from discarding the decisions.
  if (Number.isNaN(sink)) throw new Error('benchmark produced NaN');

  let total = 0;
  for (const t of timings) total += t;
  const sorted = timings.slice().sort();
  const round2 = (v: number): number => Math.round(v * 100) / 100;
  return {
    p50Us: round2(percentile(sorted, 0.5)),
    p99Us: round2(percentile(sorted, 0.99)),
    meanUs: round2(total / iterations),
    iterations,
  };
}

if (require.main === module) {
  process.stdout.write(`${JSON.stringify(benchRoutingDecision())}\n`);
}
