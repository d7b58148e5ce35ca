import { sampleBeta, seededRng } from '../routing/bandit';
import type { Rng } from '../routing/types';
import type { MetricName, VariantCounts } from './types';

/*
 * Win-rate tracker statistics (pure). Per variant: success rate with a
 * Wilson interval, mean latency and cost with normal intervals. Two kinds of
 * verdict:
 *   - winner / gate: the Bayesian probability to be best (success: Beta
 *     posteriors; latency, cost: normal posteriors of the mean), only once
 *     every variant has its minimum sample size;
 *   - regression: a mixture sequential probability ratio test (mSPRT,
 *     Johari et al. 2017, "Always valid inference") on the difference of
 *     means, safe to check after every observation: the chance it ever
 *     fires on a canary no worse than control (by more than the margin) is
 *     at most alpha, however often it looks.
 * Monte Carlo draws use a fixed seed so the same counts always give the same
 * verdict (an operator re-reading results sees what the controller saw).
 */

const Z95 = 1.959963984540054;

/** A value with its 95% interval. */
export interface Interval {
  readonly value: number;
  readonly ci95: readonly [number, number];
}

/** One variant's results as the admin API shows them. */
export interface VariantSummary {
  readonly n: number;
  /** Share of ok outcomes, Wilson interval. */
  readonly success: Interval;
  /** Mean latency, ms. */
  readonly latencyMs: Interval;
  /** Mean cost, USD. */
  readonly costUsd: Interval;
}

/** Wilson score interval of a proportion (well-behaved at 0, 1 and small n). */
export function wilson(successes: number, n: number): Interval {
  if (n === 0) return { value: 0, ci95: [0, 1] };
  const p = successes / n;
  const z2 = Z95 * Z95;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return {
    value: p,
    ci95: [Math.max(0, centre - half), Math.min(1, centre + half)],
  };
}

function meanStats(
  sum: number,
  sumSq: number,
  n: number
): { mean: number; variance: number } {
  if (n === 0) return { mean: 0, variance: 0 };
  const mean = sum / n;
  // Sample variance from running sums; clamp the rounding error below 0.
  const variance = n > 1 ? Math.max(0, (sumSq - n * mean * mean) / (n - 1)) : 0;
  return { mean, variance };
}

function meanInterval(sum: number, sumSq: number, n: number): Interval {
  const { mean, variance } = meanStats(sum, sumSq, n);
  if (n < 2) return { value: mean, ci95: [mean, mean] };
  const half = Z95 * Math.sqrt(variance / n);
  return { value: mean, ci95: [mean - half, mean + half] };
}

/** Summary with intervals of one variant's counts. */
export function summarize(c: VariantCounts): VariantSummary {
  return {
    n: c.n,
    success: wilson(c.successes, c.n),
    latencyMs: meanInterval(c.latencySum, c.latencySumSq, c.n),
    costUsd: meanInterval(c.costSum, c.costSumSq, c.n),
  };
}

/** Mean and variance of the metric's per-request value (success as 0/1). */
function metricStats(
  c: VariantCounts,
  metric: MetricName
): { mean: number; variance: number } {
  if (metric === 'success') {
    // Posterior-mean estimate: never exactly 0 or 1, so never zero variance.
    const p = (c.successes + 1) / (c.n + 2);
    return { mean: c.n > 0 ? c.successes / c.n : 0, variance: p * (1 - p) };
  }
  return metric === 'latency'
    ? meanStats(c.latencySum, c.latencySumSq, c.n)
    : meanStats(c.costSum, c.costSumSq, c.n);
}

/** Success is better high; latency and cost are better low. */
export function higherIsBetter(metric: MetricName): boolean {
  return metric === 'success';
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) *
      t +
      0.254829592) *
      t *
      Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

function normal(rng: Rng): number {
  // Box-Muller; u1 in (0, 1] so the log is finite.
  const u1 = 1 - rng();
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Probability that each variant is the best on `metric`, by Monte Carlo
 * over the posteriors (Beta(1 + s, 1 + f) for success; normal with the
 * standard error for latency and cost). Deterministic for given counts.
 */
export function probabilityToBeBest(
  counts: Readonly<Record<string, VariantCounts>>,
  metric: MetricName,
  draws = 4000,
  rng: Rng = seededRng(0x5eed)
): Record<string, number> {
  const names = Object.keys(counts);
  const wins = new Map<string, number>(names.map((n) => [n, 0]));
  if (names.length === 0) return {};
  const params = names.map((name) => {
    const c = counts[name]!;
    const s = metricStats(c, metric);
    return {
      name,
      c,
      mean: s.mean,
      se: c.n > 1 ? Math.sqrt(s.variance / c.n) : Number.POSITIVE_INFINITY,
    };
  });
  const up = higherIsBetter(metric);
  for (let d = 0; d < draws; d++) {
    let best = '';
    let bestValue = up ? -Infinity : Infinity;
    for (const p of params) {
      let v: number;
      if (metric === 'success') {
        v = sampleBeta(1 + p.c.successes, 1 + p.c.n - p.c.successes, rng);
      } else if (Number.isFinite(p.se)) {
        v = p.mean + p.se * normal(rng);
      } else {
        // No data: a draw that never wins, so missing data is not evidence.
        v = up ? -Infinity : Infinity;
      }
      if (up ? v > bestValue : v < bestValue) {
        bestValue = v;
        best = p.name;
      }
    }
    if (best) wins.set(best, wins.get(best)! + 1);
  }
  return Object.fromEntries(names.map((n) => [n, wins.get(n)! / draws]));
}

/** Result of the always-valid regression test of one metric. */
export interface RegressionTest {
  readonly metric: MetricName;
  /** Candidate minus control (success: points; latency, cost: raw units). */
  readonly delta: number;
  /** Mixture likelihood ratio; the test fires at >= 1 / alpha. */
  readonly lambda: number;
  /** Always-valid p-value, min(1, 1 / lambda). */
  readonly pValue: number;
  /** Fired in the harmful direction beyond the margin. */
  readonly regressed: boolean;
}

/**
 * mSPRT with a normal mixture N(0, tau^2) over the harmful excess
 * effect: Lambda = sqrt(V / (V + tau^2)) exp(tau^2 D^2 / (2 V (V + tau^2))),
 * D = harmful difference minus the margin (regressions smaller than the
 * margin are tolerated), V its estimated variance. tau is the effect size
 * the test is tuned for: 0.1 on success, 20% of the control mean on
 * latency and cost.
 */
export function regressionTest(
  control: VariantCounts,
  candidate: VariantCounts,
  metric: MetricName,
  alpha: number,
  margin: number
): RegressionTest {
  const c = metricStats(control, metric);
  const t = metricStats(candidate, metric);
  const delta = t.mean - c.mean;
  if (control.n < 2 || candidate.n < 2) {
    return { metric, delta, lambda: 1, pValue: 1, regressed: false };
  }
  let variance: number;
  let tau: number;
  let tolerance: number;
  if (metric === 'success') {
    // Pooled under "no difference", the usual two-proportion test variance.
    const p =
      (control.successes + candidate.successes + 1) /
      (control.n + candidate.n + 2);
    variance = p * (1 - p) * (1 / control.n + 1 / candidate.n);
    tau = 0.1;
    tolerance = margin;
  } else {
    const scale = Math.max(Math.abs(c.mean), 1e-12);
    variance = c.variance / control.n + t.variance / candidate.n;
    // A variance floor: a constant metric must not make any change "certain".
    variance = Math.max(variance, (1e-3 * scale) ** 2 / candidate.n);
    tau = 0.2 * scale;
    tolerance = margin * scale;
  }
  const harmful = higherIsBetter(metric) ? -delta : delta;
  const excess = harmful - tolerance;
  if (!(excess > 0)) {
    return { metric, delta, lambda: 1, pValue: 1, regressed: false };
  }
  const tau2 = tau * tau;
  const logLambda =
    0.5 * Math.log(variance / (variance + tau2)) +
    (tau2 * excess * excess) / (2 * variance * (variance + tau2));
  const lambda = Math.exp(Math.min(logLambda, 700));
  return {
    metric,
    delta,
    lambda,
    pValue: Math.min(1, 1 / lambda),
    regressed: lambda >= 1 / alpha,
  };
}

/**
 * Bayesian probability that the candidate is not worse than control by more
 * than the margin (absolute on success, relative on latency and cost).
 */
export function probabilityNotWorse(
  control: VariantCounts,
  candidate: VariantCounts,
  metric: MetricName,
  margin: number,
  draws = 4000,
  rng: Rng = seededRng(0x5eed)
): number {
  if (control.n < 2 || candidate.n < 2) return 0;
  if (metric === 'success') {
    if (control.n >= 30 && candidate.n >= 30) {
      // Beta posteriors are close to normal here; the closed form is exact
      // enough and costs nothing (the controller evaluates often).
      const beta = (s: number, n: number) => {
        const a = 1 + s;
        const b = 1 + n - s;
        return {
          mean: a / (a + b),
          variance: (a * b) / ((a + b) ** 2 * (a + b + 1)),
        };
      };
      const pc = beta(control.successes, control.n);
      const pt = beta(candidate.successes, candidate.n);
      return normalCdf(
        (pt.mean - pc.mean + margin) / Math.sqrt(pc.variance + pt.variance)
      );
    }
    let ok = 0;
    for (let d = 0; d < draws; d++) {
      const pc = sampleBeta(
        1 + control.successes,
        1 + control.n - control.successes,
        rng
      );
      const pt = sampleBeta(
        1 + candidate.successes,
        1 + candidate.n - candidate.successes,
        rng
      );
      if (pt >= pc - margin) ok++;
    }
    return ok / draws;
  }
  const c = metricStats(control, metric);
  const t = metricStats(candidate, metric);
  const bound = c.mean * (1 + margin);
  const se = Math.sqrt(
    (c.variance / control.n) * (1 + margin) ** 2 + t.variance / candidate.n
  );
  if (se === 0) return t.mean <= bound ? 1 : 0;
  return normalCdf((bound - t.mean) / se);
}

/** Judging knobs of one experiment. */
export interface JudgeSettings {
  readonly metrics: readonly MetricName[];
  readonly minSamples: number;
  readonly threshold: number;
  readonly alpha: number;
  readonly margin: number;
}

/** What the tracker concludes for a candidate against control. */
export type GateVerdict =
  | {
      readonly verdict: 'regressed';
      readonly tests: readonly RegressionTest[];
      readonly reason: string;
    }
  | {
      readonly verdict: 'pass';
      readonly notWorse: Readonly<Record<string, number>>;
      readonly reason: string;
    }
  | {
      readonly verdict: 'wait';
      readonly notWorse: Readonly<Record<string, number>>;
      readonly reason: string;
    };

/** Observations the regression test waits for before it may fire. */
export const MIN_REGRESSION_SAMPLES = 20;

/**
 * The rollout gate: `regressed` as soon as the always-valid test fires on
 * any judged metric (after a handful of samples); `pass` once both sides
 * have the minimum sample size and the candidate is not worse than control
 * (within the margin) with probability >= threshold on every metric;
 * `wait` otherwise.
 */
export function judgeCandidate(
  control: VariantCounts,
  candidate: VariantCounts,
  s: JudgeSettings
): GateVerdict {
  const tests = s.metrics.map((m) =>
    regressionTest(control, candidate, m, s.alpha, s.margin)
  );
  const fired = tests.filter((t) => t.regressed);
  if (candidate.n >= MIN_REGRESSION_SAMPLES && fired.length > 0) {
    return {
      verdict: 'regressed',
      tests,
      reason: `significant regression on ${fired
        .map(
          (t) =>
            `${t.metric} (delta ${t.delta.toPrecision(3)}, p ${t.pValue.toExponential(1)})`
        )
        .join(', ')} after ${candidate.n} candidate observations`,
    };
  }
  const notWorse: Record<string, number> = {};
  for (const m of s.metrics)
    notWorse[m] = probabilityNotWorse(control, candidate, m, s.margin);
  if (control.n < s.minSamples || candidate.n < s.minSamples) {
    return {
      verdict: 'wait',
      notWorse,
      reason: `collecting: ${candidate.n} candidate / ${control.n} control observations of ${s.minSamples} needed`,
    };
  }
  const weak = s.metrics.filter((m) => notWorse[m]! < s.threshold);
  if (weak.length > 0) {
    return {
      verdict: 'wait',
      notWorse,
      reason: `not enough evidence that ${weak.join(', ')} is not worse (needs ${s.threshold})`,
    };
  }
  return {
    verdict: 'pass',
    notWorse,
    reason: `not worse than control on ${s.metrics.join(', ')} with probability >= ${s.threshold} after ${candidate.n} observations`,
  };
}

/** A/B verdict: the winner once one variant is best with enough probability. */
export interface AbVerdict {
  readonly winner?: string;
  /** Probability to be best on the primary metric, per variant. */
  readonly probabilityToBeBest: Readonly<Record<string, number>>;
  readonly reason: string;
}

/**
 * Declares an A/B winner only when every variant has the minimum sample
 * size and one is best on the primary metric (the first) with probability
 * >= threshold.
 */
export function judgeAb(
  counts: Readonly<Record<string, VariantCounts>>,
  s: JudgeSettings
): AbVerdict {
  const primary = s.metrics[0] ?? 'success';
  const p = probabilityToBeBest(counts, primary);
  const short = Object.entries(counts).filter(([, c]) => c.n < s.minSamples);
  if (short.length > 0) {
    return {
      probabilityToBeBest: p,
      reason: `collecting: ${short.map(([n, c]) => `${n} ${c.n}`).join(', ')} of ${s.minSamples} needed`,
    };
  }
  const [best, prob] = Object.entries(p).sort((a, b) => b[1] - a[1])[0] ?? [
    undefined,
    0,
  ];
  if (best !== undefined && prob >= s.threshold) {
    return {
      winner: best,
      probabilityToBeBest: p,
      reason: `${best} is best on ${primary} with probability ${prob.toFixed(3)}`,
    };
  }
  return {
    probabilityToBeBest: p,
    reason: `no variant is best on ${primary} with probability >= ${s.threshold} yet`,
  };
}
