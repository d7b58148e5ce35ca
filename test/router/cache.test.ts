import { createParser } from 'eventsource-parser';
import {
  call,
  echoConfig,
  json,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';
import { ScriptedAdapter } from '../helpers/scripted-adapter';

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

const OTHER_KEY = 'sk-other-tenant-key-0002';

/** Reads an SSE body into its data payloads (comments dropped). */
async function sseData(res: Response): Promise<string[]> {
  const out: string[] = [];
  const parser = createParser({ onEvent: (e) => out.push(e.data) });
  parser.feed(await res.text());
  return out;
}

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'echo',
  temperature: 0,
  messages: [{ role: 'user', content }],
  ...extra,
});

describe('Response cache through the router (local host)', () => {
  let gw: Gateway;
  let provider: ScriptedAdapter;

  beforeEach(async () => {
    provider = new ScriptedAdapter('echo');
    gw = await startTestGateway(
      {
        ...echoConfig({
          tenants: [
            { id: 'test', apiKeys: [TEST_KEY], tier: 'standard' },
            { id: 'other', apiKeys: [OTHER_KEY], tier: 'standard' },
          ],
        }),
        cache: { ttlSecondsByDomain: { medical: 0 } },
      },
      { adapters: new Map([['echo', provider]]) }
    );
  });
  afterEach(() => gw.close());

  describe('deterministic requests', () => {
    it('answers a repeat from the cache: same content, new id, cost 0, no provider call', async () => {
      // Act
      const first = await call(gw, '/v1/chat/completions', { body: ask('hi') });
      const firstBody = await json(first);
      const second = await call(gw, '/v1/chat/completions', {
        body: ask('hi'),
      });
      const secondBody = await json(second);

      // Assess
      expect(first.headers.get('x-gateway-cache')).toBe('miss');
      expect(second.status).toBe(200);
      expect(second.headers.get('x-gateway-cache')).toBe('hit');
      expect(second.headers.get('x-gateway-cost-usd')).toBe('0.00000000');
      expect(second.headers.get('x-gateway-model')).toBe('echo');
      expect(second.headers.get('x-gateway-provider')).toBe('echo');
      expect(provider.calls).toBe(1);
      expect(secondBody.id).not.toBe(firstBody.id);
      expect(secondBody.choices).toEqual(firstBody.choices);
      expect(secondBody.usage).toEqual(firstBody.usage);
      expect(secondBody.object).toBe('chat.completion');
    });

    it('keys on the resolved model: an alias hits the entry of its model id', async () => {
      // Act
      await call(gw, '/v1/chat/completions', { body: ask('alias') });
      const viaAlias = await call(gw, '/v1/chat/completions', {
        body: ask('alias', { model: 'local-echo' }),
      });

      // Assess
      expect(viaAlias.headers.get('x-gateway-cache')).toBe('hit');
      expect(provider.calls).toBe(1);
    });

    it('misses when any generation parameter differs', async () => {
      // Act
      await call(gw, '/v1/chat/completions', { body: ask('p') });
      const variants = [
        ask('p', { max_tokens: 10 }),
        ask('p', { seed: 3 }),
        ask('p', { stop: ['x'] }),
        ask('p', { top_p: 0.5 }),
        ask('p', { response_format: { type: 'json_object' } }),
        ask('p', {
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: 'p' },
          ],
        }),
      ];
      const statuses: (string | null)[] = [];
      for (const body of variants) {
        const res = await call(gw, '/v1/chat/completions', { body });
        statuses.push(res.headers.get('x-gateway-cache'));
      }

      // Assess
      expect(statuses).toEqual(variants.map(() => 'miss'));
      expect(provider.calls).toBe(1 + variants.length);
    });
  });

  describe('bypass', () => {
    it('bypasses requests without temperature 0 and calls the provider each time', async () => {
      // Act
      const res1 = await call(gw, '/v1/chat/completions', {
        body: ask('warm', { temperature: 0.7 }),
      });
      const res2 = await call(gw, '/v1/chat/completions', {
        body: ask('warm', { temperature: 0.7 }),
      });
      const noTemp = await call(gw, '/v1/chat/completions', {
        body: { model: 'echo', messages: [{ role: 'user', content: 'warm' }] },
      });

      // Assess
      expect(res1.headers.get('x-gateway-cache')).toBe('bypass');
      expect(res2.headers.get('x-gateway-cache')).toBe('bypass');
      expect(noTemp.headers.get('x-gateway-cache')).toBe('bypass');
      expect(provider.calls).toBe(3);
    });

    it('says bypass on every other answer too (models, stats, route, health, errors)', async () => {
      // Act
      const answers = await Promise.all([
        call(gw, '/v1/models', { method: 'GET' }),
        call(gw, '/v1/stats', { method: 'GET' }),
        call(gw, '/v1/route', { body: ask('route me', { temperature: 0 }) }),
        call(gw, '/health', { method: 'GET' }),
        call(gw, '/v1/nowhere', { method: 'GET' }),
      ]);
      // Assess
      expect(answers.map((r) => r.headers.get('x-gateway-cache'))).toEqual([
        'bypass',
        'bypass',
        'bypass',
        'bypass',
        'bypass',
      ]);
      expect(provider.calls).toBe(0);
    });

    it('caches a non-deterministic request when the client forces it', async () => {
      // Act
      const headers = { 'x-gateway-cache': 'force' };
      const body = ask('forced', { temperature: 1 });
      const first = await call(gw, '/v1/chat/completions', { body, headers });
      const second = await call(gw, '/v1/chat/completions', { body, headers });

      // Assess
      expect(first.headers.get('x-gateway-cache')).toBe('miss');
      expect(second.headers.get('x-gateway-cache')).toBe('hit');
      expect(provider.calls).toBe(1);
    });

    it('skips the cache with no-cache, even for a stored entry', async () => {
      // Arrange
      await call(gw, '/v1/chat/completions', { body: ask('fresh') });

      // Act
      const res = await call(gw, '/v1/chat/completions', {
        body: ask('fresh'),
        headers: { 'x-gateway-cache': 'no-cache' },
      });

      // Assess
      expect(res.headers.get('x-gateway-cache')).toBe('bypass');
      expect(provider.calls).toBe(2);
    });

    it('never caches a domain whose TTL is 0', async () => {
      // Act
      const body = ask('med', { routing: { domain: 'medical' } });
      await call(gw, '/v1/chat/completions', { body });
      const res = await call(gw, '/v1/chat/completions', { body });

      // Assess
      expect(res.headers.get('x-gateway-cache')).toBe('bypass');
      expect(provider.calls).toBe(2);
    });

    it('answers 400 for an unknown directive, still saying bypass', async () => {
      // Act
      const res = await call(gw, '/v1/chat/completions', {
        body: ask('x'),
        headers: { 'x-gateway-cache': 'forever' },
      });

      // Assess
      expect(res.status).toBe(400);
      expect(res.headers.get('x-gateway-cache')).toBe('bypass');
      expect((await json(res)).error.code).toBe('invalid_value');
      expect(provider.calls).toBe(0);
    });

    it('marks refusals before the cache (401) as bypass', async () => {
      // Act
      const res = await call(gw, '/v1/chat/completions', {
        body: ask('x'),
        key: null,
      });

      // Assess
      expect(res.status).toBe(401);
      expect(res.headers.get('x-gateway-cache')).toBe('bypass');
    });
  });

  describe('what is never cached', () => {
    it('does not cache an error: the next identical request calls the provider again', async () => {
      // Arrange
      provider.script = [{ kind: 'fail' }];

      // Act
      const failed = await call(gw, '/v1/chat/completions', {
        body: ask('err'),
      });
      const retried = await call(gw, '/v1/chat/completions', {
        body: ask('err'),
      });
      const third = await call(gw, '/v1/chat/completions', {
        body: ask('err'),
      });

      // Assess
      expect(failed.status).toBe(400);
      expect(failed.headers.get('x-gateway-cache')).toBe('miss');
      expect(retried.status).toBe(200);
      expect(retried.headers.get('x-gateway-cache')).toBe('miss');
      expect(third.headers.get('x-gateway-cache')).toBe('hit');
      expect(provider.calls).toBe(2);
    });

    it('does not cache guardrail-blocked output (finish_reason content_filter)', async () => {
      // Arrange
      provider.script = [
        { kind: 'answer', text: '', finish: 'content_filter' },
      ];

      // Act
      const blocked = await call(gw, '/v1/chat/completions', {
        body: ask('bad'),
      });
      const again = await call(gw, '/v1/chat/completions', {
        body: ask('bad'),
      });

      // Assess
      expect((await json(blocked)).choices[0].finish_reason).toBe(
        'content_filter'
      );
      expect(again.headers.get('x-gateway-cache')).toBe('miss');
      expect(provider.calls).toBe(2);
    });

    it('does not cache a stream that broke after the first token', async () => {
      // Arrange
      provider.script = [{ kind: 'break-mid-stream', text: 'half an answer' }];
      const body = ask('cut', { stream: true });

      // Act
      const broken = await call(gw, '/v1/chat/completions', { body });
      const brokenEvents = await sseData(broken);
      const again = await call(gw, '/v1/chat/completions', { body });
      await again.text();

      // Assess
      expect(brokenEvents).not.toContain('[DONE]');
      expect(again.headers.get('x-gateway-cache')).toBe('miss');
      expect(provider.calls).toBe(2);
    });
  });

  describe('streams', () => {
    it('replays a hit as SSE framed like a live stream: role, deltas, finish, usage, [DONE]', async () => {
      // Arrange
      const body = ask('stream me please', {
        stream: true,
        stream_options: { include_usage: true },
      });
      const live = await call(gw, '/v1/chat/completions', { body });
      const liveEvents = await sseData(live);

      // Act
      const hit = await call(gw, '/v1/chat/completions', { body });
      const events = await sseData(hit);

      // Assess
      expect(hit.headers.get('x-gateway-cache')).toBe('hit');
      expect(hit.headers.get('content-type')).toContain('text/event-stream');
      expect(provider.calls).toBe(1);
      expect(events[events.length - 1]).toBe('[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      expect(chunks[0].choices[0].delta).toEqual({
        role: 'assistant',
        content: '',
      });
      const text = (cs: { choices: { delta: { content?: string } }[] }[]) =>
        cs.map((c) => c.choices[0]?.delta.content ?? '').join('');
      const liveChunks = liveEvents.slice(0, -1).map((e) => JSON.parse(e));
      expect(text(chunks)).toBe(text(liveChunks));
      expect(text(chunks)).toBe('answer to: stream me please');
      const finish = chunks[chunks.length - 2];
      expect(finish.choices[0].finish_reason).toBe('stop');
      const usage = chunks[chunks.length - 1];
      expect(usage.choices).toEqual([]);
      expect(usage.usage).toEqual(liveChunks[liveChunks.length - 1].usage);
      for (const c of chunks) {
        expect(c.object).toBe('chat.completion.chunk');
        expect(c.id).toBe(chunks[0].id);
      }
      expect(chunks[0].id).not.toBe(liveChunks[0].id);
    });

    it('serves a stream request from an entry stored by a non-stream request', async () => {
      // Arrange
      await call(gw, '/v1/chat/completions', { body: ask('both ways') });

      // Act
      const hit = await call(gw, '/v1/chat/completions', {
        body: ask('both ways', { stream: true }),
      });
      const events = await sseData(hit);

      // Assess
      expect(hit.headers.get('x-gateway-cache')).toBe('hit');
      expect(provider.calls).toBe(1);
      // No usage chunk when include_usage wasn't asked.
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
      expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(
        'answer to: both ways'
      );
    });
  });

  describe('tool calls (echo model)', () => {
    it('stores a streamed tool call and answers the same request non-streamed from it', async () => {
      // Prepare: the echo adapter streams a tool call when tools are given
      const echo = await startTestGateway(echoConfig());
      try {
        const body = ask('Paris', {
          tools: [
            {
              type: 'function',
              function: {
                name: 'get_weather',
                parameters: { type: 'object', properties: {} },
              },
            },
          ],
        });

        // Act
        const live = await call(echo, '/v1/chat/completions', {
          body: { ...body, stream: true },
        });
        await live.text();
        const hit = await call(echo, '/v1/chat/completions', { body });
        const answer = await json(hit);

        // Assess
        expect(live.headers.get('x-gateway-cache')).toBe('miss');
        expect(hit.headers.get('x-gateway-cache')).toBe('hit');
        expect(answer.choices[0].finish_reason).toBe('tool_calls');
        expect(answer.choices[0].message.tool_calls).toEqual([
          {
            id: 'call_echo_0',
            type: 'function',
            function: {
              name: 'get_weather',
              arguments: JSON.stringify({ input: 'Paris' }),
            },
          },
        ]);
      } finally {
        await echo.close();
      }
    });
  });

  describe('tenants', () => {
    it('never serves one tenant the entry of another for an identical request', async () => {
      // Arrange
      provider.script = [
        { kind: 'answer', text: 'secret of tenant test' },
        { kind: 'answer', text: 'answer for other' },
      ];

      // Act
      const a = await call(gw, '/v1/chat/completions', { body: ask('same') });
      const b = await call(gw, '/v1/chat/completions', {
        body: ask('same'),
        key: OTHER_KEY,
      });
      const a2 = await call(gw, '/v1/chat/completions', { body: ask('same') });
      const b2 = await call(gw, '/v1/chat/completions', {
        body: ask('same'),
        key: OTHER_KEY,
      });

      // Assess
      expect(a.headers.get('x-gateway-cache')).toBe('miss');
      expect(b.headers.get('x-gateway-cache')).toBe('miss');
      expect((await json(b)).choices[0].message.content).toBe(
        'answer for other'
      );
      expect(a2.headers.get('x-gateway-cache')).toBe('hit');
      expect((await json(a2)).choices[0].message.content).toBe(
        'secret of tenant test'
      );
      expect(b2.headers.get('x-gateway-cache')).toBe('hit');
      expect((await json(b2)).choices[0].message.content).toBe(
        'answer for other'
      );
      expect(provider.calls).toBe(2);
    });
  });

  it('reports the hit rate in /v1/stats', async () => {
    // Arrange
    await call(gw, '/v1/chat/completions', { body: ask('s') });
    await call(gw, '/v1/chat/completions', { body: ask('s') });
    await call(gw, '/v1/chat/completions', { body: ask('s') });
    await call(gw, '/v1/chat/completions', {
      body: ask('s', { temperature: 1 }),
    });

    // Act
    const stats = await json(await call(gw, '/v1/stats'));

    // Assess
    expect(stats.cache).toEqual({
      hits: 2,
      misses: 1,
      bypasses: 1,
      stores: 1,
      entries: 1,
      hit_rate: 0.6667,
    });
  });

  it('counts hits and misses in the metrics', async () => {
    // Arrange
    await call(gw, '/v1/chat/completions', { body: ask('m') });
    await call(gw, '/v1/chat/completions', { body: ask('m') });

    // Act
    const text = await (await call(gw, '/metrics')).text();

    // Assess
    expect(text).toMatch(
      /gateway_events_total\{name="CacheHits",detail=""\} 1/
    );
    expect(text).toMatch(
      /gateway_events_total\{name="CacheMisses",detail=""\} 1/
    );
  });
});
