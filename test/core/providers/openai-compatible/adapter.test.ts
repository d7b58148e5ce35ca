jest.mock('eventsource-parser', () =>
  jest
    .requireActual<typeof import('./helpers')>('./helpers')
    .nativeRequire('eventsource-parser')
);

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContextLengthError,
  type ProviderError,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import { createOpenAICompatibleAdapter } from '../../../../lambdas/core/providers/openai-compatible';
import {
  type CallOptions,
  type CredentialSource,
  staticCredential,
} from '../../../../lambdas/core/providers/types';
import type {
  ChatMessage,
  ToolDefinition,
} from '../../../../lambdas/core/types';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../../helpers/fakes/openai-fake';
import {
  collect,
  makeModel,
  makeRequest,
  textOf,
  toolCallsOf,
  waitFor,
} from './helpers';

const API_KEY = 'sk-test-0123456789abcdef';
const model = makeModel();

const lookup: ToolDefinition = {
  type: 'function',
  function: {
    name: 'lookup',
    description: 'Looks a term up',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
    },
  },
};
const clock: ToolDefinition = {
  type: 'function',
  function: { name: 'clock', parameters: { type: 'object', properties: {} } },
};

function call(signal: AbortSignal = new AbortController().signal): CallOptions {
  return { signal, requestId: 'req-123' };
}

describe('Function: createOpenAICompatibleAdapter', () => {
  let fake: FakeOpenAIServer;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: API_KEY });
  });

  afterAll(async () => {
    await fake.close();
  });

  beforeEach(() => {
    fake.reset();
  });

  function adapter(
    overrides: Partial<Parameters<typeof createOpenAICompatibleAdapter>[0]> = {}
  ) {
    return createOpenAICompatibleAdapter({
      id: 'llama',
      baseUrl: fake.url,
      credential: staticCredential(API_KEY),
      ...overrides,
    });
  }

  describe('Method: chat', () => {
    it('completes a text request and sends model, key, request id and headers', async () => {
      // Prepare
      const subject = adapter({
        baseUrl: `${fake.url}/`,
        headers: { 'x-tenant': 'acme' },
      });

      // Act
      const result = await subject.chat(makeRequest(), model, call());

      // Assess
      expect(result.content).toBe('echo: hello world');
      expect(result.finishReason).toBe('stop');
      expect(result.toolCalls).toEqual([]);
      expect(result.usage.totalTokens).toBe(
        result.usage.promptTokens + result.usage.completionTokens
      );
      expect(fake.requests).toHaveLength(1);
      const recorded = fake.requests[0]!;
      expect(recorded.path).toBe('/v1/chat/completions');
      expect(recorded.headers.authorization).toBe('Bearer [redacted]');
      expect(recorded.headers['x-request-id']).toBe('req-123');
      expect(recorded.headers['x-tenant']).toBe('acme');
      expect(recorded.headers['content-type']).toBe('application/json');
      expect(recorded.body).toEqual({
        model: 'Llama-4-Maverick-17B-128E-Instruct-FP8',
        messages: [{ role: 'user', content: 'hello world' }],
      });
    });

    it('forwards the system prompt', async () => {
      // Prepare
      fake.setBehavior({
        responder: (view) => ({ text: `system=${view.system}` }),
      });
      const request = makeRequest({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'hi' },
        ],
      });

      // Act
      const result = await adapter().chat(request, model, call());

      // Assess
      expect(result.content).toBe('system=You are terse.');
    });

    it('completes a full tool round trip', async () => {
      // Prepare
      const subject = adapter();
      const first = makeRequest({
        messages: [{ role: 'user', content: 'what is SSE?' }],
        tools: [lookup],
      });

      // Act
      const turn1 = await subject.chat(first, model, call());
      const toolCall = turn1.toolCalls[0]!;
      const history: ChatMessage[] = [
        ...first.messages,
        {
          role: 'assistant',
          content: turn1.content,
          toolCalls: turn1.toolCalls,
        },
        {
          role: 'tool',
          content: 'server-sent events',
          toolCallId: toolCall.id,
        },
      ];
      const turn2 = await subject.chat(
        makeRequest({ messages: history, tools: [lookup] }),
        model,
        call()
      );

      // Assess
      expect(turn1.finishReason).toBe('tool_calls');
      expect(toolCall.function.name).toBe('lookup');
      expect(JSON.parse(toolCall.function.arguments)).toEqual({
        query: 'what is SSE?',
      });
      expect(turn2.content).toBe('tool said: server-sent events');
      expect(turn2.finishReason).toBe('stop');
      const sent = fake.requests[1]!.body as { messages: unknown[] };
      expect(sent.messages.slice(1)).toEqual([
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: toolCall.id,
              type: 'function',
              function: {
                name: 'lookup',
                arguments: toolCall.function.arguments,
              },
            },
          ],
        },
        {
          role: 'tool',
          content: 'server-sent events',
          tool_call_id: toolCall.id,
        },
      ]);
    });

    it('returns parallel tool calls and answers both results', async () => {
      // Prepare
      fake.setBehavior({
        responder: (view) => {
          const last = view.messages[view.messages.length - 1];
          if (last?.toolResults) {
            return {
              text: last.toolResults
                .map((r) => `${r.id}=${r.content}`)
                .join(','),
            };
          }
          return {
            toolCalls: [
              { id: 'call_a', name: 'lookup', arguments: { query: 'x' } },
              { id: 'call_b', name: 'clock', arguments: {} },
            ],
          };
        },
      });
      const subject = adapter();
      const first = makeRequest({
        tools: [lookup, clock],
        parallelToolCalls: true,
      });

      // Act
      const turn1 = await subject.chat(first, model, call());
      const turn2 = await subject.chat(
        makeRequest({
          tools: [lookup, clock],
          messages: [
            ...first.messages,
            { role: 'assistant', content: null, toolCalls: turn1.toolCalls },
            { role: 'tool', content: 'found', toolCallId: 'call_a' },
            { role: 'tool', content: 'noon', toolCallId: 'call_b' },
          ],
        }),
        model,
        call()
      );

      // Assess
      expect(turn1.toolCalls.map((c) => [c.id, c.function.name])).toEqual([
        ['call_a', 'lookup'],
        ['call_b', 'clock'],
      ]);
      expect(
        (fake.requests[0]!.body as Record<string, unknown>).parallel_tool_calls
      ).toBe(true);
      expect(turn2.content).toBe('call_a=found,call_b=noon');
    });

    it.each([
      ['auto', 'lookup'],
      ['required', 'lookup'],
      ['none', undefined],
      [{ type: 'function', function: { name: 'clock' } }, 'clock'],
    ] as const)('forwards tool_choice %j', async (toolChoice, expectedTool) => {
      // Prepare
      const request = makeRequest({ tools: [lookup, clock], toolChoice });

      // Act
      const result = await adapter().chat(request, model, call());

      // Assess
      expect(
        (fake.requests[0]!.body as Record<string, unknown>).tool_choice
      ).toEqual(toolChoice);
      expect(result.toolCalls[0]?.function.name).toBe(expectedTool);
    });

    it('sends no Authorization header when the credential yields none', async () => {
      // Prepare
      const open = await startFakeOpenAI();
      const subject = adapter({
        baseUrl: open.url,
        credential: staticCredential(undefined),
      });

      // Act
      const result = await subject.chat(makeRequest(), model, call());
      await open.close();

      // Assess
      expect(result.content).toBe('echo: hello world');
      expect(open.requests[0]!.headers.authorization).toBeUndefined();
    });

    it('reuses keep-alive connections for sequential calls', async () => {
      // Prepare
      const local = await startFakeOpenAI({ apiKey: API_KEY });
      const subject = adapter({ baseUrl: local.url });

      // Act
      for (let i = 0; i < 10; i++)
        await subject.chat(makeRequest(), model, call());
      const { connections } = local.stats;
      await local.close();

      // Assess
      expect(subject.type).toBe('openai-compatible');
      // undici may open a second socket while the first is being released.
      expect(connections).toBeLessThanOrEqual(2);
    });
  });

  describe('Method: chatStream', () => {
    it('streams text in several deltas that reassemble to the answer', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 3 });
      const request = makeRequest({
        stream: true,
        messages: [{ role: 'user', content: 'stream me please' }],
      });

      // Act
      const { events, error } = await collect(
        adapter().chatStream(request, model, call())
      );

      // Assess
      expect(error).toBeUndefined();
      expect(events.filter((e) => e.type === 'text').length).toBeGreaterThan(3);
      expect(textOf(events)).toBe('echo: stream me please');
      expect(events.slice(-2).map((e) => e.type)).toEqual(['finish', 'usage']);
      expect(fake.requests[0]!.headers.accept).toBe('text/event-stream');
      expect(fake.requests[0]!.body).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
      });
    });

    it('reassembles parallel tool call fragments to valid JSON', async () => {
      // Prepare
      fake.setBehavior({
        chunkSize: 4,
        responder: () => ({
          toolCalls: [
            {
              name: 'lookup',
              arguments: { query: 'server-sent events', limit: 3 },
            },
            { name: 'clock', arguments: { tz: 'Europe/Berlin' } },
          ],
        }),
      });
      const request = makeRequest({ stream: true, tools: [lookup, clock] });

      // Act
      const { events, error } = await collect(
        adapter().chatStream(request, model, call())
      );

      // Assess
      expect(error).toBeUndefined();
      const calls = toolCallsOf(events);
      expect(calls.map((c) => [c.index, c.name])).toEqual([
        [0, 'lookup'],
        [1, 'clock'],
      ]);
      expect(calls.every((c) => c.id?.startsWith('call_'))).toBe(true);
      expect(JSON.parse(calls[0]!.arguments)).toEqual({
        query: 'server-sent events',
        limit: 3,
      });
      expect(JSON.parse(calls[1]!.arguments)).toEqual({ tz: 'Europe/Berlin' });
      expect(
        events.filter((e) => e.type === 'tool_call' && e.argumentsDelta).length
      ).toBeGreaterThan(4);
      expect(events.find((e) => e.type === 'finish')).toEqual({
        type: 'finish',
        finishReason: 'tool_calls',
      });
    });

    it('reports the upstream usage at the end of the stream', async () => {
      // Prepare
      fake.setBehavior({
        responder: () => ({ text: 'counted', usage: { input: 42, output: 7 } }),
      });

      // Act
      const { events } = await collect(
        adapter().chatStream(makeRequest({ stream: true }), model, call())
      );

      // Assess
      expect(events[events.length - 1]).toEqual({
        type: 'usage',
        usage: { promptTokens: 42, completionTokens: 7, totalTokens: 49 },
      });
      expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
    });

    it('keeps the connection alive after a complete stream', async () => {
      // Prepare
      const local = await startFakeOpenAI({ apiKey: API_KEY });
      local.setBehavior({ chunkDelayMs: 1 });
      const subject = adapter({ baseUrl: local.url });

      // Act
      for (let i = 0; i < 10; i++) {
        await collect(
          subject.chatStream(makeRequest({ stream: true }), model, call())
        );
      }
      const stats = { ...local.stats };
      await local.close();

      // Assess
      expect(stats.connections).toBeLessThanOrEqual(2);
      expect(stats.clientAborts).toBe(0);
    });
    it('lets the body end after [DONE] instead of cutting the socket', async () => {
      // Prepare: a server that ends the response a while after [DONE].
      let connections = 0;
      let aborted = 0;
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(
            'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
          );
          setTimeout(() => res.end(), 30);
        });
        res.on('close', () => {
          if (!res.writableFinished) aborted++;
        });
      });
      server.on('connection', () => connections++);
      await new Promise<void>((resolve) =>
        server.listen(0, '127.0.0.1', resolve)
      );
      const { port } = server.address() as AddressInfo;
      const subject = adapter({ baseUrl: `http://127.0.0.1:${port}/v1` });

      // Act
      const first = await collect(
        subject.chatStream(makeRequest(), model, call())
      );
      await new Promise((resolve) => setTimeout(resolve, 60));
      await collect(subject.chatStream(makeRequest(), model, call()));
      await new Promise((resolve) => setTimeout(resolve, 60));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));

      // Assess
      expect(textOf(first.events)).toBe('hi');
      expect(aborted).toBe(0);
      expect(connections).toBe(1);
    });
  });

  describe('errors', () => {
    it.each([
      [400, ProviderBadRequestError, undefined],
      [404, ProviderNotFoundError, undefined],
      [429, ProviderThrottledError, 3000],
      [500, ProviderUnavailableError, undefined],
      [503, ProviderUnavailableError, 3000],
    ] as const)(
      'maps HTTP %i to its ProviderError class',
      async (status, errorClass, retryAfterMs) => {
        // Prepare
        fake.setBehavior({ errorStatus: status, retryAfterSeconds: 3 });

        // Act
        const chatError = await adapter()
          .chat(makeRequest(), model, call())
          .catch((e: unknown) => e);
        const streamed = await collect(
          adapter().chatStream(makeRequest({ stream: true }), model, call())
        );

        // Assess
        for (const error of [chatError, streamed.error]) {
          expect(error).toBeInstanceOf(errorClass);
          expect(error).toMatchObject({
            provider: 'llama',
            status,
            retryAfterMs,
          });
        }
        expect(streamed.events).toEqual([]);
      }
    );

    it('maps a context-length 400 to ProviderContextLengthError', async () => {
      // Prepare
      fake.setBehavior({
        errorStatus: 400,
        errorCode: 'context_length_exceeded',
      });

      // Act
      const error = await adapter()
        .chat(makeRequest(), model, call())
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProviderContextLengthError);
    });

    it('recovers after transient failures on the next call', async () => {
      // Prepare
      fake.setBehavior({ errorStatus: 500, errorCount: 1 });
      const subject = adapter();

      // Act
      const first = await subject
        .chat(makeRequest(), model, call())
        .catch((e: unknown) => e);
      const second = await subject.chat(makeRequest(), model, call());

      // Assess
      expect(first).toBeInstanceOf(ProviderUnavailableError);
      expect(second.content).toBe('echo: hello world');
    });

    it('maps a rejected key to ProviderAuthError without leaking the key', async () => {
      // Prepare
      const subject = adapter({
        credential: staticCredential('sk-wrong-key-987654'),
      });

      // Act
      const error = (await subject
        .chat(makeRequest(), model, call())
        .catch((e: unknown) => e)) as ProviderError;

      // Assess
      expect(error).toBeInstanceOf(ProviderAuthError);
      expect(error.status).toBe(401);
      expect(error.message).not.toMatch(/sk-|987654/);
      expect(fake.requests).toHaveLength(1);
    });

    it('refreshes the credential once after a 401 and succeeds', async () => {
      // Prepare
      const credential: CredentialSource = {
        get: jest.fn(async () => 'sk-rotated-away-000000'),
        refresh: jest.fn(async () => API_KEY),
      };

      // Act
      const result = await adapter({ credential }).chat(
        makeRequest(),
        model,
        call()
      );

      // Assess
      expect(result.content).toBe('echo: hello world');
      expect(credential.refresh).toHaveBeenCalledTimes(1);
      expect(fake.requests).toHaveLength(2);
    });

    it('gives up after one refresh when the new key is also rejected', async () => {
      // Prepare
      const credential: CredentialSource = {
        get: async () => 'sk-bad-one-111111',
        refresh: jest.fn(async () => 'sk-bad-two-222222'),
      };

      // Act
      const { events, error } = await collect(
        adapter({ credential }).chatStream(
          makeRequest({ stream: true }),
          model,
          call()
        )
      );

      // Assess
      expect(error).toBeInstanceOf(ProviderAuthError);
      expect(events).toEqual([]);
      expect(credential.refresh).toHaveBeenCalledTimes(1);
      expect(fake.requests).toHaveLength(2);
    });

    it('maps a failing credential source to ProviderAuthError without calling upstream', async () => {
      // Prepare
      const credential: CredentialSource = {
        get: async () => {
          throw new Error('secrets manager unreachable');
        },
      };

      // Act
      const error = await adapter({ credential })
        .chat(makeRequest(), model, call())
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProviderAuthError);
      expect((error as Error).cause).toEqual(
        new Error('secrets manager unreachable')
      );
      expect(fake.requests).toHaveLength(0);
    });

    it('rejects promptly with the caller AbortError when a hung call is aborted', async () => {
      // Prepare
      fake.setBehavior({ hang: true });
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 50);

      // Act
      const error = await adapter()
        .chat(makeRequest(), model, call(controller.signal))
        .catch((e: unknown) => e);

      // Assess
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toBe(controller.signal.reason);
      expect((error as Error).name).toBe('AbortError');
    });

    it('rethrows a custom abort reason unchanged from a hung stream', async () => {
      // Prepare
      fake.setBehavior({ hang: true });
      const controller = new AbortController();
      const reason = new DOMException('deadline reached', 'TimeoutError');
      const started = Date.now();
      setTimeout(() => controller.abort(reason), 50);

      // Act
      const { events, error } = await collect(
        adapter().chatStream(
          makeRequest({ stream: true }),
          model,
          call(controller.signal)
        )
      );

      // Assess
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toBe(reason);
      expect(events).toEqual([]);
    });

    it('turns its own per-attempt timeout into ProviderTimeoutError', async () => {
      // Prepare
      fake.setBehavior({ hang: true });
      const started = Date.now();

      // Act
      const error = await adapter({ timeoutMs: 100 })
        .chat(makeRequest(), model, call())
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProviderTimeoutError);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('fails a stream dropped mid-way with ProviderUnavailableError after some events', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 2, dropAfterChunks: 3 });

      // Act
      const { events, error } = await collect(
        adapter().chatStream(makeRequest({ stream: true }), model, call())
      );

      // Assess
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(events.length).toBeGreaterThan(0);
      expect(events.some((e) => e.type === 'finish')).toBe(false);
    });

    it('fails on an in-stream error event after some events', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 2, streamErrorAfterChunks: 3 });

      // Act
      const { events, error } = await collect(
        adapter().chatStream(makeRequest({ stream: true }), model, call())
      );

      // Assess
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect((error as Error).message).toMatch(/server_error/);
      expect(textOf(events)).toBe('echo: '.slice(0, 6));
    });

    it('fails a stream that ends without finish_reason and [DONE]', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 2, truncateAfterChunks: 2 });

      // Act
      const { events, error } = await collect(
        adapter().chatStream(makeRequest({ stream: true }), model, call())
      );

      // Assess
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect((error as Error).message).toMatch(/ended before finish_reason/);
      expect(textOf(events)).toBe('echo');
    });

    it('releases the connection when the consumer stops iterating early', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 1, chunkDelayMs: 20 });
      const request = makeRequest({
        stream: true,
        messages: [
          { role: 'user', content: 'a long answer that keeps streaming' },
        ],
      });
      const seen: string[] = [];

      // Act
      for await (const event of adapter().chatStream(request, model, call())) {
        if (event.type === 'text') seen.push(event.text);
        if (seen.length === 2) break;
      }

      // Assess
      expect(seen).toEqual(['e', 'c']);
      await waitFor(() => fake.stats.clientAborts === 1);
    });

    it('stops reading and rethrows the AbortError when aborted mid-stream', async () => {
      // Prepare
      fake.setBehavior({ chunkSize: 1, chunkDelayMs: 20 });
      const controller = new AbortController();
      const events: string[] = [];

      // Act
      let error: unknown;
      try {
        for await (const event of adapter().chatStream(
          makeRequest({ stream: true }),
          model,
          call(controller.signal)
        )) {
          if (event.type === 'text') events.push(event.text);
          if (events.length === 2) controller.abort();
        }
      } catch (e) {
        error = e;
      }

      // Assess
      expect(error).toBe(controller.signal.reason);
      expect(events).toHaveLength(2);
      await waitFor(() => fake.stats.clientAborts === 1);
    });

    it('maps a refused connection to ProviderUnavailableError', async () => {
      // Prepare
      const server = createServer();
      await new Promise<void>((resolve) =>
        server.listen(0, '127.0.0.1', resolve)
      );
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));

      // Act
      const error = await adapter({ baseUrl: `http://127.0.0.1:${port}/v1` })
        .chat(makeRequest(), model, call())
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect((error as Error).message).toContain('ECONNREFUSED');
    });

    it('decodes multi-byte characters split across body reads', async () => {
      // Prepare
      const bytes = new TextEncoder().encode(
        'data: {"choices":[{"delta":{"content":"héllo 👋"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
      );
      const cut = bytes.indexOf(0xf0) + 2;
      const fetchStub = (async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(bytes.slice(0, 12));
              controller.enqueue(bytes.slice(12, cut));
              controller.enqueue(bytes.slice(cut));
              controller.close();
            },
          }),
          { status: 200, headers: { 'content-type': 'text/event-stream' } }
        )) as unknown as typeof fetch;

      // Act
      const { events, error } = await collect(
        adapter({ fetch: fetchStub }).chatStream(makeRequest(), model, call())
      );

      // Assess
      expect(error).toBeUndefined();
      expect(textOf(events)).toBe('héllo 👋');
    });

    it('maps a 200 whose body is not JSON to ProviderUnavailableError', async () => {
      // Prepare
      const fetchStub = jest.fn(
        async () =>
          new Response('<html>maintenance</html>', {
            status: 200,
            headers: { 'content-type': 'text/html' },
          })
      ) as unknown as typeof fetch;

      // Act
      const error = await adapter({ fetch: fetchStub })
        .chat(makeRequest(), model, call())
        .catch((e: unknown) => e);

      // Assess
      expect(fetchStub).toHaveBeenCalledWith(
        `${fake.url}/chat/completions`,
        expect.objectContaining({ method: 'POST' })
      );
      expect(error).toBeInstanceOf(ProviderUnavailableError);
    });
  });
});
