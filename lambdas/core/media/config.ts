import * as z from 'zod/mini';

const posInt = z.int().check(z.gt(0));

/**
 * `media` section of the gateway config file: remote image fetching.
 * Default: no host allowed, so http(s) image URLs are refused with a 400
 * and only data URLs work.
 */
export const mediaSettingsSchema = z.strictObject({
  /**
   * Hosts the gateway may fetch `image_url` http(s) URLs from: exact names
   * (`images.example.com`) or `*.example.com` for subdomains. @default []
   */
  allowedHosts: z.optional(
    z.array(
      z
        .string()
        .check(
          z.regex(
            /^(\*\.)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/,
            'must be a lower-case host name, optionally starting with *.'
          )
        )
    )
  ),
  /** Largest fetched image, bytes. @default 20 MiB */
  maxRemoteBytes: z.optional(
    z.int().check(z.gt(0), z.lte(20 * 1024 * 1024, 'must be at most 20 MiB'))
  ),
  /** Whole-fetch time limit (connect, redirects, body), ms. @default 5000 */
  fetchTimeoutMs: z.optional(posInt.check(z.lte(30_000))),
  /** Redirects followed (each re-checked against the allowlist and the address guard). @default 3 */
  maxRedirects: z.optional(z.int().check(z.gte(0), z.lte(10))),
  /** Remote images per request. @default 8 */
  maxRemoteImages: z.optional(posInt.check(z.lte(50))),
});

/** The `media` section as written. */
export type MediaSettingsFile = z.infer<typeof mediaSettingsSchema>;

/** The `media` section after defaults. */
export interface MediaSettings {
  readonly allowedHosts: readonly string[];
  readonly maxRemoteBytes: number;
  readonly fetchTimeoutMs: number;
  readonly maxRedirects: number;
  readonly maxRemoteImages: number;
}

/** Applies the defaults of the `media` section. */
export function resolveMediaSettings(
  file: MediaSettingsFile | undefined
): MediaSettings {
  return {
    allowedHosts: file?.allowedHosts ?? [],
    maxRemoteBytes: file?.maxRemoteBytes ?? 20 * 1024 * 1024,
    fetchTimeoutMs: file?.fetchTimeoutMs ?? 5000,
    maxRedirects: file?.maxRedirects ?? 3,
    maxRemoteImages: file?.maxRemoteImages ?? 8,
  };
}
