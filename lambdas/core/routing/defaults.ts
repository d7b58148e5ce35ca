import type { BudgetTier } from '../types';
import type { RoutingSettings } from './types';

/**
 * Policy defaults. Low is cost-heavy, premium latency/quality-heavy; standard
 * sits in between. Weights are normalised to sum 1 when a decision is made,
 * so operators may write them on any scale.
 *
 * `propensitySamples` is sized for the hot-path budget (<= 50 us p99 for a
 * decision over ten candidates, bench/routing-bench.ts): 31 extra draws plus
 * the actual one resolve propensities to 1/32 at ~20 us p50 when all ten
 * candidates are close enough to win. Each extra draw costs ~0.5 us there,
 * less when the exact pruning in decide rules candidates out.
 */
export const DEFAULT_ROUTING_SETTINGS: RoutingSettings = {
  weights: {
    low: { cost: 0.6, latency: 0.15, quality: 0.1, domain: 0.15 },
    standard: { cost: 0.3, latency: 0.25, quality: 0.25, domain: 0.2 },
    premium: { cost: 0.05, latency: 0.35, quality: 0.35, domain: 0.25 },
  },
  banditWeight: 0.3,
  maxFallbacks: 3,
  propensitySamples: 31,
};

/** Default latency SLA per tier, ms (when the request gives no max_latency_ms). */
export const DEFAULT_TIER_SLA_MS: Readonly<Record<BudgetTier, number>> = {
  low: 10_000,
  standard: 5_000,
  premium: 2_500,
};

/**
 * Factor applied to the final score of a candidate whose latency estimate
 * exceeds the SLA. A factor rather than an exclusion keeps the model eligible
 * as a fallback when every faster model fails.
 */
export const SLA_PENALTY = 0.5;

/** Output tokens assumed for the cost estimate when the request sets no max_tokens. */
export const DEFAULT_EXPECTED_OUTPUT_TOKENS = 512;
