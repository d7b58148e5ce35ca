/**
 * Per-provider request-rate and concurrency limits, so one provider's quota
 * isn't blown. Non-blocking by default: a saturated provider is skipped and
 * the router tries the next candidate; when every candidate is saturated the
 * gateway answers 429 with the smallest `retryAfterMs` as `Retry-After`.
 *
 * Limits are per process: on Lambda each container enforces its own, so the
 * provider sees up to (concurrent containers x limit).
 */
import { OptionChecker } from './errors';

/** Releases a concurrency slot; idempotent. */
export type Release = () => void;

/** Token bucket: `ratePerSecond` sustained, up to `burst` at once. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param ratePerSecond refill rate
   * @param burst bucket size; starts full
   * @param now clock, ms
   */
  public constructor(
    public readonly ratePerSecond: number,
    public readonly burst: number,
    private readonly now: () => number = () => Date.now()
  ) {
    new OptionChecker()
      .range('ratePerSecond', ratePerSecond, Number.MIN_VALUE)
      .range('burst', burst, 1)
      .done();
    this.tokens = burst;
    this.last = now();
  }

  /** Tokens available now (fractional while refilling). */
  public available(): number {
    this.refill();
    return this.tokens;
  }

  /** Takes one token; false (and nothing taken) when the bucket is empty. */
  public tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Ms until one token is available (0 when one is). */
  public msUntilAvailable(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.last;
    this.last = now;
    // A clock stepping back refills nothing rather than draining.
    if (elapsed <= 0) return;
    this.tokens = Math.min(
      this.burst,
      this.tokens + (elapsed * this.ratePerSecond) / 1000
    );
  }
}

/** Tuning of a {@link ConcurrencyLimiter}. */
export interface ConcurrencyLimiterOptions {
  /** Callers that may wait in {@link ConcurrencyLimiter.acquire}. @default 0 */
  readonly maxQueue?: number;
  /** Longest wait in the queue, ms. @default 1_000 */
  readonly queueTimeoutMs?: number;
  /** Clock, ms (hold-time estimate for `retryAfterMs`). @default Date.now */
  readonly now?: () => number;
}

interface Waiter {
  resolve(release: Release | undefined): void;
  timer: ReturnType<typeof setTimeout>;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

// Until a slot has been released once, assume calls hold it this long.
const DEFAULT_HOLD_MS = 1_000;
// Smoothing of the hold-time average: recent calls count most.
const HOLD_EWMA_WEIGHT = 0.2;

/** At most `max` calls in flight; no queue unless `maxQueue` > 0. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private avgHoldMs = DEFAULT_HOLD_MS;
  private readonly maxQueue: number;
  private readonly queueTimeoutMs: number;
  private readonly now: () => number;

  public constructor(
    public readonly max: number,
    options: ConcurrencyLimiterOptions = {}
  ) {
    this.maxQueue = options.maxQueue ?? 0;
    this.queueTimeoutMs = options.queueTimeoutMs ?? 1_000;
    this.now = options.now ?? (() => Date.now());
    new OptionChecker()
      .integer('maxConcurrency', max, 1)
      .integer('maxQueue', this.maxQueue, 0)
      .range('queueTimeoutMs', this.queueTimeoutMs, 0)
      .done();
  }

  /** Calls holding a slot. */
  public get inFlight(): number {
    return this.active;
  }

  /** Callers waiting in the queue. */
  public get queued(): number {
    return this.waiters.length;
  }

  /** Takes a slot now, or returns undefined when all are taken. */
  public tryAcquire(): Release | undefined {
    if (this.active >= this.max || this.waiters.length > 0) return undefined;
    this.active++;
    return this.releaser();
  }

  /**
   * Takes a slot, waiting up to `queueTimeoutMs` in a bounded FIFO queue.
   * Resolves undefined when the queue is full, the wait times out or
   * `signal` aborts.
   */
  public acquire(signal?: AbortSignal): Promise<Release | undefined> {
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    if (this.waiters.length >= this.maxQueue || signal?.aborted) {
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        signal,
        onAbort: () => this.dropWaiter(waiter),
        timer: setTimeout(() => this.dropWaiter(waiter), this.queueTimeoutMs),
      };
      waiter.timer.unref?.();
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Estimated ms until a slot frees: the average hold time spread over the
   * slots. A hint for `Retry-After`, not a promise.
   */
  public retryAfterMs(): number {
    if (this.active < this.max) return 0;
    return Math.max(1, Math.ceil(this.avgHoldMs / this.max));
  }

  private releaser(): Release {
    const acquiredAt = this.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const held = Math.max(0, this.now() - acquiredAt);
      this.avgHoldMs += HOLD_EWMA_WEIGHT * (held - this.avgHoldMs);
      this.handOver();
    };
  }

  /** Gives a freed slot straight to the oldest waiter, or frees it. */
  private handOver(): void {
    const waiter = this.waiters.shift();
    if (!waiter) {
      this.active--;
      return;
    }
    this.cleanup(waiter);
    waiter.resolve(this.releaser());
  }

  private dropWaiter(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.cleanup(waiter);
    waiter.resolve(undefined);
  }

  private cleanup(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }
}

/** Limits of one provider, from config. Omitted = unlimited. */
export interface ProviderLimitConfig {
  /** Sustained request rate. */
  readonly requestsPerSecond?: number;
  /** Requests allowed at once above the rate. @default max(1, ceil(requestsPerSecond)) */
  readonly burst?: number;
  /** Calls in flight at once. */
  readonly maxConcurrency?: number;
}

/** Result of {@link ProviderLimits.tryAcquire}. */
export type LimitDecision =
  | { readonly ok: true; readonly release: Release }
  | {
      readonly ok: false;
      /** Which limit refused: the rate or the concurrency. */
      readonly reason: 'rate' | 'concurrency';
      /** When to try again, ms: `Retry-After` for a 429 from the gateway. */
      readonly retryAfterMs: number;
    };

/** Current use of one provider's limits, for `/v1/stats`. */
export interface ProviderLimitSnapshot {
  readonly inFlight?: number;
  readonly maxConcurrency?: number;
  readonly tokens?: number;
  readonly requestsPerSecond?: number;
}

interface Limits {
  readonly bucket?: TokenBucket;
  readonly concurrency?: ConcurrencyLimiter;
}

const NOOP_RELEASE: Release = () => {};
const UNLIMITED: LimitDecision = { ok: true, release: NOOP_RELEASE };

/** Rate and concurrency limits per provider id. */
export class ProviderLimits {
  private readonly limits = new Map<string, Limits>();

  /**
   * @param config limits per provider id; providers not listed are unlimited
   * @param options clock, ms
   */
  public constructor(
    config: Readonly<Record<string, ProviderLimitConfig>>,
    options: { readonly now?: () => number } = {}
  ) {
    const now = options.now ?? (() => Date.now());
    const check = new OptionChecker();
    for (const [provider, c] of Object.entries(config)) {
      const rps = c.requestsPerSecond;
      const max = c.maxConcurrency;
      if (rps !== undefined) {
        check.range(`${provider}.requestsPerSecond`, rps, Number.MIN_VALUE);
      }
      if (c.burst !== undefined) check.range(`${provider}.burst`, c.burst, 1);
      if (max !== undefined) {
        check.integer(`${provider}.maxConcurrency`, max, 1);
      }
      if (check.problems.length > 0) continue;
      this.limits.set(provider, {
        bucket:
          rps === undefined
            ? undefined
            : new TokenBucket(rps, c.burst ?? Math.max(1, Math.ceil(rps)), now),
        concurrency:
          max === undefined ? undefined : new ConcurrencyLimiter(max, { now }),
      });
    }
    check.done();
  }

  /**
   * Admits one call to `provider` or says when to try again. Takes nothing
   * when it refuses. Call `release` when the call ends (stream included).
   */
  public tryAcquire(provider: string): LimitDecision {
    const limits = this.limits.get(provider);
    if (!limits) return UNLIMITED;
    const { bucket, concurrency } = limits;
    const rateWait = bucket ? bucket.msUntilAvailable() : 0;
    const release = rateWait === 0 ? concurrency?.tryAcquire() : undefined;
    if (rateWait > 0 || (concurrency && !release)) {
      // Retry-After must cover both limits when both are saturated.
      const slotWait = concurrency ? concurrency.retryAfterMs() : 0;
      return {
        ok: false,
        reason: rateWait > 0 ? 'rate' : 'concurrency',
        retryAfterMs: Math.max(rateWait, slotWait),
      };
    }
    // Checked above; the clock only adds tokens since.
    bucket?.tryTake();
    return release ? { ok: true, release } : UNLIMITED;
  }

  /** Current use per configured provider. */
  public snapshot(): Record<string, ProviderLimitSnapshot> {
    const out: Record<string, ProviderLimitSnapshot> = {};
    for (const [provider, { bucket, concurrency }] of this.limits) {
      out[provider] = {
        inFlight: concurrency?.inFlight,
        maxConcurrency: concurrency?.max,
        tokens: bucket?.available(),
        requestsPerSecond: bucket?.ratePerSecond,
      };
    }
    return out;
  }
}
