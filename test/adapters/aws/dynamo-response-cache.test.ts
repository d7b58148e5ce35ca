import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { DynamoResponseCacheStore } from '../../../lambdas/core/adapters/aws/dynamo-response-cache';
import { chatCompletionJson } from '../../../lambdas/core/api/chat-response';
import { resolveCacheSettings } from '../../../lambdas/core/cache/config';
import { ResponseCache } from '../../../lambdas/core/cache/response-cache';
import type { CachedCompletion } from '../../../lambdas/core/cache/types';
import { CacheStage } from '../../../lambdas/core/gateway/cache-stage';
import type { ResponseSink } from '../../../lambdas/core/gateway/sink';
import {
  CountingMetrics,
  planned,
  RecordingSink,
  twoTenantConfig,
} from '../../helpers/cache-fixtures';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';
import { MemoryLog } from '../../helpers/gateway';

const ddb = useDynamoDbLocal();
const config = twoTenantConfig();

const entry = (over: Partial<CachedCompletion> = {}): CachedCompletion => ({
  v: 1,
  tenant: 'acme',
  model: 'echo',
  provider: 'echo',
  content: 'hello',
  toolCalls: [],
  finishReason: 'stop',
  usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
  createdAt: 1_000_000,
  expiresAt: 1_060_000,
  ...over,
});

describe('Class: DynamoResponseCacheStore (DynamoDB Local)', () => {
  let doc: DynamoDBDocumentClient;
  let tableName: string;

  beforeAll(async () => {
    doc = ddb.documentClient();
    tableName = await ddb.createCacheTable('cache');
  });

  describe('Method: put', () => {
    it('writes the TTL attribute in epoch seconds, rounded up', async () => {
      // Prepare
      const store = new DynamoResponseCacheStore({ tableName, client: doc });

      // Act
      await store.put('acme#k1', entry({ expiresAt: 1_060_500 }));

      // Assess
      const out = await doc.send(
        new GetCommand({ TableName: tableName, Key: { pk: 'acme#k1' } })
      );
      expect(out.Item).toMatchObject({
        pk: 'acme#k1',
        tenant: 'acme',
        expiresAt: 1061,
      });
      expect(JSON.parse(out.Item!.entry)).toEqual(
        entry({ expiresAt: 1_060_500 })
      );
    });
  });

  describe('Method: get', () => {
    it('reads a live entry back', async () => {
      // Prepare
      const store = new DynamoResponseCacheStore({ tableName, client: doc });
      await store.put('acme#k2', entry());

      // Act
      const got = await store.get('acme#k2', 1_000_001);

      // Assess
      expect(got).toEqual(entry());
    });

    it('treats an expired item as a miss before DynamoDB deletes it', async () => {
      // Prepare
      const store = new DynamoResponseCacheStore({ tableName, client: doc });
      await store.put('acme#k3', entry());

      // Act
      const got = await store.get('acme#k3', 1_060_000);
      const still = await doc.send(
        new GetCommand({ TableName: tableName, Key: { pk: 'acme#k3' } })
      );

      // Assess
      expect(got).toBeUndefined();
      expect(still.Item).toBeDefined();
    });

    it('ignores an item whose stored tenant does not match its entry', async () => {
      // Prepare
      const store = new DynamoResponseCacheStore({ tableName, client: doc });
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: 'acme#k4',
            tenant: 'acme',
            entry: JSON.stringify(entry({ tenant: 'globex' })),
            expiresAt: 2_000,
          },
        })
      );

      // Act / Assess
      expect(await store.get('acme#k4', 1_000_001)).toBeUndefined();
      expect(await store.get('acme#absent', 1_000_001)).toBeUndefined();
    });
  });

  describe('Two router instances sharing the table', () => {
    function instance(clock: { now: number }) {
      const settings = resolveCacheSettings({ defaultTtlSeconds: 60 });
      return new CacheStage({
        cache: new ResponseCache({
          settings,
          store: new DynamoResponseCacheStore({ tableName, client: doc }),
        }),
        settings,
        metrics: new CountingMetrics(),
        log: new MemoryLog(),
        now: () => clock.now,
      });
    }
    const answer = (text: string) => {
      const state = { calls: 0 };
      const handle = async (sink: ResponseSink): Promise<void> => {
        state.calls++;
        sink.send(
          200,
          { 'x-gateway-model': 'echo', 'x-gateway-provider': 'echo' },
          JSON.stringify(
            chatCompletionJson('chatcmpl-live', 1, 'echo', {
              content: text,
              toolCalls: [],
              finishReason: 'stop',
              usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
            })
          )
        );
      };
      return { state, handle };
    };
    async function serve(
      stage: CacheStage,
      tenant: string,
      handle: (sink: ResponseSink) => Promise<void>
    ): Promise<RecordingSink> {
      const sink = new RecordingSink();
      const p = planned(config, tenant, {
        messages: [{ role: 'user', content: 'shared question' }],
      });
      await stage.serve({ ...p, requestId: 'r', sink }, handle);
      return sink;
    }

    it('hits across instances for one tenant and never across tenants', async () => {
      // Prepare
      const clock = { now: Date.now() };
      const a = instance(clock);
      const b = instance(clock);
      const acme = answer('acme private answer');
      const globex = answer('globex answer');

      // Act
      const stored = await serve(a, 'acme', acme.handle);
      const acmeOnB = await serve(b, 'acme', acme.handle);
      const globexOnB = await serve(b, 'globex', globex.handle);
      const globexOnA = await serve(a, 'globex', globex.handle);

      // Assess
      expect(stored.headers['x-gateway-cache']).toBe('miss');
      expect(acmeOnB.headers['x-gateway-cache']).toBe('hit');
      expect(JSON.parse(acmeOnB.body).choices[0].message.content).toBe(
        'acme private answer'
      );
      expect(globexOnB.headers['x-gateway-cache']).toBe('miss');
      expect(JSON.parse(globexOnB.body).choices[0].message.content).toBe(
        'globex answer'
      );
      // Instance A learns globex's entry from the table, never acme's.
      expect(globexOnA.headers['x-gateway-cache']).toBe('hit');
      expect(JSON.parse(globexOnA.body).choices[0].message.content).toBe(
        'globex answer'
      );
      expect(acme.state.calls).toBe(1);
      expect(globex.state.calls).toBe(1);
    });

    it('misses on another instance once the TTL passed (injected clock)', async () => {
      // Prepare
      const clock = { now: Date.now() + 10_000_000 };
      const a = instance(clock);
      const p = answer('short lived');
      await serve(a, 'acme', p.handle);

      // Act
      clock.now += 60_000;
      const late = await serve(instance(clock), 'acme', p.handle);

      // Assess
      expect(late.headers['x-gateway-cache']).toBe('miss');
      expect(p.state.calls).toBe(2);
    });
  });
});
