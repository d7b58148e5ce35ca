import type { LatencyTracker } from '../ports';
import { clockTick } from './bandit-state';
import { DEFAULT_LEARNING_SETTINGS, type LatencyLearning } from './config';
import type { LearningSums } from './decayed-sums';

/** Options of the shrunk latency estimator (defaults: learning.latency). */
export interface ShrunkLatencyOptions extends Partial<LatencyLearning> {
  /** Clock, ms. @default Date.now */
  readonly now?: () => number;
}

/** The one sums key holding every model's latency statistics. */
export const LATENCY_KEY = 'latency';
/** Attribute prefix: Σ w (decayed weight). */
export const WEIGHT_ATTR = 'w|';
/** Attribute prefix: Σ w · ln(latency). */
export const LOG_SUM_ATTR = 's|';
/** Attribute prefix: Σ 1 (decayed observation count). */
export const COUNT_ATTR = 'n|';

/** Models need at least this much evidence to count in the fleet median. */
const MEDIAN_MIN_WEIGHT = 0.5;

interface Attrs {
  readonly weight: string;
  readonly logSum: string;
  readonly count: string;
  /** Last estimate, memoised per (sums version, clock tick, prior). */
  memoVersion: number;
  memoTick: number;
  memoPrior: number | undefined;
  memoValue: number | undefined;
}

/**
 * Latency per model as a normal–normal posterior in log space (latencies are
 * roughly log-normal): with a prior p worth n0 observations and decayed
 * weights w_i,
 *
 *   estimate = exp((n0 · ln p + Σ w_i ln x_i) / (n0 + Σ w_i)).
 *
 * p is the model's configured `expectedLatencyMs`, else the fleet median of
 * the observed models' estimates (so an untried model is assumed typical,
 * not pessimistically slow). A model's first call in this process is cold
 * (connection and client setup) and weighs `coldWeight`; each observation is
 * clipped to `outlierFactor` around the current estimate; weights halve every
 * `halfLifeMs`, so an unobserved model drifts back to its prior. One 1.5 s
 * outlier therefore moves an estimate a little, never for good.
 */
export class ShrunkLatencyTracker implements LatencyTracker {
  /** Resolved settings. */
  public readonly settings: LatencyLearning;
  protected readonly now: () => number;
  private readonly warm = new Set<string>();
  private readonly attrCache = new Map<string, Attrs>();
  private medianAt = Number.NEGATIVE_INFINITY;
  private medianVersion = -1;
  private median: number | undefined;

  public constructor(
    protected readonly sums: LearningSums,
    options: ShrunkLatencyOptions = {}
  ) {
    const d = DEFAULT_LEARNING_SETTINGS.latency;
    const s: LatencyLearning = {
      priorWeight: options.priorWeight ?? d.priorWeight,
      coldWeight: options.coldWeight ?? d.coldWeight,
      halfLifeMs: options.halfLifeMs ?? d.halfLifeMs,
      outlierFactor: options.outlierFactor ?? d.outlierFactor,
    };
    const problems: string[] = [];
    if (!(s.priorWeight > 0)) problems.push(`priorWeight ${s.priorWeight}`);
    if (!(s.coldWeight >= 0 && s.coldWeight <= 1))
      problems.push(`coldWeight ${s.coldWeight}`);
    if (!(s.outlierFactor > 1))
      problems.push(`outlierFactor ${s.outlierFactor}`);
    if (problems.length > 0) {
      throw new RangeError(`invalid latency settings: ${problems.join(', ')}`);
    }
    this.settings = s;
    this.now = options.now ?? Date.now;
  }

  /**
   * Records one latency; negative or non-finite values are ignored (clock
   * skew, bad input). The first call per model in this process is cold.
   */
  public observe(modelId: string, latencyMs: number): void {
    if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) return;
    const cold = !this.warm.has(modelId);
    if (cold) this.warm.add(modelId);
    const weight = cold ? this.settings.coldWeight : 1;
    const now = this.now();
    const a = this.attrsOf(modelId);
    let x = Math.max(latencyMs, 1);
    const w = this.sums.value(LATENCY_KEY, a.weight, now);
    if (w >= 1) {
      // Clip to the model's own recent evidence: a single timeout-length
      // call moves the estimate by at most ln(outlierFactor) / (n + 1).
      const current = Math.exp(this.sums.value(LATENCY_KEY, a.logSum, now) / w);
      const f = this.settings.outlierFactor;
      x = Math.min(Math.max(x, current / f), current * f);
    }
    this.sums.add(LATENCY_KEY, a.count, 1, now);
    if (weight === 0) return;
    this.sums.add(LATENCY_KEY, a.weight, weight, now);
    this.sums.add(LATENCY_KEY, a.logSum, weight * Math.log(x), now);
  }

  /**
   * Posterior latency, ms: `priorMs` (else the fleet median) shrunk toward
   * the model's observations. Without any prior, the observations alone;
   * undefined when there is nothing at all to go on.
   */
  public estimate(modelId: string, priorMs?: number): number | undefined {
    const now = clockTick(this.now(), this.settings.halfLifeMs);
    const a = this.attrsOf(modelId);
    const version = this.sums.version;
    if (
      a.memoVersion === version &&
      a.memoTick === now &&
      a.memoPrior === priorMs
    ) {
      return a.memoValue;
    }
    const value = this.compute(a, priorMs, now);
    a.memoVersion = version;
    a.memoTick = now;
    a.memoPrior = priorMs;
    a.memoValue = value;
    return value;
  }

  private compute(
    a: Attrs,
    priorMs: number | undefined,
    now: number
  ): number | undefined {
    const w = this.sums.value(LATENCY_KEY, a.weight, now);
    const s = w > 0 ? this.sums.value(LATENCY_KEY, a.logSum, now) : 0;
    const prior =
      priorMs !== undefined && priorMs > 0 ? priorMs : this.fleetMedian(now);
    if (prior === undefined) return w > 0 ? Math.exp(s / w) : undefined;
    const n0 = this.settings.priorWeight;
    return Math.exp((n0 * Math.log(prior) + s) / (n0 + w));
  }

  /** Recent observations (decayed count, rounded). */
  public count(modelId: string): number {
    return Math.round(
      this.sums.value(LATENCY_KEY, this.attrsOf(modelId).count, this.now())
    );
  }

  /**
   * Median of the data-only estimates of models with evidence; cached until
   * the sums change or a second passes (decay barely moves it).
   */
  public fleetMedian(now: number = this.now()): number | undefined {
    if (this.sums.version === this.medianVersion && now - this.medianAt < 1000)
      return this.median;
    const values: number[] = [];
    for (const attr of this.sums.attrs(LATENCY_KEY)) {
      if (!attr.startsWith(WEIGHT_ATTR)) continue;
      const a = this.attrsOf(attr.slice(WEIGHT_ATTR.length));
      const w = this.sums.value(LATENCY_KEY, a.weight, now);
      if (w < MEDIAN_MIN_WEIGHT) continue;
      values.push(Math.exp(this.sums.value(LATENCY_KEY, a.logSum, now) / w));
    }
    values.sort((x, y) => x - y);
    const m = values.length;
    this.median =
      m === 0
        ? undefined
        : m % 2 === 1
          ? values[(m - 1) / 2]
          : Math.sqrt(values[m / 2 - 1] * values[m / 2]);
    this.medianAt = now;
    this.medianVersion = this.sums.version;
    return this.median;
  }

  /** Forgets every model's latency (and which models were warm). */
  public reset(): void {
    const sums = this.sums as LearningSums & { clear?(key?: string): void };
    sums.clear?.(LATENCY_KEY);
    this.warm.clear();
  }

  private attrsOf(modelId: string): Attrs {
    let a = this.attrCache.get(modelId);
    if (!a) {
      a = {
        weight: WEIGHT_ATTR + modelId,
        logSum: LOG_SUM_ATTR + modelId,
        count: COUNT_ATTR + modelId,
        memoVersion: -1,
        memoTick: 0,
        memoPrior: undefined,
        memoValue: undefined,
      };
      if (this.attrCache.size > 10_000) this.attrCache.clear();
      this.attrCache.set(modelId, a);
    }
    return a;
  }
}
