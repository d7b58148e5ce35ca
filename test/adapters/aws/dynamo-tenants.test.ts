import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTenantDirectory } from '../../../lambdas/core/adapters/aws/dynamo-tenants';
import { hashApiKey } from '../../../lambdas/core/config/load';
import { generateApiKey } from '../../../lambdas/core/tenants/keys';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();
const meta = { createdAt: '2026-12-03T08:00:00.000Z', createdBy: 'admin-key' };

describe('Class: DynamoTenantDirectory', () => {
  let tableName: string;
  let clock: number;
  const now = (): number => clock;
  const directory = (): DynamoTenantDirectory =>
    new DynamoTenantDirectory({ tableName, client: ddb.documentClient(), now });

  beforeEach(async () => {
    tableName = await ddb.createTable('tenants');
    clock = 1_000_000;
    await directory().putTenant('acme', {
      tier: 'premium',
      allowedProviders: ['bedrock'],
      region: 'eu',
      defaultDomain: 'legal',
      limits: { requestsPerMinute: 30 },
      teams: { core: { budgets: {}, limits: { requestsPerMinute: 5 } } },
      users: { bob: { team: 'core', budgets: { dailyUsd: 1 }, limits: {} } },
      userDefaults: { budgets: {}, limits: { tokensPerDay: 1000 } },
    });
  });

  it('stores a new key only as its SHA-256 and resolves the tenant with teams, users and policy', async () => {
    // Prepare
    const key = generateApiKey();
    // Act
    const info = await directory().storeKey('acme', key, meta);
    const tenant = await directory().authenticate(key.key);

    // Assess
    expect(info).toEqual({
      id: key.id,
      tenant: 'acme',
      prefix: key.key.slice(0, 10),
      createdAt: meta.createdAt,
      createdBy: 'admin-key',
      status: 'active',
    });
    expect(tenant).toMatchObject({
      id: 'acme',
      tier: 'premium',
      allowedProviders: ['bedrock'],
      region: 'eu',
      defaultDomain: 'legal',
      limits: { requestsPerMinute: 30 },
      teams: { core: { limits: { requestsPerMinute: 5 } } },
      users: { bob: { team: 'core' } },
      userDefaults: { limits: { tokensPerDay: 1000 } },
    });
    const all = await ddb.documentClient().send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'TENANT#acme' },
      })
    );
    const stored = JSON.stringify(all.Items);
    expect(stored).not.toContain(key.key);
    expect(stored).toContain(hashApiKey(key.key));
  });

  it('lists keys without the key or its hash', async () => {
    // Prepare
    const a = generateApiKey();
    const b = generateApiKey();
    await directory().storeKey('acme', a, meta);
    await directory().storeKey('acme', b, {
      ...meta,
      createdAt: '2026-12-03T09:00:00.000Z',
    });

    // Act
    const keys = await directory().listKeys('acme');

    // Assess
    expect(keys.map((k) => k.id)).toEqual([b.id, a.id]);
    const text = JSON.stringify(keys);
    for (const k of [a, b]) {
      expect(text).not.toContain(k.key);
      expect(text).not.toContain(k.hash);
    }
  });

  it('refuses keys for an unknown tenant and revocation of an unknown key', async () => {
    await expect(
      directory().storeKey('nobody', generateApiKey(), meta)
    ).rejects.toMatchObject({
      name: 'ApiKeyNotFoundError',
    });
    await expect(directory().listKeys('nobody')).rejects.toMatchObject({
      name: 'ApiKeyNotFoundError',
    });
    await expect(
      directory().revokeKey('acme', 'key_nope', meta.createdAt)
    ).rejects.toMatchObject({
      name: 'ApiKeyNotFoundError',
    });
  });

  it('caps the positive cache at 5 s whatever it is given', async () => {
    // Prepare: a router asking for a 60 s cache
    const key = generateApiKey();
    await directory().storeKey('acme', key, meta);
    const router = new DynamoTenantDirectory({
      tableName,
      client: ddb.documentClient(),
      positiveTtlMs: 60_000,
      now,
    });
    expect(await router.authenticate(key.key)).toBeDefined();
    // Act
    await directory().revokeKey('acme', key.id, meta.createdAt);
    clock += 5_001;
    // Assess
    expect(await router.authenticate(key.key)).toBeUndefined();
  });

  it('a key revoked through one router is refused by another within 5 s (two directories, one table)', async () => {
    // Prepare: both routers have the key cached as valid
    const key = generateApiKey();
    const routerA = directory();
    const routerB = directory();
    await routerA.storeKey('acme', key, meta);
    expect((await routerA.authenticate(key.key))?.id).toBe('acme');
    expect((await routerB.authenticate(key.key))?.id).toBe('acme');

    // Act: revoke through A, one second later
    clock += 1_000;
    const { after } = await routerA.revokeKey(
      'acme',
      key.id,
      '2026-12-03T08:00:01.000Z'
    );

    // Assess: A refuses at once; B may serve from its cache, but not past 5 s after it read
    expect(after.status).toBe('revoked');
    expect(await routerA.authenticate(key.key)).toBeUndefined();
    clock += 3_000;
    const stillCached = await routerB.authenticate(key.key);
    expect(stillCached?.id).toBe('acme');
    clock += 1_001; // 5.001 s after B's read, 4.001 s after the revocation
    expect(await routerB.authenticate(key.key)).toBeUndefined();
    const item = await ddb.documentClient().send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: `KEY#${key.hash}`, sk: 'KEY' },
      })
    );
    expect(item.Item).toMatchObject({
      status: 'revoked',
      revokedAt: '2026-12-03T08:00:01.000Z',
    });
    // Revoking again changes nothing
    const again = await routerB.revokeKey(
      'acme',
      key.id,
      '2026-12-03T09:00:00.000Z'
    );
    expect(again.after.revokedAt).toBe('2026-12-03T08:00:01.000Z');
  });
});
