import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContextLengthError,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import {
  createGeminiAdapter,
  GeminiConfigError,
} from '../../../../lambdas/core/providers/gemini/adapter';
import {
  type CredentialSource,
  type ProviderAdapter,
  staticCredential,
} from '../../../../lambdas/core/providers/types';
import type {
  ChatMessage,
  StreamEvent,
  ToolDefinition,
} from '../../../../lambdas/core/types';
import {
  type FakeGeminiServer,
  startFakeGemini,
} from '../../../helpers/fakes/gemini-fake';
import { chatRequest, geminiModel, loadFixture } from './helpers';

// eventsource-parser is ESM-only; see nativeRequire in helpers.ts.
jest.mock('eventsource-parser', () =>
  require('./helpers').nativeRequire('eventsource-parser')
);

type Mode = 'api' | 'vertex';

const KEY = 'AIzaSy-test-key-1';
const PROJECT = 'acme-prod';
const LOCATION = 'europe-west4';

const weatherTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
      additionalProperties: false,
    },
  },
};

const timeTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_time',
    parameters: { type: 'object', properties: {} },
  },
};

function callOptions(signal: AbortSignal = new AbortController().signal) {
  return { signal, requestId: 'req-1' };
}

function expectedPath(mode: Mode, model: string, method: string): string {
  return mode === 'api'
    ? `/v1beta/models/${model}:${method}`
    : `/v1/projects/${PROJECT}/locations/${LOCATION}/publishers/google/models/${model}:${method}`;
}

/** Drains a stream, keeping what arrived before any failure. */
async function collect(
  stream: AsyncIterable<StreamEvent>
): Promise<{ events: StreamEvent[]; error?: unknown }> {
  const events: StreamEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

function textOf(events: readonly StreamEvent[]): string {
  return events.map((e) => (e.type === 'text' ? e.text : '')).join('');
}

describe.each<Mode>(['api', 'vertex'])(
  'Function: createGeminiAdapter (%s mode)',
  (mode) => {
    let fake: FakeGeminiServer;
    let adapter: ProviderAdapter;

    const make = (
      credential: CredentialSource = staticCredential(KEY),
      extra: { timeoutMs?: number } = {}
    ): ProviderAdapter =>
      createGeminiAdapter({
        id: 'gemini-test',
        mode,
        baseUrl: fake.url,
        credential,
        project: PROJECT,
        location: LOCATION,
        ...extra,
      });

    beforeAll(async () => {
      fake = await startFakeGemini({ apiKey: KEY });
    });

    beforeEach(() => {
      fake.reset();
      adapter = make();
    });

    afterAll(() => fake.close());

    it('answers a text prompt with a system instruction', async () => {
      // Prepare
      const request = chatRequest({
        messages: [
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: 'Hello' },
        ],
      });

      // Act
      const result = await adapter.chat(request, geminiModel(), callOptions());

      // Assess
      expect(result.content).toBe('echo: Hello');
      expect(result.finishReason).toBe('stop');
      const recorded = fake.requests[0]!;
      expect(recorded.path).toBe(
        expectedPath(mode, 'gemini-2.5-flash', 'generateContent')
      );
      expect(recorded.path).not.toContain(KEY);
      expect(recorded.body).toMatchObject({
        systemInstruction: { parts: [{ text: 'Answer in French.' }] },
        contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      });
      expect(
        mode === 'api'
          ? recorded.headers['x-goog-api-key']
          : recorded.headers.authorization
      ).toBeDefined();
    });

    it('completes a full tool round trip', async () => {
      // Prepare
      const first = chatRequest({
        messages: [{ role: 'user', content: 'weather in Paris' }],
        tools: [weatherTool],
      });

      // Act
      const call = await adapter.chat(first, geminiModel(), callOptions());
      const history: ChatMessage[] = [
        ...first.messages,
        { role: 'assistant', content: call.content, toolCalls: call.toolCalls },
        {
          role: 'tool',
          toolCallId: call.toolCalls[0]!.id,
          content: 'sunny, 21C',
        },
      ];
      const answer = await adapter.chat(
        chatRequest({ messages: history, tools: [weatherTool] }),
        geminiModel(),
        callOptions()
      );

      // Assess
      expect(call.finishReason).toBe('tool_calls');
      expect(call.toolCalls).toHaveLength(1);
      expect(call.toolCalls[0]!.function.name).toBe('get_weather');
      expect(JSON.parse(call.toolCalls[0]!.function.arguments)).toEqual({
        query: 'weather in Paris',
      });
      expect(answer.content).toBe('tool said: sunny, 21C');
      expect(answer.finishReason).toBe('stop');
    });

    it('round-trips tool calls of a Gemini 3 model that demands thought signatures', async () => {
      // Prepare
      const model = geminiModel({ providerModelId: 'gemini-3-flash-preview' });
      const first = chatRequest({
        messages: [{ role: 'user', content: 'weather in Oslo' }],
        tools: [weatherTool],
      });
      const call = await adapter.chat(first, model, callOptions());
      const history: ChatMessage[] = [
        ...first.messages,
        { role: 'assistant', content: null, toolCalls: call.toolCalls },
        { role: 'tool', toolCallId: call.toolCalls[0]!.id, content: 'snow' },
      ];

      // Act
      const answer = await adapter.chat(
        chatRequest({ messages: history, tools: [weatherTool] }),
        model,
        callOptions()
      );

      // Assess
      expect(answer.content).toBe('tool said: snow');
    });

    it('returns parallel calls with distinct ids and answers both results', async () => {
      // Prepare
      fake.setBehavior({
        responder: (view) =>
          view.messages.at(-1)?.toolResults
            ? {
                text: `tool said: ${view.messages
                  .at(-1)!
                  .toolResults!.map((r) => r.content)
                  .join(' | ')}`,
              }
            : {
                toolCalls: [
                  { name: 'get_weather', arguments: { query: 'Paris' } },
                  { name: 'get_weather', arguments: { query: 'Tokyo' } },
                ],
              },
      });
      const first = chatRequest({
        messages: [{ role: 'user', content: 'Paris and Tokyo' }],
        tools: [weatherTool],
      });

      // Act
      const call = await adapter.chat(first, geminiModel(), callOptions());
      const [paris, tokyo] = call.toolCalls;
      const answer = await adapter.chat(
        chatRequest({
          messages: [
            ...first.messages,
            { role: 'assistant', content: null, toolCalls: call.toolCalls },
            { role: 'tool', toolCallId: paris!.id, content: '18C' },
            { role: 'tool', toolCallId: tokyo!.id, content: '{"temp":"12C"}' },
          ],
          tools: [weatherTool],
        }),
        geminiModel(),
        callOptions()
      );

      // Assess
      expect(
        call.toolCalls.map((c) => JSON.parse(c.function.arguments))
      ).toEqual([{ query: 'Paris' }, { query: 'Tokyo' }]);
      expect(paris!.id).not.toBe(tokyo!.id);
      expect(answer.content).toBe('tool said: 18C | {"temp":"12C"}');
      expect(
        (fake.requests[1]!.body as { contents: unknown[] }).contents
      ).toHaveLength(3);
    });

    it.each([
      ['auto', 'get_weather'],
      ['required', 'get_weather'],
      [{ type: 'function', function: { name: 'get_time' } }, 'get_time'],
    ] as const)(
      'honours tool_choice %j by calling %s',
      async (toolChoice, expected) => {
        // Prepare
        const request = chatRequest({
          messages: [{ role: 'user', content: 'now?' }],
          tools: [weatherTool, timeTool],
          toolChoice,
        });

        // Act
        const result = await adapter.chat(
          request,
          geminiModel(),
          callOptions()
        );

        // Assess
        expect(result.toolCalls.map((c) => c.function.name)).toEqual([
          expected,
        ]);
      }
    );

    it('honours tool_choice none with a plain answer', async () => {
      // Prepare
      const request = chatRequest({
        messages: [{ role: 'user', content: 'just talk' }],
        tools: [weatherTool],
        toolChoice: 'none',
      });

      // Act
      const result = await adapter.chat(request, geminiModel(), callOptions());

      // Assess
      expect(result.toolCalls).toEqual([]);
      expect(result.content).toBe('echo: just talk');
      expect(fake.requests[0]!.body).toMatchObject({
        toolConfig: { functionCallingConfig: { mode: 'NONE' } },
      });
    });

    it('streams text in several events, then finish, then usage', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 3 });
      const request = chatRequest({
        messages: [{ role: 'user', content: 'stream me please' }],
        stream: true,
      });

      // Act
      const { events, error } = await collect(
        adapter.chatStream(request, geminiModel(), callOptions())
      );

      // Assess
      expect(error).toBeUndefined();
      expect(textOf(events)).toBe('echo: stream me please');
      expect(events.filter((e) => e.type === 'text').length).toBeGreaterThan(3);
      expect(events.slice(-2).map((e) => e.type)).toEqual(['finish', 'usage']);
      expect(events.at(-2)).toEqual({ type: 'finish', finishReason: 'stop' });
      expect(fake.requests[0]!.path).toBe(
        `${expectedPath(mode, 'gemini-2.5-flash', 'streamGenerateContent')}?alt=sse`
      );
    });

    it('streams parallel tool calls as whole tool_call events', async () => {
      // Prepare
      fake.setBehavior({
        responder: () => ({
          text: 'On it.',
          toolCalls: [
            { name: 'get_weather', arguments: { query: 'Paris' } },
            { name: 'get_time', arguments: {} },
          ],
        }),
      });
      const request = chatRequest({
        messages: [{ role: 'user', content: 'Paris weather and time' }],
        tools: [weatherTool, timeTool],
        stream: true,
      });

      // Act
      const { events, error } = await collect(
        adapter.chatStream(request, geminiModel(), callOptions())
      );

      // Assess
      expect(error).toBeUndefined();
      const calls = events.filter((e) => e.type === 'tool_call');
      expect(calls).toEqual([
        {
          type: 'tool_call',
          index: 0,
          id: expect.stringMatching(/^call_/),
          name: 'get_weather',
          argumentsDelta: '{"query":"Paris"}',
        },
        {
          type: 'tool_call',
          index: 1,
          id: expect.stringMatching(/^call_/),
          name: 'get_time',
          argumentsDelta: '{}',
        },
      ]);
      expect(textOf(events)).toBe('On it.');
      expect(events.find((e) => e.type === 'finish')).toEqual({
        type: 'finish',
        finishReason: 'tool_calls',
      });
    });

    it('reports Gemini usage for complete and streamed answers', async () => {
      // Prepare
      fake.setBehavior({
        responder: () => ({ text: 'counted', usage: { input: 11, output: 7 } }),
      });

      // Act
      const result = await adapter.chat(
        chatRequest(),
        geminiModel(),
        callOptions()
      );
      const { events } = await collect(
        adapter.chatStream(
          chatRequest({ stream: true }),
          geminiModel(),
          callOptions()
        )
      );

      // Assess
      const usage = { promptTokens: 11, completionTokens: 7, totalTokens: 18 };
      expect(result.usage).toEqual(usage);
      expect(events.filter((e) => e.type === 'usage')).toEqual([
        { type: 'usage', usage },
      ]);
    });

    it('maps a SAFETY stop to content_filter', async () => {
      // Prepare
      fake.setBehavior({
        responder: () => ({ finishReason: 'content_filter' }),
      });

      // Act
      const result = await adapter.chat(
        chatRequest(),
        geminiModel(),
        callOptions()
      );

      // Assess
      expect(result).toMatchObject({
        content: null,
        finishReason: 'content_filter',
      });
    });

    it('gets real-world schemas accepted once converted', async () => {
      // Prepare
      const tools: ToolDefinition[] = [
        'schema-pydantic-person',
        'schema-pydantic-tree',
        'schema-mcp-tool',
      ].map((name) => ({
        type: 'function',
        function: {
          name: name.replace(/-/g, '_'),
          parameters: loadFixture<Record<string, unknown>>(name),
        },
      }));
      tools.push({
        type: 'function',
        function: {
          name: 'nullable_types',
          parameters: {
            type: 'object',
            properties: { note: { type: ['string', 'null'] } },
            additionalProperties: false,
          },
        },
      });

      // Act
      const result = await adapter.chat(
        chatRequest({ messages: [{ role: 'user', content: 'go' }], tools }),
        geminiModel(),
        callOptions()
      );

      // Assess
      expect(result.toolCalls[0]?.function.name).toBe('schema_pydantic_person');
      const sent = JSON.stringify(fake.requests[0]!.body);
      for (const key of [
        'additionalProperties',
        '$ref',
        '$defs',
        '$schema',
        'const',
      ])
        expect(sent).not.toContain(`"${key}"`);
    });

    it('is rejected, like the real API, when a schema is sent unconverted', async () => {
      // Prepare: bypass the adapter to show the fake is strict.
      const url = `${fake.url}${expectedPath(mode, 'gemini-2.5-flash', 'generateContent')}`;
      const headers: Record<string, string> =
        mode === 'api'
          ? { 'x-goog-api-key': KEY }
          : { authorization: `Bearer ${KEY}` };

      // Act
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          contents: [{ role: 'user', parts: [{ text: 'go' }] }],
          tools: [
            {
              functionDeclarations: [
                { name: 'raw', parameters: weatherTool.function.parameters },
              ],
            },
          ],
        }),
      });
      const body = (await response.json()) as {
        error: { status: string; message: string };
      };

      // Assess
      expect(response.status).toBe(400);
      expect(body.error.status).toBe('INVALID_ARGUMENT');
      expect(body.error.message).toContain('Unknown name "$schema"');
    });

    it.each([
      [400, ProviderBadRequestError],
      [403, ProviderAuthError],
      [404, ProviderNotFoundError],
      [500, ProviderUnavailableError],
      [503, ProviderUnavailableError],
      [504, ProviderTimeoutError],
    ])('maps HTTP %i to %p, in chat and in streams', async (status, type) => {
      // Prepare
      fake.setBehavior({ errorStatus: status });

      // Act
      const chatError = await adapter
        .chat(chatRequest(), geminiModel(), callOptions())
        .catch((err: unknown) => err);
      const stream = await collect(
        adapter.chatStream(
          chatRequest({ stream: true }),
          geminiModel(),
          callOptions()
        )
      );

      // Assess
      expect(chatError).toBeInstanceOf(type);
      expect(chatError).toMatchObject({ provider: 'gemini-test', status });
      expect(stream.events).toEqual([]);
      expect(stream.error).toBeInstanceOf(type);
      expect(stream.error).toMatchObject({ provider: 'gemini-test', status });
    });

    it('maps 429 to throttled with Retry-After in ms', async () => {
      // Prepare
      fake.setBehavior({ errorStatus: 429, retryAfterSeconds: 2 });

      // Act
      const chat = adapter.chat(chatRequest(), geminiModel(), callOptions());

      // Assess
      await expect(chat).rejects.toBeInstanceOf(ProviderThrottledError);
      await expect(chat).rejects.toMatchObject({
        provider: 'gemini-test',
        status: 429,
        retryAfterMs: 2000,
        retryable: true,
      });
    });

    it('falls back to RetryInfo.retryDelay when a 429 has no Retry-After', async () => {
      // Prepare
      fake.setBehavior({ errorStatus: 429 });

      // Act
      const chat = adapter.chat(chatRequest(), geminiModel(), callOptions());

      // Assess
      await expect(chat).rejects.toMatchObject({ retryAfterMs: 17_000 });
    });

    it('recovers once the fault clears', async () => {
      // Prepare
      fake.setBehavior({ errorStatus: 503, errorCount: 1 });

      // Act
      const failed = adapter.chat(chatRequest(), geminiModel(), callOptions());
      await expect(failed).rejects.toBeInstanceOf(ProviderUnavailableError);
      const result = await adapter.chat(
        chatRequest(),
        geminiModel(),
        callOptions()
      );

      // Assess
      expect(result.content).toBe('echo: Hello');
    });

    it('refreshes a rejected credential once and retries with the new one', async () => {
      // Prepare
      const refresh = jest.fn(async () => KEY);
      const rotated = make({ get: async () => 'AIzaSy-old-key', refresh });

      // Act
      const result = await rotated.chat(
        chatRequest(),
        geminiModel(),
        callOptions()
      );

      // Assess
      expect(result.content).toBe('echo: Hello');
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(fake.requests).toHaveLength(2);
    });

    it('refreshes for streams too', async () => {
      // Prepare
      const refresh = jest.fn(async () => KEY);
      const rotated = make({ get: async () => 'AIzaSy-old-key', refresh });

      // Act
      const { events, error } = await collect(
        rotated.chatStream(
          chatRequest({ stream: true }),
          geminiModel(),
          callOptions()
        )
      );

      // Assess
      expect(error).toBeUndefined();
      expect(textOf(events)).toBe('echo: Hello');
      expect(refresh).toHaveBeenCalledTimes(1);
    });

    it('gives up with an auth error when the refreshed credential fails too', async () => {
      // Prepare
      const refresh = jest.fn(async () => 'AIzaSy-still-wrong');
      const rotated = make({ get: async () => 'AIzaSy-old-key', refresh });

      // Act
      const chat = rotated.chat(chatRequest(), geminiModel(), callOptions());

      // Assess
      await expect(chat).rejects.toBeInstanceOf(ProviderAuthError);
      await expect(chat).rejects.toMatchObject({
        status: mode === 'api' ? 400 : 401,
        message: expect.not.stringContaining('AIzaSy-still-wrong'),
      });
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(fake.requests).toHaveLength(2);
    });

    it('fails with an auth error, sending nothing, when no credential is set', async () => {
      // Prepare
      const empty = make(staticCredential(undefined));

      // Act
      const chat = empty.chat(chatRequest(), geminiModel(), callOptions());

      // Assess
      await expect(chat).rejects.toBeInstanceOf(ProviderAuthError);
      expect(fake.requests).toHaveLength(0);
    });

    it('rejects promptly with the caller abort when the upstream hangs', async () => {
      // Prepare
      fake.setBehavior({ hang: true });
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 50);

      // Act
      const error = await adapter
        .chat(chatRequest(), geminiModel(), callOptions(controller.signal))
        .catch((err: unknown) => err);

      // Assess: the caller's own abort reason, not a provider error.
      expect(error).toBe(controller.signal.reason);
      expect((error as Error).name).toBe('AbortError');
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('rejects a hanging stream promptly with the caller abort', async () => {
      // Prepare
      fake.setBehavior({ hang: true });
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 50);

      // Act
      const { events, error } = await collect(
        adapter.chatStream(
          chatRequest({ stream: true }),
          geminiModel(),
          callOptions(controller.signal)
        )
      );

      // Assess
      expect(events).toEqual([]);
      expect(error).toBe(controller.signal.reason);
      expect((error as Error).name).toBe('AbortError');
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('turns its own timeout into a timeout error', async () => {
      // Prepare
      fake.setBehavior({ hang: true });
      const impatient = make(staticCredential(KEY), { timeoutMs: 100 });

      // Act
      const chat = impatient.chat(chatRequest(), geminiModel(), callOptions());

      // Assess
      await expect(chat).rejects.toBeInstanceOf(ProviderTimeoutError);
    });

    it('stops a stream when the caller aborts mid-way', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 1, chunkDelayMs: 20 });
      const controller = new AbortController();
      const events: StreamEvent[] = [];

      // Act
      let error: unknown;
      try {
        for await (const event of adapter.chatStream(
          chatRequest({ stream: true }),
          geminiModel(),
          callOptions(controller.signal)
        )) {
          events.push(event);
          if (events.length === 2) controller.abort();
        }
      } catch (err) {
        error = err;
      }

      // Assess
      expect(events).toHaveLength(2);
      expect(error).toBe(controller.signal.reason);
    });

    it('throws a provider error after the events that arrived before a dropped connection', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 2, dropAfterChunks: 3 });

      // Act
      const { events, error } = await collect(
        adapter.chatStream(
          chatRequest({
            messages: [{ role: 'user', content: 'a long answer' }],
            stream: true,
          }),
          geminiModel(),
          callOptions()
        )
      );

      // Assess
      expect(events).toEqual([
        { type: 'text', text: 'ec' },
        { type: 'text', text: 'ho' },
        { type: 'text', text: ': ' },
      ]);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ provider: 'gemini-test', retryable: true });
    });

    it('throws a provider error after the events that arrived before an in-stream error', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 2, streamErrorAfterChunks: 2 });

      // Act
      const { events, error } = await collect(
        adapter.chatStream(
          chatRequest({
            messages: [{ role: 'user', content: 'a long answer' }],
            stream: true,
          }),
          geminiModel(),
          callOptions()
        )
      );

      // Assess
      expect(textOf(events)).toBe('echo');
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ provider: 'gemini-test', status: 500 });
    });

    it('releases the connection when the consumer stops iterating', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 1, chunkDelayMs: 25 });
      const stream = adapter.chatStream(
        chatRequest({
          messages: [{ role: 'user', content: 'x'.repeat(200) }],
          stream: true,
        }),
        geminiModel(),
        callOptions()
      );

      // Act
      for await (const _event of stream) break;
      const deadline = Date.now() + 1000;
      while (fake.openResponses() > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

      // Assess: 200 chunks at 25 ms would hold the response for 5 s.
      expect(fake.openResponses()).toBe(0);
    });

    it('rejects a tool result without its call as a bad request, sending nothing', async () => {
      // Prepare
      const request = chatRequest({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'tool', toolCallId: 'call_nowhere', content: 'x' },
        ],
      });

      // Act
      const chat = adapter.chat(request, geminiModel(), callOptions());

      // Assess
      await expect(chat).rejects.toBeInstanceOf(ProviderBadRequestError);
      expect(fake.requests).toHaveLength(0);
    });
  }
);

describe('Function: createGeminiAdapter (construction and endpoints)', () => {
  function capture(): {
    urls: string[];
    inits: RequestInit[];
    fetch: typeof fetch;
  } {
    const urls: string[] = [];
    const inits: RequestInit[] = [];
    return {
      urls,
      inits,
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        urls.push(String(url));
        inits.push(init ?? {});
        return new Response(JSON.stringify(loadFixture('text')), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      }) as typeof fetch,
    };
  }

  it('fails construction in vertex mode without a project', () => {
    // Act
    const make = () =>
      createGeminiAdapter({
        id: 'g',
        mode: 'vertex',
        credential: staticCredential('t'),
      });

    // Assess
    expect(make).toThrow(GeminiConfigError);
    expect(make).toThrow(/vertex mode needs a project/);
  });

  it('reports every bad setting at once', () => {
    // Act
    const make = () =>
      createGeminiAdapter({
        id: 'g',
        mode: 'vertex',
        credential: staticCredential('t'),
        location: 'evil.example.com/',
        timeoutMs: -1,
      });

    // Assess
    expect(make).toThrow(/project.*location.*timeoutMs/);
  });

  it('calls the public Generative Language endpoint with the key in a header', async () => {
    // Prepare
    const stub = capture();
    const adapter = createGeminiAdapter({
      id: 'g',
      credential: staticCredential('AIzaSy-secret'),
      fetch: stub.fetch,
    });

    // Act
    await adapter.chat(chatRequest(), geminiModel(), callOptions());

    // Assess
    expect(stub.urls).toEqual([
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent',
    ]);
    expect(stub.inits[0]?.headers).toMatchObject({
      'x-goog-api-key': 'AIzaSy-secret',
    });
  });

  it.each([
    [
      'us-central1',
      'https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent',
    ],
    [
      'global',
      'https://aiplatform.googleapis.com/v1/projects/p1/locations/global/publishers/google/models/gemini-2.5-flash:generateContent',
    ],
  ])(
    'calls the Vertex AI endpoint for location %s',
    async (location, expected) => {
      // Prepare
      const stub = capture();
      const adapter = createGeminiAdapter({
        id: 'g',
        mode: 'vertex',
        project: 'p1',
        location,
        credential: staticCredential('ya29.token'),
        fetch: stub.fetch,
      });

      // Act
      await adapter.chat(chatRequest(), geminiModel(), callOptions());

      // Assess
      expect(stub.urls).toEqual([expected]);
      expect(stub.inits[0]?.headers).toMatchObject({
        authorization: 'Bearer ya29.token',
      });
    }
  );

  it('addresses tuned models by their own resource name', async () => {
    // Prepare
    const stub = capture();
    const adapter = createGeminiAdapter({
      id: 'g',
      baseUrl: 'http://127.0.0.1:9/proxy/',
      credential: staticCredential('k'),
      fetch: stub.fetch,
    });

    // Act
    await adapter.chat(
      chatRequest(),
      geminiModel({ providerModelId: 'tunedModels/my-model-42' }),
      callOptions()
    );

    // Assess
    expect(stub.urls).toEqual([
      'http://127.0.0.1:9/proxy/v1beta/tunedModels/my-model-42:generateContent',
    ]);
  });

  it('maps a refused connection to a retryable unavailable error', async () => {
    // Prepare: a loopback port that was just closed.
    const server = createServer();
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve)
    );
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const adapter = createGeminiAdapter({
      id: 'g',
      baseUrl: `http://127.0.0.1:${port}`,
      credential: staticCredential('k'),
    });

    // Act
    const chat = adapter.chat(chatRequest(), geminiModel(), callOptions());

    // Assess
    await expect(chat).rejects.toBeInstanceOf(ProviderUnavailableError);
    await expect(chat).rejects.toMatchObject({
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('maps a context overflow from the wire to a context-length error', async () => {
    // Prepare
    const adapter = createGeminiAdapter({
      id: 'g',
      credential: staticCredential('k'),
      fetch: (async () =>
        new Response(JSON.stringify(loadFixture('error-context-length')), {
          status: 400,
          headers: { 'content-type': 'application/json' },
        })) as typeof fetch,
    });

    // Act
    const chat = adapter.chat(chatRequest(), geminiModel(), callOptions());

    // Assess
    await expect(chat).rejects.toBeInstanceOf(ProviderContextLengthError);
  });
});
