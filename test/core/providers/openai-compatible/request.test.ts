import { buildChatCompletionBody } from '../../../../lambdas/core/providers/openai-compatible/request';
import type { ToolDefinition } from '../../../../lambdas/core/types';
import { makeModel, makeRequest } from './helpers';

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

describe('Function: buildChatCompletionBody', () => {
  it('maps every message role to the OpenAI shape', () => {
    // Prepare
    const request = makeRequest({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'weather in Paris?', name: 'alice' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', content: '{"temp":21}', toolCallId: 'call_1' },
        { role: 'assistant', content: 'It is 21 °C.', toolCalls: [] },
      ],
    });

    // Act
    const body = buildChatCompletionBody(request, makeModel(), false);

    // Assess
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      model: 'Llama-4-Maverick-17B-128E-Instruct-FP8',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'weather in Paris?', name: 'alice' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_1' },
        { role: 'assistant', content: 'It is 21 °C.' },
      ],
    });
  });

  it('forwards sampling, tool and format options under their wire names', () => {
    // Prepare
    const request = makeRequest({
      maxTokens: 256,
      temperature: 0.2,
      topP: 0.9,
      stop: ['END'],
      user: 'tenant-42',
      tools: [weatherTool],
      toolChoice: { type: 'function', function: { name: 'get_weather' } },
      parallelToolCalls: false,
      responseFormat: { type: 'json_object' },
      seed: 7,
    });

    // Act
    const body = JSON.parse(
      JSON.stringify(buildChatCompletionBody(request, makeModel(), false))
    );

    // Assess
    expect(body).toMatchObject({
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      user: 'tenant-42',
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      seed: 7,
    });
    expect(body).not.toHaveProperty('stream');
    expect(body).not.toHaveProperty('stream_options');
    expect(body).not.toHaveProperty('max_completion_tokens');
  });

  it('always asks for usage in streams, even when the client did not', () => {
    // Prepare
    const request = makeRequest({ stream: true, includeUsage: false });

    // Act
    const body = JSON.parse(
      JSON.stringify(buildChatCompletionBody(request, makeModel(), true))
    );

    // Assess
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
  });

  it('omits unset options, empty stop lists and the default text format', () => {
    // Prepare
    const request = makeRequest({ stop: [], responseFormat: { type: 'text' } });

    // Act
    const body = JSON.parse(
      JSON.stringify(buildChatCompletionBody(request, makeModel(), false))
    );

    // Assess
    expect(Object.keys(body).sort()).toEqual(['messages', 'model']);
  });

  it('drops tool_choice and parallel_tool_calls when no tools are offered', () => {
    // Prepare
    const request = makeRequest({
      tools: [],
      toolChoice: 'required',
      parallelToolCalls: true,
    });

    // Act
    const body = JSON.parse(
      JSON.stringify(buildChatCompletionBody(request, makeModel(), false))
    );

    // Assess
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });

  it.each([['auto'], ['none'], ['required']] as const)(
    'forwards tool_choice %s as a string',
    (choice) => {
      // Prepare
      const request = makeRequest({ tools: [weatherTool], toolChoice: choice });

      // Act
      const body = buildChatCompletionBody(request, makeModel(), false);

      // Assess
      expect(body.tool_choice).toBe(choice);
    }
  );
});
