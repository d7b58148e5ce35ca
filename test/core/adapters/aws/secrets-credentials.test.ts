import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  credentialFromSecret,
  secretArnFor,
  secretsCredentials,
} from '../../../../lambdas/core/adapters/aws/secrets-credentials';
import type { ResolvedProvider } from '../../../../lambdas/core/config/load';
import { createOpenAICompatibleAdapter } from '../../../../lambdas/core/providers/openai-compatible';
import type { ChatRequest, ModelConfig } from '../../../../lambdas/core/types';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../../helpers/fakes/openai-fake';

const ARN =
  'arn:aws:secretsmanager:eu-central-1:111122223333:secret:ai-gateway/dev/llama-AbCdEf';

const provider = {
  id: 'llama',
  type: 'openai-compatible',
  settings: {},
  live: true,
} as ResolvedProvider;
const model: ModelConfig = {
  id: 'm',
  provider: 'llama',
  providerType: 'openai-compatible',
  providerModelId: 'm',
  aliases: [],
  region: 'global',
  capabilities: ['streaming'],
  contextWindow: 1000,
  maxOutputTokens: 100,
  pricing: { inputPer1M: 0, outputPer1M: 0 },
  domains: [],
  quality: 0.5,
  expectedLatencyMs: 1,
  status: 'active',
};
const request: ChatRequest = {
  model: 'm',
  messages: [{ role: 'user', content: 'hi' }],
  stream: false,
  includeUsage: false,
  routing: {},
};

describe('Function: secretsCredentials', () => {
  const sm = mockClient(SecretsManagerClient);
  let fake: FakeOpenAIServer;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'new-key' });
  });
  afterAll(async () => {
    sm.restore();
    await fake.close();
  });
  beforeEach(() => sm.reset());

  it('finds the secret per provider id, then per family', () => {
    expect(
      secretArnFor('vllm-eu', 'openai-compatible', {
        PROVIDER_SECRET_ARN_VLLM_EU: 'a',
      })
    ).toBe('a');
    expect(secretArnFor('gemini', 'gemini', { GOOGLE_SECRET_ARN: 'g' })).toBe(
      'g'
    );
    expect(
      secretArnFor('llama', 'openai-compatible', { LLAMA_SECRET_ARN: 'l' })
    ).toBe('l');
    expect(
      secretArnFor('bedrock', 'bedrock', { LLAMA_SECRET_ARN: 'l' })
    ).toBeUndefined();
  });

  it('reads the apiKey field, or the whole string', () => {
    expect(credentialFromSecret('{"apiKey":"k1","baseUrl":"x"}')).toBe('k1');
    expect(credentialFromSecret('  plain-key \n')).toBe('plain-key');
    expect(credentialFromSecret('{"other":1}')).toBeUndefined();
    expect(credentialFromSecret(new TextEncoder().encode('bytes-key'))).toBe(
      'bytes-key'
    );
  });

  it('caches the secret, and after a 401 re-reads it once and succeeds with the rotated key', async () => {
    // Prepare: the cached value is the old key; Secrets Manager now holds the new one
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"apiKey":"old-key"}' })
      .resolves({ SecretString: '{"apiKey":"new-key"}' });
    const credential = secretsCredentials({ PROVIDER_SECRET_ARN_LLAMA: ARN })(
      provider
    );
    const adapter = createOpenAICompatibleAdapter({
      id: 'llama',
      baseUrl: fake.url,
      credential,
    });
    // Act
    const result = await adapter.chat(request, model, {
      signal: new AbortController().signal,
      requestId: 'r',
    });
    const again = await adapter.chat(request, model, {
      signal: new AbortController().signal,
      requestId: 'r',
    });
    // Assess
    expect(result.content).toBe('echo: hi');
    expect(again.content).toBe('echo: hi');
    // one initial read + one forced re-read; the second call used the cache
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(sm.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual(
      expect.objectContaining({ SecretId: ARN })
    );
  });

  it('exchanges a Google service-account key for an access token, cached until it nearly expires', async () => {
    // Prepare
    const keyFile = {
      type: 'service_account',
      private_key_id: 'kid-1',
      private_key:
        '-----BEGIN PRIVATE KEY-----\nnot-used-by-the-stub\n-----END PRIVATE KEY-----\n',
      client_email: 'gateway@project.iam.gserviceaccount.com',
    };
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify(keyFile),
    });
    const minted: string[] = [];
    const mint = async (key: { private_key_id: string }) => {
      minted.push(key.private_key_id);
      return { accessToken: `ya29.token-${minted.length}`, expiresIn: 3600 };
    };
    const credential = secretsCredentials(
      { GOOGLE_SECRET_ARN: ARN },
      undefined,
      mint as never
    )({
      ...provider,
      id: 'gemini',
      type: 'gemini',
    } as ResolvedProvider);
    // Act
    const first = await credential.get();
    const cached = await credential.get();
    const refreshed = await credential.refresh!();
    // Assess
    expect(first).toBe('ya29.token-1');
    expect(cached).toBe('ya29.token-1');
    expect(refreshed).toBe('ya29.token-2');
    expect(minted).toEqual(['kid-1', 'kid-1']);
  });

  it('mints with the lazily loaded Google token exchange by default', async () => {
    // Prepare: a key the exchange refuses before any network call
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        type: 'service_account',
        private_key_id: 'kid-lazy',
        private_key:
          '-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n',
        client_email: 'gateway@project.iam.gserviceaccount.com',
      }),
    });
    const credential = secretsCredentials({ GOOGLE_SECRET_ARN: ARN })({
      ...provider,
      id: 'gemini',
      type: 'gemini',
    } as ResolvedProvider);

    // Act
    const got = credential.get();

    // Assess: the error comes from secrets/google-auth, imported on demand
    await expect(got).rejects.toThrow(
      /service-account key kid-lazy of gateway@project.iam.gserviceaccount.com: private_key is not a PKCS#8 RSA key/
    );
  });

  it('falls back to the env var when no secret is wired (e.g. an unauthenticated vLLM)', async () => {
    const credential = secretsCredentials({ MY_KEY: 'from-env' })({
      ...provider,
      credentialEnv: 'MY_KEY',
    } as ResolvedProvider);
    expect(await credential.get()).toBe('from-env');
    expect(sm.calls()).toHaveLength(0);
  });
});
