import {
  BETA_PLAN_SIZE,
  BetaSampler,
  defaultRng,
  sampleBeta,
  seededRng,
  writeBetaPlan,
} from '../../../lambdas/core/routing/bandit';

/** Kolmogorov–Smirnov distance between samples and a CDF. */
function ksDistance(samples: number[], cdf: (x: number) => number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]);
    d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
  }
  return d;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** Regularised incomplete beta for integer a, b (binomial tail identity). */
function integerBetaCdf(a: number, b: number): (x: number) => number {
  const n = a + b - 1;
  return (x) => {
    let sum = 0;
    for (let j = a; j <= n; j++) {
      sum += binomial(n, j) * x ** j * (1 - x) ** (n - j);
    }
    return sum;
  };
}

function draw(alpha: number, beta: number, n: number, seed: number): number[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => sampleBeta(alpha, beta, rng));
}

function meanAndVariance(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance =
    xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

const N = 20_000;
// KS critical value at alpha = 0.001.
const KS_LIMIT = 1.95 / Math.sqrt(N);

describe('Function: seededRng', () => {
  it('repeats the same stream for the same seed', () => {
    // Prepare
    const a = seededRng(42);
    const b = seededRng(42);

    // Act
    const xs = Array.from({ length: 100 }, () => a());
    const ys = Array.from({ length: 100 }, () => b());

    // Assess
    expect(xs).toEqual(ys);
  });

  it('gives unrelated streams for nearby seeds', () => {
    // Act
    const a = seededRng(1);
    const b = seededRng(2);
    const xs = Array.from({ length: 100 }, () => a());
    const ys = Array.from({ length: 100 }, () => b());

    // Assess
    expect(xs.filter((x, i) => x === ys[i])).toHaveLength(0);
  });

  it('produces uniform values in [0, 1)', () => {
    // Prepare
    const rng = seededRng(7);

    // Act
    const xs = Array.from({ length: N }, () => rng());

    // Assess
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(ksDistance(xs, (x) => x)).toBeLessThan(KS_LIMIT);
  });
});

describe('Function: defaultRng', () => {
  it('produces uniform values in [0, 1)', () => {
    // Act
    const xs = Array.from({ length: N }, () => defaultRng());

    // Assess
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(ksDistance(xs, (x) => x)).toBeLessThan(KS_LIMIT);
  });
});

describe('Function: sampleBeta', () => {
  it.each([
    ['Beta(2, 2) (general path)', 2, 2, (x: number) => 3 * x * x - 2 * x ** 3],
    ['Beta(20, 30) (general path)', 20, 30, integerBetaCdf(20, 30)],
    [
      'Beta(0.5, 0.5) (shape < 1 boost)',
      0.5,
      0.5,
      (x: number) => (2 / Math.PI) * Math.asin(Math.sqrt(x)),
    ],
    ['Beta(1, 1) (uniform shortcut)', 1, 1, (x: number) => x],
    ['Beta(3, 1) (power shortcut)', 3, 1, (x: number) => x ** 3],
    ['Beta(1, 4) (power shortcut)', 1, 4, (x: number) => 1 - (1 - x) ** 4],
  ])('follows the %s distribution', (_name, alpha, beta, cdf) => {
    // Act
    const xs = draw(alpha, beta, N, 11);

    // Assess
    expect(ksDistance(xs, cdf)).toBeLessThan(KS_LIMIT);
  });

  it.each([
    [0.3, 2.5],
    [400.5, 120.25],
    [1.7, 0.4],
  ])('matches the mean and variance of Beta(%d, %d)', (alpha, beta) => {
    // Prepare
    const s = alpha + beta;
    const mean = alpha / s;
    const variance = (alpha * beta) / (s * s * (s + 1));

    // Act
    const stats = meanAndVariance(draw(alpha, beta, N, 5));

    // Assess: 5 standard errors of the mean, 5% on the variance
    expect(Math.abs(stats.mean - mean)).toBeLessThan(
      5 * Math.sqrt(variance / N)
    );
    expect(stats.variance / variance).toBeGreaterThan(0.95);
    expect(stats.variance / variance).toBeLessThan(1.05);
  });

  it('stays in [0, 1] for extreme shapes', () => {
    // Act
    const xs = [
      ...draw(1e-3, 1e-3, 2000, 3),
      ...draw(1e5, 1, 200, 3),
      ...draw(1e-2, 1e4, 200, 3),
    ];

    // Assess
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
  });

  it('is a pure function of the rng stream', () => {
    // Act
    const a = draw(3.3, 7.1, 50, 99);
    const b = draw(3.3, 7.1, 50, 99);

    // Assess
    expect(a).toEqual(b);
  });

  it.each([
    [0, 1],
    [1, -2],
    [Number.NaN, 1],
    [1, Number.POSITIVE_INFINITY],
  ])('rejects Beta(%d, %d)', (alpha, beta) => {
    // Act & Assess
    expect(() => sampleBeta(alpha, beta, seededRng(1))).toThrow(
      /beta parameters must be finite and > 0/
    );
  });
});

describe('Class: BetaSampler', () => {
  describe('Method: sampleInto', () => {
    it('fills only the listed indices, at the offset', () => {
      // Prepare
      const plans = new Float64Array(3 * BETA_PLAN_SIZE);
      writeBetaPlan(plans, 0, 2, 5);
      writeBetaPlan(plans, BETA_PLAN_SIZE, 1, 1);
      writeBetaPlan(plans, 2 * BETA_PLAN_SIZE, 9, 2);
      const out = new Float64Array(6).fill(-1);

      // Act
      new BetaSampler(seededRng(3)).sampleInto(plans, [2, 0], out, 3);

      // Assess
      expect(Array.from(out.subarray(0, 3))).toEqual([-1, -1, -1]);
      expect(out[4]).toBe(-1);
      for (const i of [3, 5]) {
        expect(out[i]).toBeGreaterThan(0);
        expect(out[i]).toBeLessThan(1);
      }
    });
  });
});
