/**
 * Resilience primitives of the gateway: circuit breakers per provider+model,
 * retry decisions with a budget, deadlines with per-attempt abort signals,
 * and per-provider rate/concurrency limits. Pure apart from an injectable
 * clock and RNG; deadline and queue timers are released on dispose.
 */

export {
  BreakerAttempt,
  type CircuitBreakerOptions,
  CircuitBreakerRegistry,
  type CircuitSnapshot,
  type CircuitState,
  type CircuitStateChange,
  type CircuitStateListener,
  circuitKey,
  countsAgainstCircuit,
} from './circuit-breaker';
export {
  type AbortCode,
  type AttemptSignal,
  type AttemptSignalOptions,
  attemptSignal,
  type ClientSignal,
  Deadline,
} from './deadline';
export { ResilienceConfigError } from './errors';
export {
  CandidateGate,
  type GateCandidate,
  type GateDecision,
} from './gate';
export {
  ConcurrencyLimiter,
  type ConcurrencyLimiterOptions,
  type LimitDecision,
  type ProviderLimitConfig,
  type ProviderLimitSnapshot,
  ProviderLimits,
  type Release,
  TokenBucket,
} from './rate-limiter';
export {
  type BackoffOptions,
  backoffDelayMs,
  type GiveUpReason,
  isRetryable,
  isRetryableOnSameCandidate,
  type NextStep,
  type NextStepContext,
  planNextStep,
  RetryBudget,
  type RetryBudgetOptions,
  type Rng,
  retryAfterOf,
  retryDelayMs,
} from './retry';
