import { MemoryLatencyTracker } from '../../../../lambdas/core/adapters/local/memory-latency-tracker';

// A frozen clock unless a test moves it: decay factors are exactly 1.
function tracker(
  options: ConstructorParameters<typeof MemoryLatencyTracker>[0] = {}
) {
  let t = 0;
  const latency = new MemoryLatencyTracker({ now: () => t, ...options });
  return {
    latency,
    advance(ms: number) {
      t += ms;
    },
  };
}

describe('Class: MemoryLatencyTracker', () => {
  describe('Method: estimate', () => {
    it('has no estimate with neither a prior nor any observation', () => {
      // Prepare
      const { latency } = tracker();

      // Act & Assess
      expect(latency.estimate('m')).toBeUndefined();
      expect(latency.count('m')).toBe(0);
    });

    it('returns the prior before any observation', () => {
      // Prepare
      const { latency } = tracker();

      // Act & Assess
      expect(latency.estimate('m', 800)).toBeCloseTo(800, 6);
    });

    it('shrinks the prior toward observations as they accumulate (geometric, weight n0)', () => {
      // Prepare: priorWeight 1, first call cold at weight 0.1
      const { latency } = tracker({ coldWeight: 0.1, priorWeight: 1 });

      // Act
      latency.observe('m', 400); // cold
      const afterCold = latency.estimate('m', 1600)!;
      latency.observe('m', 400);
      latency.observe('m', 400);
      latency.observe('m', 400);
      const afterWarm = latency.estimate('m', 1600)!;

      // Assess: exp((ln 1600 + 0.1 ln 400) / 1.1), then with 3.1 weight of 400
      expect(afterCold).toBeCloseTo(
        Math.exp((Math.log(1600) + 0.1 * Math.log(400)) / 1.1),
        6
      );
      expect(afterWarm).toBeCloseTo(
        Math.exp((Math.log(1600) + 3.1 * Math.log(400)) / 4.1),
        6
      );
      expect(latency.count('m')).toBe(4);
    });

    it('barely moves for a slow cold first call', () => {
      // Prepare
      const { latency } = tracker();

      // Act: 1.5 s connection set-up against a 300 ms prior
      latency.observe('claude', 1500);

      // Assess: under 17% above the prior, where an EWMA would say 1500
      expect(latency.estimate('claude', 300)!).toBeLessThan(350);
    });

    it('uses the fleet median as the prior of a model without one', () => {
      // Prepare: three warm models at 200, 300 and 900 ms
      const { latency } = tracker({ coldWeight: 1 });
      latency.observe('a', 200);
      latency.observe('b', 300);
      latency.observe('c', 900);

      // Act
      const untried = latency.estimate('new');

      // Assess: the median model, not a pessimistic constant
      expect(untried).toBeCloseTo(300, 6);
      expect(latency.fleetMedian()).toBeCloseTo(300, 6);
    });

    it('drifts back to the prior when a model goes unobserved', () => {
      // Prepare
      const { latency, advance } = tracker({
        coldWeight: 1,
        halfLifeMs: 1000,
      });
      for (let i = 0; i < 10; i++) latency.observe('m', 2000);
      const observed = latency.estimate('m', 500)!;

      // Act
      advance(20_000);
      const later = latency.estimate('m', 500)!;

      // Assess
      expect(observed).toBeGreaterThan(1700);
      expect(later).toBeLessThan(505);
      expect(latency.count('m')).toBe(0);
    });

    it('clips an outlier to outlierFactor around the estimate', () => {
      // Prepare
      const { latency } = tracker({ coldWeight: 1, outlierFactor: 4 });
      for (let i = 0; i < 4; i++) latency.observe('m', 100);

      // Act: a 30 s timeout-length call counts as 400 ms
      latency.observe('m', 30_000);

      // Assess
      expect(latency.estimate('m')).toBeCloseTo(
        Math.exp((4 * Math.log(100) + Math.log(400)) / 5),
        6
      );
    });
  });

  describe('Method: observe', () => {
    it('ignores negative and non-finite latencies', () => {
      // Prepare
      const { latency } = tracker({ coldWeight: 1 });
      latency.observe('m', 500);

      // Act
      latency.observe('m', -1);
      latency.observe('m', Number.NaN);
      latency.observe('m', Number.POSITIVE_INFINITY);
      latency.observe('n', -5);

      // Assess
      expect(latency.estimate('m')).toBeCloseTo(500, 6);
      expect(latency.count('m')).toBe(1);
      // n has no evidence of its own: the fleet median (m's) stands in
      expect(latency.estimate('n')).toBeCloseTo(500, 6);
      expect(latency.count('n')).toBe(0);
    });

    it('treats only the first call per model as cold', () => {
      // Prepare
      const { latency } = tracker({ coldWeight: 0 });

      // Act
      latency.observe('a', 5000);
      latency.observe('a', 100);
      latency.observe('b', 40);

      // Assess: cold calls are ignored entirely with coldWeight 0, so b
      // (only a cold call) gets the fleet median, a's warm 100 ms
      expect(latency.estimate('a')).toBeCloseTo(100, 6);
      expect(latency.estimate('b')).toBeCloseTo(100, 6);
      expect(latency.count('a')).toBe(2);
      expect(latency.count('b')).toBe(1);
    });
  });

  it.each([
    [{ priorWeight: 0 }, /priorWeight 0/],
    [{ coldWeight: 1.5 }, /coldWeight 1.5/],
    [{ outlierFactor: 1 }, /outlierFactor 1/],
  ])('fails on %j', (options, message) => {
    // Act & Assess
    expect(() => new MemoryLatencyTracker(options)).toThrow(message);
  });
});
