import { DynamoExperimentStore } from '../../../lambdas/core/adapters/aws/dynamo-experiments';
import {
  ExperimentError,
  resolveExperiment,
} from '../../../lambdas/core/experiments/types';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();

const experiment = resolveExperiment(
  {
    id: 'next',
    kind: 'rollout',
    rollout: { model: 'claude-next', stage: 'canary' },
  },
  'test',
  new Date('2026-12-03T00:00:00Z')
);

describe('Class: DynamoExperimentStore (DynamoDB Local)', () => {
  let store: DynamoExperimentStore;

  beforeEach(async () => {
    store = new DynamoExperimentStore({
      definitionsTable: await ddb.createTable('registry'),
      countersTable: await ddb.createTable('decisions'),
      client: ddb.documentClient(),
    });
  });

  it('stores versions conditionally: a second writer of the same version loses', async () => {
    // Act
    const v1 = await store.put(experiment, 0);
    const v2 = await store.put({ ...v1, status: 'running' }, 1);
    const lost = store.put({ ...v1, status: 'stopped' }, 1);
    const dup = store.put(experiment, 0);
    // Assess
    expect(v2.version).toBe(2);
    await expect(lost).rejects.toMatchObject({
      status: 409,
      code: 'version_conflict',
    });
    await expect(dup).rejects.toBeInstanceOf(ExperimentError);
    expect(await store.get('next')).toEqual(v2);
    expect((await store.list()).map((e) => e.id)).toEqual(['next']);
    expect(await store.get('missing')).toBeUndefined();
  });

  it('adds observations atomically from concurrent writers', async () => {
    // Act: 50 concurrent adds, as 50 containers would.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.record('next', 'canary:candidate', {
          ok: i % 5 !== 0,
          latencyMs: 100,
          costUsd: 0.5,
        })
      )
    );
    await store.record('next', 'canary:control', {
      ok: true,
      latencyMs: 3,
      costUsd: 0,
    });
    // Assess
    const counts = await store.counts('next');
    expect(counts['canary:candidate']).toEqual({
      n: 50,
      successes: 40,
      latencySum: 5000,
      latencySumSq: 500_000,
      costSum: 25,
      costSumSq: 12.5,
    });
    expect(counts['canary:control']?.n).toBe(1);
    expect(await store.counts('other')).toEqual({});
  });
});
