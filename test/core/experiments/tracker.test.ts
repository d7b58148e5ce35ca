import {
  judgeAb,
  judgeCandidate,
  normalCdf,
  probabilityToBeBest,
  regressionTest,
  summarize,
  wilson,
} from '../../../lambdas/core/experiments/tracker';
import {
  addObservation,
  EMPTY_COUNTS,
  type VariantCounts,
} from '../../../lambdas/core/experiments/types';
import { seededRng } from '../../../lambdas/core/routing/bandit';

function counts(
  n: number,
  successRate: number,
  latencyMs: number,
  seed: number,
  costUsd = 0.001
): VariantCounts {
  const rng = seededRng(seed);
  let c = EMPTY_COUNTS;
  for (let i = 0; i < n; i++) {
    c = addObservation(c, {
      ok: rng() < successRate,
      latencyMs: latencyMs * (0.7 + 0.6 * rng()),
      costUsd,
    });
  }
  return c;
}

const SETTINGS = {
  metrics: ['success', 'latency', 'cost'] as const,
  minSamples: 200,
  threshold: 0.95,
  alpha: 0.01,
  margin: 0.02,
};

describe('Module: experiments/tracker', () => {
  it('Wilson interval: known values and edges', () => {
    const w = wilson(80, 100);
    expect(w.value).toBe(0.8);
    expect(w.ci95[0]).toBeCloseTo(0.7112, 3);
    expect(w.ci95[1]).toBeCloseTo(0.8666, 3);
    expect(wilson(0, 0).ci95).toEqual([0, 1]);
    expect(wilson(10, 10).ci95[1]).toBeCloseTo(1, 12);
  });

  it('normalCdf matches the standard normal', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 4);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 4);
  });

  it('summarize gives means with intervals that contain the truth', () => {
    const s = summarize(counts(2000, 0.9, 1000, 1));
    expect(s.n).toBe(2000);
    expect(s.success.ci95[0]).toBeLessThan(0.9);
    expect(s.success.ci95[1]).toBeGreaterThan(0.9);
    expect(s.latencyMs.ci95[0]).toBeLessThan(1000);
    expect(s.latencyMs.ci95[1]).toBeGreaterThan(1000);
    expect(s.costUsd.value).toBeCloseTo(0.001, 9);
  });

  describe('Function: regressionTest', () => {
    it('fires on a large harmful difference, not on a helpful one', () => {
      const control = counts(500, 0.99, 800, 2);
      const worse = counts(60, 0.8, 800, 3);
      const better = counts(60, 1, 800, 4);
      expect(
        regressionTest(control, worse, 'success', 0.01, 0.02).regressed
      ).toBe(true);
      expect(
        regressionTest(control, better, 'success', 0.01, 0.02).regressed
      ).toBe(false);
      const slow = counts(60, 0.99, 1400, 5);
      const t = regressionTest(control, slow, 'latency', 0.01, 0.02);
      expect(t.regressed).toBe(true);
      expect(t.pValue).toBeLessThan(0.01);
    });

    it('keeps its false-alarm rate under alpha when looked at after every observation', () => {
      // 200 equal pairs, each watched continuously for 400 observations.
      let alarms = 0;
      for (let run = 0; run < 200; run++) {
        const rng = seededRng(1000 + run);
        let c = EMPTY_COUNTS;
        let t = EMPTY_COUNTS;
        for (let i = 0; i < 400; i++) {
          const obs = () => ({
            ok: rng() < 0.95,
            latencyMs: 500 + 300 * rng(),
            costUsd: 0.001,
          });
          c = addObservation(c, obs());
          c = addObservation(c, obs());
          t = addObservation(t, obs());
          if (
            t.n >= 20 &&
            (['success', 'latency'] as const).some(
              (m) => regressionTest(c, t, m, 0.05, 0).regressed
            )
          ) {
            alarms++;
            break;
          }
        }
      }
      // Two metrics at alpha 0.05: at most ~0.1 by the union bound.
      expect(alarms / 200).toBeLessThanOrEqual(0.1);
    });
  });

  describe('Function: judgeCandidate', () => {
    it('waits for the minimum sample size, then passes an equal candidate', () => {
      const early = judgeCandidate(
        counts(150, 0.97, 800, 6),
        counts(150, 0.97, 800, 7),
        SETTINGS
      );
      expect(early.verdict).toBe('wait');
      const later = judgeCandidate(
        counts(3000, 0.97, 800, 8),
        counts(3000, 0.97, 800, 9),
        SETTINGS
      );
      expect(later.verdict).toBe('pass');
    });

    it('reports a regression with the metric that fired', () => {
      const v = judgeCandidate(
        counts(1000, 0.99, 800, 10),
        counts(100, 0.7, 800, 11),
        SETTINGS
      );
      expect(v.verdict).toBe('regressed');
      expect(v.reason).toMatch(/^significant regression on success/);
    });
  });

  describe('Function: judgeAb', () => {
    it('declares a winner only with enough samples and probability', () => {
      const few = judgeAb(
        { a: counts(50, 0.9, 800, 12), b: counts(50, 0.6, 800, 13) },
        SETTINGS
      );
      expect(few.winner).toBeUndefined();
      expect(few.reason).toMatch(/^collecting/);
      const clear = judgeAb(
        { a: counts(400, 0.9, 800, 14), b: counts(400, 0.8, 800, 15) },
        SETTINGS
      );
      expect(clear.winner).toBe('a');
      expect(clear.probabilityToBeBest.a).toBeGreaterThan(0.95);
      const tie = judgeAb(
        { a: counts(400, 0.9, 800, 16), b: counts(400, 0.9, 800, 16) },
        SETTINGS
      );
      expect(tie.winner).toBeUndefined();
    });

    it('probability to be best prefers lower latency and sums to 1', () => {
      const p = probabilityToBeBest(
        { fast: counts(300, 0.9, 500, 17), slow: counts(300, 0.9, 900, 18) },
        'latency'
      );
      expect(p.fast).toBeGreaterThan(0.99);
      expect((p.fast ?? 0) + (p.slow ?? 0)).toBeCloseTo(1, 10);
    });
  });
});
