/**
 * Retry decisions: which errors are worth another attempt, how long to
 * wait, and a budget so an outage can't turn into a retry storm.
 *
 * Policy (kept simple on purpose):
 * 1. Nothing is retried once the first token reached the client.
 * 2. Only retryable errors (ProviderError.retryable; connection resets and
 *    timeouts) lead anywhere.
 * 3. Another candidate exists -> fail over to it at once (no backoff: it is
 *    a different upstream, and the failing one is the likely problem).
 * 4. No candidate left -> retry the same one only for transient kinds
 *    (throttled, unavailable, timeout), at most `maxRetriesPerCandidate`
 *    times, after full-jitter backoff (at least the upstream's Retry-After),
 *    if that wait fits before the hard deadline and the retry budget has a
 *    token.
 * Failovers don't spend the budget: each goes to a different upstream and
 * is bounded by the candidate list and the circuit breakers; the budget
 * caps the extra load that same-candidate retries put on one upstream.
 */
import { isAbortError, ProviderError } from '../providers/errors';
import { OptionChecker } from './errors';

/** Random source in [0, 1). */
export type Rng = () => number;

/** Tuning of a {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /** Tokens each first attempt deposits: the allowed extra-load share. @default 0.1 */
  readonly ratio?: number;
  /** Most tokens the budget can hold (the largest retry burst). @default 10 */
  readonly maxTokens?: number;
  /** Tokens at start. @default maxTokens */
  readonly initialTokens?: number;
}

// Milli-tokens: 0.1 added ten times must make exactly one token.
const SCALE = 1000;

/**
 * Token bucket for retries: each first attempt deposits `ratio` tokens (up
 * to `maxTokens`), each retry withdraws one. Over a long run retries stay
 * below `ratio` x first attempts + `maxTokens`.
 */
export class RetryBudget {
  private milli: number;
  private readonly depositMilli: number;
  private readonly capMilli: number;

  public constructor(options: RetryBudgetOptions = {}) {
    const ratio = options.ratio ?? 0.1;
    const maxTokens = options.maxTokens ?? 10;
    const initial = options.initialTokens ?? maxTokens;
    new OptionChecker()
      .range('ratio', ratio, 0, 1)
      .range('maxTokens', maxTokens, 1)
      .range('initialTokens', initial, 0, maxTokens)
      .done();
    this.depositMilli = Math.round(ratio * SCALE);
    this.capMilli = Math.round(maxTokens * SCALE);
    this.milli = Math.round(initial * SCALE);
  }

  /** Tokens available now (may be fractional). */
  public get tokens(): number {
    return this.milli / SCALE;
  }

  /** Call once per client request (its first attempt). */
  public recordRequest(): void {
    this.milli = Math.min(this.capMilli, this.milli + this.depositMilli);
  }

  /** Whether a retry may be spent now. */
  public canRetry(): boolean {
    return this.milli >= SCALE;
  }

  /** Spends one retry token; false when the budget is empty. */
  public tryConsume(): boolean {
    if (this.milli < SCALE) return false;
    this.milli -= SCALE;
    return true;
  }
}

/** Backoff tuning. */
export interface BackoffOptions {
  /** Backoff ceiling of the first retry, ms. @default 100 */
  readonly baseMs?: number;
  /** Largest jittered backoff, ms. @default 2_000 */
  readonly maxMs?: number;
  /**
   * Longest upstream `Retry-After` we wait for on the same candidate, ms;
   * above it we fail over or give up instead. @default 5_000
   */
  readonly maxRetryAfterMs?: number;
}

const DEFAULT_BASE_MS = 100;
const DEFAULT_MAX_MS = 2_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 5_000;

/**
 * Full-jitter exponential backoff: `rng() * min(maxMs, baseMs * 2^attempt)`,
 * floored to whole ms. `attempt` counts retries already made (0 = first).
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  rng: Rng = Math.random
): number {
  const base = options.baseMs ?? DEFAULT_BASE_MS;
  const max = options.maxMs ?? DEFAULT_MAX_MS;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.floor(rng() * ceiling);
}

/**
 * The wait before retrying the same candidate: the jittered backoff, but at
 * least the upstream's `retryAfterMs`. Undefined when the upstream asks for
 * longer than `maxRetryAfterMs`: don't wait, fail over instead.
 */
export function retryDelayMs(
  err: unknown,
  attempt: number,
  options: BackoffOptions = {},
  rng: Rng = Math.random
): number | undefined {
  const jitter = backoffDelayMs(attempt, options, rng);
  const retryAfter = retryAfterOf(err);
  if (retryAfter === undefined) return jitter;
  if (retryAfter > (options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS)) {
    return undefined;
  }
  return Math.max(retryAfter, jitter);
}

/** The upstream's `Retry-After` in ms, when the error carries one. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof ProviderError ? err.retryAfterMs : undefined;
}

// Socket-level failures Node and undici report; all are worth another try.
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function errorCode(err: unknown): string | undefined {
  // fetch wraps the socket error: TypeError('fetch failed', { cause }).
  for (let e = err, depth = 0; depth < 3; depth++) {
    if (typeof e !== 'object' || e === null) return undefined;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether another attempt (on any candidate) may succeed: a ProviderError's
 * `retryable` flag; a socket reset/refusal/timeout; a `TimeoutError`. A bare
 * `AbortError` is not: the client left or we abandoned the call on purpose.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ProviderError) return err.retryable;
  if (isAbortError(err)) {
    return (err as { name?: unknown }).name === 'TimeoutError';
  }
  const code = errorCode(err);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/**
 * Whether retrying the *same* candidate may succeed: transient failures
 * only. auth and not_found are retryable on another candidate, but the same
 * key or model id would fail the same way again.
 */
export function isRetryableOnSameCandidate(err: unknown): boolean {
  if (err instanceof ProviderError) {
    return (
      err.kind === 'throttled' ||
      err.kind === 'unavailable' ||
      err.kind === 'timeout'
    );
  }
  return isRetryable(err);
}

/** What to do after a failed attempt. */
export type NextStep =
  | { readonly action: 'retry-same'; readonly delayMs: number }
  | { readonly action: 'failover' }
  | {
      readonly action: 'give-up';
      readonly reason: GiveUpReason;
      /** The upstream's Retry-After, to pass on to the client. */
      readonly retryAfterMs?: number;
    };

/** Why {@link planNextStep} gave up, for logs and metrics. */
export type GiveUpReason =
  | 'after-first-token'
  | 'not-retryable'
  | 'deadline'
  | 'no-candidates'
  | 'retries-exhausted'
  | 'retry-after-too-long'
  | 'budget';

/** What {@link planNextStep} needs to know about the request. */
export interface NextStepContext {
  /** Retries already made on the current candidate (0 after its first try). */
  readonly retriesOnCandidate: number;
  /** Same-candidate retries allowed. @default 1 */
  readonly maxRetriesPerCandidate?: number;
  /** Whether an untried, admissible candidate is left. */
  readonly hasNextCandidate: boolean;
  /** Ms left before the hard deadline (`Deadline.remaining()`). */
  readonly remainingMs: number;
  /** An attempt needs at least this long to be worth starting, ms. @default 100 */
  readonly minAttemptMs?: number;
  /** Content already reached the client. @default false */
  readonly firstTokenSent?: boolean;
  /** Shared retry budget; a retry-same decision spends one token. */
  readonly budget?: RetryBudget;
  readonly backoff?: BackoffOptions;
  readonly rng?: Rng;
}

const FAILOVER: NextStep = { action: 'failover' };

function giveUp(reason: GiveUpReason, err: unknown): NextStep {
  return { action: 'give-up', reason, retryAfterMs: retryAfterOf(err) };
}

/**
 * Decides the next step after a failed attempt (see the policy at the top
 * of this file). A `retry-same` decision has already spent a budget token;
 * the caller waits `delayMs` (abortably) and calls the same candidate.
 */
export function planNextStep(err: unknown, ctx: NextStepContext): NextStep {
  if (ctx.firstTokenSent) return giveUp('after-first-token', err);
  if (!isRetryable(err)) return giveUp('not-retryable', err);
  const minAttemptMs = ctx.minAttemptMs ?? 100;
  if (ctx.remainingMs < minAttemptMs) return giveUp('deadline', err);
  if (ctx.hasNextCandidate) return FAILOVER;
  if (!isRetryableOnSameCandidate(err)) return giveUp('no-candidates', err);
  if (ctx.retriesOnCandidate >= (ctx.maxRetriesPerCandidate ?? 1)) {
    return giveUp('retries-exhausted', err);
  }
  const delayMs = retryDelayMs(
    err,
    ctx.retriesOnCandidate,
    ctx.backoff,
    ctx.rng
  );
  if (delayMs === undefined) return giveUp('retry-after-too-long', err);
  if (delayMs + minAttemptMs > ctx.remainingMs) return giveUp('deadline', err);
  if (ctx.budget && !ctx.budget.tryConsume()) return giveUp('budget', err);
  return { action: 'retry-same', delayMs };
}
