import * as z from 'zod/mini';

const percentSchema = z.number().check(z.gt(0), z.lte(100));

/**
 * `budgets` section of the gateway config file. Budget ledger settings (alerts, shutdown threshold, reservations). Owned by the budget module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 * The caps themselves live on tenants, teams and users (`budgets: {dailyUsd, monthlyUsd}`).
 */
export const budgetSettingsSchema = z.strictObject({
  /** Percentages of a cap at which an alert fires, once per (scope, period, threshold). */
  alertThresholdsPct: z.optional(z.array(percentSchema)),
  /** At or above this share of a cap (spent + reserved), new requests for that scope are refused. */
  shutdownThresholdPct: z.optional(percentSchema),
  /** A crashed call's reservation is released this long after it was made, seconds. */
  reservationTtlSeconds: z.optional(z.int().check(z.gte(1), z.lte(86_400))),
  /** When a candidate's worst case doesn't fit, try a cheaper candidate before refusing. */
  cheaperFallback: z.optional(z.boolean()),
  /** Leasing of budget slices per container (DynamoDB ledger; at scale). */
  lease: z.optional(
    z.strictObject({
      /** Off by default: every reservation is one conditional transaction. */
      enabled: z.optional(z.boolean()),
      /** Share of the remaining budget one lease takes, (0, 1]. */
      fraction: z.optional(z.number().check(z.gt(0), z.lte(1))),
      /** Largest slice one lease takes, USD. */
      maxSliceUsd: z.optional(z.number().check(z.gt(0))),
      /** Unused slice goes back after this long without use, seconds. */
      idleSeconds: z.optional(z.number().check(z.gt(0))),
      /** A lease is returned after this long whatever happens (and swept after a crash), seconds. */
      ttlSeconds: z.optional(z.number().check(z.gt(0))),
    })
  ),
});

/** The `budgets` section as written. */
export type BudgetSettingsFile = z.infer<typeof budgetSettingsSchema>;

/** Leasing settings after defaults. */
export interface LeaseSettings {
  readonly enabled: boolean;
  readonly fraction: number;
  readonly maxSliceUsd: number;
  readonly idleSeconds: number;
  readonly ttlSeconds: number;
}

/** The `budgets` section after defaults. */
export interface BudgetSettings {
  /** Sorted ascending, de-duplicated. */
  readonly alertThresholdsPct: readonly number[];
  readonly shutdownThresholdPct: number;
  readonly reservationTtlSeconds: number;
  readonly cheaperFallback: boolean;
  readonly lease: LeaseSettings;
}

/** Defaults of the `budgets` section (README "Budgets"). */
export const DEFAULT_BUDGET_SETTINGS: BudgetSettings = {
  alertThresholdsPct: [50, 75, 90, 95],
  shutdownThresholdPct: 95,
  reservationTtlSeconds: 600,
  cheaperFallback: true,
  lease: {
    enabled: false,
    fraction: 0.02,
    maxSliceUsd: 5,
    idleSeconds: 10,
    ttlSeconds: 60,
  },
};

/** Resolves defaults of the `budgets` section. */
export function resolveBudgetSettings(
  file: BudgetSettingsFile | undefined
): BudgetSettings {
  const d = DEFAULT_BUDGET_SETTINGS;
  const f = file ?? {};
  return {
    alertThresholdsPct: f.alertThresholdsPct
      ? [...new Set(f.alertThresholdsPct)].sort((a, b) => a - b)
      : d.alertThresholdsPct,
    shutdownThresholdPct: f.shutdownThresholdPct ?? d.shutdownThresholdPct,
    reservationTtlSeconds: f.reservationTtlSeconds ?? d.reservationTtlSeconds,
    cheaperFallback: f.cheaperFallback ?? d.cheaperFallback,
    lease: { ...d.lease, ...stripUndefined(f.lease ?? {}) },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined)
  ) as Partial<T>;
}
