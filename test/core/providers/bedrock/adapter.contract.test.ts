/**
 * Contract tests: the real BedrockRuntimeClient (default HTTP/2 handler,
 * SigV4 with dummy credentials) driven through the adapter against the
 * loopback Bedrock fake, which speaks the real wire protocol and enforces
 * Converse's validation rules.
 */
import { createBedrockAdapter } from '../../../../lambdas/core/providers/bedrock/adapter';
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContextLengthError,
  ProviderError,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import type {
  CallOptions,
  ProviderAdapter,
} from '../../../../lambdas/core/providers/types';
import type {
  ChatMessage,
  ChatRequest,
  StreamEvent,
  ToolDefinition,
} from '../../../../lambdas/core/types';
import {
  type FakeBedrockServer,
  startFakeBedrock,
} from '../../../helpers/fakes/bedrock-fake';
import { bedrockModel, chatRequest } from './fixtures';

const PROVIDER = 'bedrock-eu';
const model = bedrockModel();
const savedEnv = { ...process.env };

const tools: ToolDefinition[] = [
  {
    type: 'function',
    function: {
      name: 'search_case_law',
      description: 'Search case law',
      parameters: { type: 'object', properties: { query: { type: 'string' } } },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_statute',
      parameters: { type: 'object', properties: { id: { type: 'string' } } },
    },
  },
];

function call(signal: AbortSignal = new AbortController().signal): CallOptions {
  return { signal, requestId: 'req-contract-1' };
}

async function collect(
  iterable: AsyncIterable<StreamEvent>
): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

/** Drains a stream, returning what was yielded before it threw. */
async function collectUntilError(
  iterable: AsyncIterable<StreamEvent>
): Promise<{ events: StreamEvent[]; error: unknown }> {
  const events: StreamEvent[] = [];
  try {
    for await (const e of iterable) events.push(e);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

function streamedText(events: readonly StreamEvent[]): string {
  return events.map((e) => (e.type === 'text' ? e.text : '')).join('');
}

function streamedArguments(
  events: readonly StreamEvent[]
): Map<number, string> {
  const args = new Map<number, string>();
  for (const e of events) {
    if (e.type === 'tool_call' && e.argumentsDelta !== undefined)
      args.set(e.index, (args.get(e.index) ?? '') + e.argumentsDelta);
  }
  return args;
}

async function waitFor(check: () => boolean, timeoutMs = 1000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function lastBody(fake: FakeBedrockServer): Record<string, unknown> {
  return fake.requests[fake.requests.length - 1]!.body as Record<
    string,
    unknown
  >;
}

describe('Function: createBedrockAdapter (contract, real client against the fake)', () => {
  let fake: FakeBedrockServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    // Dummy credentials from the environment: the default chain must never
    // reach for instance metadata (only loopback traffic is allowed).
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFAKEFAKE';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    delete process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_BEARER_TOKEN_BEDROCK;
    fake = await startFakeBedrock();
    adapter = createBedrockAdapter({
      id: PROVIDER,
      region: 'eu-central-1',
      endpoint: fake.url,
    });
  });

  afterAll(async () => {
    await fake.close();
    process.env = savedEnv;
  });

  beforeEach(() => {
    fake.reset();
  });

  describe('Method: chat', () => {
    it('answers a text request with a system prompt, addressing the model by ARN', async () => {
      // Prepare
      const req = chatRequest({
        messages: [
          { role: 'system', content: 'You are a careful legal assistant.' },
          { role: 'user', content: 'What is GDPR?' },
        ],
        maxTokens: 256,
        temperature: 0.1,
      });

      // Act
      const result = await adapter.chat(req, model, call());

      // Assess
      expect(result.content).toBe('echo: What is GDPR?');
      expect(result.finishReason).toBe('stop');
      expect(result.toolCalls).toEqual([]);
      const recorded = fake.requests[0]!;
      expect(decodeURIComponent(recorded.path)).toBe(
        `/model/${model.providerModelId}/converse`
      );
      expect(recorded.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE\//
      );
      expect(recorded.body).toMatchObject({
        system: [{ text: 'You are a careful legal assistant.' }],
        inferenceConfig: { maxTokens: 256, temperature: 0.1 },
        requestMetadata: { gatewayRequestId: 'req-contract-1' },
      });
    });

    it('reports the usage Bedrock returned', async () => {
      // Prepare
      fake.setBehavior({
        responder: () => ({ text: 'ok', usage: { input: 123, output: 45 } }),
      });

      // Act
      const result = await adapter.chat(chatRequest(), model, call());

      // Assess
      expect(result.usage).toEqual({
        promptTokens: 123,
        completionTokens: 45,
        totalTokens: 168,
      });
    });

    it('completes a full tool round trip: offer, call, result, final answer', async () => {
      // Prepare
      const first: ChatRequest = chatRequest({
        messages: [{ role: 'user', content: 'Find rulings on data erasure' }],
        tools,
      });

      // Act
      const step1 = await adapter.chat(first, model, call());
      const followUp: ChatMessage[] = [
        ...first.messages,
        {
          role: 'assistant',
          content: step1.content,
          toolCalls: step1.toolCalls,
        },
        ...step1.toolCalls.map(
          (c): ChatMessage => ({
            role: 'tool',
            toolCallId: c.id,
            content: '{"rulings":["C-131/12"]}',
          })
        ),
      ];
      const step2 = await adapter.chat(
        chatRequest({ messages: followUp, tools }),
        model,
        call()
      );

      // Assess
      expect(step1.finishReason).toBe('tool_calls');
      expect(step1.toolCalls).toHaveLength(1);
      expect(step1.toolCalls[0]!.id).toMatch(/^tooluse_/);
      expect(step1.toolCalls[0]!.function.name).toBe('search_case_law');
      expect(JSON.parse(step1.toolCalls[0]!.function.arguments)).toEqual({
        query: 'Find rulings on data erasure',
      });
      expect(step2.finishReason).toBe('stop');
      expect(step2.content).toBe('tool said: {"rulings":["C-131/12"]}');
    });

    it('round-trips parallel tool calls; the results go back in one user turn', async () => {
      // Prepare
      fake.setBehavior({
        responder: (view) => {
          const last = view.messages[view.messages.length - 1]!;
          if (last.toolResults?.length)
            return {
              text: last.toolResults
                .map((r) => `${r.id}=${r.content}`)
                .join(';'),
            };
          return {
            toolCalls: [
              { name: 'search_case_law', arguments: { query: 'erasure' } },
              { name: 'get_statute', arguments: { id: 'GDPR-17' } },
            ],
          };
        },
      });
      const first = chatRequest({
        messages: [{ role: 'user', content: 'Research this' }],
        tools,
      });

      // Act
      const step1 = await adapter.chat(first, model, call());
      const followUp: ChatMessage[] = [
        ...first.messages,
        {
          role: 'assistant',
          content: step1.content,
          toolCalls: step1.toolCalls,
        },
        {
          role: 'tool',
          toolCallId: step1.toolCalls[0]!.id,
          content: 'ruling A',
        },
        {
          role: 'tool',
          toolCallId: step1.toolCalls[1]!.id,
          content: 'article 17',
        },
      ];
      const step2 = await adapter.chat(
        chatRequest({ messages: followUp, tools }),
        model,
        call()
      );

      // Assess
      expect(step1.toolCalls.map((c) => c.function.name)).toEqual([
        'search_case_law',
        'get_statute',
      ]);
      const [a, b] = step1.toolCalls.map((c) => c.id);
      expect(a).not.toBe(b);
      expect(step2.content).toBe(`${a}=ruling A;${b}=article 17`);
      const sent = lastBody(fake).messages as { role: string }[];
      expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    });

    it('answers a follow-up turn that no longer offers tools', async () => {
      // Prepare: OpenAI clients often drop `tools` after the last tool result.
      fake.setBehavior({
        responder: (view) => ({ text: `tools: ${view.tools.join(',')}` }),
      });
      const messages: ChatMessage[] = [
        { role: 'user', content: 'Look it up' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_statute', arguments: '{"id":"x"}' },
            },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', content: 'statute text' },
        { role: 'assistant', content: 'Here it is.' },
        { role: 'user', content: 'Thanks, summarise it' },
      ];

      // Act
      const result = await adapter.chat(
        chatRequest({ messages }),
        model,
        call()
      );

      // Assess
      expect(result.content).toBe('tools: get_statute');
      expect(result.finishReason).toBe('stop');
    });

    it.each([
      ['auto', 'auto' as const, undefined, 'search_case_law'],
      ['required', 'required' as const, 'any', 'search_case_law'],
      [
        'a named tool',
        { type: 'function' as const, function: { name: 'get_statute' } },
        'get_statute',
        'get_statute',
      ],
    ])(
      'honours tool_choice %s',
      async (_label, toolChoice, seenChoice, calledTool) => {
        // Act
        const result = await adapter.chat(
          chatRequest({ tools, toolChoice }),
          model,
          call()
        );

        // Assess
        const body = lastBody(fake) as {
          toolConfig?: { toolChoice?: Record<string, unknown> };
        };
        const sentChoice = body.toolConfig?.toolChoice;
        const seen = sentChoice?.tool
          ? (sentChoice.tool as { name: string }).name
          : sentChoice?.any
            ? 'any'
            : sentChoice?.auto
              ? 'auto'
              : undefined;
        expect(seen).toBe(seenChoice);
        expect(result.toolCalls[0]?.function.name).toBe(calledTool);
      }
    );

    it('honours tool_choice none by not offering the tools', async () => {
      // Act
      const result = await adapter.chat(
        chatRequest({ tools, toolChoice: 'none' }),
        model,
        call()
      );

      // Assess
      expect(lastBody(fake).toolConfig).toBeUndefined();
      expect(result.toolCalls).toEqual([]);
      expect(result.content).toBe('echo: Hello');
    });

    it.each([
      [429, ProviderThrottledError, 2, 2000],
      [500, ProviderUnavailableError, undefined, undefined],
      [503, ProviderUnavailableError, 1, 1000],
      [400, ProviderBadRequestError, undefined, undefined],
      [403, ProviderAuthError, undefined, undefined],
      [404, ProviderNotFoundError, undefined, undefined],
      [408, ProviderTimeoutError, undefined, undefined],
    ])(
      'maps HTTP %i to %p',
      async (status, errorClass, retryAfterSeconds, retryAfterMs) => {
        // Prepare
        fake.setBehavior({ errorStatus: status, retryAfterSeconds });

        // Act
        const error = await adapter
          .chat(chatRequest(), model, call())
          .catch((e: unknown) => e);

        // Assess
        expect(error).toBeInstanceOf(errorClass);
        expect(error).toMatchObject({
          provider: PROVIDER,
          status,
          retryAfterMs,
        });
        expect(fake.requests).toHaveLength(1);
      }
    );

    it('maps a "too long" ValidationException to a context-length error', async () => {
      // Prepare
      fake.setBehavior({
        errorStatus: 400,
        errorMessage: 'Input is too long for requested model.',
      });

      // Act
      const error = await adapter
        .chat(chatRequest(), model, call())
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProviderContextLengthError);
      expect(error).toMatchObject({ provider: PROVIDER, status: 400 });
    });

    it("makes exactly one attempt: retries are the router's job", async () => {
      // Prepare
      fake.setBehavior({ errorStatus: 503, errorCount: 1 });

      // Act
      const error = await adapter
        .chat(chatRequest(), model, call())
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(fake.requests).toHaveLength(1);
    });

    it('rejects promptly with the abort error when the caller aborts a hung call', async () => {
      // Prepare
      fake.setBehavior({ hang: true });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = Date.now();

      // Act
      const error = await adapter
        .chat(chatRequest(), model, call(controller.signal))
        .catch((e: unknown) => e);

      // Assess
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('AbortError');
      expect(error).not.toBeInstanceOf(ProviderError);
      await waitFor(() => fake.openStreams === 0 && fake.openSessions === 0);
    });

    it('turns an upstream stall beyond timeoutMs into a timeout error', async () => {
      // Prepare
      const timed = createBedrockAdapter({
        id: PROVIDER,
        region: 'eu-central-1',
        endpoint: fake.url,
        timeoutMs: 100,
      });
      fake.setBehavior({ latencyMs: 400 });

      // Act
      const error = await timed
        .chat(chatRequest(), model, call())
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProviderTimeoutError);
      expect(error).toMatchObject({ provider: PROVIDER });
      await waitFor(() => fake.openStreams === 0);
    });

    it('reaches the endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME alone', async () => {
      // Prepare
      process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = fake.url;
      try {
        const fromEnv = createBedrockAdapter({
          id: 'bedrock-env',
          region: 'us-east-1',
        });

        // Act
        const result = await fromEnv.chat(chatRequest(), model, call());

        // Assess
        expect(result.content).toBe('echo: Hello');
        expect(fake.requests).toHaveLength(1);
      } finally {
        delete process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
      }
    });
  });

  describe('Method: chatStream', () => {
    it('streams text, then finish and usage', async () => {
      // Prepare
      fake.setBehavior({
        chunkSize: 5,
        responder: () => ({
          text: 'The answer is forty-two.',
          usage: { input: 11, output: 7 },
        }),
      });

      // Act
      const events = await collect(
        adapter.chatStream(chatRequest({ stream: true }), model, call())
      );

      // Assess
      expect(decodeURIComponent(fake.requests[0]!.path)).toBe(
        `/model/${model.providerModelId}/converse-stream`
      );
      const texts = events.filter((e) => e.type === 'text');
      expect(texts.length).toBeGreaterThan(1);
      expect(streamedText(events)).toBe('The answer is forty-two.');
      expect(events.slice(-2)).toEqual([
        { type: 'finish', finishReason: 'stop' },
        {
          type: 'usage',
          usage: { promptTokens: 11, completionTokens: 7, totalTokens: 18 },
        },
      ]);
    });

    it('streams parallel tool calls whose deltas concatenate to valid JSON', async () => {
      // Prepare
      fake.setBehavior({
        chunkSize: 4,
        responder: () => ({
          text: 'Checking.',
          toolCalls: [
            {
              id: 'tooluse_one',
              name: 'search_case_law',
              arguments: { query: 'right to be forgotten' },
            },
            {
              id: 'tooluse_two',
              name: 'get_statute',
              arguments: { id: 'GDPR-17' },
            },
          ],
        }),
      });

      // Act
      const events = await collect(
        adapter.chatStream(chatRequest({ stream: true, tools }), model, call())
      );

      // Assess
      const opens = events.filter(
        (e) => e.type === 'tool_call' && e.id !== undefined
      );
      expect(opens).toEqual([
        {
          type: 'tool_call',
          index: 0,
          id: 'tooluse_one',
          name: 'search_case_law',
        },
        { type: 'tool_call', index: 1, id: 'tooluse_two', name: 'get_statute' },
      ]);
      const args = streamedArguments(events);
      expect(JSON.parse(args.get(0)!)).toEqual({
        query: 'right to be forgotten',
      });
      expect(JSON.parse(args.get(1)!)).toEqual({ id: 'GDPR-17' });
      expect(streamedText(events)).toBe('Checking.');
      expect(events.find((e) => e.type === 'finish')).toEqual({
        type: 'finish',
        finishReason: 'tool_calls',
      });
    });

    it('throws the typed error before any event when Bedrock refuses the stream', async () => {
      // Prepare
      fake.setBehavior({ errorStatus: 429, retryAfterSeconds: 3 });

      // Act
      const { events, error } = await collectUntilError(
        adapter.chatStream(chatRequest({ stream: true }), model, call())
      );

      // Assess
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(ProviderThrottledError);
      expect(error).toMatchObject({
        provider: PROVIDER,
        status: 429,
        retryAfterMs: 3000,
      });
    });

    it('throws unavailable after some events when the connection drops mid-stream', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 3, dropAfterChunks: 2 });

      // Act
      const { events, error } = await collectUntilError(
        adapter.chatStream(
          chatRequest({
            stream: true,
            messages: [{ role: 'user', content: 'a long question' }],
          }),
          model,
          call()
        )
      );

      // Assess
      expect(streamedText(events)).toBe('echo: ');
      expect(events.some((e) => e.type === 'finish')).toBe(false);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ provider: PROVIDER });
    });

    it.each([
      ['modelStreamErrorException' as const, ProviderUnavailableError],
      ['throttlingException' as const, ProviderThrottledError],
    ])(
      'throws after some events on an in-stream %s',
      async (type, errorClass) => {
        // Prepare
        fake.setBehavior({
          chunkSize: 3,
          streamErrorAfterChunks: 1,
          streamExceptionType: type,
        });

        // Act
        const { events, error } = await collectUntilError(
          adapter.chatStream(chatRequest({ stream: true }), model, call())
        );

        // Assess
        expect(events).toEqual([{ type: 'text', text: 'ech' }]);
        expect(error).toBeInstanceOf(errorClass);
        expect(error).toMatchObject({ provider: PROVIDER });
      }
    );

    it('rejects promptly when the caller aborts a hung stream', async () => {
      // Prepare
      fake.setBehavior({ hang: true });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const started = Date.now();

      // Act
      const { error } = await collectUntilError(
        adapter.chatStream(
          chatRequest({ stream: true }),
          model,
          call(controller.signal)
        )
      );

      // Assess
      expect(Date.now() - started).toBeLessThan(1000);
      expect((error as Error).name).toBe('AbortError');
      await waitFor(() => fake.openStreams === 0 && fake.openSessions === 0);
    });

    it('stops reading and releases the stream when the caller aborts mid-stream', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 1, chunkDelayMs: 30 });
      const controller = new AbortController();
      const events: StreamEvent[] = [];

      // Act
      let error: unknown;
      try {
        for await (const e of adapter.chatStream(
          chatRequest({ stream: true }),
          model,
          call(controller.signal)
        )) {
          events.push(e);
          if (events.length === 2) controller.abort();
        }
      } catch (err) {
        error = err;
      }

      // Assess
      expect((error as Error).name).toBe('AbortError');
      expect(error).not.toBeInstanceOf(ProviderError);
      expect(events.length).toBeLessThan(5);
      await waitFor(() => fake.openStreams === 0 && fake.openSessions === 0);
    });

    it('releases the HTTP/2 stream when the consumer stops iterating', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 1, chunkDelayMs: 30 });
      const events: StreamEvent[] = [];

      // Act
      for await (const e of adapter.chatStream(
        chatRequest({ stream: true }),
        model,
        call()
      )) {
        events.push(e);
        if (events.length === 2) break;
      }

      // Assess
      expect(events).toEqual([
        { type: 'text', text: 'e' },
        { type: 'text', text: 'c' },
      ]);
      await waitFor(() => fake.openStreams === 0 && fake.openSessions === 0);
    });
  });
});
