import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { RotationStateError } from './errors';

/** What the rotation needs to know about a secret (no values). */
export interface SecretMetadata {
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  /** Version id -> staging labels. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** One version's value. */
export interface SecretVersion {
  readonly versionId: string;
  readonly value: string;
}

/** Which version to read: by id, by label, or both (must agree). */
export interface VersionSelector {
  readonly versionId?: string;
  readonly stage?: string;
}

/**
 * The Secrets Manager calls of a rotation, on one client (habit 10: tests
 * pass a mocked one). Reads return undefined for a missing version instead
 * of throwing, because "not there yet" is a normal answer in the protocol.
 */
export class SecretsManagerStore {
  public constructor(
    private readonly client: SecretsManagerClient = new SecretsManagerClient({})
  ) {}

  /** DescribeSecret: rotation flag, version labels and tags. */
  public async describe(secretId: string): Promise<SecretMetadata> {
    const out = await this.client.send(
      new DescribeSecretCommand({ SecretId: secretId })
    );
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      rotationEnabled: out.RotationEnabled === true,
      versions: out.VersionIdsToStages ?? {},
      tags: Object.fromEntries(
        (out.Tags ?? [])
          .filter((t) => t.Key !== undefined)
          .map((t) => [t.Key!, t.Value ?? ''])
      ),
    };
  }

  /** GetSecretValue; undefined when no such version (or label) has a value. */
  public async read(
    secretId: string,
    selector: VersionSelector
  ): Promise<SecretVersion | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          VersionId: selector.versionId,
          VersionStage: selector.stage,
        })
      );
      const value =
        out.SecretString ??
        (out.SecretBinary
          ? Buffer.from(out.SecretBinary).toString('utf8')
          : undefined);
      if (value === undefined || out.VersionId === undefined) return undefined;
      return { versionId: out.VersionId, value };
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }

  /** Like read, but a missing version is a RotationStateError naming `what`. */
  public async require(
    secretId: string,
    selector: VersionSelector,
    what: string
  ): Promise<SecretVersion> {
    const version = await this.read(secretId, selector);
    if (!version)
      throw new RotationStateError(`secret ${secretId} has no ${what} value`);
    return version;
  }

  /** PutSecretValue as version `token` with the given labels. */
  public async put(
    secretId: string,
    token: string,
    value: string,
    stages: readonly string[]
  ): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: [...stages],
      })
    );
  }

  /**
   * UpdateSecretVersionStage: moves `stage` to `to` (from `from`), or only
   * removes it from `from` when `to` is undefined.
   */
  public async moveStage(
    secretId: string,
    stage: string,
    to: string | undefined,
    from: string | undefined
  ): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        MoveToVersionId: to,
        RemoveFromVersionId: from,
      })
    );
  }
}

/** The version id carrying `stage`, if any. */
export function versionWithStage(
  meta: SecretMetadata,
  stage: string
): string | undefined {
  return Object.entries(meta.versions).find(([, stages]) =>
    stages.includes(stage)
  )?.[0];
}
