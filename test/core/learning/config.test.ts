import {
  DEFAULT_LEARNING_SETTINGS,
  learningSettingsSchema,
  resolveLearningSettings,
  rewardWeightsFor,
} from '../../../lambdas/core/learning/config';

describe('Function: resolveLearningSettings', () => {
  it('gives the documented defaults for an absent section', () => {
    // Act & Assess
    expect(resolveLearningSettings(undefined)).toEqual(
      DEFAULT_LEARNING_SETTINGS
    );
  });

  it('lets a domain override some weights and inherit the rest from default', () => {
    // Prepare
    const file = learningSettingsSchema.parse({
      reward: {
        default: { latency: 0.4 },
        domains: { legal: { cost: 0.05 } },
      },
      exploration: { rate: 0.02, maxCostUsd: 0.5 },
      shared: { refreshMs: 2000 },
    });

    // Act
    const s = resolveLearningSettings(file);

    // Assess
    expect(rewardWeightsFor(s, 'legal')).toEqual({
      latency: 0.4,
      cost: 0.05,
      errors: 0.2,
    });
    expect(rewardWeightsFor(s, 'code')).toEqual({
      latency: 0.4,
      cost: 0.2,
      errors: 0.2,
    });
    expect(s.exploration).toEqual({ rate: 0.02, maxCostUsd: 0.5 });
    expect(s.shared).toEqual({ enabled: true, refreshMs: 2000, flushMs: 1000 });
    expect(s.latency).toEqual(DEFAULT_LEARNING_SETTINGS.latency);
  });

  it.each([
    [{ exploration: { rate: 0.5 } }],
    [{ latency: { coldWeight: 2 } }],
    [{ latency: { outlierFactor: 1 } }],
    [{ reward: { default: { latency: -1 } } }],
    [{ unknown: true }],
  ])('rejects %j', (file) => {
    // Act & Assess
    expect(learningSettingsSchema.safeParse(file).success).toBe(false);
  });
});
