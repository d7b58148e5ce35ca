import type { ExternalExclusion, RoutingDecision } from '../routing/types';
import type { ModelConfig } from '../types';
import {
  bucketKey,
  type Experiment,
  isLive,
  type Stage,
  type Variant,
} from './types';

/*
 * Sticky bucketing and what a variant does to routing (pure). A request's
 * unit is its tenant and user (the request's `user` field): the same user
 * lands in the same variant on every request and every container, because
 * the bucket is a hash, not a draw. Requests without a user have no stable
 * unit and are bucketed per request.
 */

/** One request's place in one experiment. */
export interface Assignment {
  readonly experimentId: string;
  readonly variant: string;
  /** Tracker bucket (`canary:candidate`, or the variant name for A/B). */
  readonly bucket: string;
  readonly stage?: Stage;
  /** The model this variant forces, if any. */
  readonly model?: string;
}

/**
 * 32-bit FNV-1a with a murmur3 finaliser: cheap on the hot path, and the
 * finaliser spreads nearby keys (user-1, user-2) over the whole range.
 */
export function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A unit's position in [0, 1) for an experiment. The experiment id is part
 * of the key so two experiments split the same users independently.
 */
export function bucketPosition(
  experimentId: string,
  tenant: string,
  user: string
): number {
  return hash32(`${experimentId}\u0000${tenant}\u0000${user}`) / 4294967296;
}

/** The variant covering `position` under the experiment's traffic split. */
export function pickVariant(
  variants: readonly Variant[],
  position: number
): Variant {
  let edge = 0;
  for (const v of variants) {
    edge += v.weight / 100;
    if (position < edge) return v;
  }
  return variants[variants.length - 1]!;
}

/**
 * Whether an experiment applies to a tenant's request now: live, the
 * tenant targeted, and (rollouts) in a stage that splits live traffic.
 */
export function appliesTo(
  e: Experiment,
  tenantId: string,
  nowMs: number
): boolean {
  if (!isLive(e, nowMs)) return false;
  if (e.tenants && !e.tenants.includes(tenantId)) return false;
  return e.kind === 'ab' || e.stage === 'canary';
}

/** Assigns a unit (position already computed) to a variant of `e`. */
export function assign(e: Experiment, position: number): Assignment {
  const v = pickVariant(e.variants, position);
  const stage = e.kind === 'rollout' ? e.stage : undefined;
  return {
    experimentId: e.id,
    variant: v.name,
    bucket: bucketKey(stage, v.name),
    ...(stage ? { stage } : {}),
    ...(v.model ? { model: v.model } : {}),
  };
}

/**
 * Exclusions a variant adds before routing: the control arm of a rollout
 * never gets the candidate model (so the comparison is clean and the canary
 * share is what the definition says); a route-set variant keeps only the
 * models of its route set.
 */
export function variantExclusions(
  e: Experiment,
  a: Assignment,
  models: readonly ModelConfig[],
  routeSetModels?: readonly string[]
): Map<string, ExternalExclusion> {
  const out = new Map<string, ExternalExclusion>();
  if (e.kind === 'rollout' && a.variant === 'control' && e.rollout) {
    out.set(e.rollout.model, {
      code: 'experiment',
      reason: `experiment ${e.id}: control arm of the ${e.rollout.model} canary`,
    });
  }
  if (routeSetModels) {
    const keep = new Set(routeSetModels);
    for (const m of models) {
      if (!keep.has(m.id)) {
        out.set(m.id, {
          code: 'experiment',
          reason: `experiment ${e.id}: not in the route set of variant ${a.variant}`,
        });
      }
    }
  }
  return out;
}

/**
 * Applies a forcing variant to a routing decision: its model becomes the
 * choice and the others stay fallbacks (so a failing canary still fails
 * over, and its failure is counted against it). The propensity is then 1,
 * conditional on the assigned variant (the bucket is a deterministic hash
 * of the user). Undefined when the model isn't eligible for this request:
 * the caller routes normally and leaves the request out of the experiment.
 */
export function forceModel(
  decision: RoutingDecision,
  modelId: string,
  maxFallbacks: number
): RoutingDecision | undefined {
  const forced = decision.candidates.find((c) => c.model.id === modelId);
  if (!forced) return undefined;
  if (decision.chosen?.model.id === modelId) {
    return { ...decision, propensity: 1 };
  }
  const fallbacks = decision.candidates
    .filter((c) => c.model.id !== modelId)
    .slice(0, Math.max(0, maxFallbacks));
  return { ...decision, chosen: forced, fallbacks, propensity: 1 };
}
