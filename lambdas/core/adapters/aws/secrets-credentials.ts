import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { ResolvedProvider } from '../../config/load';
import type { CredentialResolver } from '../../providers/registry';
import type { CredentialSource } from '../../providers/types';
import type { fetchServiceAccountToken } from '../../secrets/google-auth';
import { parseServiceAccountKey } from '../../secrets/secret-value';

/** How long a secret value is cached in the container, seconds. */
export const SECRET_MAX_AGE_S = 300;

/**
 * The Secrets Manager ARN holding a provider instance's credential:
 * `PROVIDER_SECRET_ARN_<ID>` (id upper-cased, `-` -> `_`), else the
 * family-wide `GOOGLE_SECRET_ARN` (gemini) / `LLAMA_SECRET_ARN`
 * (openai-compatible) the infrastructure sets.
 */
export function secretArnFor(
  providerId: string,
  type: ResolvedProvider['type'] | undefined,
  env: NodeJS.ProcessEnv
): string | undefined {
  const specific =
    env[`PROVIDER_SECRET_ARN_${providerId.toUpperCase().replace(/-/g, '_')}`];
  if (specific) return specific;
  if (type === 'gemini' || providerId === 'gemini')
    return env.GOOGLE_SECRET_ARN || undefined;
  if (
    type === 'openai-compatible' ||
    providerId === 'openai-compatible' ||
    providerId === 'llama'
  )
    return env.LLAMA_SECRET_ARN || undefined;
  return undefined;
}

/**
 * The credential inside a secret value: the `apiKey` (or `accessToken`)
 * field of a JSON object, or the whole string when it isn't JSON.
 */
export function credentialFromSecret(
  value: string | Uint8Array | undefined
): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = (
    typeof value === 'string' ? value : Buffer.from(value).toString('utf8')
  ).trim();
  if (!trimmed.startsWith('{')) return trimmed || undefined;
  try {
    const parsed = JSON.parse(trimmed) as {
      apiKey?: unknown;
      accessToken?: unknown;
    };
    if (typeof parsed.apiKey === 'string') return parsed.apiKey;
    if (typeof parsed.accessToken === 'string') return parsed.accessToken;
  } catch {
    // Not JSON after all: fall through.
  }
  return undefined;
}

/**
 * Credential sources backed by Secrets Manager through Powertools
 * Parameters (cached SECRET_MAX_AGE_S per container). `refresh` forces a
 * re-read: adapters call it once after a 401, so a rotated key is picked up
 * without a cold start. Providers without a secret fall back to their env var.
 */
export function secretsCredentials(
  env: NodeJS.ProcessEnv,
  provider: SecretsProvider = new SecretsProvider(),
  // The Google token exchange is a lazy chunk: only Vertex AI keys need it.
  mintToken: typeof fetchServiceAccountToken = async (key, options) =>
    (await import('../../lazy-parts.js')).fetchServiceAccountToken(key, options)
): CredentialResolver {
  return (p): CredentialSource => {
    const arn = secretArnFor(p.id, p.type, env);
    if (!arn)
      return {
        get: async () => (p.credentialEnv ? env[p.credentialEnv] : undefined),
      };
    // A Google service-account key (Vertex AI mode) is exchanged for an OAuth
    // access token, cached until a minute before it expires.
    let token: { value: string; until: number } | undefined;
    const resolve = async (
      forceFetch: boolean
    ): Promise<string | undefined> => {
      const raw = await provider.get(arn, {
        maxAge: SECRET_MAX_AGE_S,
        forceFetch,
      });
      const text =
        raw === undefined
          ? undefined
          : typeof raw === 'string'
            ? raw
            : Buffer.from(raw).toString('utf8');
      const key = text === undefined ? undefined : parseServiceAccountKey(text);
      if (!key) return credentialFromSecret(text);
      if (!forceFetch && token && token.until > Date.now()) return token.value;
      const minted = await mintToken(key);
      token = {
        value: minted.accessToken,
        until: Date.now() + Math.max(0, minted.expiresIn - 60) * 1000,
      };
      return token.value;
    };
    return { get: () => resolve(false), refresh: () => resolve(true) };
  };
}
