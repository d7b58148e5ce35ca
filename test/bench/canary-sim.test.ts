import { BASELINE, REGRESSED, runCanary } from '../../bench/canary-sim';

describe('Simulation: canary rollout', () => {
  it('detects a regressed canary and rolls it back within 500 requests, nobody involved', async () => {
    // Act
    const run = await runCanary({
      seed: 1,
      control: BASELINE,
      canary: REGRESSED,
      maxRequests: 3000,
    });
    // Assess
    expect(run.outcome).toBe('rolled_back');
    expect(run.requests).toBeLessThanOrEqual(500);
    expect(run.killSwitchEngaged).toBe(true);
    // Every transition is audited, by the controller, through the control plane.
    expect(run.audit).toEqual(
      expect.arrayContaining([
        'experiment.rollback',
        'kill-switch.set',
        'model.status',
      ])
    );
  });

  it('never rolls back a canary equal to control (10 seeded runs)', async () => {
    // Act
    const outcomes: string[] = [];
    for (let r = 0; r < 10; r++) {
      const run = await runCanary({
        seed: 700 + r,
        control: BASELINE,
        canary: BASELINE,
        maxRequests: 2500,
      });
      outcomes.push(run.outcome);
    }
    // Assess
    expect(outcomes).not.toContain('rolled_back');
  });

  it('promotes an equal canary to active once the gate passes', async () => {
    const run = await runCanary({
      seed: 3,
      control: BASELINE,
      canary: BASELINE,
      canaryShare: 0.5,
      maxRequests: 4000,
    });
    expect(run.outcome).toBe('promoted');
    expect(run.killSwitchEngaged).toBe(false);
    expect(run.audit).toEqual(
      expect.arrayContaining(['experiment.promote', 'model.status'])
    );
  });
});
