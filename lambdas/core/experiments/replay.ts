import * as z from 'zod/mini';
import { contextKey } from '../routing/context-key';

/*
 * Offline policy evaluation over the decision log (`npm run replay`). Pure:
 * records and a policy in, estimates out; the CLI (scripts/replay.ts) does
 * the file reading. Two estimators, both unbiased when the logged
 * propensities are right:
 *   IPS  V = mean(w_i r_i), w_i = pi(a_i|x_i) / mu_i
 *   DR   V = mean(sum_a pi(a|x_i) q(x_i,a) + w_i (r_i - q(x_i,a_i)))
 * where q is a reward model: the mean logged reward per (context, action),
 * fitted leave-one-out so a record's own reward never enters its own
 * baseline (an in-sample q would cancel the correction term exactly and
 * understate the interval). Intervals are normal (CLT) on the per-record
 * terms, which is what a few hundred records or more support.
 */

/** A probability per model id (need not sum to 1; renormalised over candidates). */
const distributionSchema = z.record(z.string(), z.number().check(z.gte(0)));

/**
 * Policy file of `npm run replay` (ARCHITECTURE.md "Offline replay"):
 * action probabilities per context key `domain|budget_tier|tools`, and an
 * optional `default` for contexts the file does not name.
 */
export const replayPolicySchema = z.strictObject({
  contexts: z.record(z.string(), distributionSchema),
  default: z.optional(distributionSchema),
});

/** A parsed policy file. */
export type ReplayPolicy = z.infer<typeof replayPolicySchema>;

/** The decision-log fields replay reads (a subset of DecisionRecord). */
export interface ReplayRecord {
  readonly context: {
    readonly domain: string;
    readonly budget_tier: string;
    readonly tools: boolean;
  };
  readonly candidates?: readonly string[];
  readonly chosen: string;
  readonly propensity: number;
  readonly outcome?: string;
  readonly reward?: number | null;
}

/** A point estimate with its 95% interval. */
export interface ReplayEstimate {
  readonly value: number;
  readonly ci95: readonly [number, number];
}

/** Output of `npm run replay -- --json` (public contract). */
export interface ReplayResult {
  /** Records used. */
  readonly n: number;
  readonly ips: ReplayEstimate;
  readonly dr: ReplayEstimate;
  /** Effective sample size of the importance weights, (sum w)^2 / sum w^2. */
  readonly ess: number;
  readonly warnings: readonly string[];
}

/** Thresholds behind the warnings. */
export interface ReplayOptions {
  /**
   * Logged propensities below this make the weights explode.
   * @default 0.01
   */
  readonly minPropensity?: number;
  /**
   * Warn when ESS falls below this share of n.
   * @default 0.1
   */
  readonly minEssFraction?: number;
  /**
   * Warn when ESS falls below this absolute count.
   * @default 100
   */
  readonly minEss?: number;
}

/** Replay could not produce an estimate (no usable records). */
export class ReplayError extends Error {
  public override readonly name = 'ReplayError';
}

const Z95 = 1.959963984540054;

/** The context key of a logged record, exactly as the router built it. */
export function recordContextKey(r: ReplayRecord): string {
  return contextKey(
    r.context.domain,
    r.context.budget_tier as Parameters<typeof contextKey>[1],
    r.context.tools
  );
}

/**
 * The reward replay uses: the logged reward once known, else the outcome
 * (ok = 1, anything else 0), the success part of the router's own reward.
 */
export function recordReward(r: ReplayRecord): number {
  if (typeof r.reward === 'number' && Number.isFinite(r.reward)) {
    return r.reward;
  }
  return r.outcome === 'ok' ? 1 : 0;
}

/**
 * Target-policy probabilities for one record, over the actions it could
 * take: the record's candidates when logged (the policy could only pick among
 * what was eligible then, so its mass is renormalised over them), else the
 * policy's own support. Undefined when the policy has nothing to say (no
 * entry and no default, or zero mass on every candidate).
 */
export function targetDistribution(
  policy: ReplayPolicy,
  r: ReplayRecord
): Map<string, number> | undefined {
  const d = policy.contexts[recordContextKey(r)] ?? policy.default;
  if (!d) return undefined;
  const actions =
    r.candidates && r.candidates.length > 0 ? r.candidates : Object.keys(d);
  let total = 0;
  for (const a of actions) total += d[a] ?? 0;
  if (!(total > 0)) return undefined;
  const out = new Map<string, number>();
  for (const a of actions) out.set(a, (d[a] ?? 0) / total);
  return out;
}

interface Sums {
  sum: number;
  count: number;
}

function add(map: Map<string, Sums>, key: string, r: number): void {
  const s = map.get(key);
  if (s) {
    s.sum += r;
    s.count += 1;
  } else map.set(key, { sum: r, count: 1 });
}

/** Mean and 95% interval of per-record terms. */
function estimate(terms: Float64Array): ReplayEstimate {
  const n = terms.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += terms[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (terms[i]! - mean) ** 2;
  const se = Math.sqrt(ss / (n - 1) / n);
  return { value: mean, ci95: [mean - Z95 * se, mean + Z95 * se] };
}

/**
 * Estimates the value (mean reward) the target `policy` would have earned on
 * the logged traffic, by IPS and doubly robust estimation, with 95% intervals,
 * the effective sample size and warnings. Records with an unusable
 * propensity are left out (and counted in a warning); records the policy does
 * not cover keep their logged behaviour (weight 1).
 */
export function replay(
  records: readonly ReplayRecord[],
  policy: ReplayPolicy,
  options: ReplayOptions = {}
): ReplayResult {
  const minPropensity = options.minPropensity ?? 0.01;
  const minEssFraction = options.minEssFraction ?? 0.1;
  const minEss = options.minEss ?? 100;
  const warnings: string[] = [];

  const usable: ReplayRecord[] = [];
  let badPropensity = 0;
  for (const r of records) {
    if (
      typeof r.propensity === 'number' &&
      r.propensity > 0 &&
      r.propensity <= 1
    ) {
      usable.push(r);
    } else badPropensity++;
  }
  if (badPropensity > 0) {
    warnings.push(
      `${badPropensity} record(s) left out: propensity missing or outside (0, 1]`
    );
  }
  const n = usable.length;
  // One record gives a value but no spread, so no honest interval.
  if (n < 2) {
    throw new ReplayError(
      `need at least 2 usable records for an interval, got ${n}`
    );
  }

  // Reward model sums: per (context, action), per action, overall.
  const cell = new Map<string, Sums>();
  const perAction = new Map<string, Sums>();
  const all: Sums = { sum: 0, count: 0 };
  const keys: string[] = new Array(n);
  const rewards = new Float64Array(n);
  let derivedRewards = 0;
  for (let i = 0; i < n; i++) {
    const r = usable[i]!;
    keys[i] = recordContextKey(r);
    rewards[i] = recordReward(r);
    if (!(typeof r.reward === 'number' && Number.isFinite(r.reward))) {
      derivedRewards++;
    }
    add(cell, `${keys[i]}\u0000${r.chosen}`, rewards[i]!);
    add(perAction, r.chosen, rewards[i]!);
    all.sum += rewards[i]!;
    all.count += 1;
  }

  /** Leave-one-out reward model: record i's own reward excluded. */
  const q = (i: number, action: string): number => {
    const own = usable[i]!.chosen === action;
    const ri = own ? rewards[i]! : 0;
    const drop = own ? 1 : 0;
    const c = cell.get(`${keys[i]}\u0000${action}`);
    if (c && c.count - drop > 0) return (c.sum - ri) / (c.count - drop);
    const p = perAction.get(action);
    if (p && p.count - drop > 0) return (p.sum - ri) / (p.count - drop);
    if (all.count - drop > 0) return (all.sum - ri) / (all.count - drop);
    return 0;
  };

  const ipsTerms = new Float64Array(n);
  const drTerms = new Float64Array(n);
  let sumW = 0;
  let sumW2 = 0;
  let lowPropensity = 0;
  let minSeen = 1;
  let uncovered = 0;
  for (let i = 0; i < n; i++) {
    const r = usable[i]!;
    const ri = rewards[i]!;
    if (r.propensity < minPropensity) lowPropensity++;
    minSeen = Math.min(minSeen, r.propensity);
    const pi = targetDistribution(policy, r);
    if (!pi) {
      // No target behaviour here: the logged choice stands (on-policy).
      uncovered++;
      ipsTerms[i] = ri;
      drTerms[i] = ri;
      sumW += 1;
      sumW2 += 1;
      continue;
    }
    const w = (pi.get(r.chosen) ?? 0) / r.propensity;
    sumW += w;
    sumW2 += w * w;
    ipsTerms[i] = w * ri;
    let direct = 0;
    for (const [a, p] of pi) if (p > 0) direct += p * q(i, a);
    drTerms[i] = direct + w * (ri - q(i, r.chosen));
  }

  const ess = sumW2 > 0 ? (sumW * sumW) / sumW2 : 0;
  if (lowPropensity > 0) {
    warnings.push(
      `${lowPropensity} record(s) with propensity below ${minPropensity} (min ${minSeen.toPrecision(3)}): their weights dominate the IPS estimate; prefer DR and log more exploration`
    );
  }
  if (ess < minEss || ess < minEssFraction * n) {
    warnings.push(
      `low effective sample size: ${ess.toFixed(1)} of ${n} records (the target policy differs a lot from the logging policy); intervals are unreliable`
    );
  }
  if (uncovered > 0) {
    warnings.push(
      `${uncovered} record(s) in contexts the policy does not cover (no entry, no default, or no mass on their candidates): their logged choice was kept`
    );
  }
  if (derivedRewards > 0) {
    warnings.push(
      `${derivedRewards} record(s) had no reward yet: their outcome was used (ok = 1, else 0)`
    );
  }
  return {
    n,
    ips: estimate(ipsTerms),
    dr: estimate(drTerms),
    ess,
    warnings,
  };
}

/**
 * Parses decision-log JSONL into replay records; blank lines are skipped and
 * unparseable or incomplete lines counted (never thrown on: one bad line in
 * a day of logs should not stop the analysis).
 */
export function parseDecisionLines(lines: Iterable<string>): {
  records: ReplayRecord[];
  malformed: number;
} {
  const records: ReplayRecord[] = [];
  let malformed = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    try {
      const o = JSON.parse(line) as Partial<ReplayRecord>;
      if (
        o &&
        typeof o === 'object' &&
        typeof o.chosen === 'string' &&
        o.context &&
        typeof o.context.domain === 'string' &&
        typeof o.context.budget_tier === 'string' &&
        typeof o.context.tools === 'boolean'
      ) {
        records.push(o as ReplayRecord);
      } else malformed++;
    } catch {
      malformed++;
    }
  }
  return { records, malformed };
}
