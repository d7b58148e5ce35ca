import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { hashApiKey } from '../../lambdas/core/config/load';
import { awsOpsContext } from '../../scripts/ops/aws';
import {
  ControlPlaneOpsBackend,
  HttpOpsBackend,
} from '../../scripts/ops/backend';
import { type OpsIo, runOps } from '../../scripts/ops/cli';
import { LOCAL_AWS, useDynamoDbLocal } from '../helpers/dynamodb-local';
import {
  call,
  echoConfig,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

const ADMIN_KEY = 'admin-key-for-tests-0123456789';

/** `ops keys create | list | revoke` in both modes: a gateway's admin API and AWS (DynamoDB Local). */
describe('Function: runOps (keys)', () => {
  const ddb = useDynamoDbLocal();
  let out: string[];
  let err: string[];
  const io: OpsIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  beforeEach(() => {
    out = [];
    err = [];
  });

  /** Runs create, list, revoke through a backend; returns the created key and outputs. */
  async function lifecycle(
    backend: Parameters<typeof runOps>[2],
    extra: string[]
  ): Promise<{
    key: string;
    id: string;
    listed: unknown[];
    revoked: { status: string };
  }> {
    expect(
      await runOps(
        [
          'keys',
          'create',
          'acme',
          '--reason',
          'onboarding',
          '--json',
          ...extra,
        ],
        io,
        backend
      )
    ).toBe(0);
    const created = JSON.parse(out.join('')) as { key: string; id: string };
    out = [];
    expect(
      await runOps(['keys', 'list', 'acme', '--json', ...extra], io, backend)
    ).toBe(0);
    const listed = JSON.parse(out.join('')) as unknown[];
    out = [];
    expect(
      await runOps(
        [
          'keys',
          'revoke',
          'acme',
          created.id,
          '--reason',
          'leaked',
          '--json',
          ...extra,
        ],
        io,
        backend
      )
    ).toBe(0);
    const revoked = JSON.parse(out.join('')) as { status: string };
    out = [];
    return { ...created, listed, revoked };
  }

  it('manages keys through a gateway admin API (--url)', async () => {
    // Prepare
    const gw = await startTestGateway(
      echoConfig({ tenants: [{ id: 'acme', apiKeys: [TEST_KEY] }] }),
      { env: { GATEWAY_ADMIN_KEY: ADMIN_KEY } }
    );
    const backend = async () => new HttpOpsBackend(gw.url, ADMIN_KEY);
    try {
      // Act
      const r = await lifecycle(backend, []);
      // Assess
      expect(r.key).toMatch(/^sk-gw-/);
      expect(r.listed).toHaveLength(2);
      expect(JSON.stringify(r.listed)).not.toContain(r.key);
      expect(r.revoked.status).toBe('revoked');
      const chat = await call(gw, '/v1/chat/completions', {
        key: r.key,
        body: { model: 'echo', messages: [{ role: 'user', content: 'x' }] },
      });
      expect(chat.status).toBe(401);
      // Human output of list names ids and prefixes only
      expect(await runOps(['keys', 'list', 'acme'], io, backend)).toBe(0);
      expect(out.join('\n')).toMatch(
        /key_[0-9a-f]{16}\s+sk-gw-\S{4}\.\.\.\s+revoked/
      );
    } finally {
      await gw.close();
    }
  });

  it('requires a reason to create or revoke', async () => {
    const backend = async () =>
      new HttpOpsBackend('http://127.0.0.1:9', ADMIN_KEY);
    expect(await runOps(['keys', 'create', 'acme'], io, backend)).toBe(1);
    expect(err.join('')).toContain('--reason');
  });

  describe('AWS mode (--env)', () => {
    const saved = { ...process.env };
    afterAll(() => {
      process.env = saved;
    });

    it('stores only hashes in the tenants table and audits create and revoke', async () => {
      // Prepare
      const [registry, audit, tenants] = await Promise.all([
        ddb.createTable('keys-registry'),
        ddb.createTable('keys-audit'),
        ddb.createTable('keys-tenants'),
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
      const ctx = await awsOpsContext('dev');
      await ctx.tenants.putTenant('acme', { tier: 'standard' });
      const backend = async () =>
        new ControlPlaneOpsBackend(
          ctx.plane,
          ctx.who,
          ctx.describe,
          ctx.tenants
        );

      // Act
      const r = await lifecycle(backend, ['--env', 'dev']);

      // Assess
      expect(r.listed).toEqual([
        expect.objectContaining({
          id: r.id,
          status: 'active',
          created_by: 'alice@ops-cli',
        }),
      ]);
      expect(r.revoked.status).toBe('revoked');
      expect(await ctx.tenants.authenticate(r.key)).toBeUndefined();
      const items = JSON.stringify(
        (
          await ddb
            .documentClient()
            .send(new ScanCommand({ TableName: tenants }))
        ).Items
      );
      expect(items).not.toContain(r.key);
      expect(items).toContain(hashApiKey(r.key));
      const records = await ctx.plane.listAudit(10, 'tenant/acme/keys');
      expect(records.map((x) => [x.what, x.who, x.reason])).toEqual([
        ['api-key.revoke', 'alice@ops-cli', 'leaked'],
        ['api-key.create', 'alice@ops-cli', 'onboarding'],
      ]);
      expect(JSON.stringify(records)).not.toContain(r.key);
    }, 30_000);

    it('writes tenant policy and limits with tenants put', async () => {
      // Prepare
      const ctx = await awsOpsContext('dev');
      const backend = async () =>
        new ControlPlaneOpsBackend(
          ctx.plane,
          ctx.who,
          ctx.describe,
          ctx.tenants
        );
      // Act
      const code = await runOps(
        [
          'tenants',
          'put',
          'beta',
          '--allowed-providers',
          'bedrock,gemini',
          '--residency',
          'eu',
          '--default-domain',
          'legal',
          '--rpm',
          '30',
          '--tpd',
          '100000',
          '--max-tokens',
          '2048',
          '--env',
          'dev',
        ],
        io,
        backend
      );
      expect(code).toBe(0);
      const created = await ctx.plane.createApiKey('beta', {
        who: 'test',
        reason: 'r',
      });
      // Assess
      expect(await ctx.tenants.authenticate(created.key)).toMatchObject({
        id: 'beta',
        allowedProviders: ['bedrock', 'gemini'],
        region: 'eu',
        defaultDomain: 'legal',
        limits: {
          requestsPerMinute: 30,
          tokensPerDay: 100000,
          maxTokensPerRequest: 2048,
        },
      });
      expect(
        await runOps(
          ['tenants', 'put', 'beta', '--residency', 'mars', '--env', 'dev'],
          io,
          backend
        )
      ).toBe(1);
    }, 30_000);
  });
});
