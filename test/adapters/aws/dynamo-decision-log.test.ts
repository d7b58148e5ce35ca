import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDecisionLog } from '../../../lambdas/core/adapters/aws/dynamo-decision-log';
import type { DecisionRecord } from '../../../lambdas/core/ports';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

function decision(
  id: string,
  ts: string,
  tenant = 'acme',
  extra: Partial<DecisionRecord> = {}
): DecisionRecord {
  return {
    decision_id: id,
    ts,
    tenant,
    context: { domain: 'legal', budget_tier: 'premium', tools: false },
    candidates: ['claude-sonnet', 'gemini-flash'],
    chosen: 'claude-sonnet',
    propensity: 0.8,
    latency_ms: 420,
    cost_usd: 0.001,
    outcome: 'ok',
    reward: 0.9,
    served_by: 'claude-sonnet',
    ...extra,
  };
}

const FEEDBACK = {
  score: 1,
  thumbs: 'up' as const,
  at: '2026-12-01T10:00:00.000Z',
};

describe('Class: DynamoDecisionLog (DynamoDB Local)', () => {
  const ddb = useDynamoDbLocal();
  let table: string;
  let log: DynamoDecisionLog;

  beforeAll(async () => {
    table = await ddb.createTable('decisions');
    log = new DynamoDecisionLog({
      tableName: table,
      client: ddb.documentClient(),
    });
    for (let i = 0; i < 12; i++) {
      log.record(
        decision(
          `d${String(i).padStart(2, '0')}`,
          `2026-12-01T0${Math.floor(i / 4)}:0${i % 4}:00.000Z`,
          i % 3 === 0 ? 'globex' : 'acme'
        )
      );
    }
    await log.flush();
    // Bandit state shares the table: never exported as a decision.
    await ddb.documentClient().send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: 'bandit#legal|premium|false',
          sk: 'claude-sonnet',
          alpha: 3,
        },
      })
    );
  });

  describe('Method: get', () => {
    it('reads a flushed decision by id, without the table keys', async () => {
      // Act
      const fresh = new DynamoDecisionLog({
        tableName: table,
        client: ddb.documentClient(),
      });
      const r = await fresh.get('d01');

      // Assess: another container (a fresh instance) sees it.
      expect(r).toEqual(decision('d01', '2026-12-01T00:01:00.000Z'));
      expect(await fresh.get('nope')).toBeUndefined();
    });
  });

  describe('Method: attachFeedback', () => {
    it('records once, then answers replay or conflict', async () => {
      // Act
      const first = await log.attachFeedback('d02', 'acme', FEEDBACK, 1);
      const replay = await log.attachFeedback(
        'd02',
        'acme',
        { ...FEEDBACK, at: '2026-12-01T11:00:00.000Z' },
        1
      );
      const conflict = await log.attachFeedback(
        'd02',
        'acme',
        { score: 0, at: FEEDBACK.at },
        0
      );

      // Assess
      expect(first).toEqual({
        status: 'recorded',
        record: {
          ...decision('d02', '2026-12-01T00:02:00.000Z'),
          feedback: FEEDBACK,
          reward: 1,
        },
      });
      expect(replay.status).toBe('replay');
      expect(conflict.status).toBe('conflict');
      expect((await log.get('d02'))?.feedback).toEqual(FEEDBACK);
    });

    it('answers not_found for an unknown decision or another tenant’s, writing nothing', async () => {
      // Act
      const unknown = await log.attachFeedback('nope', 'acme', FEEDBACK, 1);
      const foreign = await log.attachFeedback('d04', 'globex', FEEDBACK, 1);

      // Assess
      expect(unknown).toEqual({ status: 'not_found' });
      expect(foreign).toEqual({ status: 'not_found' });
      expect(await log.get('nope')).toBeUndefined();
      expect((await log.get('d04'))?.feedback).toBeUndefined();
    });

    it('lets exactly one of two concurrent different feedbacks win', async () => {
      // Act
      const results = await Promise.all([
        log.attachFeedback('d05', 'acme', { score: 1, at: FEEDBACK.at }, 1),
        log.attachFeedback('d05', 'acme', { score: 0, at: FEEDBACK.at }, 0),
      ]);

      // Assess
      expect(results.map((r) => r.status).sort()).toEqual([
        'conflict',
        'recorded',
      ]);
    });
  });

  describe('Method: list', () => {
    const all = async (query: Parameters<DynamoDecisionLog['list']>[0]) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await log.list({ ...query, cursor });
        expect(page.records.length).toBeLessThanOrEqual(query.limit);
        ids.push(...page.records.map((r) => r.decision_id));
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 50);
      return { ids: ids.sort(), pages };
    };

    it('pages through every decision item, and only decision items', async () => {
      // Act
      const { ids, pages } = await all({ limit: 5 });

      // Assess
      expect(ids).toHaveLength(12);
      expect(new Set(ids).size).toBe(12);
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('filters by time window (since inclusive, until exclusive) and tenant', async () => {
      // Act
      const window = await all({
        since: '2026-12-01T01:00:00Z',
        until: '2026-12-01T02:00:00Z',
        limit: 2,
      });
      const tenant = await all({ tenant: 'globex', limit: 100 });

      // Assess
      expect(window.ids).toEqual(['d04', 'd05', 'd06', 'd07']);
      expect(tenant.ids).toEqual(['d00', 'd03', 'd06', 'd09']);
    });

    it('refuses a cursor it did not issue', async () => {
      await expect(log.list({ limit: 5, cursor: 'garbage' })).rejects.toThrow(
        RangeError
      );
    });
  });
});
