import {
  DescribeSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ROTATION_STEPS } from '../../../lambdas/core/secrets/rotation';
import { handler } from '../../../lambdas/rotation/handler';
import { stageSecret } from '../../../scripts/ops/secrets';
import { FakeSecretsManager } from '../../core/secrets/fake-secrets-manager';
import {
  type FakeGoogleServer,
  startFakeGoogle,
} from '../../helpers/fakes/google-fake';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../helpers/fakes/openai-fake';

const SA = 'gateway@fake-project.iam.gserviceaccount.com';

/**
 * Runs `fn`, keeping what the Lambda writes to stdout/stderr (Powertools
 * Logger) and what `fn` threw.
 */
async function captureOutput(
  fn: () => Promise<unknown>
): Promise<{ output: string; error: unknown }> {
  const chunks: string[] = [];
  let error: unknown;
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest
      .spyOn(stream, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        chunks.push(String(chunk));
        return true;
      })
  );
  try {
    await fn();
  } catch (err) {
    error = err;
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return { output: chunks.join(''), error };
}

describe('Function: handler (rotation)', () => {
  const sm = mockClient(SecretsManagerClient);
  const saved = { ...process.env };
  let google: FakeGoogleServer;
  let llama: FakeOpenAIServer;
  let fake: FakeSecretsManager;

  beforeAll(async () => {
    google = await startFakeGoogle();
    llama = await startFakeOpenAI({ apiKey: 'llama-new-0001' });
    // The handler builds its dependencies on the first call, from these.
    Object.assign(process.env, {
      AWS_REGION: 'eu-central-1',
      // Anything not mocked would fail fast on loopback, never reach AWS.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
      GOOGLE_IAM_BASE_URL: google.iamBaseUrl,
      GOOGLE_KEY_TEST_DELAY_MS: '0',
      POWERTOOLS_SERVICE_NAME: 'ai-gateway-rotation',
    });
  });
  afterAll(async () => {
    process.env = saved;
    sm.restore();
    await google.close();
    await llama.close();
  });
  beforeEach(() => {
    sm.reset();
    fake = new FakeSecretsManager().install(sm);
  });

  const runSteps = async (secretId: string, token: string): Promise<void> => {
    for (const Step of ROTATION_STEPS)
      await handler({ SecretId: secretId, ClientRequestToken: token, Step });
  };

  it('rotates a service-account key end to end with the endpoints from the environment', async () => {
    // Prepare
    const first = await google.issueKey(SA);
    const arn = fake.addSecret({
      name: 'ai-gateway/dev/google',
      value: JSON.stringify({
        ...first,
        token_uri: 'https://oauth2.googleapis.com/token',
      }),
      tags: { 'ai-gateway:provider': 'google' },
    });
    const token = fake.startRotation(arn);

    // Act
    const { output: logs, error } = await captureOutput(() =>
      runSteps(arn, token)
    );

    // Assess
    expect(error).toBeUndefined();
    const current = JSON.parse(fake.valueAt(arn, 'AWSCURRENT')!);
    expect(current.private_key_id).not.toBe(first.private_key_id);
    expect(google.keyIds(SA)).toEqual([current.private_key_id]);
    expect(google.tokensIssuedWith(current.private_key_id)).toBeGreaterThan(0);
    expect(logs).toContain('"message":"rotation step"');
    expect(logs).toContain('"step":"finishSecret"');
    expect(logs).not.toContain('PRIVATE KEY');
  });

  it('promotes a key staged with stageSecret, driven by the rotation it started', async () => {
    // Prepare
    const name = 'ai-gateway/dev/llama';
    fake.addSecret({
      name,
      value: JSON.stringify({ apiKey: 'llama-old-0000', baseUrl: llama.url }),
      tags: { 'ai-gateway:provider': 'llama' },
    });
    const staged = await stageSecret({
      secretId: name,
      value: 'llama-new-0001',
      client: new SecretsManagerClient({ region: 'eu-central-1' }),
    });

    // Act
    const { error } = await captureOutput(() =>
      runSteps(name, staged.rotationVersionId!)
    );

    // Assess
    expect(error).toBeUndefined();
    expect(JSON.parse(fake.valueAt(name, 'AWSCURRENT')!)).toEqual({
      apiKey: 'llama-new-0001',
      baseUrl: llama.url,
    });
    expect(fake.versionAt(name, 'AWSSTAGED')).toBeUndefined();
  });

  it('fails a refused key with a logged, value-free error', async () => {
    // Prepare
    const name = 'ai-gateway/dev/llama';
    fake.addSecret({
      name,
      value: JSON.stringify({ apiKey: 'llama-old-0000', baseUrl: llama.url }),
      tags: { 'ai-gateway:provider': 'llama' },
    });
    fake.putValue(name, '{"apiKey":"llama-typo-9999"}', ['AWSSTAGED']);
    const token = fake.startRotation(name);

    // Act
    const { output: logs, error } = await captureOutput(() =>
      runSteps(name, token)
    );

    // Assess
    expect((error as Error).name).toBe('RotationTestError');
    expect(logs).toContain('"message":"rotation step failed"');
    expect(logs).toContain('"step":"testSecret"');
    expect(logs).not.toMatch(/llama-(old|typo)/);
    expect(JSON.parse(fake.valueAt(name, 'AWSCURRENT')!).apiKey).toBe(
      'llama-old-0000'
    );
  });

  it('rejects a malformed event before touching Secrets Manager', async () => {
    // Act
    const { error } = await captureOutput(() =>
      handler({ SecretId: 'x', ClientRequestToken: 't', Step: 'rotate' })
    );

    // Assess
    expect((error as Error).message).toMatch(
      /Step must be one of createSecret, setSecret, testSecret, finishSecret, got "rotate"/
    );
    expect(sm).not.toHaveReceivedCommand(DescribeSecretCommand);
  });
});
