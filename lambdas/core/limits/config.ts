import * as z from 'zod/mini';
import type { BudgetTier } from '../types';

const posInt = z.int().check(z.gt(0));

/**
 * `limits` section of the gateway config file: gateway-wide defaults of the
 * per-tenant rate and token limits (the caps themselves live on tenants,
 * teams and users). Owned by the limits module; fields are only ever added.
 */
export const limitSettingsSchema = z.strictObject({
  /** Largest `max_tokens` per tier, applied on top of the tenant's `maxTokensPerRequest`. */
  maxTokensPerRequest: z.optional(
    z.strictObject({
      low: z.optional(posInt),
      standard: z.optional(posInt),
      premium: z.optional(posInt),
    })
  ),
  /**
   * Serve (true) or refuse with 503 (false) when the shared counters can't
   * be reached. @default true: a counter outage must not take traffic down.
   */
  failOpen: z.optional(z.boolean()),
});

/** The `limits` section as written. */
export type LimitSettingsFile = z.infer<typeof limitSettingsSchema>;

/** The `limits` section after defaults. */
export interface LimitSettings {
  readonly maxTokensPerRequest: Readonly<Partial<Record<BudgetTier, number>>>;
  readonly failOpen: boolean;
}

/** Resolves defaults of the `limits` section. */
export function resolveLimitSettings(
  file: LimitSettingsFile | undefined
): LimitSettings {
  return {
    maxTokensPerRequest: file?.maxTokensPerRequest ?? {},
    failOpen: file?.failOpen ?? true,
  };
}
