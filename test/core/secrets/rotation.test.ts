import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  NothingStagedError,
  RotationConfigError,
  RotationEventError,
  RotationStateError,
  RotationTestError,
} from '../../../lambdas/core/secrets/errors';
import { googleEndpoints } from '../../../lambdas/core/secrets/google-auth';
import { parseRotationEvent } from '../../../lambdas/core/secrets/rotation';
import type { PluginSettings } from '../../../lambdas/core/secrets/select-plugin';
import {
  type FakeGoogleServer,
  startFakeGoogle,
} from '../../helpers/fakes/google-fake';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../helpers/fakes/openai-fake';
import { FakeSecretsManager } from './fake-secrets-manager';
import { capturingLog, makeRotator, runAllSteps } from './helpers';

const OLD_KEY = 'llama-old-key-0000';
const NEW_KEY = 'llama-new-key-1111';
const NAME = 'ai-gateway/dev/llama';

describe('Class: SecretRotator', () => {
  const sm = mockClient(SecretsManagerClient);
  let llama: FakeOpenAIServer;
  let google: FakeGoogleServer;
  let fake: FakeSecretsManager;
  let settings: PluginSettings;

  beforeAll(async () => {
    llama = await startFakeOpenAI({ apiKey: NEW_KEY });
    google = await startFakeGoogle({ geminiApiKeys: ['gemini-new-key'] });
    settings = {
      google: googleEndpoints({
        GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
        GOOGLE_IAM_BASE_URL: google.iamBaseUrl,
        GOOGLE_GEMINI_BASE_URL: google.geminiBaseUrl,
      }),
      googleTestRetryDelayMs: 0,
    };
  });
  afterAll(async () => {
    sm.restore();
    await llama.close();
    await google.close();
  });
  beforeEach(() => {
    sm.reset();
    llama.reset();
    google.reset();
    fake = new FakeSecretsManager().install(sm);
  });

  function llamaSecret(
    value = { apiKey: OLD_KEY, baseUrl: llama.url }
  ): string {
    return fake.addSecret({
      name: NAME,
      value: JSON.stringify(value),
      tags: { 'ai-gateway:provider': 'llama' },
    });
  }

  describe('Method: rotate (protocol checks)', () => {
    it('refuses a secret without rotation enabled', async () => {
      // Prepare
      fake.addSecret({
        name: NAME,
        value: OLD_KEY,
        tags: { 'ai-gateway:provider': 'llama' },
        rotationEnabled: false,
      });
      const token = fake.startRotation(NAME);

      // Act & Assess
      await expect(
        makeRotator(settings).rotate({
          SecretId: NAME,
          ClientRequestToken: token,
          Step: 'createSecret',
        })
      ).rejects.toThrow(
        new RotationStateError(`secret ${NAME} does not have rotation enabled`)
      );
    });

    it('refuses an unknown token and a token not staged AWSPENDING', async () => {
      // Prepare
      llamaSecret();
      fake.startRotation(NAME);
      const staged = fake.putValue(NAME, JSON.stringify({ apiKey: NEW_KEY }), [
        'AWSSTAGED',
      ]);
      const rotator = makeRotator(settings);

      // Act & Assess
      await expect(
        rotator.rotate({
          SecretId: NAME,
          ClientRequestToken: 'no-such-token',
          Step: 'createSecret',
        })
      ).rejects.toThrow(`secret ${NAME} has no version no-such-token`);
      await expect(
        rotator.rotate({
          SecretId: NAME,
          ClientRequestToken: staged,
          Step: 'testSecret',
        })
      ).rejects.toThrow(
        `version ${staged} of secret ${NAME} is not staged AWSPENDING`
      );
      expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
    });

    it('does nothing for a token that is already AWSCURRENT', async () => {
      // Prepare
      llamaSecret();
      const current = fake.versionAt(NAME, 'AWSCURRENT')!;

      // Act
      const outcome = await makeRotator(settings).rotate({
        SecretId: NAME,
        ClientRequestToken: current,
        Step: 'createSecret',
      });

      // Assess
      expect(outcome).toMatchObject({ result: 'skipped' });
      expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
      expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
    });

    it('names every problem of a malformed event', () => {
      // Act & Assess
      expect(() => parseRotationEvent({ SecretId: '', Step: 'dance' })).toThrow(
        new RotationEventError(
          'invalid rotation event: SecretId must be a non-empty string; ClientRequestToken must be a non-empty string; Step must be one of createSecret, setSecret, testSecret, finishSecret, got "dance"'
        )
      );
    });

    it('fails on a secret without the provider tag or with an unknown one', async () => {
      // Prepare
      fake.addSecret({ name: 'untagged', value: OLD_KEY });
      fake.addSecret({
        name: 'odd',
        value: OLD_KEY,
        tags: { 'ai-gateway:provider': 'anthropic' },
      });
      const t1 = fake.startRotation('untagged');
      const t2 = fake.startRotation('odd');
      const rotator = makeRotator(settings);

      // Act & Assess
      await expect(
        rotator.rotate({
          SecretId: 'untagged',
          ClientRequestToken: t1,
          Step: 'createSecret',
        })
      ).rejects.toThrow(
        'secret untagged has no ai-gateway:provider tag; expected google, llama or openai-compatible/<id>'
      );
      await expect(
        rotator.rotate({
          SecretId: 'odd',
          ClientRequestToken: t2,
          Step: 'createSecret',
        })
      ).rejects.toThrow(RotationConfigError);
    });
  });

  describe('Method: rotate (API-key providers)', () => {
    it('promotes the staged key through all four steps', async () => {
      // Prepare
      llamaSecret();
      const oldVersion = fake.versionAt(NAME, 'AWSCURRENT')!;
      const stagedVersion = fake.putValue(
        NAME,
        JSON.stringify({ apiKey: NEW_KEY }),
        ['AWSSTAGED']
      );
      const token = fake.startRotation(NAME);
      const log = capturingLog();

      // Act
      const outcomes = await runAllSteps(
        makeRotator(settings, log),
        NAME,
        token
      );

      // Assess
      expect(outcomes.map((o) => [o.step, o.result, o.plugin])).toEqual([
        ['createSecret', 'done', 'api-key/openai'],
        ['setSecret', 'done', 'api-key/openai'],
        ['testSecret', 'done', 'api-key/openai'],
        ['finishSecret', 'done', 'api-key/openai'],
      ]);
      // baseUrl kept from the current value, key from the staged one.
      expect(JSON.parse(fake.valueAt(NAME, 'AWSCURRENT')!)).toEqual({
        apiKey: NEW_KEY,
        baseUrl: llama.url,
      });
      expect(fake.stagesOf(NAME)).toEqual({
        [oldVersion]: ['AWSPREVIOUS'],
        [token]: ['AWSCURRENT', 'AWSPENDING'],
      });
      expect(fake.stagesOf(NAME)[stagedVersion]).toBeUndefined();
      expect(sm).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
        SecretId: NAME,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: oldVersion,
      });
      // The test call used the pending key as a Bearer token on GET /models.
      expect(llama.requests).toEqual([
        expect.objectContaining({ method: 'GET', path: '/v1/models' }),
      ]);
      expect(log.lines.join('\n')).not.toMatch(/llama-(old|new)-key/);
    });

    it('creates the pending version once when createSecret is replayed', async () => {
      // Prepare
      llamaSecret();
      fake.putValue(NAME, JSON.stringify({ apiKey: NEW_KEY }), ['AWSSTAGED']);
      const token = fake.startRotation(NAME);
      const rotator = makeRotator(settings);
      const create = {
        SecretId: NAME,
        ClientRequestToken: token,
        Step: 'createSecret',
      } as const;

      // Act
      const first = await rotator.rotate(create);
      const second = await rotator.rotate(create);

      // Assess
      expect(first.result).toBe('done');
      expect(second).toMatchObject({
        result: 'skipped',
        detail: `version ${token} already has a pending value`,
      });
      expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
      expect(sm).toHaveReceivedCommandWith(PutSecretValueCommand, {
        SecretId: NAME,
        ClientRequestToken: token,
        VersionStages: ['AWSPENDING'],
      });
    });

    it('fails createSecret with a clear error when nothing is staged', async () => {
      // Prepare
      llamaSecret();
      const token = fake.startRotation(NAME);

      // Act & Assess
      await expect(
        makeRotator(settings).rotate({
          SecretId: NAME,
          ClientRequestToken: token,
          Step: 'createSecret',
        })
      ).rejects.toThrow(
        new NothingStagedError(
          `secret ${NAME} has no value staged as AWSSTAGED; stage the new key first: npm run ops -- secrets stage <secret-id> --env <env>`
        )
      );
      expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
    });

    it('refuses a staged key that is already the current key', async () => {
      // Prepare
      llamaSecret();
      fake.putValue(NAME, OLD_KEY, ['AWSSTAGED']);
      const token = fake.startRotation(NAME);

      // Act & Assess
      await expect(
        makeRotator(settings).rotate({
          SecretId: NAME,
          ClientRequestToken: token,
          Step: 'createSecret',
        })
      ).rejects.toThrow(/the staged key is already the current key/);
    });

    it('leaves AWSCURRENT in force when the provider refuses the pending key', async () => {
      // Prepare
      llamaSecret();
      fake.putValue(
        NAME,
        JSON.stringify({ apiKey: 'llama-revoked-key-2222' }),
        ['AWSSTAGED']
      );
      const token = fake.startRotation(NAME);
      const before = fake.valueAt(NAME, 'AWSCURRENT');
      const rotator = makeRotator(settings);

      // Act
      const run = runAllSteps(rotator, NAME, token);

      // Assess
      await expect(run).rejects.toThrow(RotationTestError);
      await expect(run).rejects.toThrow(
        /the pending key was refused by GET http:\/\/127\.0\.0\.1:\d+\/v1\/models: HTTP 401 \(invalid_api_key\); AWSCURRENT is unchanged/
      );
      await run.catch((err: Error) =>
        expect(err.message).not.toContain('llama-revoked-key')
      );
      expect(sm).not.toHaveReceivedCommand(UpdateSecretVersionStageCommand);
      expect(fake.valueAt(NAME, 'AWSCURRENT')).toBe(before);
      expect(fake.versionAt(NAME, 'AWSPENDING')).toBe(token);
    });

    it('keeps a key staged again during the rotation for the next one', async () => {
      // Prepare
      llamaSecret();
      fake.putValue(NAME, JSON.stringify({ apiKey: NEW_KEY }), ['AWSSTAGED']);
      const token = fake.startRotation(NAME);
      const rotator = makeRotator(settings);
      for (const Step of ['createSecret', 'setSecret', 'testSecret'] as const)
        await rotator.rotate({
          SecretId: NAME,
          ClientRequestToken: token,
          Step,
        });
      const later = fake.putValue(
        NAME,
        JSON.stringify({ apiKey: 'even-newer' }),
        ['AWSSTAGED']
      );

      // Act
      await rotator.rotate({
        SecretId: NAME,
        ClientRequestToken: token,
        Step: 'finishSecret',
      });

      // Assess
      expect(fake.versionAt(NAME, 'AWSCURRENT')).toBe(token);
      expect(fake.versionAt(NAME, 'AWSSTAGED')).toBe(later);
    });

    it('removes the staging label when a finishSecret is replayed after a failed cleanup', async () => {
      // Prepare
      llamaSecret();
      fake.putValue(NAME, JSON.stringify({ apiKey: NEW_KEY }), ['AWSSTAGED']);
      const token = fake.startRotation(NAME);
      const rotator = makeRotator(settings);
      await runAllSteps(rotator, NAME, token);
      // As if the cleanup had failed: the label is back on the staged value.
      fake.putValue(NAME, JSON.stringify({ apiKey: NEW_KEY }), ['AWSSTAGED']);

      // Act
      const outcome = await rotator.rotate({
        SecretId: NAME,
        ClientRequestToken: token,
        Step: 'finishSecret',
      });

      // Assess
      expect(outcome.result).toBe('skipped');
      expect(fake.versionAt(NAME, 'AWSSTAGED')).toBeUndefined();
      expect(fake.versionAt(NAME, 'AWSCURRENT')).toBe(token);
    });

    it('needs a baseUrl for an OpenAI-compatible provider without a default', async () => {
      // Prepare
      fake.addSecret({
        name: 'ai-gateway/dev/openai-compatible/vllm',
        value: JSON.stringify({ apiKey: OLD_KEY }),
        tags: { 'ai-gateway:provider': 'openai-compatible/vllm' },
      });
      fake.putValue('ai-gateway/dev/openai-compatible/vllm', NEW_KEY, [
        'AWSSTAGED',
      ]);
      const token = fake.startRotation('ai-gateway/dev/openai-compatible/vllm');

      // Act & Assess
      await expect(
        makeRotator(settings).rotate({
          SecretId: 'ai-gateway/dev/openai-compatible/vllm',
          ClientRequestToken: token,
          Step: 'createSecret',
        })
      ).rejects.toThrow(
        /no "baseUrl" in the value, and provider openai-compatible\/vllm has no default/
      );
      expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
    });

    it('tests a Gemini API key with x-goog-api-key on the model list', async () => {
      // Prepare
      const name = 'ai-gateway/dev/google';
      fake.addSecret({
        name,
        value: JSON.stringify({ apiKey: 'gemini-old-key' }),
        tags: { 'ai-gateway:provider': 'google' },
      });
      fake.putValue(name, 'gemini-new-key', ['AWSSTAGED']);
      const token = fake.startRotation(name);

      // Act
      const outcomes = await runAllSteps(makeRotator(settings), name, token);

      // Assess
      expect(outcomes.every((o) => o.plugin === 'api-key/gemini')).toBe(true);
      expect(JSON.parse(fake.valueAt(name, 'AWSCURRENT')!)).toEqual({
        apiKey: 'gemini-new-key',
      });
      expect(google.requests).toEqual([
        expect.objectContaining({
          method: 'GET',
          path: '/v1beta/models',
          headers: expect.objectContaining({ 'x-goog-api-key': '[redacted]' }),
        }),
      ]);
    });

    it('fails testSecret for a Gemini key the API rejects', async () => {
      // Prepare
      const name = 'ai-gateway/dev/google';
      fake.addSecret({
        name,
        value: 'gemini-old-key',
        tags: { 'ai-gateway:provider': 'google' },
      });
      fake.putValue(name, 'gemini-typo-key', ['AWSSTAGED']);
      const token = fake.startRotation(name);

      // Act & Assess
      await expect(
        runAllSteps(makeRotator(settings), name, token)
      ).rejects.toThrow(
        /HTTP 400 \(INVALID_ARGUMENT\); AWSCURRENT is unchanged/
      );
      expect(fake.valueAt(name, 'AWSCURRENT')).toBe('gemini-old-key');
    });
  });
});
