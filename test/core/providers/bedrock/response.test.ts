import {
  fromConverseOutput,
  toFinishReason,
  toUsage,
} from '../../../../lambdas/core/providers/bedrock/response';
import { loadConverseOutput } from './fixtures';

describe('Function: fromConverseOutput', () => {
  it('maps a text answer with usage', () => {
    // Prepare
    const output = loadConverseOutput('converse-text');

    // Act
    const result = fromConverseOutput(output);

    // Assess
    expect(result).toEqual({
      content:
        'Under GDPR Article 17, a data subject can request erasure when the data is no longer necessary for the purpose it was collected for.',
      toolCalls: [],
      finishReason: 'stop',
      usage: { promptTokens: 42, completionTokens: 31, totalTokens: 73 },
    });
  });

  it('maps two parallel toolUse blocks to tool calls with Bedrock ids', () => {
    // Prepare
    const output = loadConverseOutput('converse-tool-use-parallel');

    // Act
    const result = fromConverseOutput(output);

    // Assess
    expect(result.content).toBe("I'll look up the weather in both cities.");
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([
      {
        id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
        type: 'function',
        function: {
          name: 'get_weather',
          arguments: '{"city":"Berlin","unit":"celsius"}',
        },
      },
      {
        id: 'tooluse_3xWq9hL2TQeY8c1VdPzR0g',
        type: 'function',
        function: {
          name: 'get_weather',
          arguments: '{"city":"Paris","unit":"celsius"}',
        },
      },
    ]);
    expect(result.usage).toEqual({
      promptTokens: 412,
      completionTokens: 126,
      totalTokens: 538,
    });
  });

  it('maps max_tokens to length and keeps the partial text', () => {
    // Act
    const result = fromConverseOutput(
      loadConverseOutput('converse-max-tokens')
    );

    // Assess
    expect(result.finishReason).toBe('length');
    expect(result.content).toMatch(/^The three main phases/);
  });

  it('maps guardrail_intervened to content_filter', () => {
    // Act
    const result = fromConverseOutput(
      loadConverseOutput('converse-guardrail-intervened')
    );

    // Assess
    expect(result.finishReason).toBe('content_filter');
    expect(result.content).toBe(
      'Sorry, the model cannot answer this question.'
    );
    expect(result.usage.completionTokens).toBe(0);
  });

  it('answers null content when there are only tool calls', () => {
    // Prepare
    const output = loadConverseOutput('converse-tool-use-parallel');
    output.output!.message!.content = output.output!.message!.content!.slice(1);

    // Act
    const result = fromConverseOutput(output);

    // Assess
    expect(result.content).toBeNull();
    expect(result.toolCalls).toHaveLength(2);
  });

  it('ignores reasoning blocks and joins the text blocks', () => {
    // Prepare
    const output = loadConverseOutput('converse-text');
    output.output!.message!.content = [
      { reasoningContent: { reasoningText: { text: 'secret thoughts' } } },
      { text: 'Hello, ' },
      { text: 'world' },
    ];

    // Act
    const result = fromConverseOutput(output);

    // Assess
    expect(result.content).toBe('Hello, world');
  });

  it('uses the fallback usage when Bedrock reports none', () => {
    // Prepare
    const output = loadConverseOutput('converse-text');
    output.usage = undefined;
    const fallback = { promptTokens: 9, completionTokens: 8, totalTokens: 17 };

    // Act
    const result = fromConverseOutput(output, fallback);

    // Assess
    expect(result.usage).toBe(fallback);
  });
});

describe('Function: toFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
    ['malformed_model_output', 'stop'],
    [undefined, 'stop'],
  ])('maps %s to %s', (stopReason, expected) => {
    // Act / Assess
    expect(toFinishReason(stopReason)).toBe(expected);
  });

  it('reports tool_calls when a turn with tool calls ends with end_turn', () => {
    // Act / Assess
    expect(toFinishReason('end_turn', true)).toBe('tool_calls');
    expect(toFinishReason('max_tokens', true)).toBe('length');
  });
});

describe('Function: toUsage', () => {
  it('computes a missing total and rejects incomplete usage', () => {
    // Act / Assess
    expect(
      toUsage({ inputTokens: 3, outputTokens: 4, totalTokens: undefined })
    ).toEqual({ promptTokens: 3, completionTokens: 4, totalTokens: 7 });
    expect(
      toUsage({ inputTokens: 3, outputTokens: undefined, totalTokens: 3 })
    ).toBeUndefined();
    expect(toUsage(undefined)).toBeUndefined();
  });
});
