import { createEchoAdapter } from '../../../../lambdas/core/providers/echo';
import { splitWords } from '../../../../lambdas/core/providers/echo/adapter';
import {
  estimatePromptTokens,
  estimateTextTokens,
} from '../../../../lambdas/core/tokens';
import type {
  ChatRequest,
  ModelConfig,
  StreamEvent,
  ToolDefinition,
} from '../../../../lambdas/core/types';

const model: ModelConfig = {
  id: 'echo',
  provider: 'local-echo',
  providerType: 'echo',
  providerModelId: 'echo-1',
  aliases: [],
  region: 'eu',
  capabilities: ['tools', 'streaming'],
  contextWindow: 8192,
  maxOutputTokens: 1024,
  pricing: { inputPer1M: 0, outputPer1M: 0 },
  domains: [],
  quality: 0.1,
  expectedLatencyMs: 1,
  status: 'active',
};

const search: ToolDefinition = {
  type: 'function',
  function: { name: 'search', parameters: { type: 'object' } },
};
const weather: ToolDefinition = {
  type: 'function',
  function: { name: 'weather', parameters: { type: 'object' } },
};

function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'echo',
    messages: [
      { role: 'system', content: 'ignored' },
      { role: 'user', content: 'hello  brave new world' },
    ],
    stream: false,
    includeUsage: true,
    routing: {},
    ...overrides,
  };
}

function options(signal: AbortSignal = new AbortController().signal) {
  return { signal, requestId: 'req-echo' };
}

async function drain(
  stream: AsyncIterable<StreamEvent>
): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

describe('Function: createEchoAdapter', () => {
  describe('Method: chat', () => {
    it('echoes the last user message with estimated usage', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'local-echo' });
      const req = request();

      // Act
      const result = await adapter.chat(req, model, options());

      // Assess
      expect(adapter.id).toBe('local-echo');
      expect(adapter.type).toBe('echo');
      expect(result).toEqual({
        content: 'echo: hello  brave new world',
        toolCalls: [],
        finishReason: 'stop',
        usage: {
          promptTokens: estimatePromptTokens(req, 'echo'),
          completionTokens: estimateTextTokens(
            'echo: hello  brave new world',
            'echo'
          ),
          totalTokens:
            estimatePromptTokens(req, 'echo') +
            estimateTextTokens('echo: hello  brave new world', 'echo'),
        },
      });
    });

    it('echoes the last user message even when an assistant turn follows it', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e' });
      const req = request({
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'prefill' },
        ],
        tools: [search],
      });

      // Act
      const result = await adapter.chat(req, model, options());

      // Assess
      expect(result.content).toBe('echo: first');
      expect(result.toolCalls).toEqual([]);
    });

    it('calls the first tool with the user text when tools are offered', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e' });

      // Act
      const result = await adapter.chat(
        request({ tools: [search, weather], toolChoice: 'auto' }),
        model,
        options()
      );

      // Assess
      expect(result.content).toBeNull();
      expect(result.finishReason).toBe('tool_calls');
      expect(result.toolCalls).toEqual([
        {
          id: 'call_echo_0',
          type: 'function',
          function: {
            name: 'search',
            arguments: '{"input":"hello  brave new world"}',
          },
        },
      ]);
    });

    it('calls the named tool when tool_choice names one', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e' });

      // Act
      const result = await adapter.chat(
        request({
          tools: [search, weather],
          toolChoice: { type: 'function', function: { name: 'weather' } },
        }),
        model,
        options()
      );

      // Assess
      expect(result.toolCalls[0]!.function.name).toBe('weather');
    });

    it('answers in text when tool_choice is none', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e' });

      // Act
      const result = await adapter.chat(
        request({ tools: [search], toolChoice: 'none' }),
        model,
        options()
      );

      // Assess
      expect(result.content).toBe('echo: hello  brave new world');
      expect(result.toolCalls).toEqual([]);
    });

    it('replies with the tool result and numbers later calls after earlier ones', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e' });
      const history = request({
        tools: [search],
        messages: [
          { role: 'user', content: 'q1' },
          {
            role: 'assistant',
            content: null,
            toolCalls: [
              {
                id: 'call_echo_0',
                type: 'function',
                function: { name: 'search', arguments: '{"input":"q1"}' },
              },
            ],
          },
          { role: 'tool', content: 'result one', toolCallId: 'call_echo_0' },
        ],
      });

      // Act
      const answer = await adapter.chat(history, model, options());
      const next = await adapter.chat(
        {
          ...history,
          messages: [
            ...history.messages,
            { role: 'assistant', content: answer.content },
            { role: 'user', content: 'q2' },
          ],
        },
        model,
        options()
      );

      // Assess
      expect(answer.content).toBe('tool result: result one');
      expect(answer.finishReason).toBe('stop');
      expect(next.toolCalls[0]!.id).toBe('call_echo_1');
    });

    it('waits latencyMs and rejects with the abort reason when aborted meanwhile', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e', latencyMs: 5000 });
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 20);

      // Act
      const error = await adapter
        .chat(request(), model, options(controller.signal))
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBe(controller.signal.reason);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('delays the reply by latencyMs', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e', latencyMs: 40 });
      const started = Date.now();

      // Act
      await adapter.chat(request(), model, options());

      // Assess
      expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    });
  });

  describe('Method: chatStream', () => {
    it('streams word by word with spaces preserved, then finish and usage', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e' });
      const req = request({ stream: true });

      // Act
      const events = await drain(adapter.chatStream(req, model, options()));

      // Assess
      expect(events).toEqual([
        { type: 'text', text: 'echo:' },
        { type: 'text', text: ' hello' },
        { type: 'text', text: '  brave' },
        { type: 'text', text: ' new' },
        { type: 'text', text: ' world' },
        { type: 'finish', finishReason: 'stop' },
        {
          type: 'usage',
          usage: {
            promptTokens: estimatePromptTokens(req, 'echo'),
            completionTokens: estimateTextTokens(
              'echo: hello  brave new world',
              'echo'
            ),
            totalTokens:
              estimatePromptTokens(req, 'echo') +
              estimateTextTokens('echo: hello  brave new world', 'echo'),
          },
        },
      ]);
    });

    it('streams a tool call as an opening event and an argument delta', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e' });

      // Act
      const events = await drain(
        adapter.chatStream(
          request({ stream: true, tools: [search] }),
          model,
          options()
        )
      );

      // Assess
      expect(events.slice(0, 3)).toEqual([
        { type: 'tool_call', index: 0, id: 'call_echo_0', name: 'search' },
        {
          type: 'tool_call',
          index: 0,
          argumentsDelta: '{"input":"hello  brave new world"}',
        },
        { type: 'finish', finishReason: 'tool_calls' },
      ]);
      expect(events[3]!.type).toBe('usage');
    });

    it('stops with the abort reason when aborted between words', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e' });
      const controller = new AbortController();
      const seen: StreamEvent[] = [];

      // Act
      let error: unknown;
      try {
        for await (const e of adapter.chatStream(
          request({ stream: true }),
          model,
          options(controller.signal)
        )) {
          seen.push(e);
          if (seen.length === 2) controller.abort();
        }
      } catch (e) {
        error = e;
      }

      // Assess
      expect(error).toBe(controller.signal.reason);
      expect(seen).toHaveLength(2);
    });

    it('rejects at once on an already aborted signal, before any event', async () => {
      // Prepare
      const adapter = createEchoAdapter({ id: 'e', latencyMs: 10 });
      const controller = new AbortController();
      controller.abort();

      // Act
      const iterator = adapter
        .chatStream(request(), model, options(controller.signal))
        [Symbol.asyncIterator]();
      const error = await iterator.next().catch((e: unknown) => e);

      // Assess
      expect(error).toBe(controller.signal.reason);
    });
  });
});

describe('Function: splitWords', () => {
  it.each([
    ['', []],
    ['one', ['one']],
    [' lead', [' lead']],
    ['trail ', ['trail', ' ']],
    ['a\n b', ['a', '\n b']],
  ])('splits %j into %j', (text, words) => {
    // Act
    const out = splitWords(text);

    // Assess
    expect(out).toEqual(words);
    expect(out.join('')).toBe(text);
  });
});
