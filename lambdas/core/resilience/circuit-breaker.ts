/**
 * Circuit breakers per `provider#model`.
 *
 * Why not cockatiel's CircuitBreakerPolicy + SamplingBreaker (evaluated
 * against cockatiel 4.0.0, the version installed):
 * - It reads `Date.now()` directly (policy and SamplingBreaker), so it can't
 *   run on an injected clock; tests would need global fake timers.
 * - Its state getter stays `Open` after the cooldown until someone calls
 *   `execute()`: there is no synchronous "would you admit a call now?"
 *   check to drop a candidate before choosing it.
 * - Extra callers during half-open wait on the probe's promise instead of
 *   being refused, so a slow probe stalls requests instead of failing over.
 * - Outcomes are only recorded around an `execute(fn)` promise; a stream's
 *   outcome (first token) is known elsewhere, and an error it doesn't handle
 *   counts as a *success* in half-open, so "ignore" (client went away, 400)
 *   can't be expressed.
 * - SamplingBreaker rotates one bucket per recorded call, not per elapsed
 *   bucket: failures from ten minutes ago still count after an idle period,
 *   so one new failure can open a low-traffic circuit.
 * The breaker below is small, allocation-light and fully clock-injected.
 */
import { isAbortError, ProviderError } from '../providers/errors';
import { OptionChecker } from './errors';

/** Circuit states: closed admits all, open none, half-open a few probes. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Tuning of every circuit in a registry. */
export interface CircuitBreakerOptions {
  /** Failure share of the window at or above which the circuit opens. @default 0.5 */
  readonly failureRateThreshold?: number;
  /** Length of the sliding failure-rate window, ms. @default 30_000 */
  readonly windowMs?: number;
  /**
   * Buckets the window is cut into; an outcome leaves the window between
   * `windowMs - windowMs / windowBuckets` and `windowMs` after it happened.
   * @default 10
   */
  readonly windowBuckets?: number;
  /** Outcomes needed in the window before the rate is judged at all. @default 10 */
  readonly minimumRequests?: number;
  /** Time an open circuit refuses calls before it lets probes through, ms. @default 15_000 */
  readonly cooldownMs?: number;
  /** Probes admitted at the same time while half-open. @default 1 */
  readonly halfOpenMaxProbes?: number;
  /** Successful probes needed to close a half-open circuit. @default 1 */
  readonly successesToClose?: number;
  /**
   * A probe never settled for this long is presumed lost (a caller bug) and
   * its slot freed, so one leak can't hold a model out of service forever.
   * @default 60_000
   */
  readonly probeTimeoutMs?: number;
  /** Clock, ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** One circuit as shown by `/v1/stats` and metrics. */
export interface CircuitSnapshot {
  readonly state: CircuitState;
  /** Counted failures in the current window. */
  readonly failures: number;
  /** Counted outcomes (successes + failures) in the current window. */
  readonly requests: number;
  /** When the circuit last opened (ms epoch); set while open or half-open. */
  readonly openedAt?: number;
  /** When an open circuit admits its next probe (ms epoch); set while open. */
  readonly nextProbeAt?: number;
  /** Probes in flight (half-open only). */
  readonly probesInFlight: number;
}

/** A state transition, for metrics and logs. */
export interface CircuitStateChange {
  readonly key: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** Clock time of the transition, ms. */
  readonly at: number;
  /** Window counts at the transition (the ones that opened it, on open). */
  readonly failures: number;
  readonly requests: number;
}

/** Callback for {@link CircuitBreakerRegistry.onStateChange}. */
export type CircuitStateListener = (change: CircuitStateChange) => void;

/** The registry key of a provider + model pair: `provider#model`. */
export function circuitKey(provider: string, model: string): string {
  return `${provider}#${model}`;
}

/**
 * Whether a failed call says something about the provider's health.
 *
 * Counted: throttled, unavailable, timeout (provider-side or our per-attempt
 * timeout), auth (every call with that key fails until it is rotated; probes
 * notice the fix), not_found (the model is gone or misconfigured), unknown,
 * and any non-provider error an adapter let through.
 * Not counted: bad_request, context_length, content_filtered (the request's
 * fault), invalid_output (a healthy provider whose model broke the
 * schema), and bare abort errors: the client left, or a soft/hard deadline
 * abandoned the call. A tenant's tight `max_latency_ms` must not open a
 * circuit everyone shares; hung providers are caught by the per-attempt
 * timeout, which callers report as a ProviderTimeoutError.
 */
export function countsAgainstCircuit(err: unknown): boolean {
  if (err === undefined) return true;
  if (err instanceof ProviderError) {
    return (
      err.kind !== 'bad_request' &&
      err.kind !== 'context_length' &&
      err.kind !== 'content_filtered' &&
      // A schema-violating answer: the provider answered, the model erred.
      err.kind !== 'invalid_output'
    );
  }
  return !isAbortError(err);
}

interface ResolvedOptions {
  readonly threshold: number;
  readonly bucketMs: number;
  readonly buckets: number;
  readonly minimumRequests: number;
  readonly cooldownMs: number;
  readonly maxProbes: number;
  readonly successesToClose: number;
  readonly probeTimeoutMs: number;
}

/**
 * Failure/success counts over the last `buckets` time buckets. Buckets are
 * addressed by absolute index (time / bucketMs), so elapsed buckets expire
 * by time alone, however long the circuit was idle. Typed arrays: no
 * allocation per call.
 */
class OutcomeWindow {
  /** Counts from the last {@link OutcomeWindow.count} call. */
  public failures = 0;
  public requests = 0;
  private readonly epochs: Float64Array;
  private readonly fails: Uint32Array;
  private readonly totals: Uint32Array;

  public constructor(
    private readonly bucketMs: number,
    private readonly size: number
  ) {
    this.epochs = new Float64Array(size).fill(-1);
    this.fails = new Uint32Array(size);
    this.totals = new Uint32Array(size);
  }

  public record(now: number, failed: boolean): void {
    const epoch = Math.floor(now / this.bucketMs);
    const slot = epoch % this.size;
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch;
      this.fails[slot] = 0;
      this.totals[slot] = 0;
    }
    this.totals[slot]!++;
    if (failed) this.fails[slot]!++;
  }

  public count(now: number): void {
    const oldest = Math.floor(now / this.bucketMs) - this.size;
    let failures = 0;
    let requests = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.epochs[i]! > oldest) {
        failures += this.fails[i]!;
        requests += this.totals[i]!;
      }
    }
    this.failures = failures;
    this.requests = requests;
  }

  public reset(): void {
    this.epochs.fill(-1);
  }
}

class Circuit {
  public state: CircuitState = 'closed';
  /** Bumped on every transition: outcomes of older attempts are dropped. */
  public generation = 0;
  public openedAt = 0;
  public nextProbeAt = 0;
  public probesInFlight = 0;
  public probeSuccesses = 0;
  public lastProbeAt = 0;
  public readonly window: OutcomeWindow;

  public constructor(
    public readonly key: string,
    private readonly opts: ResolvedOptions,
    public readonly now: () => number,
    private readonly emit: (change: CircuitStateChange) => void
  ) {
    this.window = new OutcomeWindow(opts.bucketMs, opts.buckets);
  }

  /** Applies the transitions that time alone causes. */
  public refresh(now: number): void {
    if (this.state === 'open') {
      if (now >= this.nextProbeAt) {
        this.probesInFlight = 0;
        this.probeSuccesses = 0;
        this.transition('half-open', now);
      }
    } else if (
      this.state === 'half-open' &&
      this.probesInFlight > 0 &&
      now - this.lastProbeAt >= this.opts.probeTimeoutMs
    ) {
      // Even the newest probe is stale: start a fresh half-open round.
      this.generation++;
      this.probesInFlight = 0;
      this.probeSuccesses = 0;
    }
  }

  public admits(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') return false;
    return this.probesInFlight < this.opts.maxProbes;
  }

  public begin(now: number): BreakerAttempt | undefined {
    this.refresh(now);
    if (!this.admits()) return undefined;
    const probe = this.state === 'half-open';
    if (probe) {
      this.probesInFlight++;
      this.lastProbeAt = now;
    }
    return new BreakerAttempt(this, probe, this.generation);
  }

  public settle(
    attempt: BreakerAttempt,
    outcome: 'success' | 'failure' | 'ignore'
  ): void {
    if (attempt.generation !== this.generation) return;
    const now = this.now();
    if (this.state === 'closed') {
      if (outcome === 'ignore') return;
      const failed = outcome === 'failure';
      this.window.record(now, failed);
      if (!failed) return;
      this.window.count(now);
      const { failures, requests } = this.window;
      if (
        requests >= this.opts.minimumRequests &&
        failures >= this.opts.threshold * requests
      ) {
        this.open(now);
      }
      return;
    }
    // Matching generation while not closed: a probe of this half-open round.
    this.probesInFlight--;
    if (outcome === 'success') {
      this.probeSuccesses++;
      if (this.probeSuccesses >= this.opts.successesToClose) {
        this.window.reset();
        this.transition('closed', now);
      }
    } else if (outcome === 'failure') {
      this.open(now);
    }
  }

  public retryAfterMs(now: number): number {
    return this.state === 'open' ? Math.max(0, this.nextProbeAt - now) : 0;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.nextProbeAt = now + this.opts.cooldownMs;
    this.probesInFlight = 0;
    this.transition('open', now);
  }

  private transition(to: CircuitState, now: number): void {
    const from = this.state;
    this.state = to;
    this.generation++;
    this.window.count(now);
    this.emit({
      key: this.key,
      from,
      to,
      at: now,
      failures: this.window.failures,
      requests: this.window.requests,
    });
  }
}

/**
 * One admitted call. Settle it once: `success()`, `failure(err)` or
 * `ignore()`; later calls are no-ops, so a stream can report success at its
 * first token and later errors change nothing.
 */
export class BreakerAttempt {
  private done = false;

  /** @internal created by {@link CircuitBreakerRegistry.begin}. */
  public constructor(
    private readonly circuit: Circuit,
    /** True when this call is a half-open probe. */
    public readonly probe: boolean,
    /** @internal */
    public readonly generation: number
  ) {}

  /** The `provider#model` key of the circuit. */
  public get key(): string {
    return this.circuit.key;
  }

  /** Whether an outcome was already reported. */
  public get settled(): boolean {
    return this.done;
  }

  /** The provider answered (non-stream) or sent its first token (stream). */
  public success(): void {
    this.settle('success');
  }

  /**
   * The call failed. Errors that say nothing about the provider
   * (see {@link countsAgainstCircuit}) are treated as {@link ignore}.
   */
  public failure(err?: unknown): void {
    this.settle(countsAgainstCircuit(err) ? 'failure' : 'ignore');
  }

  /** Releases the slot without counting (client gone, deadline abandoned). */
  public ignore(): void {
    this.settle('ignore');
  }

  private settle(outcome: 'success' | 'failure' | 'ignore'): void {
    if (this.done) return;
    this.done = true;
    this.circuit.settle(this, outcome);
  }
}

/**
 * Circuit breakers keyed by `provider#model`, created lazily on first use.
 *
 * Closed: every call is admitted; when at least `minimumRequests` outcomes
 * sit in the sliding window and the failure share reaches
 * `failureRateThreshold`, the circuit opens. Open: nothing is admitted for
 * `cooldownMs`. Half-open: up to `halfOpenMaxProbes` calls at a time; other
 * callers are refused as if open. `successesToClose` probe successes close
 * it (with an empty window); one probe failure re-opens it for a fresh
 * cooldown. Time-driven transitions happen lazily when a key is read.
 */
export class CircuitBreakerRegistry {
  private readonly circuits = new Map<string, Circuit>();
  private readonly listeners: CircuitStateListener[] = [];
  private readonly opts: ResolvedOptions;
  private readonly now: () => number;

  public constructor(options: CircuitBreakerOptions = {}) {
    const threshold = options.failureRateThreshold ?? 0.5;
    const windowMs = options.windowMs ?? 30_000;
    const buckets = options.windowBuckets ?? 10;
    const minimumRequests = options.minimumRequests ?? 10;
    const cooldownMs = options.cooldownMs ?? 15_000;
    const maxProbes = options.halfOpenMaxProbes ?? 1;
    const successesToClose = options.successesToClose ?? 1;
    const probeTimeoutMs = options.probeTimeoutMs ?? 60_000;
    const check = new OptionChecker();
    if (!(threshold > 0 && threshold <= 1)) {
      check.problems.push(
        `failureRateThreshold must be in (0, 1], got ${threshold}`
      );
    }
    check
      .range('windowMs', windowMs, 1)
      .integer('windowBuckets', buckets, 1)
      .integer('minimumRequests', minimumRequests, 1)
      .range('cooldownMs', cooldownMs, 0)
      .integer('halfOpenMaxProbes', maxProbes, 1)
      .integer('successesToClose', successesToClose, 1)
      .range('probeTimeoutMs', probeTimeoutMs, 1)
      .done();
    this.opts = {
      threshold,
      bucketMs: windowMs / buckets,
      buckets,
      minimumRequests,
      cooldownMs,
      maxProbes,
      successesToClose,
      probeTimeoutMs,
    };
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * True when a call to `key` would be refused now: open, or half-open with
   * every probe slot taken. Drop the candidate when it is.
   */
  public isOpen(key: string): boolean {
    const circuit = this.circuits.get(key);
    if (!circuit) return false;
    circuit.refresh(this.now());
    return !circuit.admits();
  }

  /** The current state of `key` (closed when never used). */
  public state(key: string): CircuitState {
    const circuit = this.circuits.get(key);
    if (!circuit) return 'closed';
    circuit.refresh(this.now());
    return circuit.state;
  }

  /**
   * Admits a call to `key`, or returns undefined when the circuit refuses
   * it. Check and admission are one step, so two requests can't both take
   * the last probe slot. Always settle the returned attempt.
   */
  public begin(key: string): BreakerAttempt | undefined {
    let circuit = this.circuits.get(key);
    if (!circuit) {
      circuit = new Circuit(key, this.opts, this.now, this.emit);
      this.circuits.set(key, circuit);
    }
    return circuit.begin(this.now());
  }

  /** Ms until `key` admits a probe again (0 when it admits now). */
  public retryAfterMs(key: string): number {
    const circuit = this.circuits.get(key);
    if (!circuit) return 0;
    const now = this.now();
    circuit.refresh(now);
    return circuit.retryAfterMs(now);
  }

  /** Every known circuit, for `/v1/stats` and metrics. */
  public snapshot(): Record<string, CircuitSnapshot> {
    const now = this.now();
    const out: Record<string, CircuitSnapshot> = {};
    for (const [key, circuit] of this.circuits) {
      circuit.refresh(now);
      circuit.window.count(now);
      const open = circuit.state !== 'closed';
      out[key] = {
        state: circuit.state,
        failures: circuit.window.failures,
        requests: circuit.window.requests,
        openedAt: open ? circuit.openedAt : undefined,
        nextProbeAt: circuit.state === 'open' ? circuit.nextProbeAt : undefined,
        probesInFlight:
          circuit.state === 'half-open' ? circuit.probesInFlight : 0,
      };
    }
    return out;
  }

  /** Subscribes to state transitions; returns the unsubscribe function. */
  public onStateChange(listener: CircuitStateListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Forgets `key` (or every circuit): an operator's manual reset. */
  public reset(key?: string): void {
    if (key === undefined) this.circuits.clear();
    else this.circuits.delete(key);
  }

  private readonly emit = (change: CircuitStateChange): void => {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A metrics/log hook must never break request handling.
      }
    }
  };
}
