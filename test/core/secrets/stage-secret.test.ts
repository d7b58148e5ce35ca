import {
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { stageSecret } from '../../../scripts/ops/secrets';
import { FakeSecretsManager } from './fake-secrets-manager';

const NAME = 'ai-gateway/prod/llama';

describe('Function: stageSecret', () => {
  const sm = mockClient(SecretsManagerClient);
  let fake: FakeSecretsManager;
  const client = new SecretsManagerClient({ region: 'eu-central-1' });

  afterAll(() => sm.restore());
  beforeEach(() => {
    sm.reset();
    fake = new FakeSecretsManager().install(sm);
    fake.addSecret({
      name: NAME,
      value: '{"apiKey":"old"}',
      tags: { 'ai-gateway:provider': 'llama' },
    });
  });

  it('stages the key as AWSSTAGED, leaves AWSCURRENT alone and starts a rotation', async () => {
    // Prepare
    const current = fake.versionAt(NAME, 'AWSCURRENT');

    // Act
    const result = await stageSecret({
      secretId: NAME,
      value: 'sk-new',
      client,
    });

    // Assess
    expect(sm).toHaveReceivedCommandWith(PutSecretValueCommand, {
      SecretId: NAME,
      SecretString: '{"apiKey":"sk-new"}',
      VersionStages: ['AWSSTAGED'],
    });
    expect(sm).toHaveReceivedCommandWith(RotateSecretCommand, {
      SecretId: NAME,
      RotateImmediately: true,
    });
    expect(result).toEqual({
      versionId: fake.versionAt(NAME, 'AWSSTAGED'),
      rotation: 'started',
      rotationVersionId: fake.versionAt(NAME, 'AWSPENDING'),
    });
    expect(fake.versionAt(NAME, 'AWSCURRENT')).toBe(current);
    expect(fake.valueAt(NAME, 'AWSCURRENT')).toBe('{"apiKey":"old"}');
  });

  it('only stages with rotate: false', async () => {
    // Act
    const result = await stageSecret({
      secretId: NAME,
      value: '{"apiKey":"sk-new","baseUrl":"https://api.llama.com/compat/v1"}',
      client,
      rotate: false,
    });

    // Assess
    expect(result).toEqual({
      versionId: fake.versionAt(NAME, 'AWSSTAGED'),
      rotation: 'not-requested',
    });
    expect(sm).not.toHaveReceivedCommand(RotateSecretCommand);
  });

  it('reports a reattempted rotation when an earlier one is unfinished', async () => {
    // Prepare: a rotation whose createSecret failed (nothing was staged then).
    const unfinished = fake.startRotation(NAME);

    // Act
    const result = await stageSecret({
      secretId: NAME,
      value: 'sk-new',
      client,
    });

    // Assess
    expect(result).toEqual({
      versionId: fake.versionAt(NAME, 'AWSSTAGED'),
      rotation: 'reattempted',
    });
    expect(fake.versionAt(NAME, 'AWSPENDING')).toBe(unfinished);
  });

  it('refuses a value without a key before calling AWS, without echoing it', async () => {
    // Act
    const run = stageSecret({
      secretId: NAME,
      value: '{"token":"sk-leak"}',
      client,
    });

    // Assess
    await expect(run).rejects.toThrow(
      'staged value: a JSON value needs a non-empty string field "apiKey"'
    );
    await run.catch((err: Error) =>
      expect(err.message).not.toContain('sk-leak')
    );
    expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
  });
});
