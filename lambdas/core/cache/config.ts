import * as z from 'zod/mini';

const posInt = z.int().check(z.gt(0));
const nonNegInt = z.int().check(z.gte(0));
const domainName = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9][a-z0-9_-]{0,63}$/,
      'must be lower-case letters, digits, _ or -'
    )
  );

/**
 * `cache` section of the gateway config file. Response cache settings (TTL per domain, sizes). Owned by the cache module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 */
export const cacheSettingsSchema = z.strictObject({
  /** Serve and store cached responses at all. @default true */
  enabled: z.optional(z.boolean()),
  /** Lifetime of an entry when its domain sets none, seconds. @default 3600 */
  defaultTtlSeconds: z.optional(posInt),
  /** Lifetime per routing domain, seconds; 0 never caches that domain. */
  ttlSecondsByDomain: z.optional(z.record(domainName, nonNegInt)),
  /** Entries the in-process LRU holds. @default 1000 */
  lruMaxEntries: z.optional(posInt),
  /** Bytes the in-process LRU holds (serialised entries). @default 16 MiB */
  lruMaxBytes: z.optional(posInt),
  /** Largest entry stored, bytes; larger answers are served but not cached. @default 128 KiB */
  maxEntryBytes: z.optional(
    z.int().check(z.gt(0), z.lte(350_000, 'must be at most 350000 bytes'))
  ),
});

/** The `cache` section as written. */
export type CacheSettingsFile = z.infer<typeof cacheSettingsSchema>;

/** The `cache` section after defaults. */
export interface CacheSettings {
  readonly enabled: boolean;
  readonly defaultTtlSeconds: number;
  readonly ttlSecondsByDomain: Readonly<Record<string, number>>;
  readonly lruMaxEntries: number;
  readonly lruMaxBytes: number;
  readonly maxEntryBytes: number;
}

/** Defaults of the `cache` section. */
export const CACHE_DEFAULTS: CacheSettings = {
  enabled: true,
  defaultTtlSeconds: 3600,
  ttlSecondsByDomain: {},
  lruMaxEntries: 1000,
  lruMaxBytes: 16 * 1024 * 1024,
  // DynamoDB items stop at 400 KB; the default leaves room and keeps the LRU
  // from being dominated by a few long answers.
  maxEntryBytes: 128 * 1024,
};

/** Resolves defaults of the `cache` section. */
export function resolveCacheSettings(
  file: CacheSettingsFile | undefined
): CacheSettings {
  return {
    enabled: file?.enabled ?? CACHE_DEFAULTS.enabled,
    defaultTtlSeconds:
      file?.defaultTtlSeconds ?? CACHE_DEFAULTS.defaultTtlSeconds,
    ttlSecondsByDomain: { ...(file?.ttlSecondsByDomain ?? {}) },
    lruMaxEntries: file?.lruMaxEntries ?? CACHE_DEFAULTS.lruMaxEntries,
    lruMaxBytes: file?.lruMaxBytes ?? CACHE_DEFAULTS.lruMaxBytes,
    maxEntryBytes: file?.maxEntryBytes ?? CACHE_DEFAULTS.maxEntryBytes,
  };
}

/** TTL of a domain's entries, seconds (0: the domain is never cached). */
export function ttlSecondsFor(settings: CacheSettings, domain: string): number {
  return settings.ttlSecondsByDomain[domain] ?? settings.defaultTtlSeconds;
}
