import { simulateColdOutlier } from '../../../bench/bandit-sim';

/*
 * Issue 10's reproduction: legal premium requests, Claude the best
 * candidate, Claude's FIRST call slow (1.5 s: connection and client set-up,
 * as on every new Lambda container), then every model equally fast. Before
 * the learning loop, Claude served 0 of the last 100 of 300 requests on most
 * seeds (one 1.5 s EWMA sample, untried rivals at a pessimistic 1 s prior,
 * and nothing re-measured Claude once it lost).
 */
describe('Learning loop: recovery from a cold outlier', () => {
  it.each([1, 2, 3, 4, 5, 6])(
    'keeps Claude on legal traffic after one slow first call (seed %d)',
    (seed) => {
      // Act
      const run = simulateColdOutlier({ seed, slowFirstCallMs: 1500 });

      // Assess
      expect(run.outlierAt).toBeDefined();
      expect(run.claudeLast100).toBeGreaterThanOrEqual(90);
      expect(run.recoveryRequests).not.toBeNull();
      expect(run.recoveryRequests!).toBeLessThanOrEqual(20);
    }
  );

  it('serves Claude as much as without the outlier', () => {
    // Act
    const withOutlier = simulateColdOutlier({ seed: 9, slowFirstCallMs: 1500 });
    const without = simulateColdOutlier({ seed: 9, slowFirstCallMs: 0 });

    // Assess
    expect(without.claudeLast100).toBeGreaterThanOrEqual(90);
    expect(withOutlier.claudeLast100).toBeGreaterThanOrEqual(90);
  });

  it('recovers through exploration and decay even without the cold discount', () => {
    // Act: the first call counts fully, as a warm one would
    const runs = [1, 2, 3, 4, 5].map((seed) =>
      simulateColdOutlier({ seed, latency: { coldWeight: 1 } })
    );

    // Assess
    for (const run of runs) {
      expect(run.recoveryRequests).not.toBeNull();
      expect(run.recoveryRequests!).toBeLessThanOrEqual(250);
      expect(run.claudeLast100).toBeGreaterThanOrEqual(85);
    }
  });
});
