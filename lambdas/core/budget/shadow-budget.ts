import type { ShadowBudget } from '../gateway/shadow';
import type { BudgetGuard } from './guard';

/**
 * Shadow calls against the real budget ledger: each copy reserves its worst
 * case at the request's levels (user, team, tenant) before it is sent, and
 * settles its real cost (or releases) afterwards, exactly as a live attempt.
 * A copy that doesn't fit is dropped; the live request is never affected.
 */
export function budgetShadowBudget(guard: BudgetGuard): ShadowBudget {
  return {
    async reserve(call, model) {
      const budget = guard.begin(call.tenant, call.request);
      if (!(await budget.reserve(model))) return undefined;
      return {
        settle: (costUsd) => budget.settle(costUsd),
        release: () => budget.release(),
      };
    },
  };
}
