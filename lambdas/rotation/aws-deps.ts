import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { googleEndpoints } from '../core/secrets/google-auth';
import { SecretRotator } from '../core/secrets/rotation';
import { SecretsManagerStore } from '../core/secrets/secret-store';
import {
  type PluginSettings,
  selectPlugin,
} from '../core/secrets/select-plugin';

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(
      `${name} must be a whole number >= 0, got ${JSON.stringify(raw)}`
    );
  return n;
}

/** Plugin settings from the environment (Google endpoint overrides, key test retries). */
export function pluginSettingsFromEnv(env: NodeJS.ProcessEnv): PluginSettings {
  return {
    google: googleEndpoints(env),
    googleTestAttempts: positiveInt(env, 'GOOGLE_KEY_TEST_ATTEMPTS'),
    googleTestRetryDelayMs: positiveInt(env, 'GOOGLE_KEY_TEST_DELAY_MS'),
  };
}

/** What the rotation handler runs on. */
export interface RotationApp {
  readonly rotator: SecretRotator;
  readonly log: Logger;
}

/**
 * Builds the rotator once per container: one Secrets Manager client, a
 * Powertools logger, the plugins configured from the environment.
 */
export function composeRotation(
  env: NodeJS.ProcessEnv,
  client: SecretsManagerClient = new SecretsManagerClient({})
): RotationApp {
  const log = new Logger({
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'ai-gateway-rotation',
  });
  const settings = pluginSettingsFromEnv(env);
  const rotator = new SecretRotator({
    store: new SecretsManagerStore(client),
    pluginFor: (metadata, current) => selectPlugin(metadata, current, settings),
    log,
  });
  return { rotator, log };
}
