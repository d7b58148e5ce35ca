import {
  DEFAULT_BUDGET_SETTINGS,
  resolveBudgetSettings,
} from '../../../lambdas/core/budget/config';
import {
  type ConfigError,
  resolveConfig,
} from '../../../lambdas/core/config/load';

describe('Function: resolveBudgetSettings', () => {
  it('defaults: alerts at 50/75/90/95, shutdown at 95%, 10 min reservations, cheaper fallback, no leasing', () => {
    expect(resolveBudgetSettings(undefined)).toEqual(DEFAULT_BUDGET_SETTINGS);
    expect(DEFAULT_BUDGET_SETTINGS).toMatchObject({
      alertThresholdsPct: [50, 75, 90, 95],
      shutdownThresholdPct: 95,
      reservationTtlSeconds: 600,
      cheaperFallback: true,
      lease: { enabled: false },
    });
  });

  it('sorts and de-duplicates thresholds and merges lease fields over the defaults', () => {
    const s = resolveBudgetSettings({
      alertThresholdsPct: [90, 25, 90],
      shutdownThresholdPct: 100,
      cheaperFallback: false,
      lease: { enabled: true, fraction: 0.05 },
    });
    expect(s.alertThresholdsPct).toEqual([25, 90]);
    expect(s.shutdownThresholdPct).toBe(100);
    expect(s.cheaperFallback).toBe(false);
    expect(s.lease).toEqual({
      ...DEFAULT_BUDGET_SETTINGS.lease,
      enabled: true,
      fraction: 0.05,
    });
  });

  it('fails config validation naming each bad budgets field', () => {
    expect.assertions(3);
    try {
      resolveConfig(
        {
          budgets: {
            alertThresholdsPct: [0],
            shutdownThresholdPct: 120,
            lease: { fraction: 2 },
          },
        },
        {},
        'test'
      );
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/budgets\.alertThresholdsPct\[0\]/);
      expect(problems).toMatch(/budgets\.shutdownThresholdPct/);
      expect(problems).toMatch(/budgets\.lease\.fraction/);
    }
  });
});
