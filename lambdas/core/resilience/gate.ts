/**
 * One admission check per candidate attempt: its circuit, then its
 * provider's limits. The router skips a refused candidate and tries the next.
 */
import {
  type BreakerAttempt,
  type CircuitBreakerRegistry,
  circuitKey,
} from './circuit-breaker';
import type { ProviderLimits, Release } from './rate-limiter';

/** The parts of a model the gate needs (ModelConfig fits). */
export interface GateCandidate {
  readonly provider: string;
  readonly id: string;
}

/** Result of {@link CandidateGate.admit}. */
export type GateDecision =
  | {
      readonly ok: true;
      /** Settle once: success at the answer / first token, or failure. */
      readonly attempt: BreakerAttempt;
      /** Frees the provider slot; call when the call ends (stream included). */
      readonly release: Release;
    }
  | {
      readonly ok: false;
      /** circuit_open -> try the next candidate; all refused -> 503 / 429. */
      readonly code: 'circuit_open' | 'rate_limited';
      /** When this candidate may admit again, ms. */
      readonly retryAfterMs: number;
    };

/** Circuit breaker + provider limits, checked together for one attempt. */
export class CandidateGate {
  public constructor(
    public readonly breakers: CircuitBreakerRegistry,
    public readonly limits: ProviderLimits
  ) {}

  /**
   * Admits one attempt at `candidate` or says why not. The circuit is
   * checked first so an open circuit costs no rate token; a probe slot taken
   * and then refused by the limits is given back.
   */
  public admit(candidate: GateCandidate): GateDecision {
    const key = circuitKey(candidate.provider, candidate.id);
    const attempt = this.breakers.begin(key);
    if (!attempt) {
      return {
        ok: false,
        code: 'circuit_open',
        retryAfterMs: this.breakers.retryAfterMs(key),
      };
    }
    const limit = this.limits.tryAcquire(candidate.provider);
    if (!limit.ok) {
      attempt.ignore();
      return {
        ok: false,
        code: 'rate_limited',
        retryAfterMs: limit.retryAfterMs,
      };
    }
    return { ok: true, attempt, release: limit.release };
  }

  /** Whether `candidate`'s circuit refuses calls now (for planning/exclusion). */
  public isOpen(candidate: GateCandidate): boolean {
    return this.breakers.isOpen(circuitKey(candidate.provider, candidate.id));
  }
}
