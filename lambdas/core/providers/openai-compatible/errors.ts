import {
  ProviderContentFilteredError,
  ProviderContextLengthError,
  type ProviderError,
  ProviderThrottledError,
  ProviderUnavailableError,
  parseRetryAfter,
  providerErrorFromStatus,
} from '../errors';
import type { HttpResponseLike } from '../http-client';
import type { WireError } from './wire';

/** What the adapter keeps of an upstream error body: never the raw text. */
export interface UpstreamErrorInfo {
  readonly message: string;
  readonly type?: string;
  readonly code?: string;
  /** vLLM puts the HTTP status in `code`. */
  readonly statusCode?: number;
}

const MAX_MESSAGE_CHARS = 300;

const CONTEXT_LENGTH_CODES = new Set([
  'context_length_exceeded',
  'string_above_max_length',
]);
const CONTEXT_LENGTH_TEXT =
  /context length|context window|maximum context|prompt is too long|too many tokens|reduce the length|exceeds the model/i;
const CONTENT_FILTER_CODES = new Set([
  'content_filter',
  'content_policy_violation',
]);
const THROTTLE_TYPES = new Set([
  'rate_limit_exceeded',
  'rate_limit_error',
  'requests',
  'tokens',
  'insufficient_quota',
]);

// Key-shaped tokens (OpenAI `sk-...`, Llama API `LLM|...`, bearer values)
// and pydantic's echo of the offending input, which can be prompt text.
const SECRET_PATTERNS =
  /\b(?:sk|pk|rk|key)-[A-Za-z0-9*_.-]{4,}|LLM\|[^\s"',]+|Bearer\s+[^\s"',]+/g;
const INPUT_ECHO = /input_value=.*?(?=, input_type=|\]|$)/gs;

/**
 * Makes an upstream message safe to log and return: drops echoed input and
 * key-shaped tokens (OpenAI's 401 quotes part of the key), and bounds length.
 */
export function sanitizeUpstreamMessage(text: string, secret?: string): string {
  let out = text;
  if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  out = out
    .replace(INPUT_ECHO, 'input_value=[redacted]')
    .replace(SECRET_PATTERNS, '[redacted]')
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > MAX_MESSAGE_CHARS
    ? `${out.slice(0, MAX_MESSAGE_CHARS)}...`
    : out;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function fromWireError(error: WireError, secret?: string): UpstreamErrorInfo {
  const numeric = typeof error.code === 'number' ? error.code : undefined;
  return {
    message: sanitizeUpstreamMessage(str(error.message) ?? '', secret),
    type: str(error.type),
    code: str(error.code),
    statusCode: numeric,
  };
}

// FastAPI validation errors: keep field paths and messages, never `input`.
function fromDetailList(detail: readonly unknown[]): string {
  const parts: string[] = [];
  for (const item of detail.slice(0, 5)) {
    if (item && typeof item === 'object') {
      const { loc, msg } = item as { loc?: unknown; msg?: unknown };
      const where = Array.isArray(loc) ? loc.join('.') : undefined;
      if (typeof msg === 'string') parts.push(where ? `${where}: ${msg}` : msg);
    }
  }
  return parts.join('; ');
}

/**
 * Reads the error out of an upstream body in any of the shapes
 * OpenAI-compatible servers use: `{"error":{...}}`, `{"error":"..."}`,
 * `{"detail": ...}` (FastAPI/vLLM), `{"object":"error",...}` (older vLLM),
 * `{"message":"..."}` (gateways), or plain text.
 */
export function parseUpstreamError(
  text: string,
  secret?: string
): UpstreamErrorInfo {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { message: sanitizeUpstreamMessage(text, secret) };
  }
  if (!body || typeof body !== 'object') {
    return { message: sanitizeUpstreamMessage(text, secret) };
  }
  const o = body as Record<string, unknown>;
  if (o.error && typeof o.error === 'object') {
    return fromWireError(o.error as WireError, secret);
  }
  if (typeof o.error === 'string') {
    return { message: sanitizeUpstreamMessage(o.error, secret) };
  }
  if (o.object === 'error' || typeof o.message === 'string') {
    return fromWireError(o as WireError, secret);
  }
  if (typeof o.detail === 'string') {
    return { message: sanitizeUpstreamMessage(o.detail, secret) };
  }
  if (Array.isArray(o.detail)) {
    return {
      message: sanitizeUpstreamMessage(fromDetailList(o.detail), secret),
    };
  }
  return { message: '' };
}

function isContextLength(info: UpstreamErrorInfo): boolean {
  return (
    (info.code !== undefined && CONTEXT_LENGTH_CODES.has(info.code)) ||
    CONTEXT_LENGTH_TEXT.test(info.message)
  );
}

function isContentFilter(info: UpstreamErrorInfo): boolean {
  return (
    (info.code !== undefined && CONTENT_FILTER_CODES.has(info.code)) ||
    (info.type !== undefined && CONTENT_FILTER_CODES.has(info.type))
  );
}

function describeError(
  status: number | undefined,
  info: UpstreamErrorInfo
): string {
  const label = info.code ?? info.type;
  const head =
    status === undefined ? 'upstream stream error' : `upstream HTTP ${status}`;
  const tail = label ? `${head} (${label})` : head;
  return info.message ? `${tail}: ${info.message}` : tail;
}

/** Retry hint from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or date). */
export function retryAfterFromHeaders(headers: {
  get(name: string): string | null;
}): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  return parseRetryAfter(headers.get('retry-after'));
}

/**
 * Maps a non-2xx upstream answer to a typed provider error. Auth failures
 * never carry the upstream text: OpenAI's 401 quotes part of the key.
 */
export function errorFromStatus(
  provider: string,
  status: number,
  info: UpstreamErrorInfo,
  retryAfterMs?: number
): ProviderError {
  const options = { status, retryAfterMs };
  if (status === 401 || status === 403) {
    const label = info.code ?? info.type;
    const message = `upstream HTTP ${status}${label ? ` (${label})` : ''}: credential rejected`;
    return providerErrorFromStatus(provider, status, message, options);
  }
  const message = describeError(status, info);
  if (isContentFilter(info)) {
    return new ProviderContentFilteredError(provider, message, options);
  }
  if (status < 500 && status !== 429 && isContextLength(info)) {
    return new ProviderContextLengthError(provider, message, options);
  }
  return providerErrorFromStatus(provider, status, message, options);
}

/** Reads (and so releases) an error response body and maps it. */
export async function errorFromResponse(
  provider: string,
  response: HttpResponseLike,
  secret?: string
): Promise<ProviderError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The status alone still classifies the failure.
  }
  return errorFromStatus(
    provider,
    response.status,
    parseUpstreamError(text, secret),
    retryAfterFromHeaders(response.headers)
  );
}

/**
 * Maps an error object received inside a 200 stream (or a 200 body). A
 * mid-flight failure with no better hint is a server fault: retryable.
 */
export function errorFromPayload(
  provider: string,
  payload: WireError | string,
  secret?: string
): ProviderError {
  const info =
    typeof payload === 'string'
      ? { message: sanitizeUpstreamMessage(payload, secret) }
      : fromWireError(payload, secret);
  const message = describeError(undefined, info);
  if (isContentFilter(info)) {
    return new ProviderContentFilteredError(provider, message);
  }
  if (isContextLength(info)) {
    return new ProviderContextLengthError(provider, message);
  }
  if (info.statusCode !== undefined && info.statusCode >= 400) {
    return errorFromStatus(provider, info.statusCode, info);
  }
  if (
    (info.type !== undefined && THROTTLE_TYPES.has(info.type)) ||
    (info.code !== undefined && THROTTLE_TYPES.has(info.code))
  ) {
    return new ProviderThrottledError(provider, message);
  }
  return new ProviderUnavailableError(provider, message);
}

function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 3 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A transport failure (refused, reset, socket closed mid-body) as a
 * retryable provider error. Callers check for their own abort first.
 */
export function errorFromNetwork(
  provider: string,
  err: unknown,
  phase: 'connect' | 'read'
): ProviderUnavailableError {
  const code = networkCode(err);
  const what = phase === 'connect' ? 'request failed' : 'response read failed';
  return new ProviderUnavailableError(
    provider,
    code ? `upstream ${what} (${code})` : `upstream ${what}`,
    { cause: err }
  );
}
