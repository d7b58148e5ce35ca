import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContextLengthError,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../../../../lambdas/core/providers/errors';
import {
  geminiError,
  geminiErrorFromHttp,
  geminiNetworkError,
  parseRetryDelay,
} from '../../../../lambdas/core/providers/gemini/errors';
import { loadFixture } from './helpers';

const noHeaders = { get: () => null };

describe('Function: geminiErrorFromHttp', () => {
  it('maps API_KEY_INVALID (a 400) to an auth error', () => {
    // Act
    const error = geminiErrorFromHttp(
      'gemini',
      400,
      JSON.stringify(loadFixture('error-api-key-invalid')),
      noHeaders
    );

    // Assess
    expect(error).toBeInstanceOf(ProviderAuthError);
    expect(error).toMatchObject({ provider: 'gemini', status: 400 });
  });

  it('maps a token overflow to a context-length error', () => {
    // Act
    const error = geminiErrorFromHttp(
      'gemini',
      400,
      JSON.stringify(loadFixture('error-context-length')),
      noHeaders
    );

    // Assess
    expect(error).toBeInstanceOf(ProviderContextLengthError);
  });

  it('takes retryAfterMs from RetryInfo when there is no Retry-After header', () => {
    // Act
    const error = geminiErrorFromHttp(
      'gemini',
      429,
      JSON.stringify(loadFixture('error-rate-limited')),
      noHeaders
    );

    // Assess
    expect(error).toBeInstanceOf(ProviderThrottledError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 17_000 });
  });

  it('prefers the Retry-After header over RetryInfo', () => {
    // Act
    const error = geminiErrorFromHttp(
      'gemini',
      429,
      JSON.stringify(loadFixture('error-rate-limited')),
      new Map([['retry-after', '3']])
    );

    // Assess
    expect(error.retryAfterMs).toBe(3000);
  });

  it.each([
    [400, 'INVALID_ARGUMENT', ProviderBadRequestError],
    [401, 'UNAUTHENTICATED', ProviderAuthError],
    [403, 'PERMISSION_DENIED', ProviderAuthError],
    [404, 'NOT_FOUND', ProviderNotFoundError],
    [500, 'INTERNAL', ProviderUnavailableError],
    [503, 'UNAVAILABLE', ProviderUnavailableError],
    [504, 'DEADLINE_EXCEEDED', ProviderTimeoutError],
  ])('maps %i %s to %p', (status, name, type) => {
    // Act
    const error = geminiErrorFromHttp(
      'gemini',
      status,
      JSON.stringify({ error: { code: status, message: 'x', status: name } }),
      noHeaders
    );

    // Assess
    expect(error).toBeInstanceOf(type);
    expect(error.message).toContain(name);
  });

  it('copes with a non-JSON body from a proxy', () => {
    // Act
    const error = geminiErrorFromHttp(
      'gemini',
      502,
      '<html><body>Bad Gateway</body></html>',
      noHeaders
    );

    // Assess
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.message).not.toContain('<html>');
  });

  it('never repeats the credential and truncates long messages', () => {
    // Act
    const error = geminiErrorFromHttp(
      'gemini',
      400,
      JSON.stringify({
        error: {
          code: 400,
          status: 'INVALID_ARGUMENT',
          message: `bad key AIzaSyFAKE-key-123 ${'x'.repeat(1000)}`,
        },
      }),
      noHeaders,
      ['AIzaSyFAKE-key-123']
    );

    // Assess
    expect(error.message).not.toContain('AIzaSyFAKE-key-123');
    expect(error.message.length).toBeLessThan(320);
  });
});

describe('Function: geminiError', () => {
  it('derives the status from the status name when the code is missing', () => {
    // Act
    const error = geminiError('gemini', {
      status: 'UNAVAILABLE',
      message: 'overloaded',
    });

    // Assess
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.status).toBe(503);
  });
});

describe('Function: geminiNetworkError', () => {
  it('makes a retryable unavailable error naming the socket code', () => {
    // Prepare
    const cause = Object.assign(new Error('read ECONNRESET'), {
      code: 'ECONNRESET',
    });

    // Act
    const error = geminiNetworkError(
      'gemini',
      new TypeError('fetch failed', { cause })
    );

    // Assess
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNRESET');
  });
});

describe('Function: parseRetryDelay', () => {
  it.each([
    ['17s', 17_000],
    ['0.5s', 500],
    ['1.000340012s', 1000],
    ['17', undefined],
    [17, undefined],
    ['abc', undefined],
  ])('parses %j as %j', (value, expected) => {
    // Act
    const ms = parseRetryDelay(value);

    // Assess
    expect(ms).toBe(expected);
  });
});
