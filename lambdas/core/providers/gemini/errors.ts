import {
  ProviderAuthError,
  ProviderContextLengthError,
  type ProviderError,
  ProviderUnavailableError,
  parseRetryAfter,
  providerErrorFromStatus,
} from '../errors';
import type { GoogleError } from './wire';

/**
 * Google error bodies (`{"error": {code, message, status, details}}`) and
 * transport failures -> the gateway's typed provider errors. Messages carry
 * the HTTP status, Google's status name and Google's message (which never
 * quotes the prompt), truncated and with any credential scrubbed.
 */

/** HTTP status of each `google.rpc.Code` name, for errors that carry no code. */
const HTTP_STATUS: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  UNKNOWN: 500,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

const MAX_MESSAGE_CHARS = 300;

/** Anything with a `get(name)` header lookup (fetch `Headers`, a Map...). */
export interface HeaderLookup {
  get(name: string): string | null | undefined;
}

/** Extracts the `error` member of a Google error envelope, if it is one. */
export function readGoogleError(body: unknown): GoogleError | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null || Array.isArray(error))
    return undefined;
  return error as GoogleError;
}

/**
 * Parses a protobuf Duration in JSON form (`"17s"`, `"0.5s"`,
 * `"1.000340012s"`) into milliseconds.
 */
export function parseRetryDelay(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * 1000);
}

function detailsOfType(
  error: GoogleError,
  suffix: string
): Record<string, unknown>[] {
  return (error.details ?? []).filter(
    (d) => typeof d['@type'] === 'string' && d['@type'].endsWith(suffix)
  );
}

/** `RetryInfo.retryDelay` from the details, in ms. */
export function retryDelayFromDetails(error: GoogleError): number | undefined {
  for (const info of detailsOfType(error, 'google.rpc.RetryInfo')) {
    const ms = parseRetryDelay(info.retryDelay);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** True when Google says the API key itself is bad (sent as a 400, not 401). */
export function isApiKeyInvalid(error: GoogleError): boolean {
  const reasons = detailsOfType(error, 'google.rpc.ErrorInfo').map(
    (d) => d.reason
  );
  return (
    reasons.includes('API_KEY_INVALID') ||
    /API key not valid/i.test(error.message ?? '')
  );
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out.length > MAX_MESSAGE_CHARS
    ? `${out.slice(0, MAX_MESSAGE_CHARS)}...`
    : out;
}

/** Options of `geminiError`. */
export interface GeminiErrorOptions {
  /** HTTP status of the response; falls back to `error.code`, then the status name. */
  readonly httpStatus?: number;
  /** The response's `Retry-After` header; wins over `RetryInfo`. */
  readonly retryAfter?: string | null;
  /** Values that must never appear in a message (the credential). */
  readonly secrets?: readonly string[];
  readonly cause?: unknown;
}

/** Maps a Google error object (HTTP body or in-stream event) to a provider error. */
export function geminiError(
  provider: string,
  error: GoogleError,
  options: GeminiErrorOptions = {}
): ProviderError {
  const status =
    options.httpStatus ??
    (typeof error.code === 'number' && error.code >= 400
      ? error.code
      : undefined) ??
    HTTP_STATUS[error.status ?? ''] ??
    500;
  const name = error.status ?? 'UNKNOWN';
  const message = scrub(
    `gemini ${status} ${name}: ${error.message ?? 'no message'}`,
    options.secrets ?? []
  );
  const retryAfterMs =
    parseRetryAfter(options.retryAfter) ?? retryDelayFromDetails(error);
  const opts = { status, retryAfterMs, cause: options.cause };

  if (status === 400 && isApiKeyInvalid(error))
    return new ProviderAuthError(provider, message, opts);
  if (
    status === 400 &&
    /exceeds the maximum number of tokens/i.test(error.message ?? '')
  )
    return new ProviderContextLengthError(provider, message, opts);
  return providerErrorFromStatus(provider, status, message, {
    retryAfterMs,
    cause: options.cause,
  });
}

/**
 * Maps a non-2xx HTTP answer. Proxies and load balancers in front of Google
 * answer with HTML or plain text; those become an error with the status only.
 */
export function geminiErrorFromHttp(
  provider: string,
  status: number,
  bodyText: string,
  headers: HeaderLookup,
  secrets: readonly string[] = []
): ProviderError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const error = readGoogleError(parsed) ?? {
    code: status,
    message: `non-JSON error body (${bodyText.length} bytes)`,
  };
  return geminiError(provider, error, {
    httpStatus: status,
    retryAfter: headers.get('retry-after'),
    secrets,
  });
}

/**
 * A transport failure (connection refused or reset, socket closed
 * mid-body, DNS): the provider is unreachable right now, so retryable.
 */
export function geminiNetworkError(
  provider: string,
  err: unknown
): ProviderUnavailableError {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof (err as { code?: unknown })?.code === 'string'
        ? (err as { code: string }).code
        : undefined;
  const what = err instanceof Error ? err.message : String(err);
  return new ProviderUnavailableError(
    provider,
    `gemini network error: ${what}${code ? ` (${code})` : ''}`,
    { cause: err }
  );
}
