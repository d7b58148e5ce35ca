import * as z from 'zod/mini';

/**
 * `cache` section of the gateway config file. Response cache settings (TTL per domain, sizes). Owned by the cache module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 */
export const cacheSettingsSchema = z.strictObject({});

/** The `cache` section as written. */
export type CacheSettingsFile = z.infer<typeof cacheSettingsSchema>;

/** The `cache` section after defaults. */
export type CacheSettings = Readonly<Record<string, never>>;

/** Resolves defaults of the `cache` section. */
export function resolveCacheSettings(
  _file: CacheSettingsFile | undefined
): CacheSettings {
  return {};
}
