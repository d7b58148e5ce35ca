import { benchRoutingDecision } from '../../../bench/routing-bench';

describe('Function: benchRoutingDecision', () => {
  it('reports consistent latency percentiles for the requested iterations', () => {
    // Act
    const result = benchRoutingDecision({ iterations: 300, candidates: 4 });

    // Assess: shape only; timing budgets are checked by running the bench
    expect(result.iterations).toBe(300);
    expect(result.p50Us).toBeGreaterThan(0);
    expect(result.p99Us).toBeGreaterThanOrEqual(result.p50Us);
    expect(result.meanUs).toBeGreaterThan(0);
  });
});
