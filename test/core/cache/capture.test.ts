import { captureJson, SseCapture } from '../../../lambdas/core/cache/capture';

const chunk = (delta: unknown, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;

describe('Class: SseCapture', () => {
  it('reassembles content split across writes, ignoring keep-alive comments', () => {
    // Prepare
    const cap = new SseCapture(1000);
    const text =
      chunk({ role: 'assistant', content: '' }) +
      ': keep-alive\n\n' +
      chunk({ content: 'Hel' }) +
      chunk({ content: 'lo' }) +
      chunk({}, 'stop') +
      'data: [DONE]\n\n';

    // Act: feed in awkward pieces
    for (let i = 0; i < text.length; i += 7) cap.push(text.slice(i, i + 7));

    // Assess
    expect(cap.result()).toMatchObject({
      model: 'm',
      content: 'Hello',
      finishReason: 'stop',
      toolCalls: [],
    });
  });

  it('assembles streamed tool calls by index', () => {
    // Prepare
    const cap = new SseCapture(1000);

    // Act
    cap.push(
      chunk({
        tool_calls: [
          {
            index: 0,
            id: 'call_1',
            type: 'function',
            function: { name: 'f', arguments: '{"a"' },
          },
        ],
      }) +
        chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }) +
        chunk({}, 'tool_calls') +
        'data: [DONE]\n\n'
    );

    // Assess
    expect(cap.result()).toMatchObject({
      content: null,
      toolCalls: [
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'f', arguments: '{"a":1}' },
        },
      ],
      finishReason: 'tool_calls',
    });
  });

  it.each([
    ['no [DONE]', chunk({ content: 'x' }) + chunk({}, 'stop')],
    [
      'an error event',
      `${chunk({ content: 'x' })}data: {"error":{"message":"cut"}}\n\n`,
    ],
    [
      'data after [DONE]',
      `${chunk({}, 'stop')}data: [DONE]\n\n${chunk({ content: 'late' })}`,
    ],
    ['no finish_reason', `${chunk({ content: 'x' })}data: [DONE]\n\n`],
    [
      'an answer over the size cap',
      `${chunk({ content: 'x'.repeat(2000) })}${chunk({}, 'stop')}data: [DONE]\n\n`,
    ],
  ])('keeps nothing from a stream with %s', (_why, text) => {
    // Prepare
    const cap = new SseCapture(1000);

    // Act
    cap.push(text);

    // Assess
    expect(cap.result()).toBeUndefined();
  });
});

describe('Function: captureJson', () => {
  it('reads a chat.completion and refuses anything else', () => {
    expect(
      captureJson(
        JSON.stringify({
          object: 'chat.completion',
          model: 'm',
          choices: [{ message: { content: 'hi' }, finish_reason: 'length' }],
          usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
        })
      )
    ).toEqual({
      model: 'm',
      content: 'hi',
      toolCalls: [],
      finishReason: 'length',
      usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    });
    expect(captureJson('{"error":{"message":"x"}}')).toBeUndefined();
    expect(captureJson('not json')).toBeUndefined();
  });
});
