import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import OpenAI from 'openai';
import { DynamoEmbeddingCacheStore } from '../../../lambdas/core/adapters/aws/dynamo-embedding-cache';
import { resolveCacheSettings } from '../../../lambdas/core/cache/config';
import {
  type CachedEmbeddings,
  EmbeddingCache,
  type EmbeddingCacheStore,
} from '../../../lambdas/core/cache/embedding-cache';
import type { GatewayConfigFile } from '../../../lambdas/core/config/schema';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';
import {
  type FakeBedrockServer,
  startFakeBedrock,
} from '../../helpers/fakes/bedrock-fake';
import { MemoryLog, startTestGateway, TEST_KEY } from '../../helpers/gateway';

const ddb = useDynamoDbLocal();
const NOW = 1_800_000_000_000;
const settings = resolveCacheSettings(undefined);

const entry = (over: Partial<CachedEmbeddings> = {}): CachedEmbeddings => ({
  tenant: 'acme',
  model: 'titan-embed-v2',
  provider: 'bedrock',
  vectors: [Float32Array.from([0.5, -1.25, 3]), Float32Array.from([0, 1, 2])],
  promptTokens: 7,
  expiresAt: NOW + 60_000,
  ...over,
});

describe('Class: DynamoEmbeddingCacheStore (DynamoDB Local)', () => {
  let doc: DynamoDBDocumentClient;
  let tableName: string;

  beforeAll(async () => {
    doc = ddb.documentClient();
    tableName = await ddb.createCacheTable('embcache');
  });

  it('round-trips float32 vectors exactly, as one binary attribute without input text', async () => {
    // Prepare
    const store = new DynamoEmbeddingCacheStore({ tableName, client: doc });

    // Act
    await store.put('emb:k1', entry());
    const got = await store.get('emb:k1', 'acme', NOW);

    // Assess
    expect(got).toEqual(entry());
    const item = (
      await doc.send(
        new GetCommand({ TableName: tableName, Key: { pk: 'acme#emb:k1' } })
      )
    ).Item!;
    expect(item.vectors).toBeInstanceOf(Uint8Array);
    expect((item.vectors as Uint8Array).byteLength).toBe(2 * 3 * 4);
    expect(item.expiresAt).toBe(Math.ceil((NOW + 60_000) / 1000));
    expect(Object.keys(item).sort()).toEqual(
      [
        'count',
        'dims',
        'expiresAt',
        'expiresAtMs',
        'model',
        'pk',
        'promptTokens',
        'provider',
        'tenant',
        'v',
        'vectors',
      ].sort()
    );
  });

  it("never serves another tenant's entry or an expired one", async () => {
    // Prepare
    const store = new DynamoEmbeddingCacheStore({ tableName, client: doc });
    await store.put('emb:k2', entry());

    // Act & Assess
    expect(await store.get('emb:k2', 'globex', NOW)).toBeUndefined();
    expect(await store.get('emb:k2', 'acme', NOW + 60_000)).toBeUndefined();
    expect(await store.get('emb:k2', 'acme', NOW + 59_999)).toBeDefined();
  });

  it('keeps an answer over the item budget out of DynamoDB', async () => {
    // Prepare
    const store = new DynamoEmbeddingCacheStore({
      tableName,
      client: doc,
      maxVectorBytes: 16,
    });

    // Act
    await store.put('emb:big', entry());

    // Assess: 24 bytes of vectors > 16: not stored
    expect(await store.get('emb:big', 'acme', NOW)).toBeUndefined();
  });

  it('lets a second container hit what the first one stored', async () => {
    // Prepare: two caches (two containers) over one table
    const store = new DynamoEmbeddingCacheStore({ tableName, client: doc });
    const a = new EmbeddingCache(settings, { store });
    const b = new EmbeddingCache(settings, { store });
    const { expiresAt: _e, ...answer } = entry();

    // Act
    await a.put('emb:shared', answer, NOW);
    const local = b.local('emb:shared', 'acme', NOW);
    const shared = await b.shared('emb:shared', 'acme', NOW);

    // Assess: not in b's LRU until read from the store, then promoted
    expect(local).toBeUndefined();
    expect(shared?.vectors).toEqual(answer.vectors);
    expect(b.counters.storeHits).toBe(1);
    expect(b.local('emb:shared', 'acme', NOW)).toBeDefined();
  });
});

describe('Class: EmbeddingCache with a failing store', () => {
  it('answers a miss and logs the failure without vectors or text', async () => {
    // Prepare
    const failing: EmbeddingCacheStore = {
      get: async () => {
        throw new Error('ProvisionedThroughputExceededException secret-text');
      },
      put: async () => {
        throw new Error('boom');
      },
    };
    const log = new MemoryLog();
    const cache = new EmbeddingCache(settings, { store: failing, log });
    const { expiresAt: _e, ...answer } = entry();

    // Act
    const got = await cache.shared('emb:x', 'acme', NOW);
    await cache.put('emb:x', answer, NOW);

    // Assess: the LRU still holds the put; both failures logged by error name only
    expect(got).toBeUndefined();
    expect(cache.local('emb:x', 'acme', NOW)).toBeDefined();
    const warnings = log.lines.filter(
      (e) => e.message === 'embedding cache store failed'
    );
    expect(warnings.map((w) => w.attributes[0]?.op)).toEqual(['get', 'put']);
    expect(JSON.stringify(warnings)).not.toContain('secret-text');
  });
});

describe('Two gateways sharing the embedding cache on DynamoDB Local', () => {
  let bedrock: FakeBedrockServer;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    bedrock = await startFakeBedrock();
  });
  afterAll(async () => {
    process.env = savedEnv;
    await bedrock.close();
  });

  it('answers from the cache on router B what router A embedded', async () => {
    // Prepare
    const store = new DynamoEmbeddingCacheStore({
      tableName: await ddb.createCacheTable('embcache2'),
      client: ddb.documentClient(),
    });
    const config: GatewayConfigFile = {
      providers: { bedrock: { region: 'eu-central-1', endpoint: bedrock.url } },
      models: [
        {
          id: 'titan-embed-v2',
          provider: 'bedrock',
          providerModelId: 'amazon.titan-embed-text-v2:0',
          capabilities: ['embeddings'],
          contextWindow: 8192,
          maxOutputTokens: 1,
        },
      ],
      tenants: [{ id: 'test', apiKeys: [TEST_KEY], tier: 'premium' }],
      guardrails: { enabled: false },
    };
    const [a, b] = await Promise.all([
      startTestGateway(config, { embeddingCacheStore: store }),
      startTestGateway(config, { embeddingCacheStore: store }),
    ]);
    const client = (url: string) =>
      new OpenAI({ apiKey: TEST_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    const body = {
      model: 'titan-embed-v2',
      input: ['shared chunk one', 'shared chunk two'],
      encoding_format: 'float' as const,
    };
    try {
      // Act
      const first = await client(a.url).embeddings.create(body).withResponse();
      const second = await client(b.url).embeddings.create(body).withResponse();

      // Assess: one Titan call per input, all from router A
      expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
      expect(second.response.headers.get('x-gateway-cache')).toBe('hit');
      expect(bedrock.requests).toHaveLength(2);
      expect(second.data.data.map((d) => d.embedding)).toEqual(
        first.data.data.map((d) => d.embedding)
      );
      expect(second.response.headers.get('x-gateway-cost-usd')).toBe(
        '0.00000000'
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
