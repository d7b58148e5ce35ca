import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RotateSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { AwsClientStub } from 'aws-sdk-client-mock';

interface Version {
  value?: string;
  readonly stages: Set<string>;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  rotationEnabled: boolean;
  readonly tags: Record<string, string>;
  /** Insertion order = creation order. */
  readonly versions: Map<string, Version>;
}

const meta = { $metadata: {} };

/**
 * An in-memory Secrets Manager behind aws-sdk-client-mock, with the label
 * rules the rotation relies on: a label sits on one version at a time,
 * moving AWSCURRENT moves AWSPREVIOUS to the version it left, a version
 * created by RotateSecret has AWSPENDING but no value until PutSecretValue,
 * UpdateSecretVersionStage insists on RemoveFromVersionId when the label is
 * attached elsewhere, and PutSecretValue is idempotent on the token.
 */
export class FakeSecretsManager {
  private readonly secrets = new Map<string, Secret>();

  /** Installs the fake's answers on a mocked client. */
  public install(mock: AwsClientStub<SecretsManagerClient>): this {
    mock.on(DescribeSecretCommand).callsFake((input) => {
      const s = this.find(input.SecretId);
      return {
        ARN: s.arn,
        Name: s.name,
        RotationEnabled: s.rotationEnabled,
        VersionIdsToStages: this.stagesOf(s.name),
        Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
      };
    });
    mock.on(GetSecretValueCommand).callsFake((input) => {
      const s = this.find(input.SecretId);
      const stage =
        input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
      const entry = [...s.versions].find(
        ([id, v]) =>
          (input.VersionId === undefined || id === input.VersionId) &&
          (stage === undefined || v.stages.has(stage))
      );
      if (!entry || entry[1].value === undefined)
        throw new ResourceNotFoundException({
          ...meta,
          message:
            "Secrets Manager can't find the specified secret value for staging label or VersionId",
        });
      return {
        ARN: s.arn,
        Name: s.name,
        VersionId: entry[0],
        SecretString: entry[1].value,
        VersionStages: [...entry[1].stages],
      };
    });
    mock.on(PutSecretValueCommand).callsFake((input) => {
      const s = this.find(input.SecretId);
      const id = input.ClientRequestToken ?? randomUUID();
      const stages = input.VersionStages ?? ['AWSCURRENT'];
      const existing = s.versions.get(id);
      if (existing?.value !== undefined) {
        if (existing.value !== input.SecretString)
          throw new ResourceExistsException({
            ...meta,
            message: `You can't modify an existing version, you can only create new versions. (version ${id})`,
          });
      } else {
        const version = existing ?? { stages: new Set<string>() };
        version.value = input.SecretString;
        s.versions.set(id, version);
      }
      for (const stage of stages) this.attach(s, stage, id);
      return { ARN: s.arn, Name: s.name, VersionId: id, VersionStages: stages };
    });
    mock.on(UpdateSecretVersionStageCommand).callsFake((input) => {
      const s = this.find(input.SecretId);
      const stage = input.VersionStage!;
      const holder = this.holder(s, stage);
      if (
        input.RemoveFromVersionId !== undefined &&
        holder !== input.RemoveFromVersionId
      )
        throw new InvalidParameterException({
          ...meta,
          message: `The staging label ${stage} is not attached to version ${input.RemoveFromVersionId}`,
        });
      if (input.MoveToVersionId !== undefined) {
        if (
          holder !== undefined &&
          holder !== input.MoveToVersionId &&
          input.RemoveFromVersionId === undefined
        )
          throw new InvalidParameterException({
            ...meta,
            message: `The staging label ${stage} is currently attached to version ${holder}; specify RemoveFromVersionId`,
          });
        if (!s.versions.has(input.MoveToVersionId))
          throw new ResourceNotFoundException({
            ...meta,
            message: `no version ${input.MoveToVersionId}`,
          });
        this.attach(s, stage, input.MoveToVersionId);
      } else if (holder !== undefined) {
        s.versions.get(holder)!.stages.delete(stage);
      }
      return { ARN: s.arn, Name: s.name };
    });
    mock.on(RotateSecretCommand).callsFake((input) => {
      const s = this.find(input.SecretId);
      const pending = this.holder(s, 'AWSPENDING');
      if (pending !== undefined && pending !== this.holder(s, 'AWSCURRENT'))
        throw new InvalidRequestException({
          ...meta,
          message:
            "A previous rotation isn't complete. That rotation will be reattempted.",
        });
      s.rotationEnabled = true;
      const id = input.ClientRequestToken ?? randomUUID();
      s.versions.set(id, { stages: new Set() });
      this.attach(s, 'AWSPENDING', id);
      return { ARN: s.arn, Name: s.name, VersionId: id };
    });
    return this;
  }

  /** Creates a secret whose first version is AWSCURRENT; returns its ARN. */
  public addSecret(options: {
    name: string;
    value: string;
    tags?: Record<string, string>;
    rotationEnabled?: boolean;
  }): string {
    const arn = `arn:aws:secretsmanager:eu-central-1:111122223333:secret:${options.name}-AbCdEf`;
    const secret: Secret = {
      name: options.name,
      arn,
      rotationEnabled: options.rotationEnabled ?? true,
      tags: options.tags ?? {},
      versions: new Map(),
    };
    secret.versions.set(randomUUID(), {
      value: options.value,
      stages: new Set(['AWSCURRENT']),
    });
    this.secrets.set(options.name, secret);
    return arn;
  }

  /** What RotateSecret does before invoking the function: a new AWSPENDING version, no value. */
  public startRotation(secretId: string, token: string = randomUUID()): string {
    const s = this.find(secretId);
    s.versions.set(token, { stages: new Set() });
    this.attach(s, 'AWSPENDING', token);
    return token;
  }

  /** Puts a value with labels, as an operator would. Returns the version id. */
  public putValue(secretId: string, value: string, stages: string[]): string {
    const s = this.find(secretId);
    const id = randomUUID();
    s.versions.set(id, { value, stages: new Set() });
    for (const stage of stages) this.attach(s, stage, id);
    return id;
  }

  /** Version id -> labels (versions without labels omitted, as DescribeSecret does). */
  public stagesOf(secretId: string): Record<string, string[]> {
    const s = this.find(secretId);
    return Object.fromEntries(
      [...s.versions]
        .filter(([, v]) => v.stages.size > 0)
        .map(([id, v]) => [id, [...v.stages].sort()])
    );
  }

  /** The value of the version carrying `stage`. */
  public valueAt(secretId: string, stage: string): string | undefined {
    const s = this.find(secretId);
    return [...s.versions.values()].find((v) => v.stages.has(stage))?.value;
  }

  /** The version id carrying `stage`. */
  public versionAt(secretId: string, stage: string): string | undefined {
    return this.holder(this.find(secretId), stage);
  }

  private find(secretId: string | undefined): Secret {
    const s = [...this.secrets.values()].find(
      (x) => x.name === secretId || x.arn === secretId
    );
    if (!s)
      throw new ResourceNotFoundException({
        ...meta,
        message: "Secrets Manager can't find the specified secret.",
      });
    return s;
  }

  private holder(s: Secret, stage: string): string | undefined {
    return [...s.versions].find(([, v]) => v.stages.has(stage))?.[0];
  }

  private attach(s: Secret, stage: string, id: string): void {
    const from = this.holder(s, stage);
    if (from === id) return;
    if (from !== undefined) s.versions.get(from)!.stages.delete(stage);
    s.versions.get(id)!.stages.add(stage);
    if (stage === 'AWSCURRENT' && from !== undefined)
      this.attach(s, 'AWSPREVIOUS', from);
  }
}
