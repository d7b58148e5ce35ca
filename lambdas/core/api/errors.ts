import { ProviderError } from '../providers/errors';

/** OpenAI error `type` values the gateway uses. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  /** Tenant/team/user rate or token limit (ARCHITECTURE.md "Refusals"). */
  | 'rate_limit_exceeded'
  | 'server_error'
  | 'upstream_error'
  | 'timeout_error'
  | 'service_unavailable';

/** The OpenAI error body every failing endpoint answers with. */
export interface OpenAIErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: OpenAIErrorType;
    readonly code: string | null;
    readonly param: string | null;
    /** Provider instance that failed, when an upstream is to blame. */
    readonly provider?: string;
  };
}

/** Options of a GatewayError. */
export interface GatewayErrorOptions {
  readonly param?: string | null;
  /** Extra response headers (e.g. `retry-after`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly provider?: string;
  readonly cause?: unknown;
}

/**
 * An error the gateway answers a client with. Carries the HTTP status and the
 * OpenAI error fields; its message is safe to show (no prompt text, no secrets).
 */
export class GatewayError extends Error {
  public override readonly name = 'GatewayError';
  public readonly param: string | null;
  public readonly headers: Readonly<Record<string, string>>;
  public readonly provider?: string;

  public constructor(
    public readonly status: number,
    public readonly type: OpenAIErrorType,
    public readonly code: string,
    message: string,
    options: GatewayErrorOptions = {}
  ) {
    super(message, { cause: options.cause });
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.provider = options.provider;
  }

  /** The OpenAI-shaped body. */
  public toBody(): OpenAIErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        param: this.param,
        ...(this.provider ? { provider: this.provider } : {}),
      },
    };
  }
}

/** 400 invalid_request_error naming the bad field. */
export function badRequest(
  message: string,
  param: string | null = null,
  code = 'invalid_request'
): GatewayError {
  return new GatewayError(400, 'invalid_request_error', code, message, {
    param,
  });
}

/**
 * Maps a provider failure that reached the client (no failover left) to the
 * client-facing error. The provider is named; upstream messages pass through
 * only for client-caused errors (they describe the client's request).
 */
export function fromProviderError(err: ProviderError): GatewayError {
  const provider = err.provider;
  switch (err.kind) {
    case 'bad_request':
      return new GatewayError(
        400,
        'invalid_request_error',
        'upstream_bad_request',
        `provider ${provider} rejected the request: ${truncate(err.message)}`,
        { provider, cause: err }
      );
    case 'context_length':
      return new GatewayError(
        400,
        'invalid_request_error',
        'context_length_exceeded',
        `the prompt is too long for the model (provider ${provider})`,
        { provider, param: 'messages', cause: err }
      );
    case 'content_filtered':
      return new GatewayError(
        400,
        'invalid_request_error',
        'content_filter',
        `provider ${provider} blocked the content with its safety filter: category provider_safety`,
        {
          provider,
          cause: err,
          // Same header as the gateway's own guardrail refusals.
          headers: { 'x-gateway-guardrail-category': 'provider_safety' },
        }
      );
    case 'throttled': {
      const seconds = Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000));
      return new GatewayError(
        429,
        'rate_limit_error',
        'upstream_rate_limited',
        `provider ${provider} is rate limiting; retry after ${seconds}s`,
        { provider, headers: { 'retry-after': String(seconds) }, cause: err }
      );
    }
    case 'timeout':
      return new GatewayError(
        504,
        'timeout_error',
        'upstream_timeout',
        `provider ${provider} did not answer in time`,
        { provider, cause: err }
      );
    case 'auth':
      return new GatewayError(
        502,
        'upstream_error',
        'upstream_auth_failed',
        `the gateway's credentials for provider ${provider} were rejected`,
        { provider, cause: err }
      );
    case 'invalid_output':
      return new GatewayError(
        502,
        'upstream_error',
        'structured_output_invalid',
        truncate(err.message),
        { provider, param: 'response_format', cause: err }
      );
    default:
      return new GatewayError(
        502,
        'upstream_error',
        'upstream_error',
        `provider ${provider} failed (${err.kind})`,
        { provider, cause: err }
      );
  }
}

/** Turns anything thrown into a GatewayError; unknown errors become a bare 500. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof ProviderError) return fromProviderError(err);
  return new GatewayError(
    500,
    'server_error',
    'internal_error',
    'the gateway failed to handle the request',
    { cause: err }
  );
}

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
