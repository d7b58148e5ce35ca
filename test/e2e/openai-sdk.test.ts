import OpenAI from 'openai';
import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import type { FakeProviderServer } from '../helpers/fakes/common';
import {
  type FakeFamily,
  useProviderFakes,
} from '../helpers/fakes/provider-fakes';
import { sdkClient, startTestGateway, TEST_KEY } from '../helpers/gateway';

/**
 * End to end: the official `openai` SDK -> local gateway (same handler as the
 * Lambda) -> real provider adapters/SDKs -> loopback fakes speaking each
 * provider's wire protocol.
 */

const weatherTool: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
      additionalProperties: false,
    },
  },
};

describe('E2E: openai SDK through the gateway', () => {
  const fakes = useProviderFakes();
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    const config: GatewayConfigFile = {
      providers: fakes.providers(),
      models: [
        {
          id: 'claude-sonnet',
          provider: 'bedrock',
          providerModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
          capabilities: ['tools', 'streaming'],
          aliases: ['smart'],
          quality: 0.95,
          expectedLatencyMs: 10,
          pricing: { inputPer1M: 3, outputPer1M: 15 },
        },
        {
          id: 'gemini-flash',
          provider: 'gemini',
          providerModelId: 'gemini-2.5-flash',
          capabilities: ['tools', 'streaming'],
          aliases: ['smart'],
          quality: 0.5,
          expectedLatencyMs: 500,
          pricing: { inputPer1M: 3, outputPer1M: 15 },
        },
        {
          id: 'llama-maverick',
          provider: 'openai-compatible',
          providerModelId: 'Llama-4-Maverick',
          capabilities: ['tools', 'streaming'],
          aliases: ['smart'],
          quality: 0.3,
          expectedLatencyMs: 800,
          pricing: { inputPer1M: 3, outputPer1M: 15 },
        },
      ],
      tenants: [{ id: 'test', apiKeys: [TEST_KEY], tier: 'premium' }],
      // Policy only: the failover tests need a deterministic first choice.
      routing: { banditWeight: 0 },
      server: { keepAliveMs: 200 },
      resilience: { streamIdleTimeoutMs: 2000 },
      // The mid-stream failure tests need text on the wire before the drop;
      // the output guardrail's window would hold it (test/guardrails covers it).
      guardrails: { enabled: false },
    };
    gw = await startTestGateway(config, {
      env: fakes.env,
    });
    client = sdkClient(gw);
  });

  afterAll(async () => {
    await gw?.close();
  });

  const providers = [
    ['bedrock', 'claude-sonnet'],
    ['gemini', 'gemini-flash'],
    ['openai-compatible', 'llama-maverick'],
  ] as const;

  describe.each(providers)('provider %s', (provider, model) => {
    it('answers a non-streamed completion', async () => {
      // Act
      const { data, response } = await client.chat.completions
        .create({
          model,
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'hello there' },
          ],
        })
        .withResponse();
      // Assess
      expect(response.headers.get('x-gateway-provider')).toBe(provider);
      expect(response.headers.get('x-gateway-model')).toBe(model);
      expect(data.choices[0]!.message.content).toBe('echo: hello there');
      expect(data.choices[0]!.finish_reason).toBe('stop');
      expect(data.usage!.total_tokens).toBeGreaterThan(0);
    });

    it('streams a completion with usage', async () => {
      // Act
      const stream = await client.chat.completions.create({
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'stream this sentence please' }],
      });
      let text = '';
      let finish: string | null | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      // Assess
      expect(text).toBe('echo: stream this sentence please');
      expect(finish).toBe('stop');
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('completes a full tool round trip', async () => {
      // Prepare
      const messages: ChatCompletionMessageParam[] = [
        { role: 'user', content: 'Paris' },
      ];
      // Act: the model asks for the tool
      const first = await client.chat.completions.create({
        model,
        messages,
        tools: [weatherTool],
      });
      const call = first.choices[0]!.message.tool_calls![0]!;
      expect(first.choices[0]!.finish_reason).toBe('tool_calls');
      expect(call.type).toBe('function');
      if (call.type !== 'function') throw new Error('expected a function call');
      expect(call.function.name).toBe('get_weather');
      expect(JSON.parse(call.function.arguments)).toEqual({ query: 'Paris' });
      // Act: the tool result goes back in
      messages.push(first.choices[0]!.message, {
        role: 'tool',
        tool_call_id: call.id,
        content: '{"temp_c":21}',
      });
      const second = await client.chat.completions.create({
        model,
        messages,
        tools: [weatherTool],
      });
      // Assess
      expect(second.choices[0]!.message.content).toBe(
        'tool said: {"temp_c":21}'
      );
    });

    it('streams tool-call deltas the SDK reassembles', async () => {
      // Act
      const stream = await client.chat.completions.create({
        model,
        stream: true,
        tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        messages: [{ role: 'user', content: 'Berlin' }],
      });
      const calls: Record<
        number,
        { id?: string; name?: string; args: string }
      > = {};
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        for (const d of chunk.choices[0]?.delta?.tool_calls ?? []) {
          calls[d.index] ??= { args: '' };
          const c = calls[d.index]!;
          c.id ??= d.id;
          c.name ??= d.function?.name;
          c.args += d.function?.arguments ?? '';
        }
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      // Assess
      expect(calls[0]!.id).toBeTruthy();
      expect(calls[0]!.name).toBe('get_weather');
      expect(JSON.parse(calls[0]!.args)).toEqual({ query: 'Berlin' });
      expect(finish).toBe('tool_calls');
    });
  });

  /** The fake behind the policy's current first choice for "smart" (observed latency moves it). */
  async function firstChoice(
    stream: boolean
  ): Promise<{ model: string; fake: FakeProviderServer }> {
    const res = await fetch(`${gw.url}/v1/route`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_KEY}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'smart',
        stream,
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    const { chosen } = (await res.json()) as {
      chosen: { model: string; provider: string };
    };
    const fake = fakes.of(chosen.provider as FakeFamily);
    return { model: chosen.model, fake };
  }

  describe('failover and failure', () => {
    it('fails over to the next candidate when the first fails before the first token (non-stream)', async () => {
      // Prepare
      const first = await firstChoice(false);
      first.fake.setBehavior({ errorStatus: 503 });
      // Act
      const { data, response } = await client.chat.completions
        .create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      // Assess
      expect(response.headers.get('x-gateway-attempts')).toBe('2');
      expect(response.headers.get('x-gateway-model')).not.toBe(first.model);
      expect(data.choices[0]!.message.content).toBe('echo: hi');
      expect(first.fake.requests.length).toBeGreaterThan(0);
    });

    it('fails over a stream whose provider fails before the first token', async () => {
      // Prepare
      const first = await firstChoice(true);
      first.fake.setBehavior({ errorStatus: 429, retryAfterSeconds: 3 });
      // Act
      const { data: stream, response } = await client.chat.completions
        .create({
          model: 'smart',
          stream: true,
          messages: [{ role: 'user', content: 'go on' }],
        })
        .withResponse();
      let text = '';
      for await (const chunk of stream)
        text += chunk.choices[0]?.delta?.content ?? '';
      // Assess
      expect(text).toBe('echo: go on');
      expect(response.headers.get('x-gateway-model')).not.toBe(first.model);
      expect(first.fake.requests.length).toBeGreaterThan(0);
    });

    it('fails over when the first provider hangs past the attempt timeout', async () => {
      // Prepare: a gateway whose Bedrock attempt timeout is short
      fakes.bedrock.setBehavior({ hang: true });
      const fast = await startTestGateway(
        {
          providers: {
            bedrock: {
              region: 'eu-central-1',
              endpoint: fakes.bedrock.url,
              timeoutMs: 300,
            },
            'openai-compatible': {
              baseUrl: fakes.llama.url,
              apiKeyEnv: 'LLAMA_API_KEY',
            },
          },
          models: [
            {
              id: 'a',
              provider: 'bedrock',
              providerModelId: 'm',
              aliases: ['g'],
              quality: 1,
              expectedLatencyMs: 1,
            },
            {
              id: 'b',
              provider: 'openai-compatible',
              providerModelId: 'm',
              aliases: ['g'],
              quality: 0.1,
            },
          ],
          tenants: [{ id: 'test', apiKeys: [TEST_KEY] }],
          routing: { banditWeight: 0 },
        },
        { env: fakes.env }
      );
      try {
        const c = sdkClient(fast);
        // Act
        const started = Date.now();
        const { data, response } = await c.chat.completions
          .create({ model: 'g', messages: [{ role: 'user', content: 'x' }] })
          .withResponse();
        // Assess
        expect(response.headers.get('x-gateway-model')).toBe('b');
        expect(data.choices[0]!.message.content).toBe('echo: x');
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        await fast.close();
        fakes.bedrock.setBehavior({ hang: false });
      }
    });

    it('surfaces a mid-stream drop as an SDK error, never a silent truncation', async () => {
      // Prepare: content flows, then the connection dies
      fakes.llama.setBehavior({ dropAfterChunks: 2, chunkSize: 3 });
      // Act
      const stream = await client.chat.completions.create({
        model: 'llama-maverick',
        stream: true,
        messages: [
          { role: 'user', content: 'a fairly long sentence to split' },
        ],
      });
      let text = '';
      const consume = async (): Promise<void> => {
        for await (const chunk of stream)
          text += chunk.choices[0]?.delta?.content ?? '';
      };
      // Assess
      await expect(consume()).rejects.toThrow(/failed mid-stream/);
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toBe('echo: a fairly long sentence to split');
    });

    it('surfaces an in-stream provider error after the first token as an SDK error', async () => {
      // Prepare
      fakes.bedrock.setBehavior({ streamErrorAfterChunks: 2, chunkSize: 3 });
      // Act
      const stream = await client.chat.completions.create({
        model: 'claude-sonnet',
        stream: true,
        messages: [{ role: 'user', content: 'another long sentence here' }],
      });
      const consume = async (): Promise<void> => {
        for await (const _ of stream) {
          // drain
        }
      };
      // Assess
      await expect(consume()).rejects.toThrow(OpenAI.APIError);
    });

    it('answers 429 with Retry-After when the only candidate is throttled', async () => {
      // Prepare
      fakes.gemini.setBehavior({ errorStatus: 429, retryAfterSeconds: 7 });
      // Act
      const err = await client.chat.completions
        .create({
          model: 'gemini-flash',
          messages: [{ role: 'user', content: 'x' }],
        })
        .catch((e: unknown) => e);
      // Assess
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      const e = err as InstanceType<typeof OpenAI.RateLimitError>;
      expect(e.headers?.get('retry-after')).toBe('7');
      expect((e.error as { provider?: string }).provider).toBe('gemini');
    });

    it('answers 502 naming the provider when every candidate fails', async () => {
      // Prepare
      for (const f of [fakes.bedrock, fakes.gemini, fakes.llama])
        f.setBehavior({ errorStatus: 500 });
      // Act
      const err = await client.chat.completions
        .create({ model: 'smart', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      // Assess
      expect(err).toBeInstanceOf(OpenAI.APIError);
      const e = err as InstanceType<typeof OpenAI.APIError>;
      expect(e.status).toBe(502);
      expect(e.code).toBe('all_candidates_failed');
    });

    it('sends keep-alive comments while waiting for a slow first token', async () => {
      // Prepare: first byte takes longer than the 200 ms keep-alive interval
      fakes.llama.setBehavior({ latencyMs: 700 });
      // Act
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          model: 'llama-maverick',
          stream: true,
          messages: [{ role: 'user', content: 'slow' }],
        }),
      });
      const raw = await res.text();
      // Assess
      expect(raw).toMatch(/^: keep-alive\n\n/);
      expect(raw).toContain('data: [DONE]');
    });
  });
});
