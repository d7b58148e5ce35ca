import type { TierWeights } from '../config/schema';
import type { LatencyTracker } from '../ports';
import { costUsd } from '../tokens';
import type { ModelConfig } from '../types';
import { estimateContextPromptTokens } from './candidates';
import { DEFAULT_EXPECTED_OUTPUT_TOKENS } from './defaults';
import type { RoutingContext, ScoreComponents } from './types';

/** Domain score when the model lists the request's domain. */
export const DOMAIN_MATCH_SCORE = 1;
/** Domain score for `general` requests and generalist models. */
export const DOMAIN_NEUTRAL_SCORE = 0.5;
/**
 * Domain score of a specialist of another domain. Not 0: it is still a capable
 * model, and 0 would let the domain weight alone veto it against a much
 * cheaper or faster choice.
 */
export const DOMAIN_MISMATCH_SCORE = 0.2;

/*
 * Floors for the ratio scores. A free model (echo, self-hosted) would
 * otherwise give every priced model a cost score of exactly 0; a millionth of
 * a dollar is far below any real request's cost, so it changes nothing else.
 */
const COST_FLOOR_USD = 1e-6;
const LATENCY_FLOOR_MS = 1;

/** Latency assumed when neither a prior nor any observation exists, ms. */
export const NEUTRAL_LATENCY_MS = 1000;

/** Policy view of one eligible candidate (before the bandit). */
export interface PolicyScore {
  readonly model: ModelConfig;
  readonly components: ScoreComponents;
  /** Estimated request cost, USD. */
  readonly estimatedCostUsd: number;
  /** Latency estimate used (prior shrunk toward observations), ms. */
  readonly estimatedLatencyMs: number;
  /** Whether the latency estimate exceeds the request's SLA. */
  readonly overSla: boolean;
  /** Weighted sum of the components, in [0, 1]. */
  readonly policyScore: number;
}

/** Fit of a model to the request domain, in [0, 1]. */
export function domainScore(model: ModelConfig, domain: string): number {
  if (model.domains.includes(domain)) return DOMAIN_MATCH_SCORE;
  if (
    domain === 'general' ||
    model.domains.length === 0 ||
    model.domains.includes('general')
  ) {
    return DOMAIN_NEUTRAL_SCORE;
  }
  return DOMAIN_MISMATCH_SCORE;
}

/**
 * Estimated request cost in USD: the estimated prompt plus the expected
 * completion, min(max_tokens or 512, the model's output limit).
 */
export function estimateRequestCostUsd(
  model: ModelConfig,
  ctx: Pick<
    RoutingContext,
    'promptChars' | 'messageCount' | 'maxOutputTokens' | 'media'
  >
): number {
  const completionTokens = Math.min(
    ctx.maxOutputTokens ?? DEFAULT_EXPECTED_OUTPUT_TOKENS,
    model.maxOutputTokens
  );
  return costUsd(
    {
      promptTokens: estimateContextPromptTokens(ctx, model.providerType),
      completionTokens,
    },
    model.pricing
  );
}

/**
 * Normalises tier weights to sum 1. Negative or non-finite weights count as
 * 0; all-zero weights fall back to equal weights rather than a 0/0 score.
 */
export function normaliseWeights(weights: TierWeights): TierWeights {
  const clean = (v: number): number => (Number.isFinite(v) && v > 0 ? v : 0);
  const latency = clean(weights.latency);
  const cost = clean(weights.cost);
  const quality = clean(weights.quality);
  const domain = clean(weights.domain);
  const sum = latency + cost + quality + domain;
  if (sum === 0)
    return { latency: 0.25, cost: 0.25, quality: 0.25, domain: 0.25 };
  return {
    latency: latency / sum,
    cost: cost / sum,
    quality: quality / sum,
    domain: domain / sum,
  };
}

function clamp01(v: number): number {
  if (!(v > 0)) return 0;
  return Math.min(v, 1);
}

/**
 * Scores eligible models on cost, latency, quality and domain fit. Cost and
 * latency are relative to the eligible set (cheapest/fastest = 1, others
 * min/value), so the score answers "how good among what can serve this",
 * independent of absolute prices. `weights` must already be normalised.
 */
export function scorePolicy(
  models: readonly ModelConfig[],
  ctx: RoutingContext,
  latency: LatencyTracker,
  weights: TierWeights
): PolicyScore[] {
  const n = models.length;
  const costs = new Array<number>(n);
  const latencies = new Array<number>(n);
  let minCost = Number.POSITIVE_INFINITY;
  let minLatency = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const model = models[i];
    const cost = estimateRequestCostUsd(model, ctx);
    const estimated = latency.estimate(model.id, model.expectedLatencyMs);
    // Nothing known anywhere: one neutral value for all, so no model is
    // favoured or penalised before the first call.
    const lat =
      estimated !== undefined && Number.isFinite(estimated)
        ? estimated
        : NEUTRAL_LATENCY_MS;
    costs[i] = cost;
    latencies[i] = lat;
    if (cost < minCost) minCost = cost;
    if (lat < minLatency) minLatency = lat;
  }
  const minLatencyFloored = Math.max(minLatency, LATENCY_FLOOR_MS);
  const scores = new Array<PolicyScore>(n);
  for (let i = 0; i < n; i++) {
    const model = models[i];
    const components: ScoreComponents = {
      cost: clamp01((minCost + COST_FLOOR_USD) / (costs[i] + COST_FLOOR_USD)),
      latency: clamp01(
        minLatencyFloored / Math.max(latencies[i], LATENCY_FLOOR_MS)
      ),
      quality: clamp01(model.quality),
      domain: domainScore(model, ctx.domain),
    };
    scores[i] = {
      model,
      components,
      estimatedCostUsd: costs[i],
      estimatedLatencyMs: latencies[i],
      overSla: latencies[i] > ctx.maxLatencyMs,
      // Clamped because normalised weights may sum to 1 + ulp.
      policyScore: clamp01(
        weights.cost * components.cost +
          weights.latency * components.latency +
          weights.quality * components.quality +
          weights.domain * components.domain
      ),
    };
  }
  return scores;
}
