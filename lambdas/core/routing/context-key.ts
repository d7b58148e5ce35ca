import type { BudgetTier } from '../types';

/**
 * Builds the bandit context key `domain|budget_tier|tools`, e.g.
 * `legal|premium|true`. A public contract: the decision log and the offline
 * replay CLI read it back, so the format never changes. A `|` inside the
 * domain would make the key unparseable, so it becomes `_`.
 */
export function contextKey(
  domain: string,
  budgetTier: BudgetTier,
  tools: boolean
): string {
  const safeDomain = domain.includes('|')
    ? domain.replaceAll('|', '_')
    : domain;
  return `${safeDomain}|${budgetTier}|${tools}`;
}
