import * as z from 'zod/mini';

/*
 * Experiment definitions: the shape operators write (config file
 * `experiments.definitions`, `PUT /v1/admin/experiments/{id}`) and the
 * stored form (definition + state + version). Two kinds:
 *   - `ab`: named variants, each a model, a route set or routing-policy
 *     weights, with a traffic split;
 *   - `rollout`: one new model version moving shadow -> canary -> active,
 *     judged against the rest of the traffic (variants `control` and
 *     `candidate`, derived, not written).
 */

/** Metrics an experiment can be judged by. `success` is the outcome rate. */
export const METRICS = ['success', 'latency', 'cost'] as const;

/** One judged metric. */
export type MetricName = (typeof METRICS)[number];

const idSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/), z.maxLength(63));

const policyWeightsSchema = z.strictObject({
  latency: z.optional(z.number().check(z.gte(0))),
  cost: z.optional(z.number().check(z.gte(0))),
  quality: z.optional(z.number().check(z.gte(0))),
  domain: z.optional(z.number().check(z.gte(0))),
  /** Share of the bandit draw in the final score, 0..1. */
  bandit: z.optional(z.number().check(z.gte(0), z.lte(1))),
});

/** A variant of an A/B experiment: exactly one of model, routeSet, policy. */
export const variantSchema = z
  .strictObject({
    name: z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)),
    /** Traffic share in percent; the shares of all variants sum to 100. */
    weight: z.number().check(z.gte(0), z.lte(100)),
    model: z.optional(z.string().check(z.minLength(1))),
    routeSet: z.optional(z.string().check(z.minLength(1))),
    policy: z.optional(policyWeightsSchema),
  })
  .check(
    z.refine(
      (v) =>
        [v.model, v.routeSet, v.policy].filter((x) => x !== undefined).length <=
        1,
      'a variant sets at most one of model, routeSet, policy (none = control)'
    )
  );

/** A variant as written. */
export type Variant = z.infer<typeof variantSchema>;

/** Routing-policy weights a variant overrides. */
export type PolicyWeights = z.infer<typeof policyWeightsSchema>;

/** Rollout stages, in order. */
export const STAGES = ['shadow', 'canary', 'active'] as const;

/** A rollout stage. */
export type Stage = (typeof STAGES)[number];

const rolloutSchema = z.strictObject({
  /** The new model (version) being rolled out. */
  model: z.string().check(z.minLength(1)),
  /** Registry version being rolled out (informational; audited). */
  version: z.optional(z.int().check(z.gte(1))),
  /** Stage to start in. @default shadow */
  stage: z.optional(z.enum(STAGES)),
  /** Share of real requests copied to the model in shadow, 0..1. @default 0.1 */
  shadowSampleRate: z.optional(z.number().check(z.gte(0), z.lte(1))),
  /** Live share of traffic in canary, 0..1. @default 0.1 */
  canaryShare: z.optional(z.number().check(z.gte(0), z.lte(1))),
  /** Route set to revert on rollback (the one the model was added to). */
  routeSet: z.optional(z.string().check(z.minLength(1))),
  /** Promote automatically when the gate passes. @default true */
  autoPromote: z.optional(z.boolean()),
  /** Roll back automatically on a significant regression. @default true */
  autoRollback: z.optional(z.boolean()),
});

/** Rollout settings as written. */
export type RolloutSpec = z.infer<typeof rolloutSchema>;

/** An experiment definition as written (config file or admin API). */
export const experimentInputSchema = z
  .strictObject({
    id: idSchema,
    description: z.optional(z.string().check(z.maxLength(1024))),
    kind: z.enum(['ab', 'rollout']),
    /** A/B variants (required for `ab`, absent for `rollout`). */
    variants: z.optional(z.array(variantSchema).check(z.minLength(2))),
    rollout: z.optional(rolloutSchema),
    /** Restrict to these tenants. @default - every tenant */
    tenants: z.optional(z.array(z.string().check(z.minLength(1)))),
    /** Runs from (ISO time). @default - from `start` */
    startAt: z.optional(z.iso.datetime({ offset: true })),
    /** Stops at (ISO time). @default - until stopped */
    stopAt: z.optional(z.iso.datetime({ offset: true })),
    /** Metrics to judge by, the primary first. @default ['success', 'latency', 'cost'] */
    metrics: z.optional(z.array(z.enum(METRICS)).check(z.minLength(1))),
    /** Observations per variant (per stage) before any verdict. @default 200 */
    minSamples: z.optional(z.int().check(z.gte(10))),
    /** Probability to be best that declares a winner / passes a gate. @default 0.95 */
    threshold: z.optional(z.number().check(z.gt(0.5), z.lt(1))),
    /** Regression test level (always-valid). @default 0.01 */
    alpha: z.optional(z.number().check(z.gt(0), z.lt(0.5))),
    /**
     * Tolerated degradation for non-inferiority: absolute on success, relative
     * on latency and cost. @default 0.02
     */
    margin: z.optional(z.number().check(z.gte(0), z.lt(1))),
  })
  .check(
    z.refine(
      (e) =>
        e.kind === 'ab'
          ? e.variants !== undefined && e.rollout === undefined
          : e.rollout !== undefined && e.variants === undefined,
      'an ab experiment needs variants (and no rollout); a rollout needs rollout (and no variants)'
    ),
    z.refine(
      (e) =>
        e.variants === undefined ||
        Math.abs(e.variants.reduce((s, v) => s + v.weight, 0) - 100) < 1e-6,
      'variant weights must sum to 100'
    ),
    z.refine(
      (e) =>
        e.variants === undefined ||
        new Set(e.variants.map((v) => v.name)).size === e.variants.length,
      'variant names must be unique'
    )
  );

/** An experiment definition as written. */
export type ExperimentInput = z.infer<typeof experimentInputSchema>;

/** Lifecycle of an experiment. */
export type ExperimentStatus =
  | 'draft'
  | 'running'
  | 'stopped'
  | 'completed'
  | 'rolled_back';

/** A rollout with its defaults applied. */
export interface ResolvedRollout {
  readonly model: string;
  readonly version?: number;
  readonly shadowSampleRate: number;
  readonly canaryShare: number;
  readonly routeSet?: string;
  readonly autoPromote: boolean;
  readonly autoRollback: boolean;
}

/** A stored experiment: the definition with defaults, its state and version. */
export interface Experiment {
  readonly id: string;
  readonly description?: string;
  readonly kind: 'ab' | 'rollout';
  /** For `rollout`, `control` (weight 1 - share) and `candidate`. */
  readonly variants: readonly Variant[];
  readonly rollout?: ResolvedRollout;
  readonly tenants?: readonly string[];
  readonly startAt?: string;
  readonly stopAt?: string;
  readonly metrics: readonly MetricName[];
  readonly minSamples: number;
  readonly threshold: number;
  readonly alpha: number;
  readonly margin: number;
  readonly status: ExperimentStatus;
  /** Current rollout stage (rollouts only). */
  readonly stage?: Stage;
  /** Winner once declared (`ab`), or the outcome of a rollout. */
  readonly winner?: string;
  /** Why the last transition happened. */
  readonly statusReason?: string;
  /** Optimistic-concurrency version, 1 on first write. */
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** Applies defaults to a written definition (status draft, version 0). */
export function resolveExperiment(
  input: ExperimentInput,
  by: string,
  now: Date = new Date()
): Experiment {
  const rollout: ResolvedRollout | undefined = input.rollout
    ? {
        model: input.rollout.model,
        ...(input.rollout.version === undefined
          ? {}
          : { version: input.rollout.version }),
        shadowSampleRate: input.rollout.shadowSampleRate ?? 0.1,
        canaryShare: input.rollout.canaryShare ?? 0.1,
        ...(input.rollout.routeSet ? { routeSet: input.rollout.routeSet } : {}),
        autoPromote: input.rollout.autoPromote ?? true,
        autoRollback: input.rollout.autoRollback ?? true,
      }
    : undefined;
  return {
    id: input.id,
    ...(input.description ? { description: input.description } : {}),
    kind: input.kind,
    variants: input.variants ?? rolloutVariants(rollout!),
    ...(rollout ? { rollout, stage: input.rollout?.stage ?? 'shadow' } : {}),
    ...(input.tenants ? { tenants: input.tenants } : {}),
    ...(input.startAt ? { startAt: input.startAt } : {}),
    ...(input.stopAt ? { stopAt: input.stopAt } : {}),
    metrics: input.metrics ?? [...METRICS],
    minSamples: input.minSamples ?? 200,
    threshold: input.threshold ?? 0.95,
    alpha: input.alpha ?? 0.01,
    margin: input.margin ?? 0.02,
    status: 'draft',
    version: 0,
    updatedAt: now.toISOString(),
    updatedBy: by,
  };
}

/** The derived variants of a rollout (canary split; shadow copies don't split). */
export function rolloutVariants(rollout: ResolvedRollout): Variant[] {
  const share = rollout.canaryShare * 100;
  return [
    { name: 'control', weight: 100 - share },
    { name: 'candidate', weight: share, model: rollout.model },
  ];
}

/** The definition part of a stored experiment, as it would be written back. */
export function experimentInput(e: Experiment): ExperimentInput {
  return {
    id: e.id,
    ...(e.description ? { description: e.description } : {}),
    kind: e.kind,
    ...(e.kind === 'ab' ? { variants: [...e.variants] } : {}),
    ...(e.rollout
      ? {
          rollout: {
            ...e.rollout,
            ...(e.stage ? { stage: e.stage } : {}),
          },
        }
      : {}),
    ...(e.tenants ? { tenants: [...e.tenants] } : {}),
    ...(e.startAt ? { startAt: e.startAt } : {}),
    ...(e.stopAt ? { stopAt: e.stopAt } : {}),
    metrics: [...e.metrics],
    minSamples: e.minSamples,
    threshold: e.threshold,
    alpha: e.alpha,
    margin: e.margin,
  };
}

/** Running and inside its time window. */
export function isLive(e: Experiment, nowMs: number): boolean {
  if (e.status !== 'running') return false;
  if (e.startAt && Date.parse(e.startAt) > nowMs) return false;
  if (e.stopAt && Date.parse(e.stopAt) <= nowMs) return false;
  return true;
}

/** One request's outcome as the tracker counts it. */
export interface Observation {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly costUsd: number;
}

/** Running sums of one variant (what the store keeps, updated with ADD). */
export interface VariantCounts {
  readonly n: number;
  readonly successes: number;
  readonly latencySum: number;
  readonly latencySumSq: number;
  readonly costSum: number;
  readonly costSumSq: number;
}

/** Zero counts. */
export const EMPTY_COUNTS: VariantCounts = Object.freeze({
  n: 0,
  successes: 0,
  latencySum: 0,
  latencySumSq: 0,
  costSum: 0,
  costSumSq: 0,
});

/** Adds one observation to counts (pure). */
export function addObservation(
  c: VariantCounts,
  o: Observation
): VariantCounts {
  return {
    n: c.n + 1,
    successes: c.successes + (o.ok ? 1 : 0),
    latencySum: c.latencySum + o.latencyMs,
    latencySumSq: c.latencySumSq + o.latencyMs * o.latencyMs,
    costSum: c.costSum + o.costUsd,
    costSumSq: c.costSumSq + o.costUsd * o.costUsd,
  };
}

/**
 * Tracker bucket of a variant: rollouts count per stage (a shadow sample
 * and a canary sample are different experiments), A/B tests per variant.
 */
export function bucketKey(stage: Stage | undefined, variant: string): string {
  return stage ? `${stage}:${variant}` : variant;
}

/** An experiment write lost a race, or the id is taken / missing. */
export class ExperimentError extends Error {
  public override readonly name = 'ExperimentError';
  public constructor(
    public readonly status: 400 | 404 | 409,
    public readonly code: string,
    message: string
  ) {
    super(message);
  }
}

/**
 * Where experiments live (the Experiments port): definitions and state with
 * optimistic concurrency, and per-variant counters with atomic adds. Memory
 * locally; DynamoDB on AWS (definitions on the registry table, counters on
 * the decisions table).
 */
export interface ExperimentStore {
  list(): Promise<readonly Experiment[]>;
  get(id: string): Promise<Experiment | undefined>;
  /**
   * Writes `experiment` as version `expectedVersion + 1`; 409 when the
   * stored version is not `expectedVersion` (0 = must not exist).
   */
  put(experiment: Experiment, expectedVersion: number): Promise<Experiment>;
  /** Adds one observation to a bucket (atomic). */
  record(id: string, bucket: string, o: Observation): Promise<void>;
  /** Counts per bucket. */
  counts(id: string): Promise<Readonly<Record<string, VariantCounts>>>;
}

/**
 * Feature flags gating experiments (AppConfig on AWS, the config file
 * locally). `experiments` off stops every assignment; `experiment-<id>` off
 * stops one. Missing flags mean on.
 */
export interface ExperimentFlags {
  enabled(experimentId: string): Promise<boolean>;
}
