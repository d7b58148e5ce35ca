import { benchLambdaMemory } from '../../bench/lambda-cost';

describe('Function: benchLambdaMemory', () => {
  it('serves every streamed request through the built bundle and reports memory, CPU and logs', async () => {
    // Act
    const result = await benchLambdaMemory(20);

    // Assess: each request ended with [DONE], one at a time in one process.
    expect(result).toMatchObject({ requests: 20, ok: 20 });
    expect(result.maxRssMiB).toBeGreaterThanOrEqual(result.rssAfterInitMiB);
    expect(result.peakRssMiB).toBeGreaterThan(result.rssAfterInitMiB);
    expect(result.cpuMsPerRequest).toBeGreaterThanOrEqual(
      result.cpuBeforeFirstByteMs
    );
    // EMF metric lines at least: the logs a request costs are counted.
    expect(result.logLinesPerRequest).toBeGreaterThanOrEqual(4);
    expect(result.logBytesPerRequest).toBeGreaterThan(1000);
  }, 180_000);
});
