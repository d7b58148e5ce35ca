import { MemoryLimitCounters } from '../../../lambdas/core/adapters/local/memory-limit-counters';
import { GatewayError } from '../../../lambdas/core/api/errors';
import type { ResolvedTenant } from '../../../lambdas/core/config/load';
import { LimitStage } from '../../../lambdas/core/gateway/limit-stage';
import type { ChatRequest } from '../../../lambdas/core/types';
import { MemoryLog } from '../../helpers/gateway';

const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);
const request: ChatRequest = {
  model: 'auto',
  messages: [{ role: 'user', content: 'hello there' }],
  stream: false,
  includeUsage: false,
  routing: {},
};
const tenant = (
  limits: ResolvedTenant['limits'],
  tier?: ResolvedTenant['tier']
): ResolvedTenant => ({
  id: 'acme',
  keyHashes: [],
  budgets: {},
  limits,
  tier,
});
const metrics = { request: () => {}, attempt: () => {}, event: jest.fn() };

function stage(
  store = new MemoryLimitCounters(() => NOW),
  failOpen = true,
  tierCaps = {}
) {
  return new LimitStage({
    store,
    settings: { maxTokensPerRequest: tierCaps, failOpen },
    defaultTier: 'standard',
    log: new MemoryLog(),
    metrics,
    now: () => NOW,
  });
}

const down = {
  tryAdd: () => Promise.reject(new Error('unreachable')),
  add: () => Promise.reject(new Error('unreachable')),
};

describe('Class: LimitStage', () => {
  describe('Method: admit', () => {
    it('clamps max_tokens to the tier default when the tenant sets none, and sets it when absent', async () => {
      // Act
      const a = await stage(undefined, true, { low: 256 }).admit(
        request,
        tenant({}, 'low')
      );
      const b = await stage(undefined, true, { low: 256 }).admit(
        { ...request, maxTokens: 100 },
        tenant({}, 'low')
      );
      // Assess
      expect(a.request.maxTokens).toBe(256);
      expect(b.request.maxTokens).toBe(100);
      expect(a.headers).toEqual({});
    });

    it('serves without headers when the counters are down and failOpen is on', async () => {
      const a = await stage(down as never, true).admit(
        request,
        tenant({ requestsPerMinute: 1 })
      );
      expect(a.headers).toEqual({});
      expect(metrics.event).toHaveBeenCalledWith('LimitStoreError');
    });

    it('answers 503 limits_unavailable when the counters are down and failOpen is off', async () => {
      const err = await stage(down as never, false)
        .admit(request, tenant({ requestsPerMinute: 1 }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect(err).toMatchObject({ status: 503, code: 'limits_unavailable' });
    });
  });

  describe('Method: settle', () => {
    it('gives the whole token reservation back when nothing was served, once', async () => {
      // Prepare
      const store = new MemoryLimitCounters(() => NOW);
      const s = stage(store);
      const a = await s.admit(
        { ...request, maxTokens: 50 },
        tenant({ tokensPerDay: 1000 })
      );
      expect(store.current('acme#tpd#2026-12-03')).toBeGreaterThan(50);
      // Act
      await a.settle();
      await a.settle();
      // Assess
      expect(store.current('acme#tpd#2026-12-03')).toBe(0);
    });

    it('keeps exactly the real usage once served', async () => {
      // Prepare
      const store = new MemoryLimitCounters(() => NOW);
      const a = await stage(store).admit(
        { ...request, maxTokens: 50 },
        tenant({ tokensPerDay: 1000 })
      );
      // Act
      a.served({ promptTokens: 7, completionTokens: 3, totalTokens: 10 });
      await a.settle();
      // Assess
      expect(store.current('acme#tpd#2026-12-03')).toBe(10);
    });
  });

  describe('Method: wrap', () => {
    it('adds the x-ratelimit headers to whole and streamed answers', async () => {
      // Prepare
      const a = await stage().admit(request, tenant({ requestsPerMinute: 5 }));
      const sent: Record<string, string>[] = [];
      const sink = {
        send: (_s: number, h: Record<string, string>) => void sent.push(h),
        start: (_s: number, h: Record<string, string>) => void sent.push(h),
        write: () => undefined,
        end: () => {},
        signal: new AbortController().signal,
      };
      // Act
      const w = a.wrap(sink);
      w.send(200, { 'x-gateway-model': 'm' }, '{}');
      w.start(200, {});
      // Assess
      for (const h of sent)
        expect(h['x-ratelimit-remaining-requests']).toBe('4');
      expect(sent[0]!['x-gateway-model']).toBe('m');
    });
  });
});
