import {
  ProviderContentFilteredError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import {
  fromGeminiResponse,
  generateToolCallId,
  mapFinishReason,
  usageFromMetadata,
} from '../../../../lambdas/core/providers/gemini/response';
import type { GeminiResponse } from '../../../../lambdas/core/providers/gemini/wire';
import { estimatePromptTokens } from '../../../../lambdas/core/tokens';
import { chatRequest, loadFixture } from './helpers';

const context = (ids: string[] = []) => ({
  provider: 'gemini-eu',
  request: chatRequest({
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
  }),
  newToolCallId: () => ids.shift() ?? 'call_fallback',
});

describe('Function: fromGeminiResponse', () => {
  it('maps a text answer with its usage', () => {
    // Act
    const result = fromGeminiResponse(loadFixture('text'), context());

    // Assess
    expect(result).toEqual({
      content:
        "The capital of France is Paris. It has been the country's capital since 987 AD.",
      toolCalls: [],
      finishReason: 'stop',
      usage: { promptTokens: 14, completionTokens: 19, totalTokens: 33 },
    });
  });

  it('maps two parallel function calls, generating ids Gemini did not send', () => {
    // Act
    const result = fromGeminiResponse(
      loadFixture('parallel-function-calls'),
      context(['call_a', 'call_b'])
    );

    // Assess
    expect(result.content).toBeNull();
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([
      {
        id: 'call_a',
        type: 'function',
        function: {
          name: 'get_current_weather',
          arguments: '{"location":"Paris, France","unit":"celsius"}',
        },
      },
      {
        id: 'call_b',
        type: 'function',
        function: {
          name: 'get_current_weather',
          arguments: '{"location":"Tokyo, Japan","unit":"celsius"}',
        },
      },
    ]);
    // Thinking tokens are billed as output.
    expect(result.usage).toEqual({
      promptTokens: 86,
      completionTokens: 42 + 73,
      totalTokens: 201,
      // ...and reported as OpenAI's reasoning_tokens.
      reasoningTokens: 73,
    });
  });

  it('keeps the id Gemini sent and the text next to the call', () => {
    // Act
    const result = fromGeminiResponse(
      loadFixture('function-call-with-id'),
      context()
    );

    // Assess
    expect(result.content).toBe('Let me look that up.');
    expect(result.toolCalls).toEqual([
      {
        id: 'kx4m9p2q',
        type: 'function',
        function: {
          name: 'search_flights',
          arguments:
            '{"origin":"CDG","destination":"JFK","passengers":2,"dates":["2026-12-01","2026-12-08"]}',
        },
      },
    ]);
  });

  it('leaves thought parts out of the answer', () => {
    // Act
    const result = fromGeminiResponse(loadFixture('thought-parts'), context());

    // Assess
    expect(result.content).toBe('17 × 23 = **391**.');
    expect(result.usage.completionTokens).toBe(11 + 128);
  });

  it('reports a SAFETY stop as content_filter with no content', () => {
    // Act
    const result = fromGeminiResponse(loadFixture('safety'), context());

    // Assess
    expect(result.finishReason).toBe('content_filter');
    expect(result.content).toBeNull();
    expect(result.usage).toEqual({
      promptTokens: 23,
      completionTokens: 0,
      totalTokens: 23,
    });
  });

  it('reports MAX_TOKENS as length', () => {
    // Act
    const result = fromGeminiResponse(loadFixture('max-tokens'), context());

    // Assess
    expect(result.finishReason).toBe('length');
  });

  it('throws a content-filter error for a blocked prompt', () => {
    // Act
    const map = () =>
      fromGeminiResponse(loadFixture('prompt-blocked'), context());

    // Assess
    expect(map).toThrow(ProviderContentFilteredError);
    expect(map).toThrow(/PROHIBITED_CONTENT/);
  });

  it('throws a retryable unavailable error for a malformed function call', () => {
    // Act
    const map = () =>
      fromGeminiResponse(loadFixture('malformed-function-call'), context());

    // Assess
    expect(map).toThrow(ProviderUnavailableError);
    expect(map).toThrow(/MALFORMED_FUNCTION_CALL/);
    // The model's half-written call is not echoed into logs.
    expect(map).not.toThrow(/default_api/);
  });

  it('throws unavailable when there is no candidate and no reason', () => {
    // Act
    const map = () => fromGeminiResponse({ candidates: [] }, context());

    // Assess
    expect(map).toThrow(ProviderUnavailableError);
  });

  it('estimates usage when Gemini sent none', () => {
    // Prepare
    const body: GeminiResponse = {
      candidates: [
        {
          content: { parts: [{ text: 'Paris.' }], role: 'model' },
          finishReason: 'STOP',
        },
      ],
    };
    const ctx = context();

    // Act
    const result = fromGeminiResponse(body, ctx);

    // Assess
    expect(result.usage).toEqual({
      promptTokens: estimatePromptTokens(ctx.request, 'gemini'),
      completionTokens: 2,
      totalTokens: estimatePromptTokens(ctx.request, 'gemini') + 2,
    });
  });
});

describe('Function: mapFinishReason', () => {
  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', true, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['SPII', false, 'content_filter'],
    ['IMAGE_SAFETY', false, 'content_filter'],
    ['OTHER', false, 'stop'],
    ['FINISH_REASON_UNSPECIFIED', false, 'stop'],
  ] as const)('maps %s (tool calls: %s) to %s', (reason, calls, expected) => {
    // Act
    const result = mapFinishReason('gemini', reason, calls);

    // Assess
    expect(result).toBe(expected);
  });

  it.each([
    'MALFORMED_FUNCTION_CALL',
    'UNEXPECTED_TOOL_CALL',
    'TOO_MANY_TOOL_CALLS',
  ])('treats %s as a retryable provider failure', (reason) => {
    // Act
    const map = () => mapFinishReason('gemini', reason, false);

    // Assess
    expect(map).toThrow(
      expect.objectContaining({
        provider: 'gemini',
        retryable: true,
        kind: 'unavailable',
      })
    );
  });
});

describe('Function: usageFromMetadata', () => {
  it('computes the total when Google left it out', () => {
    // Act
    const usage = usageFromMetadata({
      promptTokenCount: 5,
      candidatesTokenCount: 7,
    });

    // Assess
    expect(usage).toEqual({
      promptTokens: 5,
      completionTokens: 7,
      totalTokens: 12,
    });
  });

  it('returns undefined without a prompt count', () => {
    // Act
    const usage = usageFromMetadata({ candidatesTokenCount: 7 });

    // Assess
    expect(usage).toBeUndefined();
  });
});

describe('Function: generateToolCallId', () => {
  it('makes distinct OpenAI-style ids', () => {
    // Act
    const ids = new Set(Array.from({ length: 50 }, generateToolCallId));

    // Assess
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^call_[0-9a-f]{24}$/);
  });
});
