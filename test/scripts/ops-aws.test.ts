import {
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { awsOpsContext } from '../../scripts/ops/aws';
import {
  ControlPlaneOpsBackend,
  HttpOpsBackend,
} from '../../scripts/ops/backend';
import { type OpsIo, runOps } from '../../scripts/ops/cli';
import { stageSecret } from '../../scripts/ops/secrets';
import { LOCAL_AWS, useDynamoDbLocal } from '../helpers/dynamodb-local';

/**
 * AWS mode of the ops CLI: SSM through aws-sdk-client-mock, DynamoDB on the
 * real DynamoDB Local (audit records are really written and read back).
 */
describe('Function: runOps (AWS mode)', () => {
  const ddb = useDynamoDbLocal();
  const ssm = mockClient(SSMClient);
  const saved = { ...process.env };
  let out: string[];
  let err: string[];
  const io: OpsIo = { out: (t) => out.push(t), err: (t) => err.push(t) };

  beforeAll(async () => {
    const [registry, audit, tenants] = await Promise.all([
      ddb.createTable('ops-registry'),
      ddb.createTable('ops-audit'),
      ddb.createTable('ops-tenants'),
    ]);
    Object.assign(process.env, {
      GATEWAY_REGISTRY_TABLE: registry,
      GATEWAY_AUDIT_TABLE: audit,
      GATEWAY_TENANTS_TABLE: tenants,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint(),
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      GATEWAY_OPS_USER: 'alice@ops-cli',
    });
  });
  afterAll(() => {
    process.env = saved;
    ssm.restore();
  });
  beforeEach(() => {
    out = [];
    err = [];
    ssm.reset();
  });

  const backend = async ({ env }: { env?: string }) => {
    const ctx = await awsOpsContext(env ?? 'dev');
    return new ControlPlaneOpsBackend(
      ctx.plane,
      ctx.who,
      ctx.describe,
      ctx.tenants,
      (secretId, value) => stageSecret({ secretId, value })
    );
  };

  it('engages a kill switch in SSM and audits it in DynamoDB', async () => {
    // Prepare
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'missing', $metadata: {} }));
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    // Act
    const code = await runOps(
      [
        'kill-switch',
        'set',
        'provider/gemini',
        'on',
        '--reason',
        'quota exhausted',
        '--env',
        'dev',
      ],
      io,
      backend
    );
    // Assess
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/ai/kill-switches/dev/provider/gemini',
      Overwrite: true,
    });
    const put = ssm.commandCalls(PutParameterCommand)[0]!.args[0].input;
    expect(JSON.parse(put.Value!)).toEqual(
      expect.objectContaining({
        state: 'on',
        reason: 'quota exhausted',
        by: 'alice@ops-cli',
      })
    );
    out = [];
    expect(await runOps(['audit', '--json', '--env', 'dev'], io, backend)).toBe(
      0
    );
    const records = JSON.parse(out.join('')) as {
      who: string;
      what: string;
      target: string;
    }[];
    expect(records[0]).toEqual(
      expect.objectContaining({
        who: 'alice@ops-cli',
        what: 'kill-switch.set',
        target: 'kill-switch/provider/gemini',
      })
    );
  });

  it('creates a tenant and a key; the gateway authenticates the key, the table holds only its hash', async () => {
    // Act
    expect(
      await runOps(
        [
          'tenants',
          'put',
          'acme',
          '--tier',
          'premium',
          '--allowed',
          'claude-sonnet',
          '--daily-usd',
          '25',
          '--env',
          'dev',
        ],
        io,
        backend
      )
    ).toBe(0);
    out = [];
    expect(
      await runOps(
        ['tenants', 'add-key', 'acme', '--json', '--env', 'dev'],
        io,
        backend
      )
    ).toBe(0);
    const { apiKey, sha256 } = JSON.parse(out.join('')) as {
      apiKey: string;
      sha256: string;
    };
    // Assess
    const ctx = await awsOpsContext('dev');
    const tenant = await ctx.tenants.authenticate(apiKey);
    expect(tenant).toEqual(
      expect.objectContaining({
        id: 'acme',
        tier: 'premium',
        allowedModels: ['claude-sonnet'],
        budgets: { dailyUsd: 25 },
      })
    );
    expect(await ctx.tenants.authenticate(`${apiKey}x`)).toBeUndefined();
    const stored = await ddb
      .documentClient()
      .send(new ScanCommand({ TableName: process.env.GATEWAY_TENANTS_TABLE }));
    const text = JSON.stringify(stored.Items);
    expect(text).not.toContain(apiKey);
    expect(text).toContain(sha256);
  });

  it('stages a provider key read from the prompt, starts the rotation, and audits it without the key', async () => {
    // Prepare
    const sm = mockClient(SecretsManagerClient);
    sm.on(PutSecretValueCommand).resolves({ VersionId: 'v-staged-1' });
    sm.on(RotateSecretCommand).resolves({ VersionId: 'v-rotation-1' });
    const key = 'llama-new-key-0123456789';
    const withPrompt: OpsIo = { ...io, readSecret: async () => `${key}\n` };
    try {
      // Act
      const code = await runOps(
        ['secrets', 'stage', 'ai-gateway/dev/llama', '--env', 'dev'],
        withPrompt,
        backend
      );
      // Assess
      expect(err).toEqual([]);
      expect(code).toBe(0);
      expect(out.join('')).toContain('rotation: started');
      const put = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input;
      expect(put).toEqual(
        expect.objectContaining({
          SecretId: 'ai-gateway/dev/llama',
          VersionStages: ['AWSSTAGED'],
        })
      );
      expect(JSON.parse(put.SecretString!)).toEqual({ apiKey: key });
      expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(1);
      out = [];
      await runOps(
        ['audit', '--json', '--target', 'secret/', '--env', 'dev'],
        io,
        backend
      );
      expect(out.join('')).toContain('secret.stage');
      expect(out.join('')).not.toContain(key);
    } finally {
      sm.restore();
    }
  });

  it('refuses tenant commands over the admin API backend', async () => {
    const http = async () => new HttpOpsBackend('http://127.0.0.1:9', 'k');
    expect(await runOps(['tenants', 'add-key', 'acme'], io, http)).toBe(1);
    expect(err.join('')).toContain('AWS mode');
  });

  it('refuses an unknown environment before touching AWS', async () => {
    expect(await runOps(['status', '--env', 'qa'], io, backend)).toBe(1);
    expect(err.join('')).toContain('dev, staging or prod');
    expect(ssm.calls()).toHaveLength(0);
  });
});
