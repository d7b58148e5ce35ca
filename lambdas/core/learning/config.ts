import * as z from 'zod/mini';

/*
 * The `learning` section: how rewards are weighed per domain, how latency
 * and success estimates start and forget, how much traffic explores, and
 * how often routers share what they learned. Every default is chosen so a
 * single outlier (a slow first call on a new connection) cannot capture an
 * estimate; README "Learning" explains each one.
 */

const nonNeg = z.number().check(z.gte(0));
const positive = z.number().check(z.gt(0));
const posInt = z.int().check(z.gt(0));

/** α, β, γ of `reward = success − α·latency − β·cost − γ·errors`. */
export const rewardWeightsSchema = z.strictObject({
  /** α: weight of latency as a share of the request's SLA. */
  latency: z.optional(nonNeg),
  /** β: weight of cost as a share of the dearest candidate's estimate. */
  cost: z.optional(nonNeg),
  /** γ: weight of failed attempts of the same model before it answered. */
  errors: z.optional(nonNeg),
});

/**
 * `learning` section of the gateway config file. Learning-loop settings (reward weights per domain, priors, exploration, shared state). Owned by the learning module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 */
export const learningSettingsSchema = z.strictObject({
  /** Reward weights: `default` for every domain, then per-domain overrides. */
  reward: z.optional(
    z.strictObject({
      default: z.optional(rewardWeightsSchema),
      domains: z.optional(z.record(z.string(), rewardWeightsSchema)),
    })
  ),
  /** Latency estimate: prior weight, cold-call discount, forgetting. */
  latency: z.optional(
    z.strictObject({
      /** Pseudo-observations the prior is worth. */
      priorWeight: z.optional(positive),
      /** Weight of a model's first call in this process (0 ignores it). */
      coldWeight: z.optional(z.number().check(z.gte(0), z.lte(1))),
      /** Half-life of an observation's weight, ms. */
      halfLifeMs: z.optional(posInt),
      /** Observations are clipped to [estimate / f, estimate · f]. */
      outlierFactor: z.optional(z.number().check(z.gt(1))),
    })
  ),
  /** Success (Beta) posteriors: prior and forgetting. */
  success: z.optional(
    z.strictObject({
      priorAlpha: z.optional(positive),
      priorBeta: z.optional(positive),
      /** Half-life of a reward's weight, ms. */
      halfLifeMs: z.optional(posInt),
    })
  ),
  /** Bounded exploration mixed into every decision. */
  exploration: z.optional(
    z.strictObject({
      /** Share of decisions drawn uniformly from the explorable arms. */
      rate: z.optional(z.number().check(z.gte(0), z.lte(0.2))),
      /** Arms estimated to cost more than this per request, USD, are not explored. */
      maxCostUsd: z.optional(z.number().check(z.gt(0))),
    })
  ),
  /** Fleet-shared state (DynamoDB on AWS). */
  shared: z.optional(
    z.strictObject({
      /** Whether routers share posteriors through the decisions table. */
      enabled: z.optional(z.boolean()),
      /** How often a router re-reads the fleet's state, ms. */
      refreshMs: z.optional(posInt),
      /** How often a router writes its accumulated deltas, ms. */
      flushMs: z.optional(posInt),
    })
  ),
});

/** The `learning` section as written. */
export type LearningSettingsFile = z.infer<typeof learningSettingsSchema>;

/** Resolved α, β, γ. */
export interface RewardWeightSet {
  readonly latency: number;
  readonly cost: number;
  readonly errors: number;
}

/** Latency estimator settings after defaults. */
export interface LatencyLearning {
  readonly priorWeight: number;
  readonly coldWeight: number;
  readonly halfLifeMs: number;
  readonly outlierFactor: number;
}

/** Success posterior settings after defaults. */
export interface SuccessLearning {
  readonly priorAlpha: number;
  readonly priorBeta: number;
  readonly halfLifeMs: number;
}

/** Exploration settings after defaults. */
export interface ExplorationSettings {
  readonly rate: number;
  /** Cost ceiling of an explored request, USD; undefined: none. */
  readonly maxCostUsd?: number;
}

/** Shared-state settings after defaults. */
export interface SharedLearning {
  readonly enabled: boolean;
  readonly refreshMs: number;
  readonly flushMs: number;
}

/** The `learning` section after defaults. */
export interface LearningSettings {
  readonly reward: {
    readonly default: RewardWeightSet;
    readonly domains: Readonly<Record<string, RewardWeightSet>>;
  };
  readonly latency: LatencyLearning;
  readonly success: SuccessLearning;
  readonly exploration: ExplorationSettings;
  readonly shared: SharedLearning;
}

/**
 * Defaults. A failure always earns 0 and a success at least 1 − α − β − γ
 * = 0.3 > 0 with these weights, so the bandit never prefers a model that
 * fails. A configured `expectedLatencyMs` is worth one call (operators'
 * guesses are often off by 2–5×); a cold first call is worth a tenth of one.
 * Latency forgets within minutes (a model slowing down under load must lose
 * traffic quickly); success within half an hour (quality shifts are slower
 * and rewards noisier).
 */
export const DEFAULT_LEARNING_SETTINGS: LearningSettings = {
  reward: {
    default: { latency: 0.3, cost: 0.2, errors: 0.2 },
    domains: {},
  },
  latency: {
    priorWeight: 1,
    coldWeight: 0.1,
    halfLifeMs: 2 * 60_000,
    outlierFactor: 4,
  },
  success: { priorAlpha: 1, priorBeta: 1, halfLifeMs: 30 * 60_000 },
  exploration: { rate: 0.04 },
  shared: { enabled: true, refreshMs: 3_000, flushMs: 1_000 },
};

function weights(
  file: z.infer<typeof rewardWeightsSchema> | undefined,
  base: RewardWeightSet
): RewardWeightSet {
  return {
    latency: file?.latency ?? base.latency,
    cost: file?.cost ?? base.cost,
    errors: file?.errors ?? base.errors,
  };
}

/** Resolves defaults of the `learning` section. */
export function resolveLearningSettings(
  file: LearningSettingsFile | undefined
): LearningSettings {
  const d = DEFAULT_LEARNING_SETTINGS;
  const base = weights(file?.reward?.default, d.reward.default);
  const domains: Record<string, RewardWeightSet> = {};
  for (const [domain, w] of Object.entries(file?.reward?.domains ?? {})) {
    // A domain override inherits the unset weights from `default`.
    domains[domain] = weights(w, base);
  }
  return {
    reward: { default: base, domains },
    latency: { ...d.latency, ...defined(file?.latency) },
    success: { ...d.success, ...defined(file?.success) },
    exploration: { ...d.exploration, ...defined(file?.exploration) },
    shared: { ...d.shared, ...defined(file?.shared) },
  };
}

/** The reward weights of a domain (its override, else `default`). */
export function rewardWeightsFor(
  settings: LearningSettings,
  domain: string
): RewardWeightSet {
  return settings.reward.domains[domain] ?? settings.reward.default;
}

function defined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!o) return out;
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}
