import fc from 'fast-check';
import {
  parseToolArguments,
  toConverseInput,
  toToolUseId,
} from '../../../../lambdas/core/providers/bedrock/request';
import type {
  ChatMessage,
  ToolCall,
  ToolDefinition,
} from '../../../../lambdas/core/types';
import { validateConverseRequest } from '../../../helpers/fakes/bedrock-fake';
import { bedrockModel, chatRequest } from './fixtures';

const weatherTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
};

function call(id: string, name: string, args: string): ToolCall {
  return { id, type: 'function', function: { name, arguments: args } };
}

/** A finished tool round: the user asks, the assistant calls, tools answer. */
const toolHistory: ChatMessage[] = [
  { role: 'user', content: 'Weather in Berlin and Paris?' },
  {
    role: 'assistant',
    content: null,
    toolCalls: [
      call('tooluse_a', 'get_weather', '{"city":"Berlin"}'),
      call('tooluse_b', 'get_weather', '{"city":"Paris"}'),
    ],
  },
  { role: 'tool', toolCallId: 'tooluse_a', content: '{"tempC":21}' },
  { role: 'tool', toolCallId: 'tooluse_b', content: 'sunny, 24 C' },
];

describe('Function: toConverseInput', () => {
  it('moves system messages to `system` and keeps the model id', () => {
    // Prepare
    const req = chatRequest({
      messages: [
        { role: 'system', content: 'You are a lawyer.' },
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'Answer briefly.' },
      ],
    });

    // Act
    const input = toConverseInput(req, bedrockModel());

    // Assess
    expect(input.modelId).toBe(bedrockModel().providerModelId);
    expect(input.system).toEqual([
      { text: 'You are a lawyer.' },
      { text: 'Answer briefly.' },
    ]);
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: 'Hi' }] },
    ]);
    expect(input.toolConfig).toBeUndefined();
    expect(input.inferenceConfig).toBeUndefined();
  });

  it('merges consecutive same-role messages into one turn', () => {
    // Prepare
    const req = chatRequest({
      messages: [
        { role: 'user', content: 'first' },
        { role: 'user', content: 'second' },
        { role: 'assistant', content: 'a1' },
        { role: 'assistant', content: 'a2' },
        { role: 'user', content: 'third' },
      ],
    });

    // Act
    const input = toConverseInput(req, bedrockModel());

    // Assess
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: 'first' }, { text: 'second' }] },
      { role: 'assistant', content: [{ text: 'a1' }, { text: 'a2' }] },
      { role: 'user', content: [{ text: 'third' }] },
    ]);
  });

  it('maps tool calls to toolUse and parallel results to one user turn', () => {
    // Prepare
    const req = chatRequest({ messages: toolHistory, tools: [weatherTool] });

    // Act
    const input = toConverseInput(req, bedrockModel());

    // Assess
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: 'Weather in Berlin and Paris?' }] },
      {
        role: 'assistant',
        content: [
          {
            toolUse: {
              toolUseId: 'tooluse_a',
              name: 'get_weather',
              input: { city: 'Berlin' },
            },
          },
          {
            toolUse: {
              toolUseId: 'tooluse_b',
              name: 'get_weather',
              input: { city: 'Paris' },
            },
          },
        ],
      },
      {
        role: 'user',
        content: [
          {
            toolResult: {
              toolUseId: 'tooluse_a',
              content: [{ json: { tempC: 21 } }],
              status: 'success',
            },
          },
          {
            toolResult: {
              toolUseId: 'tooluse_b',
              content: [{ text: 'sunny, 24 C' }],
              status: 'success',
            },
          },
        ],
      },
    ]);
  });

  it('keeps assistant text before its tool calls', () => {
    // Prepare
    const req = chatRequest({
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [call('t1', 'get_weather', '{"city":"Rome"}')],
        },
        { role: 'tool', toolCallId: 't1', content: 'rain' },
      ],
    });

    // Act
    const input = toConverseInput(req, bedrockModel());

    // Assess
    expect(input.messages?.[1]?.content).toEqual([
      { text: 'Checking.' },
      {
        toolUse: {
          toolUseId: 't1',
          name: 'get_weather',
          input: { city: 'Rome' },
        },
      },
    ]);
  });

  it('leaves out toolResult.status for families that reject it (Llama)', () => {
    // Prepare
    const req = chatRequest({ messages: toolHistory, tools: [weatherTool] });
    const llama = bedrockModel({
      providerModelId: 'meta.llama3-3-70b-instruct-v1:0',
    });

    // Act
    const input = toConverseInput(req, llama);

    // Assess
    const results = input.messages?.[2]?.content ?? [];
    expect(results).toHaveLength(2);
    for (const block of results) {
      expect(block.toolResult).toBeDefined();
      expect(block.toolResult).not.toHaveProperty('status');
    }
  });

  it('sends a JSON array or scalar tool result as text', () => {
    // Prepare
    const req = chatRequest({
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [call('t1', 'get_weather', '{}')],
        },
        { role: 'tool', toolCallId: 't1', content: '[1,2,3]' },
      ],
    });

    // Act
    const input = toConverseInput(req, bedrockModel());

    // Assess
    expect(input.messages?.[2]?.content?.[0]?.toolResult?.content).toEqual([
      { text: '[1,2,3]' },
    ]);
  });

  it('maps sampling parameters and clamps maxTokens to the model limit', () => {
    // Prepare
    const req = chatRequest({
      maxTokens: 100_000,
      temperature: 0.2,
      topP: 0.9,
      stop: ['END', '###'],
    });

    // Act
    const input = toConverseInput(req, bedrockModel({ maxOutputTokens: 8192 }));

    // Assess
    expect(input.inferenceConfig).toEqual({
      maxTokens: 8192,
      temperature: 0.2,
      topP: 0.9,
      stopSequences: ['END', '###'],
    });
  });

  it('passes a temperature of 0 through', () => {
    // Act
    const input = toConverseInput(
      chatRequest({ temperature: 0, maxTokens: 50 }),
      bedrockModel()
    );

    // Assess
    expect(input.inferenceConfig).toEqual({ maxTokens: 50, temperature: 0 });
  });

  it('maps tools to toolSpecs, with an empty object schema when none given', () => {
    // Prepare
    const noParams: ToolDefinition = {
      type: 'function',
      function: { name: 'now' },
    };

    // Act
    const input = toConverseInput(
      chatRequest({ tools: [weatherTool, noParams] }),
      bedrockModel()
    );

    // Assess
    expect(input.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: 'get_weather',
            description: 'Current weather for a city',
            inputSchema: { json: weatherTool.function.parameters },
          },
        },
        {
          toolSpec: {
            name: 'now',
            inputSchema: { json: { type: 'object', properties: {} } },
          },
        },
      ],
    });
  });

  it.each([
    ['auto (Bedrock default, left out)', 'auto' as const, undefined],
    ['required', 'required' as const, { any: {} }],
    [
      'a named function',
      { type: 'function' as const, function: { name: 'get_weather' } },
      { tool: { name: 'get_weather' } },
    ],
  ])('maps tool_choice %s', (_label, toolChoice, expected) => {
    // Act
    const input = toConverseInput(
      chatRequest({ tools: [weatherTool], toolChoice }),
      bedrockModel()
    );

    // Assess
    expect(input.toolConfig?.tools).toHaveLength(1);
    expect(input.toolConfig?.toolChoice).toEqual(expected);
  });

  it('drops the tools for tool_choice none when the history has no tool blocks', () => {
    // Act
    const input = toConverseInput(
      chatRequest({ tools: [weatherTool], toolChoice: 'none' }),
      bedrockModel()
    );

    // Assess
    expect(input.toolConfig).toBeUndefined();
  });

  it('keeps the tools (auto) for tool_choice none when the history uses tools', () => {
    // Act
    const input = toConverseInput(
      chatRequest({
        messages: toolHistory,
        tools: [weatherTool],
        toolChoice: 'none',
      }),
      bedrockModel()
    );

    // Assess
    expect(input.toolConfig?.tools?.[0]?.toolSpec?.name).toBe('get_weather');
    expect(input.toolConfig?.toolChoice).toBeUndefined();
  });

  it('declares the history tools when a tool history comes without tools', () => {
    // Act
    const input = toConverseInput(
      chatRequest({ messages: toolHistory }),
      bedrockModel()
    );

    // Assess
    expect(input.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: 'get_weather',
            inputSchema: { json: { type: 'object', properties: {} } },
          },
        },
      ],
    });
  });

  it('opens with a placeholder user turn when the history starts with the assistant', () => {
    // Prepare
    const req = chatRequest({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'assistant', content: 'How can I help?' },
        { role: 'user', content: 'Tell me a joke' },
      ],
    });

    // Act
    const input = toConverseInput(req, bedrockModel());

    // Assess
    expect(input.messages?.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
    ]);
    expect(input.messages?.[0]?.content).toEqual([{ text: '.' }]);
  });

  it('never sends blank text: empty user turns get a placeholder, empty assistant turns go', () => {
    // Prepare
    const req = chatRequest({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: '' },
        { role: 'user', content: '   ' },
      ],
    });

    // Act
    const input = toConverseInput(req, bedrockModel());

    // Assess
    expect(input.messages).toEqual([
      { role: 'user', content: [{ text: 'a' }, { text: '.' }] },
    ]);
  });

  it('makes foreign tool call ids valid, identically for call and result', () => {
    // Prepare
    const req = chatRequest({
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [call('call:abc/1.x', 'get_weather', '{}')],
        },
        { role: 'tool', toolCallId: 'call:abc/1.x', content: 'ok' },
      ],
    });

    // Act
    const input = toConverseInput(req, bedrockModel());

    // Assess
    const useId = input.messages?.[1]?.content?.[0]?.toolUse?.toolUseId;
    const resultId = input.messages?.[2]?.content?.[0]?.toolResult?.toolUseId;
    expect(useId).toBe('call_abc_1_x');
    expect(resultId).toBe(useId);
  });

  it('forwards a well-formed request id as requestMetadata, and drops others', () => {
    // Act
    const ok = toConverseInput(chatRequest(), bedrockModel(), {
      requestId: 'req-123e4567-e89b',
    });
    const bad = toConverseInput(chatRequest(), bedrockModel(), {
      requestId: 'bad\u0000id<script>',
    });

    // Assess
    expect(ok.requestMetadata).toEqual({
      gatewayRequestId: 'req-123e4567-e89b',
    });
    expect(bad.requestMetadata).toBeUndefined();
  });

  it('always produces a request Bedrock accepts for any valid OpenAI history', () => {
    // Prepare: histories built from well-formed OpenAI turns.
    const text = fc.oneof(
      fc.constant(''),
      fc.constant('  '),
      fc.string({ maxLength: 12 })
    );
    const args = fc.oneof(
      fc.constant('{"a":1}'),
      fc.constant(''),
      fc.constant('not json'),
      fc.constant('[1]')
    );
    let seq = 0;
    const turn: fc.Arbitrary<ChatMessage[]> = fc.oneof(
      text.map((content) => [{ role: 'user' as const, content }]),
      text.map((content) => [{ role: 'system' as const, content }]),
      fc
        .option(text, { nil: null })
        .map((content) => [{ role: 'assistant' as const, content }]),
      fc
        .tuple(
          fc.option(text, { nil: null }),
          fc.array(args, { minLength: 1, maxLength: 3 }),
          text
        )
        .map(([content, argList, result]) => {
          const calls = argList.map((a) =>
            call(`id ${seq++}`, 'get_weather', a)
          );
          return [
            { role: 'assistant' as const, content, toolCalls: calls },
            ...calls.map((c) => ({
              role: 'tool' as const,
              toolCallId: c.id,
              content: result,
            })),
          ];
        })
    );
    const history = fc
      .array(turn, { minLength: 1, maxLength: 8 })
      .map((t) => t.flat());
    const withTools = fc.boolean();
    const choice = fc.constantFrom(
      'auto' as const,
      'none' as const,
      'required' as const
    );

    // Act / Assess
    fc.assert(
      fc.property(history, withTools, choice, (messages, tools, toolChoice) => {
        const input = toConverseInput(
          chatRequest({
            messages,
            ...(tools ? { tools: [weatherTool], toolChoice } : {}),
          }),
          bedrockModel()
        );
        expect(validateConverseRequest(input)).toBeUndefined();
      }),
      { numRuns: 300 }
    );
  });
});

describe('Function: parseToolArguments', () => {
  it.each([
    ['a JSON object', '{"city":"Oslo"}', { city: 'Oslo' }],
    ['an empty string', '', {}],
    ['broken JSON', '{"city": "Os', { raw: '{"city": "Os' }],
    ['a JSON array', '[1,2]', { raw: '[1,2]' }],
    ['a JSON string', '"x"', { raw: '"x"' }],
  ])('parses %s', (_label, args, expected) => {
    // Act / Assess
    expect(parseToolArguments(args)).toEqual(expected);
  });
});

describe('Function: toToolUseId', () => {
  it('keeps valid ids and truncates to 64 characters', () => {
    // Act / Assess
    expect(toToolUseId('tooluse_kZJMlvQmRJ6eAyJE5GIl7Q')).toBe(
      'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q'
    );
    expect(toToolUseId('x'.repeat(80))).toHaveLength(64);
    expect(toToolUseId('')).toBe('_');
  });
});
