/** One conditional add on a shared counter. */
export interface CounterAdd {
  /** Counter key, unique per scope, metric and window (`tenant#acme#rpm#29417520`). */
  readonly key: string;
  readonly amount: number;
  /** The add succeeds only when the counter stays at or under this after it. */
  readonly limit: number;
  /** Epoch seconds after which the counter may be forgotten (TTL). */
  readonly expiresAt: number;
}

/** Outcome of a conditional add. */
export interface CounterResult {
  readonly ok: boolean;
  /** The counter after the add, or its current value when refused (best effort). */
  readonly value: number;
}

/**
 * Fixed-window counters shared by every router instance: DynamoDB atomic
 * counters on AWS, memory locally, with the same semantics (an add that
 * would pass the limit changes nothing).
 */
export interface LimitCounterStore {
  /** Adds `amount` only if the counter stays within `limit`; one atomic write. */
  tryAdd(add: CounterAdd): Promise<CounterResult>;
  /** Adds unconditionally (negative to give back a reservation). */
  add(key: string, amount: number, expiresAt: number): Promise<void>;
}

/** Raised by a store that could not reach its backend. */
export class LimitStoreError extends Error {
  public override readonly name = 'LimitStoreError';
}
