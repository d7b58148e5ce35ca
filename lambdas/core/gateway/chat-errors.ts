import { GatewayError, toGatewayError } from '../api/errors';
import { type ProviderError, ProviderTimeoutError } from '../providers/errors';
import type { Deadline } from '../resilience';

/** Why the gate turned a candidate away. */
export interface GateRefusal {
  readonly code: 'circuit_open' | 'rate_limited';
  readonly retryAfterMs: number;
}

/** A deadline that ran out is reported as a timeout, whatever the last attempt said. */
export function deadlineError(
  err: ProviderError,
  deadline: Deadline
): ProviderError {
  return deadline.remaining() === 0 || err.kind === 'timeout'
    ? new ProviderTimeoutError(err.provider, 'the request deadline passed', {
        cause: err,
      })
    : err;
}

/** The error the client gets after every attempt failed. */
export function finalError(
  last: ProviderError,
  attempts: number
): GatewayError {
  const gw = toGatewayError(last);
  if (attempts <= 1 || !last.retryable || gw.status === 429) return gw;
  return new GatewayError(
    gw.status === 504 ? 504 : 502,
    gw.type,
    'all_candidates_failed',
    `all ${attempts} attempts failed; last: ${gw.message}`,
    { provider: gw.provider, headers: gw.headers }
  );
}

/** Every candidate was refused by the gate: the gateway sheds load itself. */
export function refusedError(refused: GateRefusal): GatewayError {
  const seconds = String(Math.max(1, Math.ceil(refused.retryAfterMs / 1000)));
  if (refused.code === 'rate_limited') {
    return new GatewayError(
      429,
      'rate_limit_error',
      'gateway_overloaded',
      `every candidate provider is at its configured rate or concurrency limit; retry after ${seconds}s`,
      { headers: { 'retry-after': seconds } }
    );
  }
  return new GatewayError(
    503,
    'service_unavailable',
    'circuit_open',
    `every candidate model's circuit is open; retry after ${seconds}s`,
    { headers: { 'retry-after': seconds } }
  );
}

/** The same error with extra response headers (budget figures on every answer). */
export function withHeaders(
  err: GatewayError,
  headers: Record<string, string> | undefined
): GatewayError {
  if (!headers || Object.keys(headers).length === 0) return err;
  return new GatewayError(err.status, err.type, err.code, err.message, {
    param: err.param,
    provider: err.provider,
    cause: err.cause,
    headers: { ...headers, ...err.headers },
  });
}
