import type {
  CounterAdd,
  CounterResult,
  LimitCounterStore,
} from '../../limits/types';

/**
 * Counters in one process's memory, with the DynamoDB store's semantics:
 * a conditional add that would pass the limit changes nothing, and a window
 * is forgotten after its expiry. Shared by every router app of the process.
 */
export class MemoryLimitCounters implements LimitCounterStore {
  private readonly counters = new Map<
    string,
    { value: number; expiresAt: number }
  >();
  private adds = 0;

  public constructor(private readonly now: () => number = Date.now) {}

  public async tryAdd(add: CounterAdd): Promise<CounterResult> {
    const current = this.current(add.key);
    if (current + add.amount > add.limit) return { ok: false, value: current };
    const value = current + add.amount;
    this.counters.set(add.key, { value, expiresAt: add.expiresAt });
    this.sweep();
    return { ok: true, value };
  }

  public async add(
    key: string,
    amount: number,
    expiresAt: number
  ): Promise<void> {
    this.counters.set(key, {
      value: this.current(key) + amount,
      expiresAt,
    });
  }

  /** The live value of a counter (0 when absent or expired). */
  public current(key: string): number {
    const c = this.counters.get(key);
    if (!c) return 0;
    if (c.expiresAt * 1000 <= this.now()) {
      this.counters.delete(key);
      return 0;
    }
    return c.value;
  }

  /** Drops expired windows now and then, so memory stays bounded. */
  private sweep(): void {
    if (++this.adds % 1024 !== 0) return;
    const t = this.now();
    for (const [k, c] of this.counters)
      if (c.expiresAt * 1000 <= t) this.counters.delete(k);
  }
}
