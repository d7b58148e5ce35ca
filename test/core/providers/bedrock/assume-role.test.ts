import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveConfig } from '../../../../lambdas/core/config/load';
import { createBedrockAdapter } from '../../../../lambdas/core/providers/bedrock/adapter';
import { assumeRoleCredentials } from '../../../../lambdas/core/providers/bedrock/assume-role';
import { bedrockCredentials } from '../../../../lambdas/core/providers/bedrock/provider-account';
import { ProviderAuthError } from '../../../../lambdas/core/providers/errors';
import {
  type FakeBedrockServer,
  startFakeBedrock,
} from '../../../helpers/fakes/bedrock-fake';
import { bedrockModel, chatRequest } from './fixtures';

const ROLE = 'arn:aws:iam::210987654321:role/ai-gateway-bedrock';
const HOUR = 3_600_000;

const sts = mockClient(STSClient);

/** An AssumeRole answer whose session ends `ms` after `from`. */
function session(n: number, from: number, ms = HOUR) {
  return {
    Credentials: {
      AccessKeyId: `ASIAASSUMED${n}`,
      SecretAccessKey: `secret-${n}`,
      SessionToken: `token-${n}`,
      Expiration: new Date(from + ms),
    },
  };
}

describe('Function: assumeRoleCredentials', () => {
  beforeEach(() => sts.reset());

  it('assumes the role once with the external id and session name, then serves the cached session', async () => {
    // Prepare
    const clock = { now: 0 };
    sts.on(AssumeRoleCommand).resolves(session(1, 0));
    const provider = assumeRoleCredentials({
      providerId: 'bedrock-prod',
      roleArn: ROLE,
      externalId: 'ext-123',
      sts: new STSClient({ region: 'eu-central-1' }),
      now: () => clock.now,
    });

    // Act
    const first = await provider();
    clock.now = HOUR - 300_001;
    const second = await provider();

    // Assess
    expect(first).toMatchObject({
      accessKeyId: 'ASIAASSUMED1',
      sessionToken: 'token-1',
    });
    expect(second).toBe(first);
    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      RoleArn: ROLE,
      ExternalId: 'ext-123',
      RoleSessionName: 'ai-gateway-bedrock-prod',
      DurationSeconds: 3600,
    });
  });

  it('refreshes five minutes before expiry', async () => {
    // Prepare
    const clock = { now: 0 };
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(session(1, 0))
      .resolvesOnce(session(2, HOUR));
    const provider = assumeRoleCredentials({
      providerId: 'p',
      roleArn: ROLE,
      sts: new STSClient({ region: 'eu-central-1' }),
      now: () => clock.now,
    });
    await provider();

    // Act
    clock.now = HOUR - 300_000;
    const refreshed = await provider();

    // Assess
    expect(refreshed.accessKeyId).toBe('ASIAASSUMED2');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('makes one STS call for concurrent callers (single flight)', async () => {
    // Prepare
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    sts.on(AssumeRoleCommand).callsFake(async () => {
      await gate;
      return session(1, 0);
    });
    const provider = assumeRoleCredentials({
      providerId: 'p',
      roleArn: ROLE,
      sts: new STSClient({ region: 'eu-central-1' }),
      now: () => 0,
    });

    // Act
    const pending = Array.from({ length: 20 }, () => provider());
    release();
    const all = await Promise.all(pending);

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(
      new Set(['ASIAASSUMED1'])
    );
  });

  it('keeps serving a still-valid session when a refresh fails, then fails as an auth error once it expired', async () => {
    // Prepare
    const clock = { now: 0 };
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(session(1, 0))
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const provider = assumeRoleCredentials({
      providerId: 'bedrock-prod',
      roleArn: ROLE,
      sts: new STSClient({ region: 'eu-central-1' }),
      now: () => clock.now,
    });
    await provider();

    // Act
    clock.now = HOUR - 60_000;
    const stale = await provider();
    clock.now = HOUR;
    const failed = provider();

    // Assess
    expect(stale.accessKeyId).toBe('ASIAASSUMED1');
    await expect(failed).rejects.toBeInstanceOf(ProviderAuthError);
    await expect(failed).rejects.toThrow(`cannot assume ${ROLE}: AccessDenied`);
  });
});

describe('Function: bedrockCredentials', () => {
  it('uses the default chain when no roleArn is configured', () => {
    expect(bedrockCredentials('bedrock', { region: 'eu-central-1' }, {})).toBe(
      undefined
    );
  });
});

describe('Cross-account Bedrock against the loopback fake', () => {
  let fake: FakeBedrockServer;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    // The router's own credentials: the request must NOT be signed with these.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAROUTEROWNKEY';
    process.env.AWS_SECRET_ACCESS_KEY = 'router-secret';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    delete process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
    delete process.env.AWS_ENDPOINT_URL;
    fake = await startFakeBedrock();
  });
  afterAll(async () => {
    await fake.close();
    process.env = savedEnv;
  });
  beforeEach(() => {
    sts.reset();
    fake.reset();
  });

  it('signs Converse with the assumed role session, not the router credentials', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves(session(7, Date.now()));
    const adapter = createBedrockAdapter({
      id: 'bedrock-prod',
      region: 'eu-central-1',
      endpoint: fake.url,
      credentials: bedrockCredentials(
        'bedrock-prod',
        { roleArn: ROLE, externalId: 'ext-123' },
        { AWS_REGION: 'eu-central-1' }
      ),
    });
    const call = () =>
      adapter.chat(chatRequest(), bedrockModel(), {
        signal: new AbortController().signal,
        requestId: 'req-xacct',
      });

    // Act
    const result = await call();
    await call();

    // Assess
    expect(result.content).toBe('echo: Hello');
    expect(fake.requests).toHaveLength(2);
    for (const r of fake.requests) {
      expect(r.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=ASIAASSUMED7\/\d{8}\/eu-central-1\/bedrock\/aws4_request/
      );
      expect(r.headers['x-amz-security-token']).toBe('token-7');
    }
    // One AssumeRole for both calls.
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('surfaces a refused AssumeRole as a provider auth error', async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDenied' }));
    const adapter = createBedrockAdapter({
      id: 'bedrock-prod',
      region: 'eu-central-1',
      endpoint: fake.url,
      credentials: bedrockCredentials(
        'bedrock-prod',
        { roleArn: ROLE },
        { AWS_REGION: 'eu-central-1' }
      ),
    });

    // Act
    const failed = adapter.chat(chatRequest(), bedrockModel(), {
      signal: new AbortController().signal,
      requestId: 'req-denied',
    });

    // Assess
    await expect(failed).rejects.toBeInstanceOf(ProviderAuthError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('Config: bedrock provider account fields', () => {
  it('accepts roleArn, externalId and sessionName', () => {
    const config = resolveConfig(
      {
        providers: {
          bedrock: { roleArn: ROLE, externalId: 'ext-123', sessionName: 'gw' },
        },
      },
      {},
      'test'
    );
    expect(config.providers[0]!.settings).toMatchObject({
      roleArn: ROLE,
      externalId: 'ext-123',
      sessionName: 'gw',
    });
  });

  it('fails on a roleArn that is not an IAM role ARN, naming the field', () => {
    expect(() =>
      resolveConfig(
        { providers: { bedrock: { roleArn: 'arn:aws:iam::123:user/x' } } },
        {},
        'test'
      )
    ).toThrow(/providers\.bedrock\.roleArn/);
  });
});
