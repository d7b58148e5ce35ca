import {
  ProviderContextLengthError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import {
  fromChatCompletion,
  mapFinishReason,
} from '../../../../lambdas/core/providers/openai-compatible/response';
import type { WireChatCompletion } from '../../../../lambdas/core/providers/openai-compatible/wire';
import { estimatePromptTokens } from '../../../../lambdas/core/tokens';
import { loadJsonFixture, makeRequest } from './helpers';

describe('Function: fromChatCompletion', () => {
  it('maps a text completion with its usage', () => {
    // Prepare
    const body = loadJsonFixture<WireChatCompletion>('chat-text.json');

    // Act
    const result = fromChatCompletion('openai', body, makeRequest());

    // Assess
    expect(result).toEqual({
      content: 'Hello! How can I assist you today?',
      toolCalls: [],
      finishReason: 'stop',
      usage: {
        promptTokens: 19,
        completionTokens: 10,
        totalTokens: 29,
        reasoningTokens: 0,
      },
    });
  });

  it('maps two parallel tool calls in order', () => {
    // Prepare
    const body = loadJsonFixture<WireChatCompletion>(
      'chat-parallel-tool-calls.json'
    );

    // Act
    const result = fromChatCompletion('openai', body, makeRequest());

    // Assess
    expect(result.content).toBeNull();
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([
      {
        id: 'call_7cPdHRCvEmJmDkQGmsrBwqPy',
        type: 'function',
        function: {
          name: 'get_weather',
          arguments: '{"location":"Paris, France","unit":"celsius"}',
        },
      },
      {
        id: 'call_QxFmR8eXb2V0uWqM1kTgHzLs',
        type: 'function',
        function: {
          name: 'get_time',
          arguments: '{"timezone":"Europe/Paris"}',
        },
      },
    ]);
    expect(result.usage.totalTokens).toBe(129);
  });

  it('keeps the length finish reason of a truncated answer', () => {
    // Prepare
    const body = loadJsonFixture<WireChatCompletion>('chat-length.json');

    // Act
    const result = fromChatCompletion('openai', body, makeRequest());

    // Assess
    expect(result.finishReason).toBe('length');
    expect(result.content).toBe('The history of the Roman Empire spans');
  });

  it('reads a Llama API answer with an empty tool_calls list and extra metrics', () => {
    // Prepare
    const body = loadJsonFixture<WireChatCompletion>('llama-api-chat.json');

    // Act
    const result = fromChatCompletion('llama', body, makeRequest());

    // Assess
    expect(result).toEqual({
      content: "Bonjour ! Comment puis-je vous aider aujourd'hui ?",
      toolCalls: [],
      finishReason: 'stop',
      usage: { promptTokens: 23, completionTokens: 13, totalTokens: 36 },
    });
  });

  it('estimates usage and fixes the finish reason of an Ollama tool call', () => {
    // Prepare
    const body = loadJsonFixture<WireChatCompletion>(
      'ollama-chat-no-usage.json'
    );
    const request = makeRequest();

    // Act
    const result = fromChatCompletion('ollama', body, request);

    // Assess
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([
      {
        id: 'call_u1yxkcwi',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Toronto"}' },
      },
    ]);
    expect(result.usage.promptTokens).toBe(
      estimatePromptTokens(request, 'openai-compatible')
    );
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.usage.totalTokens).toBe(
      result.usage.promptTokens + result.usage.completionTokens
    );
  });

  it('serialises object arguments and invents ids when a server omits them', () => {
    // Prepare
    const body: WireChatCompletion = {
      choices: [
        {
          message: {
            content: null,
            tool_calls: [{ function: { name: 'f', arguments: { a: 1 } } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2 },
    };

    // Act
    const result = fromChatCompletion('vllm', body, makeRequest());

    // Assess
    expect(result.toolCalls[0]).toEqual({
      id: 'call_0',
      type: 'function',
      function: { name: 'f', arguments: '{"a":1}' },
    });
    expect(result.usage.totalTokens).toBe(3);
  });

  it('treats a 200 carrying an error object as a provider error', () => {
    // Prepare
    const body: WireChatCompletion = {
      error: {
        message:
          "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.",
        type: 'BadRequestError',
        code: 400,
      },
    };

    // Act
    const act = () => fromChatCompletion('vllm', body, makeRequest());

    // Assess
    expect(act).toThrow(ProviderContextLengthError);
  });

  it('rejects an answer without choices as unavailable', () => {
    // Prepare
    const body: WireChatCompletion = { choices: [] };

    // Act
    const act = () => fromChatCompletion('vllm', body, makeRequest());

    // Assess
    expect(act).toThrow(ProviderUnavailableError);
  });
});

describe('Function: mapFinishReason', () => {
  it.each([
    ['stop', false, 'stop'],
    ['length', false, 'length'],
    ['max_tokens', false, 'length'],
    ['content_filter', false, 'content_filter'],
    ['tool_calls', true, 'tool_calls'],
    ['function_call', true, 'tool_calls'],
    ['stop', true, 'tool_calls'],
    ['eos', false, 'stop'],
    [null, false, 'stop'],
  ] as const)(
    'maps %s (tool calls: %s) to %s',
    (reason, hasCalls, expected) => {
      // Act
      const mapped = mapFinishReason(reason, hasCalls);

      // Assess
      expect(mapped).toBe(expected);
    }
  );
});
