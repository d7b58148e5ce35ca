import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoModelRegistry,
  DynamoRouteSetHistory,
  MODEL_LATEST_PK,
  modelPartitionKey,
  versionSortKey,
} from '../../../lambdas/core/adapters/aws/dynamo-registry';
import {
  RegistryConflictError,
  RegistryUnavailableError,
  RegistryValidationError,
} from '../../../lambdas/core/registry/types';
import { describeModelRegistryContract } from '../../core/registry/contract';
import { versionInput } from '../../core/registry/fixtures';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();

describe('Function: versionSortKey', () => {
  it('zero-pads so versions sort as strings', () => {
    // Act
    const keys = [10, 2, 1].map(versionSortKey).sort();

    // Assess
    expect(keys).toEqual(['v000001', 'v000002', 'v000010']);
  });
});

describe('Class: DynamoModelRegistry', () => {
  describeModelRegistryContract(
    async () =>
      new DynamoModelRegistry({
        tableName: await ddb.createTable('contract'),
        client: ddb.documentClient(),
        pageSize: 2,
      })
  );

  let registry: DynamoModelRegistry;
  let tableName: string;

  beforeEach(async () => {
    tableName = await ddb.createTable('registry');
    registry = new DynamoModelRegistry({
      tableName,
      client: ddb.documentClient(),
    });
  });

  describe('Method: putVersion', () => {
    it('writes version 1 of a new model and the item layout of the issue', async () => {
      // Act
      const v1 = await registry.putVersion(
        versionInput(
          'claude',
          {},
          { guardrailProfile: 'legal', tokenLimit: 100_000 }
        ),
        0
      );

      // Assess
      expect(v1.version).toBe(1);
      const item = await ddb.documentClient().send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: modelPartitionKey('bedrock', 'claude'), sk: 'v000001' },
        })
      );
      expect(item.Item).toMatchObject({
        pk: 'bedrock#claude',
        sk: 'v000001',
        modelId: 'claude',
        version: 1,
        providerModelId: 'eu.test.claude-v1:0',
        status: 'active',
        region: 'eu',
        capabilities: ['tools', 'streaming'],
        contextWindow: 200_000,
        maxOutputTokens: 8192,
        pricing: { inputPer1M: 3, outputPer1M: 15 },
        tokenLimit: 100_000,
        domains: ['legal'],
        guardrailProfile: 'legal',
        createdBy: 'tester',
        createdAt: '2026-01-01T00:00:00.000Z',
      });
    });

    it('lets exactly one of two concurrent writers of the same version win', async () => {
      // Prepare
      await registry.putVersion(versionInput('claude'), 0);
      const other = new DynamoModelRegistry({
        tableName,
        client: ddb.documentClient(),
      });

      // Act
      const results = await Promise.allSettled([
        registry.putVersion(versionInput('claude', { quality: 0.1 }), 1),
        other.putVersion(versionInput('claude', { quality: 0.2 }), 1),
      ]);

      // Assess
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(
        RegistryConflictError
      );
      const history = await registry.history('claude');
      expect(history.map((v) => v.version)).toEqual([2, 1]);
      expect(history[0]!.config.quality).toBe(
        (won[0] as PromiseFulfilledResult<{ config: { quality: number } }>)
          .value.config.quality
      );
    });

    it('lets exactly one of many concurrent creators of a new model win', async () => {
      // Act
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((n) =>
          registry.putVersion(versionInput('nova', { quality: n / 10 }), 0)
        )
      );

      // Assess
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x) => x.status === 'rejected'))
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(
          RegistryConflictError
        );
      expect(await registry.history('nova')).toHaveLength(1);
    });

    it('refuses a stale expected version (lost update) and a skipped one', async () => {
      // Prepare
      await registry.putVersion(versionInput('claude'), 0);
      await registry.putVersion(versionInput('claude'), 1);

      // Act & Assess
      await expect(
        registry.putVersion(versionInput('claude'), 1)
      ).rejects.toBeInstanceOf(RegistryConflictError);
      await expect(
        registry.putVersion(versionInput('claude'), 5)
      ).rejects.toBeInstanceOf(RegistryConflictError);
      await expect(
        registry.putVersion(versionInput('claude'), 0)
      ).rejects.toBeInstanceOf(RegistryConflictError);
      expect((await registry.history('claude')).map((v) => v.version)).toEqual([
        2, 1,
      ]);
    });

    it('refuses an invalid version before writing anything', async () => {
      // Act
      const write = registry.putVersion(
        versionInput('claude', { pricing: { inputPer1M: -1, outputPer1M: 1 } }),
        0
      );

      // Assess
      await expect(write).rejects.toThrow(RegistryValidationError);
      await expect(write).rejects.toThrow(/pricing\.inputPer1M/);
      expect(await registry.listLatest()).toEqual([]);
    });

    it('keeps one version sequence when a model moves to another provider', async () => {
      // Prepare
      await registry.putVersion(versionInput('llama'), 0);

      // Act
      await registry.putVersion(
        versionInput('llama', {
          provider: 'llama-api',
          providerType: 'openai-compatible',
          providerModelId: 'Llama-4-Maverick',
        }),
        1
      );

      // Assess
      const history = await registry.history('llama');
      expect(history.map((v) => [v.version, v.config.provider])).toEqual([
        [2, 'llama-api'],
        [1, 'bedrock'],
      ]);
      const latest = await registry.listLatest();
      expect(latest.map((v) => [v.modelId, v.version])).toEqual([['llama', 2]]);
    });

    it('maps a missing table to RegistryUnavailableError', async () => {
      // Prepare
      const missing = new DynamoModelRegistry({
        tableName: 'no-such-table',
        client: ddb.documentClient(),
      });

      // Act & Assess
      await expect(
        missing.putVersion(versionInput('claude'), 0)
      ).rejects.toBeInstanceOf(RegistryUnavailableError);
      await expect(missing.listLatest()).rejects.toBeInstanceOf(
        RegistryUnavailableError
      );
    });
  });

  describe('Method: history', () => {
    it('returns every version newest first, and [] for an unknown model', async () => {
      // Prepare
      for (let n = 0; n < 12; n++)
        await registry.putVersion(
          versionInput('gemini', { quality: n / 20 }),
          n
        );
      const paged = new DynamoModelRegistry({
        tableName,
        client: ddb.documentClient(),
        pageSize: 5,
      });

      // Act
      const history = await paged.history('gemini');

      // Assess
      expect(history.map((v) => v.version)).toEqual([
        12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1,
      ]);
      expect(history[0]!.config.quality).toBeCloseTo(11 / 20);
      expect(await paged.history('unknown')).toEqual([]);
    });
  });

  describe('Method: listLatest', () => {
    it('returns the latest version of every model across query pages', async () => {
      // Prepare
      const ids = Array.from(
        { length: 23 },
        (_, i) => `m-${String(i).padStart(2, '0')}`
      );
      await Promise.all(
        ids.map((id) => registry.putVersion(versionInput(id), 0))
      );
      await registry.putVersion(versionInput('m-07', { status: 'canary' }), 1);
      const paged = new DynamoModelRegistry({
        tableName,
        client: ddb.documentClient(),
        pageSize: 4,
      });

      // Act
      const latest = await paged.listLatest();

      // Assess
      expect(latest.map((v) => v.modelId)).toEqual(ids);
      const m07 = latest.find((v) => v.modelId === 'm-07')!;
      expect(m07.version).toBe(2);
      expect(m07.config.status).toBe('canary');
      expect(latest.filter((v) => v.version === 1)).toHaveLength(22);
    });

    it('reads back exactly what was written', async () => {
      // Prepare
      const written = await registry.putVersion(
        versionInput(
          'claude',
          { aliases: ['sonnet'], autoRoute: false, domains: [] },
          { tokenLimit: 50_000 }
        ),
        0
      );

      // Act
      const [latest] = await registry.listLatest();

      // Assess
      expect(latest).toEqual(written);
    });

    it('refuses a malformed item instead of serving half a model', async () => {
      // Prepare
      await ddb.documentClient().send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: MODEL_LATEST_PK,
            sk: 'broken',
            version: 1,
            item: { modelId: 'broken', version: 1, provider: 'bedrock' },
          },
        })
      );

      // Act & Assess
      await expect(registry.listLatest()).rejects.toThrow(
        /model-latest\/broken: /
      );
    });
  });
});

describe('Class: DynamoRouteSetHistory', () => {
  let history: DynamoRouteSetHistory;

  beforeEach(async () => {
    history = new DynamoRouteSetHistory({
      tableName: await ddb.createTable('routesets'),
      client: ddb.documentClient(),
    });
  });

  it('stores versions conditionally and lists them newest first', async () => {
    // Prepare
    const now = new Date('2026-02-01T00:00:00.000Z');
    await history.put({ name: 'active-models', models: [{ id: 'a' }] }, 0, now);

    // Act
    const results = await Promise.allSettled([
      history.put({ name: 'active-models', models: [{ id: 'b' }] }, 1, now),
      history.put({ name: 'active-models', models: [{ id: 'c' }] }, 1, now),
    ]);

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const versions = await history.versions('active-models');
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    expect(versions[1]).toEqual({
      name: 'active-models',
      version: 1,
      models: [{ id: 'a' }],
      updatedAt: '2026-02-01T00:00:00.000Z',
    });
    expect(await history.state('active-models')).toEqual({
      latestVersion: 2,
      activations: 0,
    });
  });

  it('records activations conditionally', async () => {
    // Prepare
    const now = new Date('2026-02-01T00:00:00.000Z');
    await history.put({ name: 'rs', models: [] }, 0, now);

    // Act
    await history.recordActivation('rs', 1, 'ops', now, 0, 'activate');
    const racing = history.recordActivation('rs', 1, 'ops', now, 0, 'activate');

    // Assess
    await expect(racing).rejects.toBeInstanceOf(RegistryConflictError);
    expect(await history.state('rs')).toEqual({
      latestVersion: 1,
      activeVersion: 1,
      activations: 1,
    });
    expect(await history.activations('rs')).toEqual([
      {
        version: 1,
        action: 'activate',
        by: 'ops',
        at: '2026-02-01T00:00:00.000Z',
      },
    ]);
  });
});
