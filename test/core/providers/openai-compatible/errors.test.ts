import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContentFilteredError,
  ProviderContextLengthError,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import {
  errorFromNetwork,
  errorFromResponse,
  parseUpstreamError,
  retryAfterFromHeaders,
  sanitizeUpstreamMessage,
} from '../../../../lambdas/core/providers/openai-compatible/errors';

function openAIError(
  message: string,
  type: string,
  code: string | null = null
): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

describe('Function: errorFromResponse', () => {
  it.each([
    [
      429,
      openAIError('Rate limit reached', 'requests', 'rate_limit_exceeded'),
      ProviderThrottledError,
    ],
    [
      401,
      openAIError(
        'Incorrect API key provided',
        'invalid_request_error',
        'invalid_api_key'
      ),
      ProviderAuthError,
    ],
    [
      403,
      openAIError('Country not supported', 'request_forbidden'),
      ProviderAuthError,
    ],
    [
      404,
      openAIError(
        'The model `x` does not exist',
        'invalid_request_error',
        'model_not_found'
      ),
      ProviderNotFoundError,
    ],
    [
      400,
      openAIError(
        "Invalid value for 'messages'",
        'invalid_request_error',
        'invalid_value'
      ),
      ProviderBadRequestError,
    ],
    [
      422,
      JSON.stringify({
        detail: [
          { loc: ['body', 'messages'], msg: 'Field required', type: 'missing' },
        ],
      }),
      ProviderBadRequestError,
    ],
    [
      500,
      openAIError('The server had an error', 'server_error'),
      ProviderUnavailableError,
    ],
    [502, '<html><body>Bad Gateway</body></html>', ProviderUnavailableError],
    [
      503,
      openAIError('The engine is currently overloaded', 'server_error'),
      ProviderUnavailableError,
    ],
    [504, 'upstream request timeout', ProviderTimeoutError],
  ])('maps HTTP %i to the right class', async (status, body, errorClass) => {
    // Prepare
    const response = new Response(body, { status });

    // Act
    const error = await errorFromResponse('llama', response);

    // Assess
    expect(error).toBeInstanceOf(errorClass);
    expect(error.provider).toBe('llama');
    expect(error.status).toBe(status);
    expect(response.bodyUsed).toBe(true);
  });

  it.each([
    [
      openAIError(
        'too long',
        'invalid_request_error',
        'context_length_exceeded'
      ),
    ],
    [
      JSON.stringify({
        object: 'error',
        message:
          "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
        type: 'BadRequestError',
        param: null,
        code: 400,
      }),
    ],
    [
      JSON.stringify({
        error: {
          message: 'prompt is too long: 210000 tokens > 200000 maximum',
        },
      }),
    ],
  ])('detects context-length overflow in %s', async (body) => {
    // Prepare
    const response = new Response(body, { status: 400 });

    // Act
    const error = await errorFromResponse('vllm', response);

    // Assess
    expect(error).toBeInstanceOf(ProviderContextLengthError);
    expect(error.retryable).toBe(false);
  });

  it.each([['content_filter'], ['content_policy_violation']])(
    'detects the provider content filter by code %s',
    async (code) => {
      // Prepare
      const response = new Response(
        openAIError(
          'rejected by our safety system',
          'invalid_request_error',
          code
        ),
        { status: 400 }
      );

      // Act
      const error = await errorFromResponse('openai', response);

      // Assess
      expect(error).toBeInstanceOf(ProviderContentFilteredError);
    }
  );

  it('keeps the upstream message and code, but never the key quoted by a 401', async () => {
    // Prepare
    const key = 'sk-proj-abcdefghijklmnop1234';
    const response = new Response(
      openAIError(
        `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key'
      ),
      { status: 401 }
    );

    // Act
    const error = await errorFromResponse('openai', response, key);

    // Assess
    expect(error.message).toBe(
      'upstream HTTP 401 (invalid_api_key): credential rejected'
    );
    expect(error.message).not.toContain('abcdef');
  });

  it('includes a sanitised upstream message for other statuses', async () => {
    // Prepare
    const response = new Response(
      openAIError('Model `x` is overloaded', 'server_error', 'overloaded'),
      { status: 503 }
    );

    // Act
    const error = await errorFromResponse('openai', response);

    // Assess
    expect(error.message).toBe(
      'upstream HTTP 503 (overloaded): Model `x` is overloaded'
    );
  });

  it('reads Retry-After seconds, HTTP dates and retry-after-ms', async () => {
    // Prepare
    const seconds = new Response('{}', {
      status: 429,
      headers: { 'retry-after': '7' },
    });
    const millis = new Response('{}', {
      status: 429,
      headers: { 'retry-after-ms': '1500', 'retry-after': '2' },
    });
    const date = new Response('{}', {
      status: 503,
      headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() },
    });

    // Act
    const [a, b, c] = await Promise.all([
      errorFromResponse('p', seconds),
      errorFromResponse('p', millis),
      errorFromResponse('p', date),
    ]);

    // Assess
    expect(a.retryAfterMs).toBe(7000);
    expect(b.retryAfterMs).toBe(1500);
    expect(c.retryAfterMs).toBeGreaterThan(55_000);
    expect(c.retryAfterMs).toBeLessThanOrEqual(60_000);
  });
});

describe('Function: parseUpstreamError', () => {
  it.each([
    [
      '{"error":{"message":"boom","type":"server_error","code":"x"}}',
      { message: 'boom', type: 'server_error', code: 'x' },
    ],
    [
      '{"error":"model \\"llama3\\" not found, try pulling it first"}',
      { message: 'model "llama3" not found, try pulling it first' },
    ],
    ['{"detail":"Not Found"}', { message: 'Not Found' }],
    [
      '{"detail":[{"loc":["body","temperature"],"msg":"Input should be less than 2","input":"SECRET PROMPT"}]}',
      { message: 'body.temperature: Input should be less than 2' },
    ],
    [
      '{"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400}',
      { message: 'bad', type: 'BadRequestError', statusCode: 400 },
    ],
    ['{"message":"Forbidden"}', { message: 'Forbidden' }],
    [
      'upstream connect error or disconnect/reset before headers',
      { message: 'upstream connect error or disconnect/reset before headers' },
    ],
  ])('reads %s', (text, expected) => {
    // Act
    const info = parseUpstreamError(text);

    // Assess
    expect(info).toEqual(expected);
  });
});

describe('Function: sanitizeUpstreamMessage', () => {
  it('removes echoed input, key-shaped tokens and the known secret, and bounds length', () => {
    // Prepare
    const text = `1 validation error\nmessages.0.content\n  Input should be a valid string [type=string_type, input_value='my secret prompt', input_type=dict] key sk-abcdefgh1234 and LLM|123|zzzz and Bearer tok123 and verysecretvalue ${'x'.repeat(400)}`;

    // Act
    const out = sanitizeUpstreamMessage(text, 'verysecretvalue');

    // Assess
    expect(out).not.toContain('my secret prompt');
    expect(out).not.toContain('sk-abcdefgh1234');
    expect(out).not.toContain('LLM|123');
    expect(out).not.toContain('tok123');
    expect(out).not.toContain('verysecretvalue');
    expect(out).not.toContain('\n');
    expect(out.length).toBeLessThanOrEqual(303);
  });
});

describe('Function: retryAfterFromHeaders', () => {
  it('returns undefined without a usable header', () => {
    // Act
    const none = retryAfterFromHeaders(new Headers());
    const junk = retryAfterFromHeaders(new Headers({ 'retry-after': 'soon' }));

    // Assess
    expect(none).toBeUndefined();
    expect(junk).toBeUndefined();
  });
});

describe('Function: errorFromNetwork', () => {
  it('names the socket error code and keeps the cause', () => {
    // Prepare
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    const err = new TypeError('fetch failed', { cause });

    // Act
    const error = errorFromNetwork('vllm', err, 'connect');

    // Assess
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.message).toBe('upstream request failed (ECONNREFUSED)');
    expect(error.cause).toBe(err);
    expect(error.retryable).toBe(true);
  });
});
