import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Log } from '../../../lambdas/core/ports';
import {
  ROTATION_STEPS,
  type RotationOutcome,
  SecretRotator,
} from '../../../lambdas/core/secrets/rotation';
import { SecretsManagerStore } from '../../../lambdas/core/secrets/secret-store';
import {
  type PluginSettings,
  selectPlugin,
} from '../../../lambdas/core/secrets/select-plugin';

/** A Log keeping every line (to check no secret reaches the logs). */
export function capturingLog(): Log & { readonly lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string, ...attrs: Record<string, unknown>[]) => {
      lines.push(`${level} ${message} ${JSON.stringify(attrs)}`);
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

/**
 * A rotator with the real plugins on a fresh client (aws-sdk-client-mock
 * mocks every instance of the class, so the test's FakeSecretsManager answers).
 */
export function makeRotator(
  settings: PluginSettings,
  log: Log = capturingLog()
): SecretRotator {
  return new SecretRotator({
    store: new SecretsManagerStore(
      new SecretsManagerClient({ region: 'eu-central-1' })
    ),
    pluginFor: (metadata, current) => selectPlugin(metadata, current, settings),
    log,
  });
}

/** Runs the four steps in order as Secrets Manager does (stops at the first failure). */
export async function runAllSteps(
  rotator: SecretRotator,
  secretId: string,
  token: string
): Promise<RotationOutcome[]> {
  const out: RotationOutcome[] = [];
  for (const Step of ROTATION_STEPS)
    out.push(
      await rotator.rotate({
        SecretId: secretId,
        ClientRequestToken: token,
        Step,
      })
    );
  return out;
}
