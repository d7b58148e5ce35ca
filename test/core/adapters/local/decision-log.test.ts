import { MemoryDecisionLog } from '../../../../lambdas/core/adapters/local/decision-log';
import type { DecisionRecord } from '../../../../lambdas/core/ports';

const record = (id: string, ts: string, tenant = 'acme'): DecisionRecord => ({
  decision_id: id,
  ts,
  tenant,
  context: { domain: 'general', budget_tier: 'standard', tools: false },
  candidates: ['m'],
  chosen: 'm',
  propensity: 1,
  latency_ms: 5,
  cost_usd: 0,
  outcome: 'ok',
  reward: 1,
});

describe('Class: MemoryDecisionLog', () => {
  describe('Method: get', () => {
    it('forgets a decision once the ring evicted it, and finds the rest', async () => {
      // Arrange
      const log = new MemoryDecisionLog(3);
      for (let i = 0; i < 5; i++)
        log.record(record(`d${i}`, `2026-12-01T00:00:0${i}.000Z`));

      // Act & Assess
      expect(await log.get('d0')).toBeUndefined();
      expect(await log.get('d1')).toBeUndefined();
      expect((await log.get('d4'))?.decision_id).toBe('d4');
      expect(log.recent().map((r) => r.decision_id)).toEqual([
        'd4',
        'd3',
        'd2',
      ]);
    });
  });

  describe('Method: attachFeedback', () => {
    it('updates the record in place, visible to recent() and list()', async () => {
      // Arrange
      const log = new MemoryDecisionLog(3);
      for (let i = 0; i < 4; i++)
        log.record(record(`d${i}`, `2026-12-01T00:00:0${i}.000Z`));
      const feedback = { score: 0.5, at: '2026-12-01T01:00:00.000Z' };

      // Act
      const w = await log.attachFeedback('d2', 'acme', feedback, 0.5);

      // Assess
      expect(w.status).toBe('recorded');
      expect(log.recent()[1]).toEqual(
        expect.objectContaining({ decision_id: 'd2', feedback, reward: 0.5 })
      );
      const { records } = await log.list({ limit: 10 });
      expect(records.map((r) => r.decision_id)).toEqual(['d1', 'd2', 'd3']);
      expect(records[1]?.feedback).toEqual(feedback);
      expect(
        (await log.attachFeedback('d2', 'other', feedback, 1)).status
      ).toBe('not_found');
    });
  });
});
