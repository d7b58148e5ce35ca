import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoLimitCounters,
  limitCounterKey,
} from '../../../lambdas/core/adapters/aws/dynamo-limit-counters';
import { MemoryLimitCounters } from '../../../lambdas/core/adapters/local/memory-limit-counters';
import type { LimitCounterStore } from '../../../lambdas/core/limits/types';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();

/** The same semantics for both stores: DynamoDB Local and memory. */
function describeCounterContract(
  name: string,
  make: () => Promise<LimitCounterStore>
): void {
  describe(`Contract: ${name}`, () => {
    let store: LimitCounterStore;
    beforeEach(async () => {
      store = await make();
    });
    const exp = Math.floor(Date.now() / 1000) + 3600;

    it('adds while the counter stays within the limit, then refuses without changing it', async () => {
      // Act
      const a = await store.tryAdd({
        key: 'k',
        amount: 2,
        limit: 3,
        expiresAt: exp,
      });
      const b = await store.tryAdd({
        key: 'k',
        amount: 2,
        limit: 3,
        expiresAt: exp,
      });
      const c = await store.tryAdd({
        key: 'k',
        amount: 1,
        limit: 3,
        expiresAt: exp,
      });

      // Assess
      expect(a).toEqual({ ok: true, value: 2 });
      expect(b).toEqual({ ok: false, value: 2 });
      expect(c).toEqual({ ok: true, value: 3 });
    });

    it('refuses an add larger than the whole limit on an empty counter', async () => {
      const r = await store.tryAdd({
        key: 'big',
        amount: 11,
        limit: 10,
        expiresAt: exp,
      });
      expect(r.ok).toBe(false);
    });

    it('gives back with a negative add', async () => {
      // Prepare
      await store.tryAdd({ key: 'g', amount: 5, limit: 5, expiresAt: exp });
      // Act
      await store.add('g', -3, exp);
      // Assess
      expect(
        await store.tryAdd({ key: 'g', amount: 3, limit: 5, expiresAt: exp })
      ).toEqual({ ok: true, value: 5 });
    });

    it('lets exactly `limit` of 100 concurrent adds through', async () => {
      // Act
      const results = await Promise.all(
        Array.from({ length: 100 }, () =>
          store.tryAdd({ key: 'hot', amount: 1, limit: 30, expiresAt: exp })
        )
      );
      // Assess
      expect(results.filter((r) => r.ok)).toHaveLength(30);
    });
  });
}

describeCounterContract(
  'MemoryLimitCounters',
  async () => new MemoryLimitCounters()
);
describeCounterContract(
  'DynamoLimitCounters',
  async () =>
    new DynamoLimitCounters({
      tableName: await ddb.createTable('limits'),
      client: ddb.documentClient(),
    })
);

describe('Class: DynamoLimitCounters', () => {
  it('keeps counters under LIMIT# keys with the TTL attribute of the usage table', async () => {
    // Prepare
    const tableName = await ddb.createTable('limits-layout');
    const store = new DynamoLimitCounters({
      tableName,
      client: ddb.documentClient(),
    });

    // Act
    await store.tryAdd({
      key: 'acme#rpm#1',
      amount: 1,
      limit: 5,
      expiresAt: 1234,
    });

    // Assess
    const item = await ddb.documentClient().send(
      new GetCommand({
        TableName: tableName,
        Key: limitCounterKey('acme#rpm#1'),
      })
    );
    expect(item.Item).toEqual({
      pk: 'LIMIT#acme#rpm#1',
      sk: 'COUNTER',
      v: 1,
      expiresAt: 1234,
    });
  });

  it('wraps a backend failure in LimitStoreError', async () => {
    // Prepare: a table that does not exist
    const store = new DynamoLimitCounters({
      tableName: 'missing-table',
      client: ddb.documentClient(),
    });
    // Act / Assess
    await expect(
      store.tryAdd({ key: 'x', amount: 1, limit: 1, expiresAt: 1 })
    ).rejects.toMatchObject({ name: 'LimitStoreError' });
  });
});

describe('Class: MemoryLimitCounters', () => {
  it('forgets a window after its expiry (injected clock)', async () => {
    // Prepare
    let now = 1_000_000;
    const store = new MemoryLimitCounters(() => now);
    await store.tryAdd({ key: 'w', amount: 1, limit: 1, expiresAt: 1_001 });
    // Act
    now = 1_001_000;
    // Assess
    expect(
      await store.tryAdd({ key: 'w', amount: 1, limit: 1, expiresAt: 1_061 })
    ).toEqual({ ok: true, value: 1 });
  });
});
