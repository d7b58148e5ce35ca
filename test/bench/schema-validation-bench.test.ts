import { benchSchemaValidation } from '../../bench/schema-validation-bench';

describe('Function: benchSchemaValidation', () => {
  it('measures every size and a cached lookup far cheaper than a compile', async () => {
    // Act
    const result = await benchSchemaValidation(100);

    // Assess
    expect(result.sizes.map((s) => s.kb)).toEqual([1, 4, 16, 64]);
    for (const s of result.sizes) {
      expect(s.p50Us).toBeGreaterThan(0);
      expect(s.p99Us).toBeGreaterThanOrEqual(s.p50Us);
    }
    // Bigger answers cost more in total: the check scales with output.
    expect(result.sizes[3]!.p50Us).toBeGreaterThan(result.sizes[0]!.p50Us);
    // The LRU is what makes strict cheap: no recompilation per request.
    expect(result.cachedLookupUs).toBeLessThan(result.compileUs);
  });
});
