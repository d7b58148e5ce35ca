import { generateKeyPairSync } from 'node:crypto';
import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  ProviderCallError,
  RotationTestError,
} from '../../../lambdas/core/secrets/errors';
import {
  fetchServiceAccountToken,
  googleEndpoints,
} from '../../../lambdas/core/secrets/google-auth';
import type { ServiceAccountKey } from '../../../lambdas/core/secrets/secret-value';
import type { PluginSettings } from '../../../lambdas/core/secrets/select-plugin';
import {
  type FakeGoogleServer,
  type FakeKeyFile,
  startFakeGoogle,
} from '../../helpers/fakes/google-fake';
import { FakeSecretsManager } from './fake-secrets-manager';
import { capturingLog, makeRotator, runAllSteps } from './helpers';

const NAME = 'ai-gateway/dev/google';
let accounts = 0;
/** A fresh account per test: the fake keeps keys for the whole file. */
const newAccount = (): string =>
  `gateway-${++accounts}@fake-project.iam.gserviceaccount.com`;

describe('Class: GoogleServiceAccountPlugin', () => {
  const sm = mockClient(SecretsManagerClient);
  let google: FakeGoogleServer;
  let fake: FakeSecretsManager;
  let settings: PluginSettings;
  let first: FakeKeyFile;
  let SA: string;

  beforeAll(async () => {
    google = await startFakeGoogle();
    settings = {
      google: googleEndpoints({
        GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
        GOOGLE_IAM_BASE_URL: google.iamBaseUrl,
      }),
      googleTestRetryDelayMs: 0,
      googleTestAttempts: 3,
    };
  });
  afterAll(async () => {
    sm.restore();
    await google.close();
  });
  beforeEach(async () => {
    sm.reset();
    google.reset();
    fake = new FakeSecretsManager().install(sm);
    SA = newAccount();
    first = await google.issueKey(SA);
    fake.addSecret({
      name: NAME,
      value: JSON.stringify(first),
      tags: { 'ai-gateway:provider': 'google' },
    });
  });

  it('creates a key, tests it, makes it current, then deletes the old key', async () => {
    // Prepare
    const token = fake.startRotation(NAME);
    const rotator = makeRotator(settings);
    const step = (
      Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret'
    ) => rotator.rotate({ SecretId: NAME, ClientRequestToken: token, Step });

    // Act & Assess: createSecret signs in with the current key and creates one.
    await step('createSecret');
    const pending = JSON.parse(
      fake.valueAt(NAME, 'AWSPENDING')!
    ) as ServiceAccountKey;
    expect(pending.client_email).toBe(SA);
    expect(pending.private_key_id).not.toBe(first.private_key_id);
    expect(google.keyIds(SA).sort()).toEqual(
      [first.private_key_id, pending.private_key_id].sort()
    );
    expect(google.tokensIssuedWith(first.private_key_id)).toBe(1);

    // setSecret and testSecret: the new key signs in (the fake verified its JWT).
    await step('setSecret');
    await step('testSecret');
    expect(google.tokensIssuedWith(pending.private_key_id)).toBe(1);
    expect(google.keyIds(SA)).toContain(first.private_key_id);
    expect(JSON.parse(fake.valueAt(NAME, 'AWSCURRENT')!).private_key_id).toBe(
      first.private_key_id
    );

    // finishSecret: new key current, old key deleted with the new credential.
    await step('finishSecret');
    expect(JSON.parse(fake.valueAt(NAME, 'AWSCURRENT')!).private_key_id).toBe(
      pending.private_key_id
    );
    expect(JSON.parse(fake.valueAt(NAME, 'AWSPREVIOUS')!).private_key_id).toBe(
      first.private_key_id
    );
    expect(google.keyIds(SA)).toEqual([pending.private_key_id]);
    expect(google.tokensIssuedWith(pending.private_key_id)).toBe(2);
    expect(google.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /token',
      `POST /v1/projects/-/serviceAccounts/${SA}/keys`,
      'POST /token',
      `GET /v1/projects/-/serviceAccounts/${SA}/keys/${pending.private_key_id}`,
      'POST /token',
      `DELETE /v1/projects/-/serviceAccounts/${SA}/keys/${first.private_key_id}`,
    ]);
  });

  it('creates one key when createSecret is replayed', async () => {
    // Prepare
    const token = fake.startRotation(NAME);
    const rotator = makeRotator(settings);
    const create = {
      SecretId: NAME,
      ClientRequestToken: token,
      Step: 'createSecret',
    } as const;

    // Act
    await rotator.rotate(create);
    await rotator.rotate(create);

    // Assess
    expect(google.keyIds(SA)).toHaveLength(2);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
  });

  it('waits for a new key Google does not accept yet', async () => {
    // Prepare
    google.setBehavior({ newKeyWarmup: 2 });
    const token = fake.startRotation(NAME);

    // Act
    await runAllSteps(makeRotator(settings), NAME, token);

    // Assess
    expect(fake.versionAt(NAME, 'AWSCURRENT')).toBe(token);
    expect(google.keyIds(SA)).toHaveLength(1);
  });

  it('leaves the current key in force and undeleted when the new key never works', async () => {
    // Prepare
    google.setBehavior({ newKeyWarmup: 99 });
    const token = fake.startRotation(NAME);
    const log = capturingLog();

    // Act
    const run = runAllSteps(makeRotator(settings, log), NAME, token);

    // Assess
    await expect(run).rejects.toThrow(RotationTestError);
    await expect(run).rejects.toThrow(
      /could not sign in: token for key [0-9a-f]+ of gateway-\d+@fake-project\.iam\.gserviceaccount\.com: HTTP 400 \(invalid_grant: Invalid JWT Signature\.\); AWSCURRENT is unchanged/
    );
    expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    expect(JSON.parse(fake.valueAt(NAME, 'AWSCURRENT')!).private_key_id).toBe(
      first.private_key_id
    );
    expect(google.keyIds(SA)).toContain(first.private_key_id);
    expect(log.lines.join('\n')).not.toContain('PRIVATE KEY');
  });

  it('deletes the new key when its value could not be stored', async () => {
    // Prepare
    const token = fake.startRotation(NAME);
    sm.on(PutSecretValueCommand).rejects(new Error('throttled'));

    // Act & Assess
    await expect(
      makeRotator(settings).rotate({
        SecretId: NAME,
        ClientRequestToken: token,
        Step: 'createSecret',
      })
    ).rejects.toThrow('throttled');
    expect(google.keyIds(SA)).toEqual([first.private_key_id]);
  });

  it('fails createSecret with the IAM error when the account may not create keys', async () => {
    // Prepare
    google.setBehavior({ createStatus: 403 });
    const token = fake.startRotation(NAME);

    // Act & Assess
    await expect(
      makeRotator(settings).rotate({
        SecretId: NAME,
        ClientRequestToken: token,
        Step: 'createSecret',
      })
    ).rejects.toThrow(
      new ProviderCallError(
        `create key for ${SA}: HTTP 403 (PERMISSION_DENIED: Injected failure.)`
      )
    );
    expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  it("fails createSecret with IAM's answer when the account is at its key limit", async () => {
    // Prepare
    const full = await startFakeGoogle({ maxKeysPerAccount: 1 });
    try {
      const only = await full.issueKey(SA);
      fake.addSecret({
        name: 'full',
        value: JSON.stringify(only),
        tags: { 'ai-gateway:provider': 'google' },
      });
      const token = fake.startRotation('full');
      const endpoints = googleEndpoints({
        GOOGLE_IAM_BASE_URL: full.iamBaseUrl,
      });

      // Act & Assess
      await expect(
        makeRotator({ google: endpoints }).rotate({
          SecretId: 'full',
          ClientRequestToken: token,
          Step: 'createSecret',
        })
      ).rejects.toThrow(
        `create key for ${SA}: HTTP 400 (FAILED_PRECONDITION: Precondition check failed.)`
      );
      expect(full.keyIds(SA)).toEqual([only.private_key_id]);
    } finally {
      await full.close();
    }
  });

  it('retries the old-key deletion when a failed finishSecret is replayed', async () => {
    // Prepare
    const token = fake.startRotation(NAME);
    const rotator = makeRotator(settings);
    google.setBehavior({ deleteStatus: 503 });
    await expect(runAllSteps(rotator, NAME, token)).rejects.toThrow(/HTTP 503/);
    expect(fake.versionAt(NAME, 'AWSCURRENT')).toBe(token);
    expect(google.keyIds(SA)).toHaveLength(2);
    google.setBehavior({ deleteStatus: undefined });

    // Act
    const outcome = await rotator.rotate({
      SecretId: NAME,
      ClientRequestToken: token,
      Step: 'finishSecret',
    });

    // Assess
    expect(outcome.result).toBe('skipped');
    expect(google.keyIds(SA)).toHaveLength(1);
    expect(google.keyIds(SA)).not.toContain(first.private_key_id);
  });
});

describe('Function: fetchServiceAccountToken', () => {
  const SA = newAccount();
  let google: FakeGoogleServer;
  beforeAll(async () => {
    google = await startFakeGoogle();
  });
  afterAll(() => google.close());

  it('is refused when the assertion is signed with another key', async () => {
    // Prepare
    const a = await google.issueKey(SA);
    const b = await google.issueKey(SA);
    const forged = { ...a, private_key: b.private_key } as ServiceAccountKey;

    // Act & Assess
    await expect(fetchServiceAccountToken(forged)).rejects.toThrow(
      /HTTP 400 \(invalid_grant: Invalid JWT Signature\.\)/
    );
    await expect(
      fetchServiceAccountToken(a as ServiceAccountKey)
    ).resolves.toEqual({
      accessToken: expect.stringMatching(/^ya29\.fake-/),
      expiresIn: 3599,
    });
  });

  it('is refused for an assertion with a wrong audience', async () => {
    // Prepare
    const a = (await google.issueKey(SA)) as ServiceAccountKey;

    // Act & Assess
    await expect(
      fetchServiceAccountToken({ ...a, token_uri: `${google.url}/token?x=1` })
    ).rejects.toThrow(/Failed audience check/);
  });

  it('is accepted by a token endpoint that verifies the RS256 signature, kid, issuer, audience and lifetime', async () => {
    // Prepare
    const a = (await google.issueKey(SA)) as ServiceAccountKey;
    const before = google.requests.length;
    const now = Date.now();

    // Act
    await fetchServiceAccountToken(a, { now: () => now });

    // Assess: one token call, and the fake issued a token for this key
    const sent = google.requests.slice(before);
    expect(sent.map((r) => r.path)).toEqual(['/token']);
    expect(google.tokensIssuedWith(a.private_key_id)).toBe(1);
  });

  it.each([
    ['an EC key', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['garbage', undefined],
  ])(
    'refuses %s as a service-account key, without calling Google',
    async (_, pair) => {
      // Prepare
      const a = (await google.issueKey(SA)) as ServiceAccountKey;
      const private_key = pair
        ? pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
        : '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n';
      const before = google.requests.length;

      // Act & Assess
      await expect(
        fetchServiceAccountToken({ ...a, private_key })
      ).rejects.toMatchObject({
        name: 'ProviderCallError',
        message: `service-account key ${a.private_key_id} of ${SA}: private_key is not a PKCS#8 RSA key`,
      });
      expect(google.requests.length).toBe(before);
    }
  );
});
