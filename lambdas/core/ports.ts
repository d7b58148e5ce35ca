/**
 * Ports: the storage/config/metrics interfaces the core depends on. Each has
 * a local implementation (adapters/local) and, as issues land, an AWS one
 * (adapters/aws). The core never imports an adapter directly.
 */

/** Beta posterior parameters of one (context, model) arm. */
export interface BetaPosterior {
  readonly alpha: number;
  readonly beta: number;
}

/**
 * Bandit state: Beta posteriors per context key (`domain|budget_tier|tools`)
 * and model id. Reads are synchronous because they sit on the hot path; an
 * AWS implementation keeps a local replica and syncs in the background.
 */
export interface BanditStore {
  /** Posterior of an arm; the prior Beta(1, 1) when never updated. */
  get(contextKey: string, modelId: string): BetaPosterior;
  /** Adds a reward in [0, 1]: alpha += reward, beta += 1 - reward. */
  update(contextKey: string, modelId: string, reward: number): void;
  /** Forgets all state (or one context). */
  reset(contextKey?: string): void;
  /** All posteriors, for /v1/stats. */
  snapshot(): Record<string, Record<string, BetaPosterior>>;
}

/** Observed latency per model (EWMA), feeding the policy's latency term. */
export interface LatencyTracker {
  observe(modelId: string, latencyMs: number): void;
  /** EWMA of observed latency, undefined before the first observation. */
  estimate(modelId: string): number | undefined;
  /** Observations so far. */
  count(modelId: string): number;
}
