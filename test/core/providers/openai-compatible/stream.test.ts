jest.mock('eventsource-parser', () =>
  jest
    .requireActual<typeof import('./helpers')>('./helpers')
    .nativeRequire('eventsource-parser')
);

import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import {
  ProviderContentFilteredError,
  ProviderThrottledError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import { ChatCompletionStreamMapper } from '../../../../lambdas/core/providers/openai-compatible/stream';
import {
  estimatePromptTokens,
  estimateTextTokens,
} from '../../../../lambdas/core/tokens';
import type { ChatRequest, StreamEvent } from '../../../../lambdas/core/types';
import { loadTextFixture, makeRequest, textOf, toolCallsOf } from './helpers';

/** Runs recorded SSE text through parser and mapper, as the adapter does. */
function mapSse(
  text: string,
  request: ChatRequest = makeRequest({ stream: true })
): { events: StreamEvent[]; mapper: ChatCompletionStreamMapper } {
  const events: StreamEvent[] = [];
  const mapper = new ChatCompletionStreamMapper('openai', request);
  const parser = createParser({
    onEvent: (e) => mapper.push(e.data, events),
  });
  parser.feed(text);
  mapper.end(events);
  return { events, mapper };
}

function chunk(delta: unknown, finish: string | null = null): string {
  return `data: ${JSON.stringify({
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
}

describe('Class: ChatCompletionStreamMapper', () => {
  it('maps a recorded stream with interleaved parallel tool call fragments', () => {
    // Prepare
    const text = loadTextFixture('stream-parallel-tool-calls.sse');

    // Act
    const { events, mapper } = mapSse(text);

    // Assess
    expect(mapper.done).toBe(true);
    expect(events).toEqual([
      { type: 'text', text: 'Checking both.' },
      { type: 'tool_call', index: 0, id: 'call_W1xq', name: 'get_weather' },
      { type: 'tool_call', index: 1, id: 'call_T9zk', name: 'get_time' },
      { type: 'tool_call', index: 0, argumentsDelta: '{"loca' },
      { type: 'tool_call', index: 1, argumentsDelta: '{"timez' },
      { type: 'tool_call', index: 0, argumentsDelta: 'tion":"Paris"}' },
      { type: 'tool_call', index: 1, argumentsDelta: 'one":"Europe/Paris"}' },
      { type: 'finish', finishReason: 'tool_calls' },
      {
        type: 'usage',
        usage: {
          promptTokens: 88,
          completionTokens: 51,
          totalTokens: 139,
          reasoningTokens: 0,
        },
      },
    ]);
    const calls = toolCallsOf(events);
    expect(calls.map((c) => JSON.parse(c.arguments))).toEqual([
      { location: 'Paris' },
      { timezone: 'Europe/Paris' },
    ]);
  });

  it('maps the recorded stream the same however the body is sliced', () => {
    // Prepare
    const lf = loadTextFixture('stream-parallel-tool-calls.sse');
    const crlf = lf.replace(/\n/g, '\r\n');
    const expected = mapSse(lf).events;

    // Act / Assess
    fc.assert(
      fc.property(
        fc.constantFrom(lf, crlf),
        fc.uniqueArray(fc.nat({ max: crlf.length }), { maxLength: 30 }),
        (text, offsets) => {
          const cuts = [0, ...offsets.sort((a, b) => a - b), text.length];
          const events: StreamEvent[] = [];
          const mapper = new ChatCompletionStreamMapper(
            'openai',
            makeRequest()
          );
          const parser = createParser({
            onEvent: (e) => mapper.push(e.data, events),
          });
          for (let i = 1; i < cuts.length; i++) {
            parser.feed(text.slice(cuts[i - 1], cuts[i]));
          }
          mapper.end(events);
          expect(events).toEqual(expected);
        }
      ),
      { numRuns: 200 }
    );
  });

  it('estimates usage for an Ollama stream that reports none', () => {
    // Prepare
    const text = loadTextFixture('stream-ollama-no-usage.sse');
    const request = makeRequest({ stream: true });

    // Act
    const { events } = mapSse(text, request);

    // Assess
    expect(textOf(events)).toBe('The sky is blue.');
    const tail = events.slice(-2);
    expect(tail[0]).toEqual({ type: 'finish', finishReason: 'stop' });
    const prompt = estimatePromptTokens(request, 'openai-compatible');
    const completion = estimateTextTokens(
      'The sky is blue.',
      'openai-compatible'
    );
    expect(tail[1]).toEqual({
      type: 'usage',
      usage: {
        promptTokens: prompt,
        completionTokens: completion,
        totalTokens: prompt + completion,
      },
    });
  });

  it('accepts a body that ends after finish_reason without [DONE]', () => {
    // Prepare
    const text = chunk({ content: 'hi' }) + chunk({}, 'stop');

    // Act
    const { events, mapper } = mapSse(text);

    // Assess
    expect(mapper.done).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['text', 'finish', 'usage']);
  });

  it('throws unavailable when the body ends with neither finish_reason nor [DONE]', () => {
    // Prepare
    const events: StreamEvent[] = [];
    const mapper = new ChatCompletionStreamMapper('openai', makeRequest());
    mapper.push(
      JSON.stringify({ choices: [{ delta: { content: 'par' } }] }),
      events
    );

    // Act
    const act = () => mapper.end(events);

    // Assess
    expect(events).toEqual([{ type: 'text', text: 'par' }]);
    expect(act).toThrow(ProviderUnavailableError);
    expect(act).toThrow(/ended before finish_reason/);
  });

  it('synthesises a finish when [DONE] arrives without one', () => {
    // Prepare
    const text = `${chunk({
      tool_calls: [
        { index: 0, id: 'c1', function: { name: 'f', arguments: '{}' } },
      ],
    })}data: [DONE]\n\n`;

    // Act
    const { events } = mapSse(text);

    // Assess
    expect(events).toEqual([
      {
        type: 'tool_call',
        index: 0,
        id: 'c1',
        name: 'f',
        argumentsDelta: '{}',
      },
      { type: 'finish', finishReason: 'tool_calls' },
      expect.objectContaining({ type: 'usage' }),
    ]);
  });

  it('maps an in-stream error object to a provider error', () => {
    // Prepare
    const events: StreamEvent[] = [];
    const mapper = new ChatCompletionStreamMapper('openai', makeRequest());
    mapper.push(
      JSON.stringify({ choices: [{ delta: { content: 'a' } }] }),
      events
    );

    // Act
    const act = () =>
      mapper.push(
        JSON.stringify({
          error: { message: 'overloaded', type: 'server_error', code: null },
        }),
        events
      );

    // Assess
    expect(act).toThrow(ProviderUnavailableError);
    expect(events).toHaveLength(1);
  });

  it.each([
    [
      { error: { message: 'slow down', type: 'rate_limit_exceeded' } },
      ProviderThrottledError,
    ],
    [
      { error: { message: 'blocked', code: 'content_filter' } },
      ProviderContentFilteredError,
    ],
    [
      {
        object: 'error',
        message: 'engine died',
        type: 'InternalServerError',
        code: 500,
      },
      ProviderUnavailableError,
    ],
  ])('classifies in-stream error %j', (payload, errorClass) => {
    // Prepare
    const mapper = new ChatCompletionStreamMapper('vllm', makeRequest());

    // Act
    const act = () => mapper.push(JSON.stringify(payload), []);

    // Assess
    expect(act).toThrow(errorClass);
  });

  it('rejects a chunk that is not JSON', () => {
    // Prepare
    const mapper = new ChatCompletionStreamMapper('openai', makeRequest());

    // Act
    const act = () => mapper.push('{"choices": [', []);

    // Assess
    expect(act).toThrow(ProviderUnavailableError);
  });

  it('numbers index-less tool calls by their ids and opens each index once', () => {
    // Prepare
    const events: StreamEvent[] = [];
    const mapper = new ChatCompletionStreamMapper('ollama', makeRequest());

    // Act
    mapper.map(
      {
        choices: [
          {
            delta: {
              tool_calls: [
                { id: 'a', function: { name: 'f', arguments: '{"x":' } },
              ],
            },
          },
        ],
      },
      events
    );
    mapper.map(
      {
        choices: [
          { delta: { tool_calls: [{ function: { arguments: '1}' } }] } },
        ],
      },
      events
    );
    mapper.map(
      {
        choices: [
          {
            delta: {
              tool_calls: [
                { id: 'b', function: { name: 'g', arguments: { y: 2 } } },
              ],
            },
          },
        ],
      },
      events
    );
    mapper.map(
      {
        choices: [
          {
            delta: {
              tool_calls: [{ index: 1, id: 'b', function: { name: 'g' } }],
            },
          },
        ],
      },
      events
    );

    // Assess
    expect(toolCallsOf(events)).toEqual([
      { index: 0, id: 'a', name: 'f', arguments: '{"x":1}' },
      { index: 1, id: 'b', name: 'g', arguments: '{"y":2}' },
    ]);
    expect(events.filter((e) => e.type === 'tool_call' && e.id)).toHaveLength(
      2
    );
  });

  it('emits finish and usage once, and nothing after [DONE]', () => {
    // Prepare
    const usage = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 };
    const text =
      chunk({ content: 'ok' }, 'stop') +
      chunk({}, 'stop') +
      `data: ${JSON.stringify({ choices: [], usage })}\n\n` +
      'data: [DONE]\n\n' +
      chunk({ content: 'late' });

    // Act
    const { events } = mapSse(text);

    // Assess
    expect(events).toEqual([
      { type: 'text', text: 'ok' },
      { type: 'finish', finishReason: 'stop' },
      {
        type: 'usage',
        usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 },
      },
    ]);
  });
});
