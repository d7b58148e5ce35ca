import { benchCacheHit } from '../../bench/cache-bench';

describe('Function: benchCacheHit', () => {
  it('measures hits that never reach the provider against misses that do', async () => {
    // Act
    const result = await benchCacheHit(50);

    // Assess
    expect(result.statuses).toEqual({ hit: 50, miss: 50, bypass: 50 });
    // One provider call per miss and per bypass, none for a hit.
    expect(result.providerCalls).toBe(100);
    for (const path of [result.hit, result.miss, result.bypass]) {
      expect(path.p50Us).toBeGreaterThan(0);
      expect(path.p99Us).toBeGreaterThanOrEqual(path.p50Us);
    }
  });
});
