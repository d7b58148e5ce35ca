import {
  InvalidRequestException,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { RotationError } from '../../lambdas/core/secrets/errors';
import {
  normaliseStagedValue,
  STAGED_STAGE,
} from '../../lambdas/core/secrets/secret-value';

/** Options of {@link stageSecret}. */
export interface StageSecretOptions {
  /** Secret name or ARN, e.g. `ai-gateway/prod/llama`. */
  readonly secretId: string;
  /** The new key: bare, or `{"apiKey": "...", "baseUrl"?: "..."}`. */
  readonly value: string;
  /** Secrets Manager client. @default - a new client (default region and credentials) */
  readonly client?: SecretsManagerClient;
  /**
   * Start the rotation right away (RotateSecret, RotateImmediately).
   * @default true
   */
  readonly rotate?: boolean;
}

/** What {@link stageSecret} did. */
export interface StageSecretResult {
  /** Version id of the staged value (label AWSSTAGED). */
  readonly versionId: string;
  /**
   * `started`: a new rotation runs; `reattempted`: Secrets Manager refused a
   * new one because an earlier rotation is unfinished and retries that one
   * instead (its createSecret reads the staged value, unless it already got
   * past createSecret: see docs/runbooks/key-rotation.md); `not-requested`:
   * `rotate: false`.
   */
  readonly rotation: 'started' | 'reattempted' | 'not-requested';
  /** Version id the started rotation builds (its ClientRequestToken). */
  readonly rotationVersionId?: string;
}

/**
 * `ops secrets stage`: puts a new provider API key as a version labelled
 * AWSSTAGED (not AWSCURRENT: routers keep the current key), then starts a
 * rotation, whose createSecret promotes the staged value, testSecret tries
 * it against the provider, and finishSecret makes it current. A bare key is
 * stored as `{"apiKey": key}`. The value is never logged nor put in errors.
 */
export async function stageSecret(
  options: StageSecretOptions
): Promise<StageSecretResult> {
  const client = options.client ?? new SecretsManagerClient({});
  const value = normaliseStagedValue(options.value);
  const put = await client.send(
    new PutSecretValueCommand({
      SecretId: options.secretId,
      SecretString: value,
      VersionStages: [STAGED_STAGE],
    })
  );
  if (!put.VersionId)
    throw new RotationError(
      `secret ${options.secretId}: PutSecretValue returned no version id`
    );
  if (options.rotate === false)
    return { versionId: put.VersionId, rotation: 'not-requested' };
  try {
    const rotation = await client.send(
      new RotateSecretCommand({
        SecretId: options.secretId,
        RotateImmediately: true,
      })
    );
    return {
      versionId: put.VersionId,
      rotation: 'started',
      ...(rotation.VersionId ? { rotationVersionId: rotation.VersionId } : {}),
    };
  } catch (err) {
    if (
      err instanceof InvalidRequestException &&
      /previous rotation isn.t complete/i.test(err.message)
    )
      return { versionId: put.VersionId, rotation: 'reattempted' };
    throw err;
  }
}
