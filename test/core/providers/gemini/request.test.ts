import {
  GeminiRequestError,
  SKIP_THOUGHT_SIGNATURE,
  toGeminiRequest,
} from '../../../../lambdas/core/providers/gemini/request';
import type {
  ChatMessage,
  ToolDefinition,
} from '../../../../lambdas/core/types';
import { chatRequest, geminiModel, loadFixture } from './helpers';

const weatherTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_current_weather',
    description: 'Current weather for a location',
    parameters: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        location: { type: 'string', description: 'City name' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['location'],
      additionalProperties: false,
    },
  },
};

const roundTrip: ChatMessage[] = [
  { role: 'system', content: 'You are a weather bot.' },
  { role: 'user', content: "What's the weather in Paris and Tokyo?" },
  {
    role: 'assistant',
    content: 'Checking both.',
    toolCalls: [
      {
        id: 'call_1',
        type: 'function',
        function: {
          name: 'get_current_weather',
          arguments: '{"location":"Paris"}',
        },
      },
      {
        id: 'call_2',
        type: 'function',
        function: {
          name: 'get_current_weather',
          arguments: '{"location":"Tokyo"}',
        },
      },
    ],
  },
  {
    role: 'tool',
    toolCallId: 'call_1',
    content: '{"temperature":18,"sky":"clear"}',
  },
  { role: 'tool', toolCallId: 'call_2', content: 'rainy, 12C' },
];

describe('Function: toGeminiRequest', () => {
  it('builds the recorded body of a parallel tool round trip', () => {
    // Prepare
    const request = chatRequest({
      messages: roundTrip,
      tools: [weatherTool],
      toolChoice: 'auto',
      maxTokens: 512,
      temperature: 0.2,
    });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body).toEqual(loadFixture('request-tool-round-trip'));
  });

  it('joins several system messages into one systemInstruction', () => {
    // Prepare
    const request = chatRequest({
      messages: [
        { role: 'system', content: 'Rule one.' },
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'Rule two.' },
      ],
    });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body.systemInstruction).toEqual({
      parts: [{ text: 'Rule one.\n\nRule two.' }],
    });
    expect(body.contents).toEqual([{ role: 'user', parts: [{ text: 'Hi' }] }]);
  });

  it('merges consecutive turns of one role', () => {
    // Prepare
    const request = chatRequest({
      messages: [
        { role: 'user', content: 'First' },
        { role: 'user', content: 'Second' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [
            {
              id: 'call_a',
              type: 'function',
              function: { name: 'lookup', arguments: '{}' },
            },
          ],
        },
        { role: 'tool', toolCallId: 'call_a', content: '42' },
        { role: 'user', content: 'Thanks, and?' },
      ],
    });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'First' }, { text: 'Second' }] },
      {
        role: 'model',
        parts: [{ functionCall: { name: 'lookup', args: {} } }],
      },
      {
        role: 'user',
        parts: [
          // 42 is JSON, but not an object: Gemini needs a Struct.
          { functionResponse: { name: 'lookup', response: { content: '42' } } },
          { text: 'Thanks, and?' },
        ],
      },
    ]);
  });

  it('drops empty turns instead of sending empty parts', () => {
    // Prepare
    const request = chatRequest({
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: '' },
        { role: 'user', content: '' },
        { role: 'user', content: 'Still there?' },
      ],
    });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Hi' }, { text: 'Still there?' }] },
    ]);
  });

  it('wraps JSON arrays and plain text tool results in an object', () => {
    // Prepare
    const call = (id: string) => ({
      id,
      type: 'function' as const,
      function: { name: 'list', arguments: 'not json' },
    });
    const request = chatRequest({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [call('c1'), call('c2')],
        },
        { role: 'tool', toolCallId: 'c1', content: '[1,2]' },
        { role: 'tool', toolCallId: 'c2', content: 'done' },
      ],
    });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body.contents[1]?.parts).toEqual([
      { functionCall: { id: 'c1', name: 'list', args: {} } },
      { functionCall: { id: 'c2', name: 'list', args: {} } },
    ]);
    expect(body.contents[2]?.parts).toEqual([
      {
        functionResponse: {
          id: 'c1',
          name: 'list',
          response: { content: '[1,2]' },
        },
      },
      {
        functionResponse: {
          id: 'c2',
          name: 'list',
          response: { content: 'done' },
        },
      },
    ]);
  });

  it('echoes Gemini-issued call ids but not the ones the gateway generated', () => {
    // Prepare
    const request = chatRequest({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [
            {
              id: 'kx4m9p2q',
              type: 'function',
              function: { name: 'a', arguments: '{}' },
            },
            {
              id: 'call_3f9a',
              type: 'function',
              function: { name: 'b', arguments: '{}' },
            },
          ],
        },
        { role: 'tool', toolCallId: 'kx4m9p2q', content: '{"ok":true}' },
        { role: 'tool', toolCallId: 'call_3f9a', content: '{"ok":false}' },
      ],
    });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body.contents[1]?.parts.map((p) => p.functionCall?.id)).toEqual([
      'kx4m9p2q',
      undefined,
    ]);
    expect(body.contents[2]?.parts.map((p) => p.functionResponse?.id)).toEqual([
      'kx4m9p2q',
      undefined,
    ]);
  });

  it('rejects a tool result whose call is not in the conversation', () => {
    // Prepare
    const request = chatRequest({
      messages: [
        { role: 'user', content: 'go' },
        { role: 'tool', toolCallId: 'call_missing', content: 'x' },
      ],
    });

    // Act
    const build = () => toGeminiRequest(request, geminiModel());

    // Assess
    expect(build).toThrow(GeminiRequestError);
  });

  it('signs the first call of each step for Gemini 3 models only', () => {
    // Prepare
    const request = chatRequest({ messages: roundTrip });

    // Act
    const v3 = toGeminiRequest(
      request,
      geminiModel({ providerModelId: 'gemini-3-flash-preview' })
    );
    const v25 = toGeminiRequest(request, geminiModel());

    // Assess
    expect(v3.contents[1]?.parts.map((p) => p.thoughtSignature)).toEqual([
      undefined,
      SKIP_THOUGHT_SIGNATURE,
      undefined,
    ]);
    expect(
      v25.contents[1]?.parts.some((p) => p.thoughtSignature !== undefined)
    ).toBe(false);
  });

  it('maps the sampling settings into generationConfig', () => {
    // Prepare
    const request = chatRequest({
      maxTokens: 100_000,
      temperature: 0.7,
      topP: 0.9,
      stop: ['END', '###'],
      seed: 42,
      responseFormat: { type: 'json_object' },
      user: 'someone@example.com',
    });

    // Act
    const body = toGeminiRequest(
      request,
      geminiModel({ maxOutputTokens: 8192 })
    );

    // Assess
    expect(body.generationConfig).toEqual({
      candidateCount: 1,
      maxOutputTokens: 8192,
      temperature: 0.7,
      topP: 0.9,
      stopSequences: ['END', '###'],
      seed: 42,
      responseMimeType: 'application/json',
    });
    expect(JSON.stringify(body)).not.toContain('someone@example.com');
  });

  it('declares a parameterless tool without parameters', () => {
    // Prepare
    const request = chatRequest({
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_time',
            parameters: { type: 'object', properties: {} },
          },
        },
      ],
    });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body.tools).toEqual([
      { functionDeclarations: [{ name: 'get_time' }] },
    ]);
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [
      { type: 'function', function: { name: 'get_current_weather' } },
      { mode: 'ANY', allowedFunctionNames: ['get_current_weather'] },
    ],
  ] as const)('maps tool_choice %j to %j', (toolChoice, expected) => {
    // Prepare
    const request = chatRequest({ tools: [weatherTool], toolChoice });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body.toolConfig).toEqual({ functionCallingConfig: expected });
  });

  it('sends no tool config when no tools are offered', () => {
    // Prepare
    const request = chatRequest({ toolChoice: 'required' });

    // Act
    const body = toGeminiRequest(request, geminiModel());

    // Assess
    expect(body.tools).toBeUndefined();
    expect(body.toolConfig).toBeUndefined();
  });
});
