import type { LatencyTracker } from '../../ports';

/** Options of the in-memory latency tracker. */
export interface MemoryLatencyTrackerOptions {
  /** EWMA smoothing, 0 < alpha <= 1; higher reacts faster. @default 0.2 */
  readonly alpha?: number;
}

interface Ewma {
  value: number;
  count: number;
}

/**
 * Observed latency per model as an EWMA. The first observation initialises
 * the average, so a model's prior `expectedLatencyMs` stops mattering as soon
 * as real traffic arrives.
 */
export class MemoryLatencyTracker implements LatencyTracker {
  private readonly alpha: number;
  private readonly models = new Map<string, Ewma>();

  public constructor(options: MemoryLatencyTrackerOptions = {}) {
    const alpha = options.alpha ?? 0.2;
    if (!(alpha > 0 && alpha <= 1)) {
      throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
    }
    this.alpha = alpha;
  }

  /** Records one latency; negative or non-finite values are ignored (clock skew, bad input). */
  public observe(modelId: string, latencyMs: number): void {
    if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) return;
    const entry = this.models.get(modelId);
    if (!entry) {
      this.models.set(modelId, { value: latencyMs, count: 1 });
      return;
    }
    entry.value += this.alpha * (latencyMs - entry.value);
    entry.count += 1;
  }

  /** EWMA of observed latency, undefined before the first observation. */
  public estimate(modelId: string): number | undefined {
    return this.models.get(modelId)?.value;
  }

  /** Observations recorded so far. */
  public count(modelId: string): number {
    return this.models.get(modelId)?.count ?? 0;
  }
}
