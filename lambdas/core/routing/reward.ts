/** What happened to one routed request, as the reward needs it. */
export interface RewardOutcome {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** The latency SLA the request ran under, ms. */
  readonly slaMs: number;
  readonly costUsd: number;
  /** Cost the outcome is judged against (e.g. the dearest candidate's estimate). */
  readonly referenceCostUsd: number;
  /** Failed attempts of the same model in this request before it answered. @default 0 */
  readonly errors?: number;
}

/**
 * Penalty weights of the reward (α, β, γ; per domain in `learning.reward`);
 * α + β + γ <= 1 keeps every success above every failure.
 */
export interface RewardWeights {
  readonly latency: number;
  readonly cost: number;
  /** γ: weight of a same-model failed attempt (capped at one). @default 0 */
  readonly errors?: number;
}

/**
 * Default reward weights: a success that blew the SLA at the reference cost
 * still earns 0.5, so the bandit never prefers a model that fails.
 */
export const DEFAULT_REWARD_WEIGHTS: RewardWeights = {
  latency: 0.3,
  cost: 0.2,
  errors: 0.2,
};

/** Share of a budget used, capped at 1; an unusable budget counts as fully used. */
function usedShare(value: number, budget: number): number {
  if (!(value > 0)) return 0;
  if (!(budget > 0)) return 1;
  const share = value / budget;
  return Math.min(share, 1);
}

/**
 * Bandit reward in [0, 1] (ARCHITECTURE.md: success - a*latency - b*cost -
 * g*errors):
 *
 *   reward = ok ? 1 - a * min(1, latency / sla) - b * min(1, cost / reference)
 *                  - g * min(1, errors) : 0
 *
 * clamped to [0, 1]. A failure always scores 0; g charges a success that
 * needed same-model retries first. Latency and cost are ratios to the request's own SLA and a
 * reference cost, so the reward means the same for a cheap chat and a long
 * legal summary. A non-positive or NaN SLA/reference counts as fully used,
 * so a bad input never inflates the reward.
 */
export function computeReward(
  outcome: RewardOutcome,
  weights: RewardWeights = DEFAULT_REWARD_WEIGHTS
): number {
  if (!outcome.ok) return 0;
  const a =
    Number.isFinite(weights.latency) && weights.latency > 0
      ? weights.latency
      : 0;
  const b =
    Number.isFinite(weights.cost) && weights.cost > 0 ? weights.cost : 0;
  const g =
    weights.errors !== undefined &&
    Number.isFinite(weights.errors) &&
    weights.errors > 0
      ? weights.errors
      : 0;
  const errors =
    outcome.errors !== undefined && outcome.errors > 0
      ? Math.min(outcome.errors, 1)
      : 0;
  const latency = Number.isNaN(outcome.latencyMs)
    ? 1
    : usedShare(outcome.latencyMs, outcome.slaMs);
  const cost = Number.isNaN(outcome.costUsd)
    ? 1
    : usedShare(outcome.costUsd, outcome.referenceCostUsd);
  const reward = 1 - a * latency - b * cost - g * errors;
  if (reward <= 0) return 0;
  return Math.min(reward, 1);
}
