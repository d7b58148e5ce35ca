import type { ExplorationSettings } from '../learning/config';
import { explorableArms, explorationShare } from '../learning/exploration';
import type { BanditStore, LatencyTracker } from '../ports';
import type { ModelConfig } from '../types';
import { BETA_PLAN_SIZE, BetaSampler, writeBetaPlan } from './bandit';
import { filterCandidates } from './candidates';
import { contextKey } from './context-key';
import { SLA_PENALTY } from './defaults';
import { diversifiedFallbacks } from './fallback-order';
import { normaliseWeights, type PolicyScore, scorePolicy } from './policy';
import type {
  ExternalExclusion,
  Rng,
  RoutingContext,
  RoutingDecision,
  RoutingSettings,
  ScoredCandidate,
} from './types';

/** What a routing decision reads besides the models and the request. */
export interface DecideDeps {
  readonly latency: LatencyTracker;
  readonly bandit: BanditStore;
  readonly rng: Rng;
  readonly settings: RoutingSettings;
  /** Kill switches, open circuits, unavailable providers, by model id. */
  readonly external?: ReadonlyMap<string, ExternalExclusion>;
  /** Bounded uniform exploration (learning.exploration); absent: none. */
  readonly exploration?: ExplorationSettings;
}

function unit(v: number): number {
  if (!(v > 0)) return 0;
  return Math.min(v, 1);
}

function count(v: number): number {
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** A corrupt posterior must not take routing down: fall back to the prior. */
function betaParam(v: number): number {
  return Number.isFinite(v) && v > 0 ? v : 1;
}

/**
 * Routes one request: filter, score by policy, perturb by a Thompson draw
 * per (context, model) arm, pick the argmax (ties go to the cheaper model).
 *
 * finalScore = ((1 - w) * policy + w * theta) * (overSla ? SLA_PENALTY : 1),
 * theta ~ Beta(alpha, beta) of the arm. The propensity is P(chosen is the
 * argmax) under this randomised policy, estimated by Monte Carlo over
 * `propensitySamples` extra draws plus the actual one, so it is always in
 * (0, 1]; every candidate's `probability` comes from the same simulation and
 * they sum to 1. The result is exact (1, no sampling) when a single candidate
 * can win: one eligible model, w = 0, or every rival's best case is below
 * someone's worst case. With nothing eligible, `chosen` is undefined and the
 * propensity is 0, the only case where it may be 0.
 *
 * With `exploration`, a share `rate` of decisions instead picks uniformly
 * among the explorable arms (in SLA, affordable: learning/exploration.ts);
 * every probability, and so the logged propensity, is then the exact mix
 * (1 − rate) · P_thompson + rate / |explorable|.
 *
 * Candidates and fallbacks are ordered by expected score (theta replaced by
 * the posterior mean, SLA penalty included), best first.
 */
export function decide(
  models: readonly ModelConfig[],
  ctx: RoutingContext,
  deps: DecideDeps
): RoutingDecision {
  const key = contextKey(ctx.domain, ctx.budgetTier, ctx.needsTools);
  const { eligible, excluded } = filterCandidates(models, ctx, deps.external);
  const n = eligible.length;
  if (n === 0) {
    return {
      contextKey: key,
      chosen: undefined,
      propensity: 0,
      fallbacks: [],
      candidates: [],
      excluded,
    };
  }

  const { settings } = deps;
  const w = unit(settings.banditWeight);
  const policy = scorePolicy(
    eligible,
    ctx,
    deps.latency,
    normaliseWeights(settings.weights[ctx.budgetTier])
  );
  // Every external call (bandit, latency) is done before the scratch is used.
  const alphas = new Array<number>(n);
  const betas = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const posterior = deps.bandit.get(key, policy[i].model.id);
    alphas[i] = betaParam(posterior.alpha);
    betas[i] = betaParam(posterior.beta);
  }

  const s = scratch(n);
  const plans = planScratch(n);
  const BASE = BASE_SLOT * n;
  const SCALE = SCALE_SLOT * n;
  const MEAN = MEAN_SLOT * n;
  const EXPECTED = EXPECTED_SLOT * n;
  const SAMPLE = SAMPLE_SLOT * n;
  const FINAL = FINAL_SLOT * n;
  const WINS = WINS_SLOT * n;
  s.fill(0, WINS, WINS + n);
  // finalScore_i = base_i + scale_i * theta_i with the SLA penalty folded in.
  for (let i = 0; i < n; i++) {
    const p = policy[i];
    const penalty = p.overSla ? SLA_PENALTY : 1;
    const alpha = alphas[i];
    const beta = betas[i];
    s[BASE + i] = (1 - w) * p.policyScore * penalty;
    s[SCALE + i] = w * penalty;
    s[MEAN + i] = alpha / (alpha + beta);
    s[EXPECTED + i] = s[BASE + i] + s[SCALE + i] * s[MEAN + i];
    writeBetaPlan(plans, i * BETA_PLAN_SIZE, alpha, beta);
  }

  const order = sortedIndices(n, (a, b) =>
    compareCandidates(a, b, s, EXPECTED, policy)
  );
  // Argmax ties go to the cheaper model, then the better expected score.
  const tieOrder = sortedIndices(n, (a, b) => {
    const byCost = policy[a].estimatedCostUsd - policy[b].estimatedCostUsd;
    return byCost !== 0 ? byCost : compareCandidates(a, b, s, EXPECTED, policy);
  });

  let draws = 1;
  let chosen: number;
  if (n === 1 || w === 0) {
    // Deterministic: no draw can change the argmax.
    s.copyWithin(SAMPLE, MEAN, MEAN + n);
    s.copyWithin(FINAL, EXPECTED, EXPECTED + n);
    chosen = argmax(tieOrder, s, FINAL);
  } else {
    const sampler = new BetaSampler(deps.rng);
    sampler.sampleInto(plans, tieOrder, s, SAMPLE);
    for (let i = 0; i < n; i++) {
      s[FINAL + i] = s[BASE + i] + s[SCALE + i] * s[SAMPLE + i];
    }
    chosen = argmax(tieOrder, s, FINAL);
    const active = contenders(tieOrder, s, n);
    const extra = count(settings.propensitySamples);
    if (active.length > 1 && extra > 0) {
      simulate(active, s, n, plans, sampler, extra);
      draws += extra;
    }
  }
  s[WINS + chosen] += 1;

  const explorable = deps.exploration
    ? explorableArms(policy, deps.exploration)
    : NONE;
  const eps = explorationShare(deps.exploration, explorable);
  let explored = false;
  if (eps > 0 && deps.rng() < eps) {
    const pick = explorable[Math.floor(deps.rng() * explorable.length)];
    explored = pick !== chosen;
    chosen = pick;
  }
  // The theta slot is free once the simulation is done: reuse it for each
  // arm's exploration share.
  const SHARE = THETA_SLOT * n;
  s.fill(0, SHARE, SHARE + n);
  if (eps > 0) {
    for (const i of explorable) s[SHARE + i] = eps / explorable.length;
  }

  const scored = new Array<ScoredCandidate>(n);
  for (let i = 0; i < n; i++) {
    const p = policy[i];
    // Explicit fields, not a spread: V8's spread-into-literal path cost ~3 us
    // per candidate here, most of the decision budget.
    scored[i] = {
      model: p.model,
      components: p.components,
      estimatedCostUsd: p.estimatedCostUsd,
      estimatedLatencyMs: p.estimatedLatencyMs,
      overSla: p.overSla,
      policyScore: p.policyScore,
      banditMean: s[MEAN + i],
      banditSample: s[SAMPLE + i],
      finalScore: s[FINAL + i],
      probability: (1 - eps) * (s[WINS + i] / draws) + s[SHARE + i],
    };
  }
  const candidates = order.map((i) => scored[i]);
  const fallbacks = diversifiedFallbacks(
    scored[chosen],
    candidates,
    count(settings.maxFallbacks)
  );
  return {
    contextKey: key,
    chosen: scored[chosen],
    propensity: scored[chosen].probability,
    explored,
    fallbacks,
    candidates,
    excluded,
  };
}

const NONE: readonly number[] = [];

/*
 * Numeric scratch reused across decisions, grown on demand. Safe because
 * decide is synchronous and touches it only after its last call into
 * injected code other than the Rng; it spares V8 ~3 KB of garbage per
 * decision (small typed arrays are slow to allocate, and plain arrays and
 * objects box or reallocate doubles), and with it most young-generation
 * collections, which set the p99.
 */
const BASE_SLOT = 0;
const SCALE_SLOT = 1;
const MEAN_SLOT = 2;
const EXPECTED_SLOT = 3;
const SAMPLE_SLOT = 4;
const FINAL_SLOT = 5;
const WINS_SLOT = 6;
const THETA_SLOT = 7;
const SLOTS = 8;
let numbers = new Float64Array(16 * SLOTS);
let planTable = new Float64Array(16 * BETA_PLAN_SIZE);

function scratch(n: number): Float64Array {
  if (numbers.length < n * SLOTS) numbers = new Float64Array(n * SLOTS * 2);
  return numbers;
}

function planScratch(n: number): Float64Array {
  if (planTable.length < n * BETA_PLAN_SIZE) {
    planTable = new Float64Array(n * BETA_PLAN_SIZE * 2);
  }
  return planTable;
}

/** Expected score desc, then cheaper, then id: a total, stable order. */
function compareCandidates(
  a: number,
  b: number,
  s: Float64Array,
  expectedAt: number,
  policy: readonly PolicyScore[]
): number {
  const byScore = s[expectedAt + b] - s[expectedAt + a];
  if (byScore !== 0) return byScore;
  const byCost = policy[a].estimatedCostUsd - policy[b].estimatedCostUsd;
  if (byCost !== 0) return byCost;
  const ida = policy[a].model.id;
  const idb = policy[b].model.id;
  return ida < idb ? -1 : ida > idb ? 1 : a - b;
}

function sortedIndices(
  n: number,
  compare: (a: number, b: number) => number
): number[] {
  const idx: number[] = [];
  for (let i = 0; i < n; i++) idx.push(i);
  return idx.sort(compare);
}

/** First index in `order` with the highest score (strict >, so order breaks ties). */
function argmax(
  order: readonly number[],
  s: Float64Array,
  scoresAt: number
): number {
  let best = order[0];
  for (let k = 1; k < order.length; k++) {
    const i = order[k];
    if (s[scoresAt + i] > s[scoresAt + best]) best = i;
  }
  return best;
}

/**
 * Candidates that can win at all. Since theta is in [0, 1], i never wins when
 * its best case base_i + scale_i is below the best worst case max_j base_j;
 * skipping those in the simulation is exact and often halves the work.
 */
function contenders(
  order: readonly number[],
  s: Float64Array,
  n: number
): number[] {
  const baseAt = BASE_SLOT * n;
  const scaleAt = SCALE_SLOT * n;
  let floor = Number.NEGATIVE_INFINITY;
  for (const i of order) if (s[baseAt + i] > floor) floor = s[baseAt + i];
  const active: number[] = [];
  for (const i of order) {
    if (s[baseAt + i] + s[scaleAt + i] >= floor) active.push(i);
  }
  return active;
}

/** Monte Carlo of the randomised argmax: adds each round's winner to the wins slot. */
function simulate(
  active: readonly number[],
  s: Float64Array,
  n: number,
  plans: Float64Array,
  sampler: BetaSampler,
  rounds: number
): void {
  const baseAt = BASE_SLOT * n;
  const scaleAt = SCALE_SLOT * n;
  const winsAt = WINS_SLOT * n;
  const thetaAt = THETA_SLOT * n;
  const m = active.length;
  for (let r = 0; r < rounds; r++) {
    sampler.sampleInto(plans, active, s, thetaAt);
    let winner = active[0];
    let best = s[baseAt + winner] + s[scaleAt + winner] * s[thetaAt + winner];
    for (let k = 1; k < m; k++) {
      const i = active[k];
      const f = s[baseAt + i] + s[scaleAt + i] * s[thetaAt + i];
      if (f > best) {
        best = f;
        winner = i;
      }
    }
    s[winsAt + winner] += 1;
  }
}
