import { benchBanditSimulation, simulateRegret } from '../../bench/bandit-sim';

describe('Function: simulateRegret', () => {
  it('has less regret than uniform random and than the best fixed arm when quality shifts', () => {
    // Act
    const run = simulateRegret({ requests: 4000, seed: 3 });

    // Assess
    expect(run.requests).toBe(4000);
    expect(run.shiftAt).toBe(2000);
    expect(run.bandit).toBeLessThan(run.uniform);
    expect(run.bandit).toBeLessThan(run.bestFixed);
    expect(run.banditFirstHalf + run.banditSecondHalf).toBeCloseTo(
      run.bandit,
      9
    );
    // Exploration is bounded by its rate (4%) and actually happens.
    expect(run.exploredShare).toBeGreaterThan(0);
    expect(run.exploredShare).toBeLessThanOrEqual(0.04 + 0.01);
  });

  it('is reproducible from its seed', () => {
    // Act & Assess
    expect(simulateRegret({ requests: 600, seed: 5 })).toEqual(
      simulateRegret({ requests: 600, seed: 5 })
    );
  });

  it('still beats uniform random with exploration off', () => {
    // Act
    const run = simulateRegret({
      requests: 2000,
      seed: 2,
      exploration: { rate: 0 },
    });

    // Assess
    expect(run.exploredShare).toBe(0);
    expect(run.bandit).toBeLessThan(run.uniform);
  });
});

describe('Function: benchBanditSimulation', () => {
  it('reports regret and recovery figures on a small run', async () => {
    // Act
    const f = await benchBanditSimulation({ requests: 2000, seeds: 1 });

    // Assess
    expect(f.regret.bandit).toBeLessThan(f.regret.uniform);
    expect(f.coldOutlier.claudeLast100).toBeGreaterThanOrEqual(90);
    expect(f.coldOutlier.worstRecoveryRequests).not.toBeNull();
  });
});
