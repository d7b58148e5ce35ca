/**
 * Request deadlines and per-attempt abort signals.
 *
 * Soft deadline (from `max_latency_ms` or the tier's SLA): before the first
 * token it abandons the current attempt so the next candidate gets the time
 * left; after the first token it no longer applies. Hard deadline: the
 * request ends (504). The per-attempt timeout bounds one provider's time to
 * answer (non-stream) or to its first token (stream); after the first token
 * an idle timeout replaces it.
 */

/** Why an attempt's signal aborted. */
export type AbortCode =
  /** The client went away (the parent signal aborted). */
  | 'client'
  /** The soft deadline passed before the first token. */
  | 'soft'
  /** The hard deadline passed. */
  | 'hard'
  /** The provider didn't answer / send its first token in time. */
  | 'attempt-timeout'
  /** The stream went silent for longer than the idle timeout. */
  | 'idle';

/** A request's soft and hard deadlines on one clock. */
export class Deadline {
  /** Clock time the request started, ms. */
  public readonly startedAt: number;
  /** Clock time of the soft deadline, ms (never after `hardAt`). */
  public readonly softAt: number;
  /** Clock time of the hard deadline, ms. */
  public readonly hardAt: number;

  /**
   * @param now clock, ms
   * @param softMs soft budget from now; undefined = same as the hard one
   * @param hardMs hard budget from now
   */
  public constructor(
    public readonly now: () => number,
    softMs: number | undefined,
    hardMs: number
  ) {
    this.startedAt = now();
    this.hardAt = this.startedAt + Math.max(0, hardMs);
    this.softAt = Math.min(
      this.hardAt,
      this.startedAt + Math.max(0, softMs ?? hardMs)
    );
  }

  /** Ms left before the hard deadline (0 when passed). */
  public remaining(): number {
    return Math.max(0, this.hardAt - this.now());
  }

  /** Ms left before the soft deadline (0 when passed). */
  public remainingSoft(): number {
    return Math.max(0, this.softAt - this.now());
  }

  /** Whether the soft deadline has passed. */
  public softExpired(): boolean {
    return this.now() >= this.softAt;
  }

  /** Whether the hard deadline has passed. */
  public hardExpired(): boolean {
    return this.now() >= this.hardAt;
  }
}

/** What an attempt listens to for the client going away. */
export interface ClientSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: { handleEvent(): void }): void;
  removeEventListener(type: 'abort', listener: { handleEvent(): void }): void;
}

/** Options of {@link attemptSignal}. */
export interface AttemptSignalOptions {
  /**
   * Whether the soft deadline may abandon this attempt. Pass false when no
   * other candidate is left: abandoning it would only turn a slow answer
   * into none. A soft deadline already passed never applies.
   * @default true
   */
  readonly soft?: boolean;
}

/** An abort signal scoped to one provider attempt. */
export interface AttemptSignal {
  /** Pass to the adapter; aborts on the first of client/soft/hard/timeout. */
  readonly signal: AbortSignal;
  /** Why the signal aborted; undefined while live or when only disposed. */
  reason(): AbortCode | undefined;
  /**
   * The first token arrived: the soft deadline and the attempt timeout stop
   * applying; with `idleMs`, silences longer than that abort ('idle').
   */
  firstToken(idleMs?: number): void;
  /** Stream activity: restarts the idle timeout. Cheap enough per chunk. */
  touch(): void;
  /**
   * Stops every timer and listener and aborts the signal if still live.
   * With `settled`, the adapter is known to be done with the signal (a whole
   * answer was read, nothing holds a socket): it is left unaborted, sparing
   * an abort event nobody listens to.
   */
  dispose(settled?: boolean): void;
}

type Phase = 'waiting' | 'streaming' | 'done';

// setTimeout turns longer delays into 1 ms (with a warning).
const MAX_TIMER_MS = 2_147_483_647;

// Shared: a fresh DOMException per dispose costs more than the whole attempt
// bookkeeping (its stack capture); nobody inspects this reason.
const DISPOSED = new DOMException('attempt finished', 'AbortError');

function fireTimer(scope: AttemptScope): void {
  scope.onTimer();
}

class AttemptScope implements AttemptSignal {
  public readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private code: AbortCode | undefined;
  private phase: Phase = 'waiting';
  private softActive: boolean;
  private readonly attemptAt: number;
  private idleMs = 0;
  private lastActivity = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  public constructor(
    private readonly parent: ClientSignal,
    private readonly deadline: Deadline,
    perAttemptTimeoutMs: number,
    options: AttemptSignalOptions
  ) {
    this.signal = this.controller.signal;
    const now = deadline.now();
    this.attemptAt = now + Math.max(0, perAttemptTimeoutMs);
    this.softActive = options.soft !== false && now < deadline.softAt;
    if (parent.aborted) {
      this.abort('client');
      return;
    }
    // The scope is its own listener (handleEvent): no closure per attempt.
    parent.addEventListener('abort', this);
    this.check();
  }

  /** The parent (client) signal aborted. */
  public handleEvent(): void {
    this.abort('client');
  }

  /** The timer fired: abort if a boundary passed, else re-arm. */
  public onTimer(): void {
    this.timer = undefined;
    this.check();
  }

  public reason(): AbortCode | undefined {
    return this.code;
  }

  public firstToken(idleMs?: number): void {
    if (this.phase !== 'waiting') return;
    this.phase = 'streaming';
    this.softActive = false;
    this.idleMs = idleMs ?? 0;
    this.lastActivity = this.deadline.now();
    this.clearTimer();
    this.check();
  }

  public touch(): void {
    // No timer churn per chunk: the idle timer re-checks when it fires.
    if (this.idleMs > 0) this.lastActivity = this.deadline.now();
  }

  public dispose(settled = false): void {
    if (this.phase === 'done') return;
    this.release();
    // Releases any socket the adapter still holds.
    if (!settled && !this.controller.signal.aborted)
      this.controller.abort(DISPOSED);
  }

  /** Aborts if a boundary has passed, else arms the timer for the next one. */
  private check(): void {
    if (this.phase === 'done') return;
    const now = this.deadline.now();
    const code = this.passed(now);
    if (code) {
      this.abort(code);
      return;
    }
    let next = this.deadline.hardAt;
    if (this.softActive) next = Math.min(next, this.deadline.softAt);
    if (this.phase === 'waiting') next = Math.min(next, this.attemptAt);
    else if (this.idleMs > 0) {
      next = Math.min(next, this.lastActivity + this.idleMs);
    }
    this.timer = setTimeout(
      fireTimer,
      Math.min(next - now, MAX_TIMER_MS),
      this
    );
    this.timer.unref?.();
  }

  /** The boundary already passed, most decisive first (hard -> 504). */
  private passed(now: number): AbortCode | undefined {
    if (now >= this.deadline.hardAt) return 'hard';
    if (this.softActive && now >= this.deadline.softAt) return 'soft';
    if (this.phase === 'waiting') {
      return now >= this.attemptAt ? 'attempt-timeout' : undefined;
    }
    if (this.idleMs > 0 && now >= this.lastActivity + this.idleMs) {
      return 'idle';
    }
    return undefined;
  }

  private abort(code: AbortCode): void {
    if (this.phase === 'done') return;
    this.code = code;
    this.release();
    this.controller.abort(
      code === 'client'
        ? this.parent.reason
        : new DOMException(`attempt aborted: ${code}`, 'TimeoutError')
    );
  }

  private release(): void {
    this.phase = 'done';
    this.clearTimer();
    this.parent.removeEventListener('abort', this);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

/**
 * A signal for one attempt that aborts on whichever comes first: the client
 * (parent), the soft deadline (unless passed already or `soft: false`), the
 * hard deadline, or `perAttemptTimeoutMs` from now. One timer at a time;
 * `dispose()` (call it in `finally`) releases the timer and the listener on
 * the parent, so nothing accumulates across attempts.
 */
export function attemptSignal(
  parent: ClientSignal,
  deadline: Deadline,
  perAttemptTimeoutMs: number,
  options: AttemptSignalOptions = {}
): AttemptSignal {
  return new AttemptScope(parent, deadline, perAttemptTimeoutMs, options);
}
