import {
  parseChatRequest,
  precompileChatRequestSchema,
} from '../../../lambdas/core/api/chat-request';

const user = { role: 'user', content: 'hi' };
const base = { model: 'auto', messages: [user] };
const tool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

/** Valid and invalid bodies: every outcome must match the runtime parser's. */
const corpus: unknown[] = [
  base,
  { ...base, stream: true, stream_options: { include_usage: true } },
  { ...base, max_tokens: 64, temperature: 0.2, top_p: 1, stop: ['\n'] },
  { ...base, max_completion_tokens: 10, seed: 7, n: 1, store: false },
  { ...base, metadata: { a: 'b' }, user: 'u1', presence_penalty: 1 },
  { ...base, tools: [tool], tool_choice: 'auto', parallel_tool_calls: true },
  {
    ...base,
    tools: [tool],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  },
  {
    model: 'm',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'developer', content: [{ type: 'text', text: 'dev' }] },
      { role: 'user', content: [{ type: 'text', text: 'q' }], name: 'ann' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'f', arguments: '{}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'ok' },
    ],
  },
  { ...base, response_format: { type: 'json_object' } },
  {
    ...base,
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'x', strict: true, schema: { type: 'object' } },
    },
  },
  { ...base, reasoning_effort: 'low' },
  {
    ...base,
    routing: {
      domain: 'code',
      budget_tier: 'low',
      max_latency_ms: 500,
      region: 'eu',
      providers: ['bedrock'],
    },
  },
  { ...base, max_tokens: null, temperature: null, stop: null },
  // invalid
  {},
  { model: '' },
  { model: 'm', messages: [] },
  { ...base, max_tokens: 0 },
  { ...base, max_tokens: 1.5 },
  { ...base, temperature: 3 },
  { ...base, top_p: 0 },
  { ...base, stop: ['a', 'b', 'c', 'd', 'e'] },
  { ...base, n: 2 },
  { ...base, logprobs: true },
  { ...base, unknown_field: 1 },
  { ...base, stream_options: { include_usage: true } },
  { ...base, messages: [{ role: 'robot', content: 'x' }] },
  { ...base, messages: [{ role: 'user' }] },
  { ...base, messages: [{ role: 'user', content: 42 }] },
  { ...base, tools: [{ type: 'function' }] },
  { ...base, tool_choice: 'required' },
  { ...base, routing: { budget_tier: 'gold' } },
  { ...base, routing: { max_latency_ms: 0 } },
  { ...base, metadata: { a: 1 } },
  { ...base, model: 'x'.repeat(300) },
  [],
  'text',
  null,
];

function outcome(body: unknown): unknown {
  try {
    return { ok: parseChatRequest(structuredClone(body)) };
  } catch (err) {
    const e = err as Error & Record<string, unknown>;
    return {
      error: e.name,
      message: e.message,
      status: e.status,
      code: e.code,
      param: e.param,
    };
  }
}

describe('Function: parseChatRequest (compiled schema)', () => {
  it('answers every body exactly as the runtime parser does', () => {
    // Prepare
    const runtime = corpus.map(outcome);
    // Act
    precompileChatRequestSchema();
    const compiled = corpus.map(outcome);
    // Assess
    expect(compiled).toEqual(runtime);
    // Both kinds are covered.
    expect(runtime.filter((o) => 'ok' in (o as object)).length).toBe(12);
  });
});
