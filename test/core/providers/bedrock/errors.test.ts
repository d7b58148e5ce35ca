import {
  AccessDeniedException,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { toProviderError } from '../../../../lambdas/core/providers/bedrock/errors';
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContextLengthError,
  ProviderError,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';

const PROVIDER = 'bedrock-eu';

function sdkError<T extends Error>(
  Ctor: new (opts: {
    message: string;
    $metadata: { httpStatusCode?: number };
  }) => T,
  status: number,
  message = 'upstream says: user secret prompt'
): T {
  return new Ctor({ message, $metadata: { httpStatusCode: status } });
}

/** Attaches a raw response the way the SDK's deserializer does. */
function withResponse<T extends object>(
  err: T,
  headers: Record<string, string>
): T {
  Object.defineProperty(err, '$response', {
    value: { statusCode: 429, headers },
    enumerable: false,
  });
  return err;
}

/** An error as Node's sockets raise it. */
function netError(code: string, message = `read ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

describe('Function: toProviderError', () => {
  it.each([
    [
      'ThrottlingException',
      sdkError(ThrottlingException, 429),
      ProviderThrottledError,
    ],
    [
      'ServiceQuotaExceededException',
      sdkError(ServiceQuotaExceededException, 400),
      ProviderThrottledError,
    ],
    [
      'ServiceUnavailableException',
      sdkError(ServiceUnavailableException, 503),
      ProviderUnavailableError,
    ],
    [
      'InternalServerException',
      sdkError(InternalServerException, 500),
      ProviderUnavailableError,
    ],
    [
      'ModelStreamErrorException',
      sdkError(ModelStreamErrorException, 424),
      ProviderUnavailableError,
    ],
    [
      'ModelNotReadyException',
      sdkError(ModelNotReadyException, 429),
      ProviderUnavailableError,
    ],
    [
      'ModelErrorException',
      sdkError(ModelErrorException, 424),
      ProviderUnavailableError,
    ],
    [
      'ModelTimeoutException',
      sdkError(ModelTimeoutException, 408),
      ProviderTimeoutError,
    ],
    [
      'AccessDeniedException',
      sdkError(AccessDeniedException, 403),
      ProviderAuthError,
    ],
    [
      'ValidationException',
      sdkError(ValidationException, 400),
      ProviderBadRequestError,
    ],
    [
      'ResourceNotFoundException',
      sdkError(ResourceNotFoundException, 404),
      ProviderNotFoundError,
    ],
  ])('maps %s with its status and provider', (_name, err, errorClass) => {
    // Act
    const mapped = toProviderError(PROVIDER, err);

    // Assess
    expect(mapped).toBeInstanceOf(errorClass);
    expect(mapped.provider).toBe(PROVIDER);
    expect(mapped.status).toBe(err.$metadata.httpStatusCode);
    expect(mapped.cause).toBe(err);
    expect(mapped.message).not.toContain('secret');
  });

  it.each([
    ['UnrecognizedClientException', 403],
    ['ExpiredTokenException', 403],
  ])('maps the auth failure %s (not modelled by the SDK)', (name, status) => {
    // Prepare
    const err = Object.assign(new Error('The security token is invalid'), {
      name,
      $metadata: { httpStatusCode: status },
    });

    // Act
    const mapped = toProviderError(PROVIDER, err);

    // Assess
    expect(mapped).toBeInstanceOf(ProviderAuthError);
    expect(mapped.status).toBe(status);
  });

  it.each([
    'Input is too long for requested model.',
    'The model returned the following errors: prompt is too long: 212345 tokens > 200000 maximum',
    'Too many input tokens. Max input tokens: 300000, request input token count: 301234',
    "This model's maximum context length is 8192 tokens. However, you requested 9100 tokens.",
  ])(
    'maps a ValidationException saying "%s" to a context-length error',
    (message) => {
      // Act
      const mapped = toProviderError(
        PROVIDER,
        sdkError(ValidationException, 400, message)
      );

      // Assess
      expect(mapped).toBeInstanceOf(ProviderContextLengthError);
      expect(mapped.status).toBe(400);
      expect(mapped.retryable).toBe(false);
    }
  );

  it('reads retryAfterMs from a Retry-After header on the raw response', () => {
    // Prepare
    const err = withResponse(sdkError(ThrottlingException, 429), {
      'retry-after': '7',
    });

    // Act
    const mapped = toProviderError(PROVIDER, err);

    // Assess
    expect(mapped).toBeInstanceOf(ProviderThrottledError);
    expect(mapped.retryAfterMs).toBe(7000);
  });

  it('leaves retryAfterMs unset without the header', () => {
    // Act
    const mapped = toProviderError(
      PROVIDER,
      sdkError(ThrottlingException, 429)
    );

    // Assess
    expect(mapped.retryAfterMs).toBeUndefined();
  });

  it.each([
    netError('ECONNRESET'),
    netError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
    netError('EPIPE'),
    netError(
      'ERR_HTTP2_STREAM_ERROR',
      'Stream closed with error code NGHTTP2_INTERNAL_ERROR'
    ),
    new Error('socket hang up'),
    new Error(
      'HTTP/2 stream is abnormally aborted in mid-communication with result code 2.'
    ),
  ])('maps the network failure %p to unavailable', (err) => {
    // Act
    const mapped = toProviderError(PROVIDER, err);

    // Assess
    expect(mapped).toBeInstanceOf(ProviderUnavailableError);
    expect(mapped.retryable).toBe(true);
    expect(mapped.status).toBeUndefined();
  });

  it('maps the HTTP/2 handler inactivity TimeoutError to a timeout', () => {
    // Prepare
    const err = new Error('Stream timed out because of no activity for 100 ms');
    err.name = 'TimeoutError';

    // Act / Assess
    expect(toProviderError(PROVIDER, err)).toBeInstanceOf(ProviderTimeoutError);
  });

  it('maps an unknown exception by its status', () => {
    // Prepare
    const err = Object.assign(new Error('?'), {
      name: 'BrandNewException',
      $metadata: { httpStatusCode: 502 },
    });

    // Act
    const mapped = toProviderError(PROVIDER, err);

    // Assess
    expect(mapped).toBeInstanceOf(ProviderUnavailableError);
    expect(mapped.message).toContain('BrandNewException');
  });

  it('falls back to a plain, non-retryable ProviderError', () => {
    // Act
    const mapped = toProviderError(PROVIDER, new TypeError('boom'));

    // Assess
    expect(mapped.constructor).toBe(ProviderError);
    expect(mapped.kind).toBe('unknown');
    expect(mapped.retryable).toBe(false);
  });

  it('passes a ProviderError through unchanged', () => {
    // Prepare
    const err = new ProviderThrottledError('other', 'x');

    // Act / Assess
    expect(toProviderError(PROVIDER, err)).toBe(err);
  });
});
