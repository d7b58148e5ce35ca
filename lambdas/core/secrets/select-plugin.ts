import { LLAMA_API_BASE_URL } from '../providers/registry';
import { ApiKeyPlugin } from './api-key-plugin';
import { RotationConfigError } from './errors';
import type { GoogleEndpoints } from './google-auth';
import { GoogleServiceAccountPlugin } from './google-service-account-plugin';
import type { RotationPlugin } from './plugin';
import type { SecretMetadata } from './secret-store';
import { PROVIDER_TAG, parseServiceAccountKey } from './secret-value';

/** Settings the plugins share (from the environment in the Lambda). */
export interface PluginSettings {
  readonly google: GoogleEndpoints;
  /** Passed to GoogleServiceAccountPlugin. @default 6 */
  readonly googleTestAttempts?: number;
  /** Passed to GoogleServiceAccountPlugin. @default 5000 */
  readonly googleTestRetryDelayMs?: number;
}

/**
 * Picks the plugin from the secret's `ai-gateway:provider` tag and, for
 * Google, from the current value:
 *
 * | tag | current value | plugin |
 * |---|---|---|
 * | `google` | service-account key file | GoogleServiceAccountPlugin |
 * | `google` | `{"apiKey"}` or a bare key | ApiKeyPlugin (gemini; default base generativelanguage) |
 * | `llama` | API key | ApiKeyPlugin (openai; default base the Llama API) |
 * | `openai-compatible/<id>` (or `openai-compatible`) | API key | ApiKeyPlugin (openai; `baseUrl` required in the value) |
 */
export function selectPlugin(
  metadata: SecretMetadata,
  currentValue: string,
  settings: PluginSettings
): RotationPlugin {
  const provider = metadata.tags[PROVIDER_TAG];
  if (provider === 'google') {
    if (parseServiceAccountKey(currentValue))
      return new GoogleServiceAccountPlugin({
        endpoints: settings.google,
        testAttempts: settings.googleTestAttempts,
        testRetryDelayMs: settings.googleTestRetryDelayMs,
      });
    return new ApiKeyPlugin({
      flavour: 'gemini',
      defaultBaseUrl: settings.google.geminiBaseUrl,
    });
  }
  if (provider === 'llama')
    return new ApiKeyPlugin({
      flavour: 'openai',
      defaultBaseUrl: LLAMA_API_BASE_URL,
    });
  if (
    provider === 'openai-compatible' ||
    provider?.startsWith('openai-compatible/')
  )
    return new ApiKeyPlugin({ flavour: 'openai' });
  throw new RotationConfigError(
    provider === undefined
      ? `secret ${metadata.name} has no ${PROVIDER_TAG} tag; expected google, llama or openai-compatible/<id>`
      : `secret ${metadata.name}: unknown ${PROVIDER_TAG} tag ${JSON.stringify(provider)}; expected google, llama or openai-compatible/<id>`
  );
}
