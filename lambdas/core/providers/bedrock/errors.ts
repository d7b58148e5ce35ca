import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderContextLengthError,
  ProviderError,
  type ProviderErrorOptions,
  ProviderNotFoundError,
  ProviderThrottledError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  parseRetryAfter,
  providerErrorFromStatus,
} from '../errors';

type ErrorClass = new (
  provider: string,
  message: string,
  options?: ProviderErrorOptions
) => ProviderError;

/** Bedrock exception names (SDK class names) and the error class each maps to. */
const BY_NAME: Readonly<Record<string, ErrorClass>> = {
  ThrottlingException: ProviderThrottledError,
  ServiceQuotaExceededException: ProviderThrottledError,
  ServiceUnavailableException: ProviderUnavailableError,
  InternalServerException: ProviderUnavailableError,
  ModelStreamErrorException: ProviderUnavailableError,
  ModelNotReadyException: ProviderUnavailableError,
  ModelErrorException: ProviderUnavailableError,
  ModelTimeoutException: ProviderTimeoutError,
  AccessDeniedException: ProviderAuthError,
  UnrecognizedClientException: ProviderAuthError,
  ExpiredTokenException: ProviderAuthError,
  InvalidSignatureException: ProviderAuthError,
  ValidationException: ProviderBadRequestError,
  ConflictException: ProviderBadRequestError,
  ResourceNotFoundException: ProviderNotFoundError,
};

/** Event-stream exception members (camelCase) -> SDK exception names. */
const STREAM_MEMBER_NAMES: Readonly<Record<string, string>> = {
  internalServerException: 'InternalServerException',
  modelStreamErrorException: 'ModelStreamErrorException',
  validationException: 'ValidationException',
  throttlingException: 'ThrottlingException',
  serviceUnavailableException: 'ServiceUnavailableException',
};

/** Socket-level failures: the request may not have reached Bedrock at all. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Messages the SDK / Node use for dropped connections and cut streams. */
const NETWORK_MESSAGE =
  /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|HTTP\/2 stream is abnormally aborted|http2 request did not get a response|premature close|Truncated event message|Frame type id .* has failed/i;

/** How Bedrock's model families phrase "the prompt does not fit". */
const CONTEXT_LENGTH_MESSAGE =
  /input is too long|prompt is too long|too many (input )?tokens|maximum context length|context (window|length|limit)|input length .*exceed|exceeds? the (model'?s? )?(max(imum)?|context)/i;

interface SdkLikeError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown; headers?: Record<string, unknown> };
}

/**
 * Turns anything the Bedrock client threw (SDK exception, event-stream
 * exception, socket error) into a typed ProviderError naming `provider`.
 * Messages are built here from the exception name and status only: upstream
 * messages can quote the prompt, so they stay reachable via `cause` alone.
 */
export function toProviderError(provider: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (
    typeof err === 'object' && err !== null ? err : {}
  ) as SdkLikeError;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = statusOf(e);
  const retryAfterMs = retryAfterOf(e);
  const options: ProviderErrorOptions = {
    cause: err,
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };

  const known = BY_NAME[name];
  if (known) {
    if (name === 'ValidationException' && isContextLength(e)) {
      return new ProviderContextLengthError(
        provider,
        'Bedrock rejected the request: input too long for the model (ValidationException)',
        options
      );
    }
    return new known(provider, describe(name, status), options);
  }

  if (name === 'TimeoutError') {
    return new ProviderTimeoutError(
      provider,
      'Bedrock call timed out (no activity on the HTTP/2 stream)',
      options
    );
  }
  if (isNetworkError(e)) {
    return new ProviderUnavailableError(
      provider,
      `Bedrock connection failed (${networkLabel(e)})`,
      options
    );
  }
  if (status !== undefined) {
    return providerErrorFromStatus(provider, status, describe(name, status), {
      cause: err,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  return new ProviderError(
    provider,
    `Bedrock call failed (${safeName(name)})`,
    options
  );
}

/**
 * The ProviderError for an exception member of a ConverseStream event (when
 * it arrives as a union member instead of being thrown by the SDK).
 */
export function streamExceptionToProviderError(
  provider: string,
  member: string,
  value: unknown
): ProviderError {
  const name = STREAM_MEMBER_NAMES[member] ?? 'InternalServerException';
  const message =
    typeof value === 'object' && value !== null && 'message' in value
      ? (value as { message?: unknown }).message
      : undefined;
  return toProviderError(provider, { name, message, cause: value });
}

function describe(name: string, status: number | undefined): string {
  return status !== undefined
    ? `Bedrock answered ${status} ${safeName(name)}`
    : `Bedrock failed mid-call with ${safeName(name)}`;
}

/** Exception names are identifiers; anything else is not echoed. */
function safeName(name: string): string {
  return /^[A-Za-z][A-Za-z0-9_.]{0,80}$/.test(name) ? name : 'Error';
}

function statusOf(e: SdkLikeError): number | undefined {
  const s = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof s === 'number' && s > 0 ? s : undefined;
}

function retryAfterOf(e: SdkLikeError): number | undefined {
  const headers = e.$response?.headers;
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === 'retry-after')
      return parseRetryAfter(Array.isArray(value) ? value[0] : String(value));
  }
  return undefined;
}

function isContextLength(e: SdkLikeError): boolean {
  return (
    typeof e.message === 'string' && CONTEXT_LENGTH_MESSAGE.test(e.message)
  );
}

function isNetworkError(e: SdkLikeError): boolean {
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  return typeof e.message === 'string' && NETWORK_MESSAGE.test(e.message);
}

function networkLabel(e: SdkLikeError): string {
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  const match =
    typeof e.message === 'string' ? NETWORK_MESSAGE.exec(e.message) : null;
  return match ? match[0] : 'network error';
}
