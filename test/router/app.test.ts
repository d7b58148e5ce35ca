import { createParser } from 'eventsource-parser';
import { hashApiKey } from '../../lambdas/core/config/load';
import {
  call,
  echoConfig,
  json,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

/** Reads an SSE body into its data payloads (comments dropped). */
async function sseData(res: Response): Promise<string[]> {
  const out: string[] = [];
  const parser = createParser({ onEvent: (e) => out.push(e.data) });
  parser.feed(await res.text());
  return out;
}

describe('Router app (local host, echo provider)', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startTestGateway(
      echoConfig({
        tenants: [
          { id: 'test', apiKeys: [TEST_KEY], tier: 'standard' },
          {
            id: 'limited',
            apiKeyHashes: [hashApiKey('sk-limited-tenant-key-01')],
            allowedModels: ['echo-2'],
          },
        ],
        models: [
          {
            id: 'echo-2',
            provider: 'echo',
            providerModelId: 'echo',
            capabilities: ['streaming'],
          },
        ],
        server: { maxBodyBytes: 4096 },
      })
    );
  });
  afterAll(() => gw.close());

  describe('auth', () => {
    it('answers 401 without a key', async () => {
      const res = await call(gw, '/v1/models', { key: null });
      expect(res.status).toBe(401);
      expect(await json(res)).toEqual({
        error: expect.objectContaining({
          type: 'authentication_error',
          code: 'missing_api_key',
          param: null,
        }),
      });
    });

    it('answers 401 for an unknown key', async () => {
      const res = await call(gw, '/v1/models', {
        key: 'sk-nope-nope-nope-nope',
      });
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe('invalid_api_key');
    });

    it('accepts keys given as hashes in config', async () => {
      const res = await call(gw, '/v1/models', {
        key: 'sk-limited-tenant-key-01',
      });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.data.map((m: { id: string }) => m.id)).toEqual(['echo-2']);
    });

    it('answers 403 when the tenant may not use the named model', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        key: 'sk-limited-tenant-key-01',
        body: { model: 'echo', messages: [{ role: 'user', content: 'x' }] },
      });
      expect(res.status).toBe(403);
      expect((await json(res)).error.code).toBe('model_not_allowed');
    });
  });

  describe('bad input', () => {
    it('answers 400 invalid_json for malformed JSON', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        rawBody: '{"model":',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect((await json(res)).error).toEqual(
        expect.objectContaining({
          type: 'invalid_request_error',
          code: 'invalid_json',
        })
      );
    });

    it('answers 400 for an empty body', async () => {
      const res = await call(gw, '/v1/chat/completions', { method: 'POST' });
      expect(res.status).toBe(400);
    });

    it('answers 413 above the body limit, before buffering it', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        body: {
          model: 'echo',
          messages: [{ role: 'user', content: 'x'.repeat(5000) }],
        },
      });
      expect(res.status).toBe(413);
      expect((await json(res)).error.code).toBe('request_too_large');
    });

    it('answers 404 model_not_found for an unknown model', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        body: { model: 'gpt-99', messages: [{ role: 'user', content: 'x' }] },
      });
      expect(res.status).toBe(404);
      expect((await json(res)).error).toEqual(
        expect.objectContaining({ code: 'model_not_found', param: 'model' })
      );
    });

    it('answers 400 no_eligible_model when no model has the capability', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        body: {
          model: 'echo-2',
          messages: [{ role: 'user', content: 'x' }],
          tools: [{ type: 'function', function: { name: 'f' } }],
        },
      });
      expect(res.status).toBe(400);
      const err = (await json(res)).error;
      expect(err.code).toBe('no_eligible_model');
      expect(err.message).toContain('echo-2');
    });

    it('answers 404 for an unknown route and 405 for a wrong method', async () => {
      expect((await call(gw, '/v1/nothing')).status).toBe(404);
      const res = await call(gw, '/v1/chat/completions');
      expect(res.status).toBe(405);
      expect((await json(res)).error.code).toBe('method_not_allowed');
    });

    it('keeps the client request id when it is well-formed', async () => {
      const res = await call(gw, '/v1/models', {
        headers: { 'x-request-id': 'abc-123' },
      });
      expect(res.headers.get('x-request-id')).toBe('abc-123');
      const bad = await call(gw, '/v1/models', {
        headers: { 'x-request-id': 'bad id with spaces' },
      });
      expect(bad.headers.get('x-request-id')).not.toBe('bad id with spaces');
    });
  });

  describe('chat completions', () => {
    it('answers a non-streamed completion with routing headers and usage', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        body: {
          model: 'echo',
          messages: [{ role: 'user', content: 'hello gateway' }],
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-provider')).toBe('echo');
      expect(res.headers.get('x-gateway-model')).toBe('echo');
      expect(res.headers.get('x-gateway-decision-id')).toMatch(
        /^[0-9a-f-]{36}$/
      );
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(Number(res.headers.get('x-gateway-cost-usd'))).toBe(0);
      const body = await json(res);
      expect(body).toEqual(
        expect.objectContaining({
          object: 'chat.completion',
          model: 'echo',
          choices: [
            expect.objectContaining({
              index: 0,
              message: expect.objectContaining({
                role: 'assistant',
                content: 'echo: hello gateway',
              }),
              finish_reason: 'stop',
            }),
          ],
          usage: expect.objectContaining({ prompt_tokens: expect.any(Number) }),
        })
      );
    });

    it('resolves an alias', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        body: {
          model: 'local-echo',
          messages: [{ role: 'user', content: 'a' }],
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-model')).toBe('echo');
    });

    it('streams SSE chunks exactly as OpenAI does: role first, deltas, finish, usage, [DONE]', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        body: {
          model: 'echo',
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'one two three' }],
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const data = await sseData(res);
      expect(data[data.length - 1]).toBe('[DONE]');
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      for (const c of chunks) {
        expect(c.object).toBe('chat.completion.chunk');
        expect(c.id).toBe(chunks[0].id);
      }
      const text = chunks
        .map((c) => c.choices[0]?.delta?.content ?? '')
        .join('');
      expect(text).toBe('echo: one two three');
      const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
      expect(finish).toHaveLength(1);
      expect(finish[0].choices[0].finish_reason).toBe('stop');
      const usage = chunks[chunks.length - 1];
      expect(usage.choices).toEqual([]);
      expect(usage.usage.total_tokens).toBeGreaterThan(0);
    });

    it('streams tool-call deltas', async () => {
      const res = await call(gw, '/v1/chat/completions', {
        body: {
          model: 'echo',
          stream: true,
          messages: [{ role: 'user', content: 'Paris' }],
          tools: [
            {
              type: 'function',
              function: { name: 'get_weather', parameters: { type: 'object' } },
            },
          ],
          tool_choice: 'required',
        },
      });
      const chunks = (await sseData(res))
        .slice(0, -1)
        .map((d) => JSON.parse(d));
      const calls = chunks.flatMap(
        (c) => c.choices[0]?.delta?.tool_calls ?? []
      );
      expect(calls[0]).toEqual(
        expect.objectContaining({
          index: 0,
          id: expect.any(String),
          type: 'function',
          function: expect.objectContaining({ name: 'get_weather' }),
        })
      );
      const args = calls
        .map(
          (c: { function: { arguments?: string } }) =>
            c.function.arguments ?? ''
        )
        .join('');
      expect(JSON.parse(args)).toEqual({ input: 'Paris' });
      expect(
        chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]
          .finish_reason
      ).toBe('tool_calls');
    });
  });

  describe('other endpoints', () => {
    it('GET /v1/models lists models with provider, capabilities and region', async () => {
      const body = await json(await call(gw, '/v1/models'));
      expect(body.object).toBe('list');
      expect(body.data[0]).toEqual(
        expect.objectContaining({
          id: 'echo',
          object: 'model',
          owned_by: 'echo',
          provider: 'echo',
          capabilities: ['tools', 'streaming', 'json_mode'],
          region: 'local',
        })
      );
    });

    it('POST /v1/route explains the decision without calling a provider', async () => {
      const res = await call(gw, '/v1/route', {
        body: {
          model: 'auto',
          messages: [{ role: 'user', content: 'x' }],
          tools: [{ type: 'function', function: { name: 'f' } }],
          routing: { domain: 'legal', budget_tier: 'low' },
        },
      });
      expect(res.status).toBe(200);
      const body = await json(res);
      expect(body.context_key).toBe('legal|low|true');
      expect(body.chosen).toEqual({
        model: 'echo',
        provider: 'echo',
        probability: 1,
      });
      expect(body.candidates[0].score.components).toEqual(
        expect.objectContaining({
          latency: expect.any(Number),
          cost: expect.any(Number),
          quality: expect.any(Number),
          domain: expect.any(Number),
        })
      );
      expect(body.excluded).toEqual([
        expect.objectContaining({ model: 'echo-2', code: 'capability_tools' }),
      ]);
    });

    it('GET /health answers without auth and lists providers', async () => {
      const res = await call(gw, '/health', { key: null });
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual(
        expect.objectContaining({
          status: 'ok',
          providers: [expect.objectContaining({ id: 'echo', live: true })],
        })
      );
    });

    it('GET /metrics serves Prometheus text with request counters', async () => {
      const res = await call(gw, '/metrics', { key: null });
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toMatch(
        /gateway_requests_total\{route="chat",status="200",provider="echo",model="echo",tenant="test",stream="false"\} \d+/
      );
      expect(text).toContain('gateway_provider_attempts_total');
    });

    it('GET /v1/stats shows observed latency and bandit posteriors', async () => {
      const body = await json(await call(gw, '/v1/stats'));
      expect(
        body.models.find((m: { model: string }) => m.model === 'echo')
          .observations
      ).toBeGreaterThan(0);
      expect(Object.keys(body.bandit).length).toBeGreaterThan(0);
    });

    it('records decisions without prompt text', async () => {
      const secret = 'prompt-text-that-must-not-be-logged';
      await call(gw, '/v1/chat/completions', {
        body: { model: 'echo', messages: [{ role: 'user', content: secret }] },
      });
      const recent = gw.deps.decisions.recent(1)[0]!;
      expect(recent).toEqual(
        expect.objectContaining({
          tenant: 'test',
          chosen: 'echo',
          outcome: 'ok',
          propensity: 1,
          context: { domain: 'general', budget_tier: 'standard', tools: false },
        })
      );
      expect(JSON.stringify(gw.deps.decisions.recent(100))).not.toContain(
        secret
      );
      expect(gw.log.text()).not.toContain(secret);
    });
  });
});
