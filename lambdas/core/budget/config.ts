import * as z from 'zod/mini';

/**
 * `budgets` section of the gateway config file. Budget ledger settings (alerts, shutdown threshold, reservations). Owned by the budget module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 */
export const budgetSettingsSchema = z.strictObject({});

/** The `budgets` section as written. */
export type BudgetSettingsFile = z.infer<typeof budgetSettingsSchema>;

/** The `budgets` section after defaults. */
export type BudgetSettings = Readonly<Record<string, never>>;

/** Resolves defaults of the `budgets` section. */
export function resolveBudgetSettings(
  _file: BudgetSettingsFile | undefined
): BudgetSettings {
  return {};
}
