import { parseChatRequest } from '../../../lambdas/core/api/chat-request';
import { GatewayError } from '../../../lambdas/core/api/errors';

const base = { model: 'auto', messages: [{ role: 'user', content: 'hi' }] };

function badParam(body: unknown): {
  param: string | null;
  code: string;
  status: number;
  message: string;
} {
  try {
    parseChatRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    const e = err as GatewayError;
    return {
      param: e.param,
      code: e.code,
      status: e.status,
      message: e.message,
    };
  }
  throw new Error('expected a GatewayError');
}

function assistantCall(id: string) {
  return {
    role: 'assistant' as const,
    content: null,
    tool_calls: [
      {
        id,
        type: 'function' as const,
        function: { name: 'f', arguments: '{}' },
      },
    ],
  };
}

describe('Function: parseChatRequest', () => {
  describe('valid requests', () => {
    it('normalises an OpenAI SDK request with every supported field', () => {
      // Prepare
      const body = {
        model: 'claude-sonnet',
        messages: [
          { role: 'system', content: 'be brief' },
          {
            role: 'developer',
            content: [
              { type: 'text', text: 'dev ' },
              { type: 'text', text: 'note' },
            ],
          },
          {
            role: 'user',
            content: [{ type: 'text', text: 'weather?' }],
            name: 'ann',
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: {
                  name: 'get_weather',
                  arguments: '{"city":"Paris"}',
                },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
        ],
        max_completion_tokens: 256,
        max_tokens: 10,
        temperature: 0.2,
        top_p: 0.9,
        stop: 'END',
        user: 'u-1',
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', parameters: { type: 'object' } },
          },
        ],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        parallel_tool_calls: false,
        stream: true,
        stream_options: { include_usage: true },
        routing: {
          domain: 'legal',
          budget_tier: 'premium',
          max_latency_ms: 800,
          region: 'eu',
          providers: ['bedrock'],
        },
      };
      // Act
      const r = parseChatRequest(body);
      // Assess
      expect(r.messages).toEqual([
        { role: 'system', content: 'be brief' },
        { role: 'system', content: 'dev note' },
        { role: 'user', content: 'weather?', name: 'ann' },
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
      ]);
      expect(r.maxTokens).toBe(256); // max_completion_tokens wins over the legacy field
      expect(r.stop).toEqual(['END']);
      expect(r.stream).toBe(true);
      expect(r.includeUsage).toBe(true);
      expect(r.toolChoice).toEqual({
        type: 'function',
        function: { name: 'get_weather' },
      });
      expect(r.routing).toEqual({
        domain: 'legal',
        budgetTier: 'premium',
        maxLatencyMs: 800,
        region: 'eu',
        providers: ['bedrock'],
      });
    });

    it('accepts nulls the SDK sends for optional fields', () => {
      const r = parseChatRequest({
        ...base,
        temperature: null,
        max_tokens: null,
        stop: null,
        n: 1,
        seed: null,
      });
      expect(r.temperature).toBeUndefined();
      expect(r.maxTokens).toBeUndefined();
      expect(r.stream).toBe(false);
      expect(r.includeUsage).toBe(false);
    });
  });

  describe('bad input', () => {
    it.each<[string, unknown, string | null, string]>([
      ['a non-object body', [1, 2], null, 'invalid_json'],
      ['a missing model', { messages: base.messages }, 'model', 'invalid_type'],
      ['a numeric model', { ...base, model: 42 }, 'model', 'invalid_type'],
      ['an empty model', { ...base, model: '' }, 'model', 'invalid_value'],
      ['missing messages', { model: 'auto' }, 'messages', 'invalid_type'],
      [
        'empty messages',
        { ...base, messages: [] },
        'messages',
        'invalid_value',
      ],
      [
        'an unknown role',
        { ...base, messages: [{ role: 'robot', content: 'x' }] },
        'messages[0].role',
        'invalid_value',
      ],
      [
        'numeric content',
        { ...base, messages: [{ role: 'user', content: 5 }] },
        'messages[0].content',
        'invalid_type',
      ],
      [
        'an image part that is neither a data URL nor http(s)',
        {
          ...base,
          messages: [
            {
              role: 'user',
              content: [{ type: 'image_url', image_url: { url: 'x' } }],
            },
          ],
        },
        'messages[0].content[0].image_url.url',
        'invalid_value',
      ],
      [
        'an audio part',
        {
          ...base,
          messages: [
            {
              role: 'user',
              content: [
                {
                  type: 'input_audio',
                  input_audio: { data: 'AAAA', format: 'wav' },
                },
              ],
            },
          ],
        },
        'messages[0].content[0].type',
        'unsupported_content_type',
      ],
      [
        'an image part in a system message',
        {
          ...base,
          messages: [
            {
              role: 'system',
              content: [{ type: 'image_url', image_url: { url: 'x' } }],
            },
          ],
        },
        'messages[0].content[0].type',
        'unsupported_content_type',
      ],
      [
        'a tool message without id',
        { ...base, messages: [{ role: 'tool', content: 'x' }] },
        'messages[0].tool_call_id',
        'invalid_type',
      ],
      [
        'max_tokens 0',
        { ...base, max_tokens: 0 },
        'max_tokens',
        'invalid_value',
      ],
      [
        'fractional max_tokens',
        { ...base, max_tokens: 1.5 },
        'max_tokens',
        'invalid_type',
      ],
      [
        'temperature 3',
        { ...base, temperature: 3 },
        'temperature',
        'invalid_value',
      ],
      [
        'string temperature',
        { ...base, temperature: 'hot' },
        'temperature',
        'invalid_type',
      ],
      ['top_p 0', { ...base, top_p: 0 }, 'top_p', 'invalid_value'],
      [
        'five stop sequences',
        { ...base, stop: ['a', 'b', 'c', 'd', 'e'] },
        'stop',
        'invalid_value',
      ],
      [
        'a non-boolean stream',
        { ...base, stream: 'yes' },
        'stream',
        'invalid_type',
      ],
      ['n = 2', { ...base, n: 2 }, 'n', 'invalid_value'],
      ['logprobs', { ...base, logprobs: true }, 'logprobs', 'invalid_value'],
      [
        'an unknown parameter',
        { ...base, temprature: 1 },
        'temprature',
        'unknown_parameter',
      ],
      [
        'a tool with a bad name',
        {
          ...base,
          tools: [{ type: 'function', function: { name: 'bad name!' } }],
        },
        'tools[0].function.name',
        'invalid_value',
      ],
      [
        'a non-function tool',
        { ...base, tools: [{ type: 'retrieval' }] },
        'tools[0].type',
        'invalid_value',
      ],
      [
        'a bad tool_choice',
        { ...base, tool_choice: 'always' },
        'tool_choice',
        'invalid_value',
      ],
      [
        'a bad budget tier',
        { ...base, routing: { budget_tier: 'gold' } },
        'routing.budget_tier',
        'invalid_value',
      ],
      [
        'a bad region',
        { ...base, routing: { region: 'mars' } },
        'routing.region',
        'invalid_value',
      ],
      [
        'a negative latency SLA',
        { ...base, routing: { max_latency_ms: -1 } },
        'routing.max_latency_ms',
        'invalid_value',
      ],
      [
        'an empty providers list',
        { ...base, routing: { providers: [] } },
        'routing.providers',
        'invalid_value',
      ],
      [
        'an unknown routing field',
        { ...base, routing: { speed: 'fast' } },
        'routing.speed',
        'unknown_parameter',
      ],
      [
        'an upper-case domain',
        { ...base, routing: { domain: 'Legal' } },
        'routing.domain',
        'invalid_value',
      ],
      [
        'response_format json_schema',
        { ...base, response_format: { type: 'json_schema' } },
        'response_format.json_schema',
        'invalid_type',
      ],
    ])('rejects %s with a 400 naming the field', (_name, body, param, code) => {
      // Act
      const e = badParam(body);
      // Assess
      expect(e.status).toBe(400);
      expect(e.param).toBe(param);
      expect(e.code).toBe(code);
      if (param) expect(e.message).toContain(param);
    });

    it('rejects a tool message with no preceding assistant tool_calls, naming the message', () => {
      // Act
      const e = badParam({
        ...base,
        messages: [{ role: 'tool', tool_call_id: 'call_1', content: 'x' }],
      });
      // Assess: as OpenAI, the message itself is named
      expect(e.status).toBe(400);
      expect(e.code).toBe('invalid_value');
      expect(e.param).toBe('messages[0]');
      expect(e.message).toContain(
        'preceding assistant message with "tool_calls"'
      );
    });

    it('rejects a tool result after a user message, naming that message', () => {
      const e = badParam({
        ...base,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'tool', tool_call_id: 'call_404', content: 'y' },
        ],
      });
      expect(e.param).toBe('messages[1]');
    });

    it('rejects a tool result whose id matches no call of the preceding assistant turn', () => {
      const e = badParam({
        ...base,
        messages: [
          { role: 'user', content: 'x' },
          assistantCall('call_1'),
          { role: 'tool', tool_call_id: 'call_2', content: 'y' },
        ],
      });
      expect(e.param).toBe('messages[2].tool_call_id');
    });

    it('rejects a tool result separated from its assistant turn by a user message', () => {
      const e = badParam({
        ...base,
        messages: [
          { role: 'user', content: 'x' },
          assistantCall('call_1'),
          { role: 'user', content: 'and?' },
          { role: 'tool', tool_call_id: 'call_1', content: 'y' },
        ],
      });
      expect(e.param).toBe('messages[3]');
    });

    it('accepts several tool results answering one assistant turn', () => {
      // Act
      const r = parseChatRequest({
        ...base,
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              ...assistantCall('call_1').tool_calls,
              ...assistantCall('call_2').tool_calls,
            ],
          },
          { role: 'tool', tool_call_id: 'call_2', content: 'b' },
          { role: 'tool', tool_call_id: 'call_1', content: 'a' },
        ],
      });
      // Assess
      expect(r.messages.map((m) => m.role)).toEqual([
        'user',
        'assistant',
        'tool',
        'tool',
      ]);
    });

    it('rejects an assistant message with neither content nor tool calls', () => {
      const e = badParam({
        ...base,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: null },
        ],
      });
      expect(e.param).toBe('messages[1].content');
    });

    it('rejects tool_choice naming a tool that is not offered', () => {
      const e = badParam({
        ...base,
        tools: [{ type: 'function', function: { name: 'a' } }],
        tool_choice: { type: 'function', function: { name: 'b' } },
      });
      expect(e.param).toBe('tool_choice.function.name');
    });

    it('rejects tool_choice "required" without tools', () => {
      expect(badParam({ ...base, tool_choice: 'required' }).param).toBe(
        'tool_choice'
      );
    });

    it('rejects duplicate tool names', () => {
      const tool = { type: 'function', function: { name: 'a' } };
      expect(badParam({ ...base, tools: [tool, tool] }).param).toBe(
        'tools[1].function.name'
      );
    });

    it('rejects stream_options without stream', () => {
      expect(
        badParam({ ...base, stream_options: { include_usage: true } }).param
      ).toBe('stream_options');
    });

    it('never echoes message content in the error', () => {
      const secret = 'my-password-hunter2';
      const e = badParam({
        ...base,
        messages: [{ role: 'user', content: secret, extra: 1 }],
      });
      expect(e.message).not.toContain(secret);
    });
  });
});
