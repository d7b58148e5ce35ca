import type OpenAI from 'openai';
import { APIError, BadRequestError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import * as z from 'zod';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import {
  type FakeProviderServer,
  jsonResponder,
} from '../helpers/fakes/common';
import { useProviderFakes } from '../helpers/fakes/provider-fakes';
import { sdkClient, startTestGateway, TEST_KEY } from '../helpers/gateway';

/**
 * End to end: structured outputs and reasoning with the official `openai`
 * SDK (`chat.completions.parse()` / `.stream()` with a zod 4 schema through
 * `zodResponseFormat`) -> local gateway -> real adapters -> loopback fakes,
 * which record the wire shape each provider got.
 */

const CalendarEvent = z.object({
  name: z.string(),
  date: z.string(),
  participants: z.array(z.string()),
});
const event = {
  name: 'standup',
  date: '2026-12-04',
  participants: ['Ana', 'Ben'],
};
const messages = [
  { role: 'user' as const, content: 'Ana and Ben meet for standup tomorrow.' },
];

describe('E2E: structured outputs and reasoning through the gateway', () => {
  const fakes = useProviderFakes();
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    const caps = [
      'tools',
      'streaming',
      'structured_output',
      'reasoning',
    ] as const;
    const config: GatewayConfigFile = {
      providers: fakes.providers(),
      models: [
        {
          id: 'claude-tool',
          provider: 'bedrock',
          providerModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
          capabilities: [...caps],
          structuredOutput: 'tool',
          maxOutputTokens: 8192,
          aliases: ['so-group'],
          quality: 0.9,
          expectedLatencyMs: 10,
        },
        {
          id: 'claude-native',
          provider: 'bedrock',
          providerModelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
          capabilities: [...caps],
          structuredOutput: 'native',
          maxOutputTokens: 8192,
          quality: 0.9,
          expectedLatencyMs: 10,
        },
        {
          id: 'gemini-flash',
          provider: 'gemini',
          providerModelId: 'gemini-2.5-flash',
          capabilities: [...caps],
          aliases: ['so-group'],
          quality: 0.6,
          expectedLatencyMs: 300,
        },
        {
          id: 'llama-maverick',
          provider: 'openai-compatible',
          providerModelId: 'Llama-4-Maverick',
          capabilities: ['tools', 'streaming', 'structured_output'],
          aliases: ['so-group'],
          quality: 0.3,
          expectedLatencyMs: 600,
        },
        {
          id: 'plain-nova',
          provider: 'bedrock',
          providerModelId: 'eu.amazon.nova-micro-v1:0',
          capabilities: ['tools', 'streaming'],
          quality: 0.99,
          expectedLatencyMs: 1,
        },
      ],
      tenants: [{ id: 'test', apiKeys: [TEST_KEY], tier: 'premium' }],
      // Deltas are counted: the output guardrail's window would hold these
      // short answers back whole (guardrails on streams: test/router).
      guardrails: { enabled: false },
      routing: { banditWeight: 0 },
      server: { keepAliveMs: 200 },
    };
    gw = await startTestGateway(config, {
      env: fakes.env,
    });
    client = sdkClient(gw);
  });

  afterAll(async () => {
    await gw?.close();
  });

  const fakeOf = (model: string): FakeProviderServer =>
    model.startsWith('claude') || model === 'plain-nova'
      ? fakes.bedrock
      : model.startsWith('gemini')
        ? fakes.gemini
        : fakes.llama;

  /** What each provider family must have received for the zod schema. */
  function expectWireShape(model: string): void {
    const body = fakeOf(model).requests[0]!.body as Record<string, unknown>;
    switch (model) {
      case 'claude-tool':
        expect(body.toolConfig).toMatchObject({
          toolChoice: { tool: { name: 'calendar_event' } },
        });
        expect(body.outputConfig).toBeUndefined();
        break;
      case 'claude-native':
        expect(body.outputConfig).toMatchObject({
          textFormat: { type: 'json_schema' },
        });
        expect(body.toolConfig).toBeUndefined();
        break;
      case 'gemini-flash':
        expect(body.generationConfig).toMatchObject({
          responseMimeType: 'application/json',
          responseJsonSchema: {
            type: 'object',
            required: ['name', 'date', 'participants'],
          },
        });
        break;
      default:
        expect(body.response_format).toMatchObject({
          type: 'json_schema',
          json_schema: { name: 'calendar_event', strict: true },
        });
    }
  }

  describe.each([
    'claude-tool',
    'claude-native',
    'gemini-flash',
    'llama-maverick',
  ])('model %s', (model) => {
    it('parse() returns the zod-typed object (non-stream)', async () => {
      // Prepare
      fakeOf(model).setBehavior({ responder: jsonResponder(event) });

      // Act
      const completion = await client.chat.completions.parse({
        model,
        messages,
        response_format: zodResponseFormat(CalendarEvent, 'calendar_event'),
      });

      // Assess
      const choice = completion.choices[0]!;
      expect(choice.message.parsed).toEqual(event);
      expect(choice.finish_reason).toBe('stop');
      expect(choice.message.tool_calls ?? []).toEqual([]);
      expectWireShape(model);
    });

    it('stream() delivers content deltas that parse into the object', async () => {
      // Prepare
      fakeOf(model).setBehavior({
        responder: jsonResponder(event),
        chunkSize: 7,
      });

      // Act
      const stream = client.chat.completions.stream({
        model,
        messages,
        response_format: zodResponseFormat(CalendarEvent, 'calendar_event'),
      });
      let deltas = 0;
      stream.on('content.delta', () => {
        deltas++;
      });
      const final = await stream.finalChatCompletion();

      // Assess
      expect(final.choices[0]!.message.parsed).toEqual(event);
      expect(final.choices[0]!.finish_reason).toBe('stop');
      expect(deltas).toBeGreaterThan(2);
      expectWireShape(model);
    });
  });

  it('serves json_object on Bedrock through the forced tool as JSON content', async () => {
    // Prepare
    fakes.bedrock.setBehavior({ responder: jsonResponder({ ok: true }) });

    // Act
    const completion = await client.chat.completions.create({
      model: 'claude-native',
      messages,
      response_format: { type: 'json_object' },
    });

    // Assess
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({
      ok: true,
    });
    const body = fakes.bedrock.requests[0]!.body as Record<string, unknown>;
    expect(body.toolConfig).toMatchObject({
      toolChoice: { tool: { name: 'json_object' } },
    });
  });

  it('answers 400 naming the field for an invalid schema, and calls no provider', async () => {
    // Act
    const err = await client.chat.completions
      .create({
        model: 'auto',
        messages,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'bad',
            schema: { type: 'object', properties: { n: { type: 'intger' } } },
          },
        },
      })
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(BadRequestError);
    const e = err as BadRequestError;
    expect(e.param).toBe('response_format.json_schema.schema');
    expect(e.message).toContain('response_format.json_schema.schema');
    const sent = [fakes.bedrock, fakes.gemini, fakes.llama].reduce(
      (n, f) => n + f.requests.length,
      0
    );
    expect(sent).toBe(0);
  });

  it('routes json_schema away from models without structured_output, with the reason in /v1/route', async () => {
    // Act
    const res = await fetch(`${gw.url}/v1/route`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TEST_KEY}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'auto',
        messages,
        response_format: zodResponseFormat(CalendarEvent, 'calendar_event'),
        reasoning_effort: 'low',
      }),
    });
    const route = (await res.json()) as {
      context: { response_format: string; reasoning: boolean };
      chosen: { model: string };
      excluded: { model: string; code: string; reason: string }[];
    };

    // Assess
    expect(route.context).toMatchObject({
      response_format: 'json_schema',
      reasoning: true,
    });
    // plain-nova has the best quality and latency but not the capability.
    expect(route.chosen.model).not.toBe('plain-nova');
    expect(route.excluded).toContainEqual(
      expect.objectContaining({
        model: 'plain-nova',
        code: 'capability_structured_output',
      })
    );
    // llama has structured_output but not reasoning.
    expect(route.excluded).toContainEqual(
      expect.objectContaining({
        model: 'llama-maverick',
        code: 'capability_reasoning',
      })
    );
  });

  describe('strict validation', () => {
    async function firstChoice(stream: boolean): Promise<string> {
      const res = await fetch(`${gw.url}/v1/route`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          model: 'so-group',
          stream,
          messages,
          response_format: zodResponseFormat(CalendarEvent, 'calendar_event'),
        }),
      });
      return ((await res.json()) as { chosen: { model: string } }).chosen.model;
    }

    it('fails over when the first answer does not conform (non-stream)', async () => {
      // Prepare
      const first = await firstChoice(false);
      for (const f of [fakes.bedrock, fakes.gemini, fakes.llama])
        f.setBehavior({ responder: jsonResponder(event) });
      fakeOf(first).setBehavior({
        responder: jsonResponder({ name: 'standup', date: 20261204 }),
      });

      // Act
      const { data, response } = await client.chat.completions
        .parse({
          model: 'so-group',
          messages,
          response_format: zodResponseFormat(CalendarEvent, 'calendar_event'),
        })
        .withResponse();

      // Assess
      expect(response.headers.get('x-gateway-attempts')).toBe('2');
      expect(response.headers.get('x-gateway-model')).not.toBe(first);
      expect(data.choices[0]!.message.parsed).toEqual(event);
    });

    it('answers 502 structured_output_invalid when no candidate conforms', async () => {
      // Prepare
      fakes.bedrock.setBehavior({ responder: jsonResponder({ wrong: 1 }) });

      // Act
      const err = await client.chat.completions
        .parse({
          model: 'claude-native',
          messages,
          response_format: zodResponseFormat(CalendarEvent, 'calendar_event'),
        })
        .catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(APIError);
      const e = err as APIError;
      expect(e.status).toBe(502);
      expect(e.code).toBe('structured_output_invalid');
      expect(e.message).not.toContain('wrong');
    });

    it('ends a non-conforming stream with an explicit error event, not a clean finish', async () => {
      // Prepare
      fakes.gemini.setBehavior({
        responder: jsonResponder({ name: 'standup' }),
        chunkSize: 4,
      });

      // Act
      const stream = await client.chat.completions.create({
        model: 'gemini-flash',
        messages,
        stream: true,
        response_format: zodResponseFormat(CalendarEvent, 'calendar_event'),
      });
      let text = '';
      const finishes: (string | null)[] = [];
      let caught: unknown;
      try {
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta?.content ?? '';
          const finish = chunk.choices[0]?.finish_reason;
          if (finish) finishes.push(finish);
        }
      } catch (err) {
        caught = err;
      }

      // Assess
      expect(text).toBe('{"name":"standup"}');
      expect(finishes).toEqual([]);
      expect(caught).toBeInstanceOf(APIError);
      expect((caught as APIError).code).toBe('structured_output_invalid');
    });
  });

  describe('reasoning', () => {
    const reasoning = 'First, weigh the options. '.repeat(10);

    it.each(['claude-tool', 'gemini-flash'])(
      'reports reasoning tokens for %s and maps the effort to its thinking control',
      async (model) => {
        // Prepare
        fakeOf(model).setBehavior({
          responder: () => ({ reasoning, text: 'Option B.' }),
        });

        // Act
        const completion = await client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'A or B?' }],
          reasoning_effort: 'medium',
        });

        // Assess
        expect(completion.choices[0]!.message.content).toBe('Option B.');
        const usage = completion.usage!;
        expect(
          usage.completion_tokens_details?.reasoning_tokens
        ).toBeGreaterThan(0);
        expect(usage.completion_tokens).toBeGreaterThan(
          usage.completion_tokens_details!.reasoning_tokens!
        );
        const body = fakeOf(model).requests[0]!.body as Record<string, unknown>;
        if (model === 'claude-tool')
          expect(body.additionalModelRequestFields).toEqual({
            thinking: { type: 'enabled', budget_tokens: 4096 },
          });
        else
          expect(body.generationConfig).toMatchObject({
            thinkingConfig: { thinkingBudget: 4096 },
          });
      }
    );

    it('reports reasoning tokens in the stream usage chunk without leaking the thinking', async () => {
      // Prepare
      fakes.bedrock.setBehavior({
        responder: () => ({ reasoning, text: 'Option B.' }),
        chunkSize: 10,
      });

      // Act
      const stream = await client.chat.completions.create({
        model: 'claude-tool',
        messages: [{ role: 'user', content: 'A or B?' }],
        reasoning_effort: 'low',
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let reasoningTokens: number | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage)
          reasoningTokens =
            chunk.usage.completion_tokens_details?.reasoning_tokens;
      }

      // Assess
      expect(text).toBe('Option B.');
      expect(reasoningTokens).toBeGreaterThan(0);
    });

    it('answers 400 when the named model cannot reason, like OpenAI', async () => {
      // Act
      const err = await client.chat.completions
        .create({
          model: 'plain-nova',
          messages,
          reasoning_effort: 'high',
        })
        .catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).message).toContain(
        'reasoning capability'
      );
      expect(fakes.bedrock.requests).toHaveLength(0);
    });

    it('accepts reasoning_effort none on any model and sends no thinking', async () => {
      // Act
      const completion = await client.chat.completions.create({
        model: 'plain-nova',
        messages,
        reasoning_effort: 'none',
      });

      // Assess
      expect(completion.choices[0]!.message.content).toContain('echo:');
      const body = fakes.bedrock.requests[0]!.body as Record<string, unknown>;
      expect(body.additionalModelRequestFields).toBeUndefined();
    });

    it('routes auto to a reasoning-capable model', async () => {
      // Act
      const { response } = await client.chat.completions
        .create({ model: 'auto', messages, reasoning_effort: 'low' })
        .withResponse();

      // Assess
      expect(['claude-tool', 'claude-native', 'gemini-flash']).toContain(
        response.headers.get('x-gateway-model')
      );
    });
  });
});
