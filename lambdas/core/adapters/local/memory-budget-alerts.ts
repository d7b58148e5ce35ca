import type { BudgetAlert, BudgetAlertSink } from '../../budget/types';

/**
 * Local budget alerts: each (scope, period, threshold) is claimed once per
 * process; the guard writes the log line and the `BudgetAlert` metric.
 */
export class MemoryBudgetAlerts implements BudgetAlertSink {
  private readonly claimed = new Set<string>();
  /** Every alert published, oldest first (tests and inspection). */
  public readonly published: BudgetAlert[] = [];

  public async publish(alert: BudgetAlert): Promise<boolean> {
    const key = alertKey(alert);
    if (this.claimed.has(key)) return false;
    this.claimed.add(key);
    this.published.push(alert);
    return true;
  }
}

/** Identity of an alert: once per (tenant, scope, id, period, threshold). */
export function alertKey(a: BudgetAlert): string {
  return [
    encodeURIComponent(a.tenant),
    a.scope,
    encodeURIComponent(a.scopeId),
    a.period,
    a.periodKey,
    a.thresholdPct,
  ].join('#');
}
