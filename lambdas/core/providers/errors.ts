/**
 * Typed provider errors. Adapters turn every SDK/HTTP failure into one of
 * these so the router can decide (retry, fail over, or answer the client)
 * without knowing which provider it talked to.
 */

/** The failure classes the router acts on. */
export type ProviderErrorKind =
  | 'throttled'
  | 'unavailable'
  | 'timeout'
  | 'auth'
  | 'bad_request'
  | 'context_length'
  | 'content_filtered'
  | 'not_found'
  | 'invalid_output'
  | 'unknown';

/** Options every provider error accepts. */
export interface ProviderErrorOptions {
  /** HTTP status the upstream answered with, when there was one. */
  readonly status?: number;
  /** Upstream `Retry-After`, in milliseconds. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/** Base class: a provider call failed. `provider` names the provider instance. */
export class ProviderError extends Error {
  public override readonly name: string = 'ProviderError';
  public readonly kind: ProviderErrorKind = 'unknown';
  /** Whether the same call may succeed on a retry or on another candidate. */
  public readonly retryable: boolean = false;
  public readonly status?: number;
  public readonly retryAfterMs?: number;

  public constructor(
    public readonly provider: string,
    message: string,
    options: ProviderErrorOptions = {}
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 429 / throttling / quota. Retryable, honours `retryAfterMs`. */
export class ProviderThrottledError extends ProviderError {
  public override readonly name = 'ProviderThrottledError';
  public override readonly kind = 'throttled';
  public override readonly retryable = true;
}

/** 5xx, connection reset, model overloaded, mid-flight server error. */
export class ProviderUnavailableError extends ProviderError {
  public override readonly name = 'ProviderUnavailableError';
  public override readonly kind = 'unavailable';
  public override readonly retryable = true;
}

/** The call exceeded its deadline or the upstream timed out. */
export class ProviderTimeoutError extends ProviderError {
  public override readonly name = 'ProviderTimeoutError';
  public override readonly kind = 'timeout';
  public override readonly retryable = true;
}

/** Credentials rejected (401/403). Another provider may still serve. */
export class ProviderAuthError extends ProviderError {
  public override readonly name = 'ProviderAuthError';
  public override readonly kind = 'auth';
  /** Retryable on *another* candidate: this provider's key is bad, not the request. */
  public override readonly retryable = true;
}

/** The upstream rejected the request itself (400). Not retryable. */
export class ProviderBadRequestError extends ProviderError {
  public override readonly name = 'ProviderBadRequestError';
  public override readonly kind = 'bad_request';
}

/** Prompt too long for the model's context window. */
export class ProviderContextLengthError extends ProviderError {
  public override readonly name = 'ProviderContextLengthError';
  public override readonly kind = 'context_length';
}

/** The provider's own safety system blocked the request or the answer. */
export class ProviderContentFilteredError extends ProviderError {
  public override readonly name = 'ProviderContentFilteredError';
  public override readonly kind = 'content_filtered';
}

/** Model or endpoint unknown to the provider (404). Another candidate may serve. */
export class ProviderNotFoundError extends ProviderError {
  public override readonly name = 'ProviderNotFoundError';
  public override readonly kind = 'not_found';
  public override readonly retryable = true;
}

/**
 * The answer does not conform to the request's strict `response_format`
 * schema. Retryable on another candidate (sampling differs, other models may
 * conform); it does not count against the circuit: the provider is healthy,
 * the model just answered badly, which the bandit learns instead.
 */
export class ProviderInvalidOutputError extends ProviderError {
  public override readonly name = 'ProviderInvalidOutputError';
  public override readonly kind = 'invalid_output';
  public override readonly retryable = true;
}

/**
 * Maps an HTTP status from an OpenAI- or Gemini-shaped upstream to the
 * matching error class. Adapters use it for non-2xx answers.
 */
export function providerErrorFromStatus(
  provider: string,
  status: number,
  message: string,
  options: Omit<ProviderErrorOptions, 'status'> = {}
): ProviderError {
  const opts = { ...options, status };
  if (status === 429)
    return new ProviderThrottledError(provider, message, opts);
  if (status === 401 || status === 403)
    return new ProviderAuthError(provider, message, opts);
  if (status === 404) return new ProviderNotFoundError(provider, message, opts);
  if (status === 408 || status === 504)
    return new ProviderTimeoutError(provider, message, opts);
  if (status >= 500)
    return new ProviderUnavailableError(provider, message, opts);
  if (status === 413)
    return new ProviderContextLengthError(provider, message, opts);
  return new ProviderBadRequestError(provider, message, opts);
}

/**
 * Parses a `Retry-After` header (delta-seconds or HTTP date) into ms.
 * Returns undefined when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now()
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0)
    return Math.round(seconds * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * True when the error is an abort (deadline or client gone), not a provider
 * fault. Checks the name only: fetch's DOMException may come from another
 * realm (e.g. jest's sandbox), where `instanceof Error` is false.
 */
export function isAbortError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name = (err as { name?: unknown }).name;
  return name === 'AbortError' || name === 'TimeoutError';
}
