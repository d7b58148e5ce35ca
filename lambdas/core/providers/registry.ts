import type { ResolvedProvider } from '../config/load';
import type { ExternalExclusion } from '../routing/types';
import type { ModelConfig } from '../types';
import { createBedrockAdapter } from './bedrock';
import { bedrockCredentials } from './bedrock/provider-account';
import { checkGeminiOptions } from './gemini/options';
import { lazyAdapter } from './lazy-adapter';
import type { CredentialSource, ProviderAdapter } from './types';

/** Default base URL of the OpenAI-compatible family: Meta's Llama API. */
export const LLAMA_API_BASE_URL = 'https://api.llama.com/compat/v1';

/** Default per-attempt timeout when a provider sets none, ms. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 60_000;

/** Resolves the credential of a provider (env locally, Secrets Manager on AWS). */
export type CredentialResolver = (
  provider: ResolvedProvider
) => CredentialSource;

/** A credential resolver reading environment variables at call time. */
export function envCredentials(
  env: NodeJS.ProcessEnv = process.env
): CredentialResolver {
  return (p) => ({
    get: async () => (p.credentialEnv ? env[p.credentialEnv] : undefined),
  });
}

/**
 * Builds one adapter per live provider instance (Bedrock's at once, the
 * others as {@link lazyAdapter}s that import their family on first use). Providers that aren't live
 * get no adapter; their models are excluded with the reason (see
 * `unavailableProviderExclusions`).
 */
export function createAdapters(
  providers: readonly ResolvedProvider[],
  credentials: CredentialResolver,
  env: NodeJS.ProcessEnv = process.env
): Map<string, ProviderAdapter> {
  const adapters = new Map<string, ProviderAdapter>();
  for (const p of providers) {
    if (!p.live) continue;
    switch (p.type) {
      case 'bedrock': {
        const region =
          p.settings.region ??
          env.AWS_REGION ??
          env.AWS_DEFAULT_REGION ??
          'us-east-1';
        adapters.set(
          p.id,
          createBedrockAdapter({
            id: p.id,
            region,
            endpoint: p.settings.endpoint,
            timeoutMs: p.settings.timeoutMs,
            credentials: bedrockCredentials(p.id, p.settings, env),
          })
        );
        break;
      }
      // The other families load on their first call (lazy chunks of the
      // Lambda bundle); their settings are still checked here.
      case 'gemini': {
        const options = {
          id: p.id,
          mode: p.settings.mode,
          baseUrl: p.settings.baseUrl,
          credential: credentials(p),
          project: p.settings.project,
          location: p.settings.location,
          timeoutMs: p.settings.timeoutMs,
        };
        checkGeminiOptions(options);
        adapters.set(
          p.id,
          lazyAdapter(
            p.id,
            p.type,
            async () =>
              (await import('../lazy-parts.js')).createGeminiAdapter(options),
            { embeds: true }
          )
        );
        break;
      }
      case 'openai-compatible': {
        const options = {
          id: p.id,
          baseUrl: p.settings.baseUrl ?? LLAMA_API_BASE_URL,
          credential: credentials(p),
          headers: p.settings.headers,
          timeoutMs: p.settings.timeoutMs,
        };
        adapters.set(
          p.id,
          lazyAdapter(
            p.id,
            p.type,
            async () =>
              (await import('../lazy-parts.js')).createOpenAICompatibleAdapter(
                options
              ),
            { embeds: true }
          )
        );
        break;
      }
      case 'echo': {
        const options = { id: p.id, latencyMs: p.settings.latencyMs };
        adapters.set(
          p.id,
          lazyAdapter(
            p.id,
            p.type,
            async () =>
              (await import('../lazy-parts.js')).createEchoAdapter(options),
            { embeds: false }
          )
        );
        break;
      }
    }
  }
  return adapters;
}

/** Exclusions for models whose provider isn't live (no credential, disabled). */
export function unavailableProviderExclusions(
  providers: readonly ResolvedProvider[],
  models: readonly ModelConfig[]
): Map<string, ExternalExclusion> {
  const dead = new Map(providers.filter((p) => !p.live).map((p) => [p.id, p]));
  const out = new Map<string, ExternalExclusion>();
  for (const m of models) {
    const p = dead.get(m.provider);
    if (p) {
      out.set(m.id, {
        code: 'provider_unavailable',
        reason: `provider ${p.id} is not live: ${p.reason ?? 'unavailable'}`,
      });
    }
  }
  return out;
}

/** Per-attempt timeout of each provider instance. */
export function providerTimeouts(
  providers: readonly ResolvedProvider[]
): (provider: string) => number {
  const byId = new Map<string, number>();
  for (const p of providers) {
    const t = 'timeoutMs' in p.settings ? p.settings.timeoutMs : undefined;
    byId.set(p.id, t ?? DEFAULT_PROVIDER_TIMEOUT_MS);
  }
  return (id) => byId.get(id) ?? DEFAULT_PROVIDER_TIMEOUT_MS;
}
