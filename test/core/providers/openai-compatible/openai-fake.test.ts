import OpenAI from 'openai';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../../helpers/fakes/openai-fake';

const API_KEY = 'sk-fidelity-0123456789';

const lookup = {
  type: 'function' as const,
  function: {
    name: 'lookup',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string' } },
      required: ['query'],
    },
  },
};

/**
 * The official SDK against the fake: if the SDK can parse what the fake
 * sends, the adapter's contract tests run against the real protocol.
 */
describe('Function: startFakeOpenAI', () => {
  let fake: FakeOpenAIServer;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: API_KEY });
    client = new OpenAI({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0 });
  });

  afterAll(async () => {
    await fake.close();
  });

  beforeEach(() => {
    fake.reset();
  });

  it('serves a non-stream completion the SDK parses', async () => {
    // Act
    const completion = await client.chat.completions.create({
      model: 'fake-model',
      messages: [
        { role: 'system', content: 'be nice' },
        { role: 'user', content: 'hello' },
      ],
    });

    // Assess
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toBe('echo: hello');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer [redacted]');
  });

  it('streams deltas, a finish chunk and a usage chunk the SDK assembles', async () => {
    // Prepare
    fake.setBehavior({ chunkSize: 3 });

    // Act
    const stream = await client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'stream this' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    // Assess
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('echo: stream this');
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('omits the usage chunk when the client does not ask for it', async () => {
    // Act
    const stream = await client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'no usage' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    // Assess
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it('serves tool calls the SDK stream helper reassembles', async () => {
    // Prepare
    fake.setBehavior({ chunkSize: 5 });

    // Act
    const runner = client.chat.completions.stream({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'find fidelity' }],
      tools: [lookup],
    });
    const final = await runner.finalChatCompletion();

    // Assess
    const message = final.choices[0]!.message;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls).toHaveLength(1);
    const toolCall = message.tool_calls![0]!;
    expect(toolCall.type).toBe('function');
    if (toolCall.type !== 'function') throw new Error('unexpected tool type');
    expect(toolCall.function.name).toBe('lookup');
    expect(JSON.parse(toolCall.function.arguments)).toEqual({
      query: 'find fidelity',
    });
  });

  it('completes a non-stream tool round trip', async () => {
    // Act
    const first = await client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'look it up' }],
      tools: [lookup],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const second = await client.chat.completions.create({
      model: 'fake-model',
      messages: [
        { role: 'user', content: 'look it up' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: '42' },
      ],
      tools: [lookup],
    });

    // Assess
    expect(second.choices[0]!.message.content).toBe('tool said: 42');
  });

  it('answers errors the SDK maps to its typed exceptions', async () => {
    // Prepare
    fake.setBehavior({ errorStatus: 429, retryAfterSeconds: 2 });
    const bad = new OpenAI({
      apiKey: 'sk-wrong',
      baseURL: fake.url,
      maxRetries: 0,
    });

    // Act
    const throttled = await client.chat.completions
      .create({
        model: 'fake-model',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((e: unknown) => e);
    const unauthorized = await bad.chat.completions
      .create({
        model: 'fake-model',
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((e: unknown) => e);

    // Assess
    expect(throttled).toBeInstanceOf(OpenAI.RateLimitError);
    expect(throttled).toMatchObject({
      code: 'rate_limit_exceeded',
      status: 429,
    });
    expect(
      (throttled as InstanceType<typeof OpenAI.RateLimitError>).headers.get(
        'retry-after'
      )
    ).toBe('2');
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unauthorized).toMatchObject({ code: 'invalid_api_key' });
  });

  it('lists models', async () => {
    // Act
    const page = await client.models.list();

    // Assess
    expect(page.data.map((m) => m.id)).toEqual(['fake-model']);
  });
});
