import type { ResolvedProvider } from '../../../lambdas/core/config/load';
import { GeminiConfigError } from '../../../lambdas/core/providers/gemini';
import { lazyAdapter } from '../../../lambdas/core/providers/lazy-adapter';
import {
  createAdapters,
  envCredentials,
} from '../../../lambdas/core/providers/registry';
import type {
  CallOptions,
  ProviderAdapter,
} from '../../../lambdas/core/providers/types';
import type {
  ChatRequest,
  ModelConfig,
  StreamEvent,
} from '../../../lambdas/core/types';

const model: ModelConfig = {
  id: 'echo',
  provider: 'local-echo',
  providerType: 'echo',
  providerModelId: 'echo-1',
  aliases: [],
  region: 'eu',
  capabilities: ['streaming'],
  contextWindow: 8192,
  maxOutputTokens: 1024,
  pricing: { inputPer1M: 0, outputPer1M: 0 },
  domains: [],
  quality: 0.1,
  expectedLatencyMs: 1,
  status: 'active',
};

const request: ChatRequest = {
  model: 'echo',
  messages: [{ role: 'user', content: 'Hello there' }],
  stream: false,
  includeUsage: true,
  routing: {},
};

const call = (): CallOptions => ({
  signal: new AbortController().signal,
  requestId: 'req-1',
});

async function collect(it: AsyncIterable<StreamEvent>): Promise<string> {
  let text = '';
  for await (const ev of it) if (ev.type === 'text') text += ev.text;
  return text;
}

/** An adapter that records what it was asked. */
function recordingAdapter(calls: string[]): ProviderAdapter {
  return {
    id: 'p',
    type: 'openai-compatible',
    chat: async () => {
      calls.push('chat');
      return {
        content: 'hi',
        toolCalls: [],
        finishReason: 'stop',
        usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      } as never;
    },
    chatStream: async function* () {
      calls.push('stream');
      yield { type: 'text', text: 'a' } as StreamEvent;
      calls.push('after-first');
      yield { type: 'text', text: 'b' } as StreamEvent;
    },
    embed: async () => {
      calls.push('embed');
      return { vectors: [[1]], usage: { promptTokens: 1 } } as never;
    },
  };
}

describe('Function: lazyAdapter', () => {
  it('imports nothing until the first call, then once', async () => {
    // Prepare
    const calls: string[] = [];
    const create = jest.fn(async () => recordingAdapter(calls));
    const adapter = lazyAdapter('p', 'openai-compatible', create, {
      embeds: true,
    });

    // Act
    const before = create.mock.calls.length;
    await adapter.chat(request, model, call());
    const streamed = await collect(
      adapter.chatStream({ ...request, stream: true }, model, call())
    );
    await adapter.embed?.({ model: 'e', input: ['x'] } as never, model, call());

    // Assess
    expect(before).toBe(0);
    expect(create).toHaveBeenCalledTimes(1);
    expect(streamed).toBe('ab');
    expect(calls).toEqual(['chat', 'stream', 'after-first', 'embed']);
    expect({ id: adapter.id, type: adapter.type }).toEqual({
      id: 'p',
      type: 'openai-compatible',
    });
  });

  it('starts no upstream call for a stream dropped before its first event', async () => {
    // Prepare
    const calls: string[] = [];
    const create = jest.fn(async () => recordingAdapter(calls));
    const adapter = lazyAdapter('p', 'openai-compatible', create, {
      embeds: false,
    });

    // Act
    const it = adapter
      .chatStream(request, model, call())
      [Symbol.asyncIterator]();
    await it.return?.();

    // Assess
    expect(create).not.toHaveBeenCalled();
    expect(calls).toEqual([]);
    expect(adapter.embed).toBeUndefined();
  });

  it('stops the loaded stream when the consumer stops', async () => {
    // Prepare
    const calls: string[] = [];
    const adapter = lazyAdapter(
      'p',
      'openai-compatible',
      async () => recordingAdapter(calls),
      { embeds: false }
    );

    // Act: the first stream goes through the import, the second straight to the adapter
    for (let i = 0; i < 2; i++) {
      for await (const _ of adapter.chatStream(request, model, call())) break;
    }

    // Assess
    expect(calls).toEqual(['stream', 'stream']);
  });

  it('retries an import that failed', async () => {
    // Prepare
    const calls: string[] = [];
    const create = jest
      .fn<Promise<ProviderAdapter>, []>()
      .mockRejectedValueOnce(new Error('chunk missing'))
      .mockImplementation(async () => recordingAdapter(calls));
    const adapter = lazyAdapter('p', 'openai-compatible', create, {
      embeds: false,
    });

    // Act
    const first = adapter.chat(request, model, call());

    // Assess
    await expect(first).rejects.toThrow('chunk missing');
    await expect(adapter.chat(request, model, call())).resolves.toMatchObject({
      content: 'hi',
    });
    expect(create).toHaveBeenCalledTimes(2);
  });
});

describe('Function: createAdapters', () => {
  const provider = (
    p: Partial<ResolvedProvider> & Pick<ResolvedProvider, 'id' | 'type'>
  ) => ({ live: true, settings: {}, ...p }) as ResolvedProvider;

  it('serves the echo family through its lazily imported module', async () => {
    // Prepare
    const adapters = createAdapters(
      [provider({ id: 'local-echo', type: 'echo' })],
      envCredentials({})
    );
    const echo = adapters.get('local-echo')!;

    // Act
    const result = await echo.chat(request, model, call());
    const streamed = await collect(
      echo.chatStream({ ...request, stream: true }, model, call())
    );

    // Assess
    expect(result.content).toBe('echo: Hello there');
    expect(streamed).toBe('echo: Hello there');
    expect(echo.embed).toBeUndefined();
  });

  it('loads the Gemini and OpenAI-compatible families on demand, with embeddings', async () => {
    // Prepare
    const adapters = createAdapters(
      [
        provider({ id: 'gemini', type: 'gemini' }),
        provider({ id: 'llama', type: 'openai-compatible' }),
      ],
      envCredentials({})
    );

    // Act
    const loaded = await Promise.all(
      ['gemini', 'llama'].map((id) =>
        (adapters.get(id) as ReturnType<typeof lazyAdapter>).load()
      )
    );

    // Assess
    expect(loaded.map((a) => [a.id, a.type, typeof a.embed])).toEqual([
      ['gemini', 'gemini', 'function'],
      ['llama', 'openai-compatible', 'function'],
    ]);
    expect(typeof adapters.get('gemini')!.embed).toBe('function');
  });

  it('fails composition on unusable Gemini settings, before any import', () => {
    // Act
    const make = () =>
      createAdapters(
        [
          provider({
            id: 'vertex',
            type: 'gemini',
            settings: { mode: 'vertex', location: 'Not A Region' },
          } as never),
        ],
        envCredentials({})
      );

    // Assess
    expect(make).toThrow(GeminiConfigError);
    expect(make).toThrow(
      /gemini provider vertex: vertex mode needs a project; location must look like/
    );
  });
});
