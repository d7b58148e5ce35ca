import {
  ProviderContentFilteredError,
  ProviderThrottledError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import { GeminiStreamMapper } from '../../../../lambdas/core/providers/gemini/stream';
import type { StreamEvent } from '../../../../lambdas/core/types';
import { chatRequest, loadFixture } from './helpers';

function mapper(ids: string[] = []): GeminiStreamMapper {
  return new GeminiStreamMapper({
    provider: 'gemini-eu',
    request: chatRequest(),
    newToolCallId: () => ids.shift() ?? 'call_fallback',
  });
}

function run(m: GeminiStreamMapper, chunks: readonly unknown[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const chunk of chunks) events.push(...m.push(JSON.stringify(chunk)));
  events.push(...m.end());
  return events;
}

describe('Class: GeminiStreamMapper', () => {
  it('maps a recorded text stream, skipping thoughts, with usage once at the end', () => {
    // Act
    const events = run(mapper(), loadFixture<unknown[]>('stream-text'));

    // Assess
    expect(events).toEqual([
      { type: 'text', text: 'Roses are' },
      { type: 'text', text: ' red,\nviolets are blue.' },
      { type: 'finish', finishReason: 'stop' },
      {
        type: 'usage',
        usage: {
          promptTokens: 7,
          completionTokens: 10 + 22,
          totalTokens: 39,
          reasoningTokens: 22,
        },
      },
    ]);
  });

  it('emits each whole function call as one tool_call event', () => {
    // Act
    const events = run(
      mapper(['call_1', 'call_2']),
      loadFixture<unknown[]>('stream-tool-calls')
    );

    // Assess
    expect(events).toEqual([
      { type: 'text', text: 'Checking both cities.' },
      {
        type: 'tool_call',
        index: 0,
        id: 'call_1',
        name: 'get_current_weather',
        argumentsDelta: '{"location":"Paris"}',
      },
      {
        type: 'tool_call',
        index: 1,
        id: 'call_2',
        name: 'get_time',
        argumentsDelta: '{"timezone":"Europe/Paris"}',
      },
      { type: 'finish', finishReason: 'tool_calls' },
      {
        type: 'usage',
        usage: { promptTokens: 64, completionTokens: 30, totalTokens: 94 },
      },
    ]);
  });

  it('numbers tool calls across chunks', () => {
    // Prepare
    const m = mapper(['call_x', 'call_y']);
    const call = (name: string, finish?: string) => ({
      candidates: [
        {
          content: {
            parts: [{ functionCall: { name, args: {} } }],
            role: 'model',
          },
          ...(finish ? { finishReason: finish } : {}),
        },
      ],
    });

    // Act
    const events = run(m, [call('a'), call('b', 'STOP')]);

    // Assess
    expect(
      events.filter((e) => e.type === 'tool_call').map((e) => [e.index, e.name])
    ).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
  });

  it('throws the mapped error when an error object arrives in the stream', () => {
    // Prepare
    const m = mapper();
    const first = m.push(
      JSON.stringify({
        candidates: [{ content: { parts: [{ text: 'Hel' }] } }],
      })
    );

    // Act
    const push = () =>
      m.push(
        JSON.stringify({
          error: {
            code: 429,
            message: 'Resource has been exhausted',
            status: 'RESOURCE_EXHAUSTED',
          },
        })
      );

    // Assess
    expect(first).toEqual([{ type: 'text', text: 'Hel' }]);
    expect(push).toThrow(ProviderThrottledError);
    expect(push).toThrow(
      expect.objectContaining({ status: 429, provider: 'gemini-eu' })
    );
  });

  it('throws when the stream ends without a finish reason', () => {
    // Prepare
    const m = mapper();
    m.push(
      JSON.stringify({
        candidates: [{ content: { parts: [{ text: 'cut' }] } }],
      })
    );

    // Act
    const end = () => m.end();

    // Assess
    expect(end).toThrow(ProviderUnavailableError);
  });

  it('throws a content-filter error for a blocked prompt chunk', () => {
    // Act
    const push = () =>
      mapper().push(JSON.stringify(loadFixture('prompt-blocked')));

    // Assess
    expect(push).toThrow(ProviderContentFilteredError);
  });

  it('ends a SAFETY stop after partial text with content_filter', () => {
    // Act
    const events = run(mapper(), [
      { candidates: [{ content: { parts: [{ text: 'Well' }] } }] },
      {
        candidates: [{ finishReason: 'SAFETY' }],
        usageMetadata: {
          promptTokenCount: 3,
          candidatesTokenCount: 1,
          totalTokenCount: 4,
        },
      },
    ]);

    // Assess
    expect(events.map((e) => e.type)).toEqual(['text', 'finish', 'usage']);
    expect(events[1]).toEqual({
      type: 'finish',
      finishReason: 'content_filter',
    });
  });

  it('rejects a chunk that is not JSON', () => {
    // Act
    const push = () => mapper().push('{"candidates": [');

    // Assess
    expect(push).toThrow(ProviderUnavailableError);
  });

  it('estimates usage when no chunk reported any', () => {
    // Act
    const events = run(mapper(), [
      {
        candidates: [
          { content: { parts: [{ text: 'abcdefgh' }] }, finishReason: 'STOP' },
        ],
      },
    ]);

    // Assess
    const usage = events.find((e) => e.type === 'usage');
    expect(usage).toMatchObject({
      type: 'usage',
      usage: { completionTokens: 2 },
    });
  });
});
