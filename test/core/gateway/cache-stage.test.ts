import { chatCompletionJson } from '../../../lambdas/core/api/chat-response';
import { resolveCacheSettings } from '../../../lambdas/core/cache/config';
import { ResponseCache } from '../../../lambdas/core/cache/response-cache';
import type {
  CachedCompletion,
  ResponseCacheStore,
} from '../../../lambdas/core/cache/types';
import {
  CacheStage,
  cacheDecision,
  replaySse,
} from '../../../lambdas/core/gateway/cache-stage';
import type { ResponseSink } from '../../../lambdas/core/gateway/sink';
import {
  CountingMetrics,
  planned,
  RecordingSink,
  twoTenantConfig,
} from '../../helpers/cache-fixtures';
import { MemoryLog } from '../../helpers/gateway';

const config = twoTenantConfig();

/** The chat service stand-in: answers with a fixed completion and counts calls. */
function provider(text: string) {
  const state = { calls: 0 };
  const handle = async (sink: ResponseSink): Promise<void> => {
    state.calls++;
    sink.send(
      200,
      {
        'content-type': 'application/json',
        'x-gateway-model': 'echo',
        'x-gateway-provider': 'echo',
      },
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
}

function stageAt(
  clock: { now: number },
  file: Parameters<typeof resolveCacheSettings>[0] = {},
  store?: ResponseCacheStore
) {
  const settings = resolveCacheSettings(file);
  const metrics = new CountingMetrics();
  const stage = new CacheStage({
    cache: new ResponseCache({ settings, store }),
    settings,
    metrics,
    log: new MemoryLog(),
    now: () => clock.now,
  });
  return { stage, metrics };
}

async function serve(
  stage: CacheStage,
  tenant: string,
  handle: (sink: ResponseSink) => Promise<void>,
  body: Record<string, unknown> = { messages: [{ role: 'user', content: 'q' }] }
): Promise<RecordingSink> {
  const sink = new RecordingSink();
  const { request, plan, tenant: t } = planned(config, tenant, body);
  await stage.serve(
    { request, plan, tenant: t, requestId: 'r1', sink },
    handle
  );
  return sink;
}

describe('Class: CacheStage', () => {
  describe('Method: serve', () => {
    it('serves an entry until its TTL passes, then misses (injected clock)', async () => {
      // Prepare
      const clock = { now: 1_000_000 };
      const { stage } = stageAt(clock, { defaultTtlSeconds: 60 });
      const p = provider('cached answer');

      // Act
      const first = await serve(stage, 'acme', p.handle);
      clock.now += 59_999;
      const inside = await serve(stage, 'acme', p.handle);
      clock.now += 1;
      const expired = await serve(stage, 'acme', p.handle);

      // Assess
      expect(first.headers['x-gateway-cache']).toBe('miss');
      expect(inside.headers['x-gateway-cache']).toBe('hit');
      expect(inside.headers['x-gateway-cache-age']).toBe('59');
      expect(expired.headers['x-gateway-cache']).toBe('miss');
      expect(p.state.calls).toBe(2);
    });

    it('uses the TTL of the request domain', async () => {
      // Prepare
      const clock = { now: 0 };
      const { stage } = stageAt(clock, {
        defaultTtlSeconds: 3600,
        ttlSecondsByDomain: { legal: 10 },
      });
      const p = provider('a');
      const body = {
        messages: [{ role: 'user', content: 'q' }],
        routing: { domain: 'legal' },
      };

      // Act
      await serve(stage, 'acme', p.handle, body);
      clock.now = 10_000;
      const after = await serve(stage, 'acme', p.handle, body);

      // Assess
      expect(after.headers['x-gateway-cache']).toBe('miss');
    });

    it('keeps tenants apart in the LRU', async () => {
      // Prepare
      const { stage } = stageAt({ now: 0 });
      const acme = provider('acme only');
      const globex = provider('globex only');

      // Act
      await serve(stage, 'acme', acme.handle);
      const g = await serve(stage, 'globex', globex.handle);

      // Assess
      expect(g.headers['x-gateway-cache']).toBe('miss');
      expect(JSON.parse(g.body).choices[0].message.content).toBe('globex only');
      expect(globex.state.calls).toBe(1);
    });

    it('counts a hit as a cached request that cost nothing', async () => {
      // Prepare
      const { stage, metrics } = stageAt({ now: 0 });
      const p = provider('x');

      // Act
      await serve(stage, 'acme', p.handle);
      await serve(stage, 'acme', p.handle);

      // Assess
      expect(metrics.events.get('CacheHits')).toBe(1);
      expect(metrics.events.get('CacheMisses')).toBe(1);
      expect(metrics.requests).toEqual([
        expect.objectContaining({ cached: true, costUsd: 0 }),
      ]);
    });

    it('serves no hit whose model is no longer a candidate of the plan', async () => {
      // Prepare
      const clock = { now: 0 };
      const entry: CachedCompletion = {
        v: 1,
        tenant: 'acme',
        model: 'retired-model',
        provider: 'echo',
        content: 'from a model the request may not use now',
        toolCalls: [],
        finishReason: 'stop',
        usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
        createdAt: 0,
        expiresAt: 60_000,
      };
      const store: ResponseCacheStore = {
        get: async () => entry,
        put: async () => {},
      };
      const { stage } = stageAt(clock, {}, store);
      const p = provider('live');

      // Act
      const sink = await serve(stage, 'acme', p.handle);

      // Assess
      expect(sink.headers['x-gateway-cache']).toBe('miss');
      expect(p.state.calls).toBe(1);
    });

    it('treats a failing shared store as a miss and still answers', async () => {
      // Prepare
      const store: ResponseCacheStore = {
        get: async () => {
          throw new Error('ProvisionedThroughputExceeded');
        },
        put: async () => {
          throw new Error('ProvisionedThroughputExceeded');
        },
      };
      const { stage } = stageAt({ now: 0 }, {}, store);
      const p = provider('still served');

      // Act
      const sink = await serve(stage, 'acme', p.handle);

      // Assess
      expect(sink.status).toBe(200);
      expect(sink.headers['x-gateway-cache']).toBe('miss');
    });

    it('does not store an answer larger than maxEntryBytes', async () => {
      // Prepare
      const { stage } = stageAt({ now: 0 }, { maxEntryBytes: 1000 });
      const p = provider('x'.repeat(2000));

      // Act
      await serve(stage, 'acme', p.handle);
      const again = await serve(stage, 'acme', p.handle);

      // Assess
      expect(again.headers['x-gateway-cache']).toBe('miss');
      expect(stage.counters.stores).toBe(0);
    });
  });
});

describe('Function: cacheDecision', () => {
  const settings = resolveCacheSettings({});
  const req = (body: Record<string, unknown>) =>
    planned(config, 'acme', {
      messages: [{ role: 'user', content: 'q' }],
      ...body,
    }).request;

  it('caches temperature 0 and forced requests only', () => {
    expect(cacheDecision(req({}), 'general', undefined, settings)).toEqual({
      cacheable: true,
      ttlSeconds: 3600,
    });
    expect(
      cacheDecision(req({ temperature: 0.2 }), 'general', undefined, settings)
    ).toEqual({ cacheable: false, reason: 'non-deterministic' });
    expect(
      cacheDecision(
        req({ temperature: undefined }),
        'general',
        undefined,
        settings
      )
    ).toEqual({ cacheable: false, reason: 'non-deterministic' });
    expect(
      cacheDecision(req({ temperature: 1 }), 'general', 'force', settings)
        .cacheable
    ).toBe(true);
    expect(
      cacheDecision(req({}), 'general', 'no-cache', settings).cacheable
    ).toBe(false);
    expect(
      cacheDecision(req({}), 'general', undefined, {
        ...settings,
        enabled: false,
      })
    ).toEqual({ cacheable: false, reason: 'disabled' });
  });
});

describe('Function: replaySse', () => {
  it('frames tool calls like a live stream and ends with [DONE]', () => {
    // Act
    const text = replaySse(
      {
        v: 1,
        tenant: 't',
        model: 'echo',
        provider: 'echo',
        content: null,
        toolCalls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"q":"Paris"}' },
          },
        ],
        finishReason: 'tool_calls',
        usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
        createdAt: 0,
        expiresAt: 1,
      },
      'chatcmpl-x',
      1,
      false
    );

    // Assess
    const events = text
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.slice('data: '.length));
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: '' },
      {
        tool_calls: [
          {
            index: 0,
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"q":"Paris"}' },
          },
        ],
      },
      {},
    ]);
    expect(chunks[2].choices[0].finish_reason).toBe('tool_calls');
  });
});
