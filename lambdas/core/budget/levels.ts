import type { BudgetCaps, ResolvedTenant } from '../config/load';
import {
  type BudgetLevel,
  type BudgetPeriod,
  type BudgetRefusal,
  type BudgetScope,
  toNanos,
} from './types';

/** The UTC period key and reset time of `now`. */
export function periodOf(
  period: BudgetPeriod,
  now: number
): { key: string; resetsAt: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'day') {
    return {
      key: d.toISOString().slice(0, 10),
      resetsAt: Date.UTC(y, m, d.getUTCDate() + 1),
    };
  }
  return {
    key: d.toISOString().slice(0, 7),
    resetsAt: Date.UTC(y, m + 1, 1),
  };
}

/** Ledger item partition key of a scope. */
export function levelPk(
  tenant: string,
  scope: BudgetScope,
  scopeId: string
): string {
  return `budget#${encodeURIComponent(tenant)}#${scope}#${encodeURIComponent(scopeId)}`;
}

function levelsOf(
  tenant: string,
  scope: BudgetScope,
  scopeId: string,
  caps: BudgetCaps,
  now: number
): BudgetLevel[] {
  const out: BudgetLevel[] = [];
  const add = (period: BudgetPeriod, usd: number | undefined): void => {
    if (usd === undefined) return;
    const { key, resetsAt } = periodOf(period, now);
    out.push({
      pk: levelPk(tenant, scope, scopeId),
      sk: `${period}#${key}`,
      tenant,
      scope,
      scopeId,
      period,
      periodKey: key,
      // Integers stay exact up to 2^53 nano-USD (~9M USD): a bigger cap is as good as none.
      capNanos: Math.min(toNanos(usd), Number.MAX_SAFE_INTEGER),
      resetsAt,
    });
  };
  add('day', caps.dailyUsd);
  add('month', caps.monthlyUsd);
  return out;
}

/**
 * Every capped (scope, period) level a request of `user` is charged
 * against: the tenant's caps, the user's team's caps, and the user's own
 * (each field from `users[user].budgets`, else `userDefaults.budgets`).
 * Uncapped levels are left out: they cost no write.
 */
export function budgetLevels(
  tenant: ResolvedTenant,
  user: string | undefined,
  now: number
): BudgetLevel[] {
  const levels = levelsOf(tenant.id, 'tenant', tenant.id, tenant.budgets, now);
  if (user === undefined || user === '') return levels;
  const known = tenant.users?.[user];
  const team = known?.team;
  const teamCaps = team !== undefined ? tenant.teams?.[team] : undefined;
  if (team !== undefined && teamCaps)
    levels.push(...levelsOf(tenant.id, 'team', team, teamCaps.budgets, now));
  const defaults = tenant.userDefaults?.budgets ?? {};
  const userCaps: BudgetCaps = {
    dailyUsd: known?.budgets.dailyUsd ?? defaults.dailyUsd,
    monthlyUsd: known?.budgets.monthlyUsd ?? defaults.monthlyUsd,
  };
  levels.push(...levelsOf(tenant.id, 'user', user, userCaps, now));
  return levels;
}

/**
 * The highest `spent + reserved` a level may show before a reservation of
 * `amount` and still accept it: the cap minus the amount, and strictly below
 * the shutdown threshold. Negative: it can never fit.
 */
export function maxCommittedBefore(
  capNanos: number,
  amountNanos: number,
  shutdownPct: number
): number {
  // committed < cap * pct / 100  <=>  committed <= ceil(cap * pct / 100) - 1
  const byShutdown =
    shutdownPct >= 100
      ? Number.POSITIVE_INFINITY
      : Math.ceil((capNanos * shutdownPct) / 100) - 1;
  return Math.min(capNanos - amountNanos, byShutdown);
}

/**
 * Why a level with `committed` (spent + reserved) refused `amount`, and the
 * largest amount it would still take (negative: none, it is shut down).
 */
export function refusalAt(
  level: BudgetLevel,
  committed: number,
  amountNanos: number,
  shutdownPct: number
): BudgetRefusal {
  const shut = maxCommittedBefore(level.capNanos, 0, shutdownPct) < committed;
  return {
    level,
    reason: committed + amountNanos > level.capNanos ? 'cap' : 'shutdown',
    roomNanos: shut ? -1 : level.capNanos - committed,
  };
}
