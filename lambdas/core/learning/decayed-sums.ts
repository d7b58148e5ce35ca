/*
 * Exponentially decayed sums that only ever need addition, so that DynamoDB
 * `ADD` can keep them for a whole fleet (forward decay, Cormode et al.,
 * "Forward Decay: A Practical Time Decay Model for Streaming Systems",
 * ICDE 2009). An amount x observed at time t is stored as
 * x · 2^((t − L) / H) against a landmark L; its weight at `now` is that
 * stored value times 2^((L − now) / H) = x · 2^(−(now − t) / H). Sums of
 * stored values therefore decay exactly, and concurrent writers commute.
 *
 * The landmark is the start of an era of ERA_HALF_LIVES half-lives, so the
 * stored factors stay below 2^16 (no overflow, no precision loss). Readers
 * combine the current and the previous era; anything older weighs less than
 * 2^−16 and is dropped.
 */

/** Era length in half-lives. */
export const ERA_HALF_LIVES = 16;

/** The era containing time t for a half-life. */
export function eraOf(t: number, halfLifeMs: number): number {
  return Math.floor(t / (halfLifeMs * ERA_HALF_LIVES));
}

/** What the estimators read and write (memory or fleet-shared). */
export interface LearningSums {
  /** Adds an amount observed at time t to (key, attr). */
  add(key: string, attr: string, amount: number, t: number): void;
  /** Decayed sum of (key, attr) as seen at `now`. */
  value(key: string, attr: string, now: number): number;
  /** Keys with any stored value. */
  keys(): Iterable<string>;
  /** Attributes of a key with any stored value. */
  attrs(key: string): Iterable<string>;
  /** Bumped on every change, so readers can cache derived values. */
  readonly version: number;
}

/**
 * One (key, attribute): its scaled sums in the newest era seen and the one
 * before. Mutated in place so reads on the hot path allocate nothing.
 */
interface Cell {
  era: number;
  value: number;
  prevEra: number;
  prevValue: number;
}

/** Forward-decayed sums per (key, era, attribute), in memory. */
export class DecayedSums implements LearningSums {
  /** The half-life of every sum, ms. */
  public readonly halfLifeMs: number;
  private readonly eraMs: number;
  private readonly data = new Map<string, Map<string, Cell>>();
  private changes = 0;
  // Decay factors of the current and previous era, memoised per `now`
  // (a decision reads dozens of sums at the same instant).
  private memoNow = Number.NaN;
  private memoEra = 0;
  private memoFactor = 0;
  private memoPrevFactor = 0;

  public constructor(halfLifeMs: number) {
    if (!(Number.isFinite(halfLifeMs) && halfLifeMs > 0)) {
      throw new RangeError(`halfLifeMs must be > 0, got ${halfLifeMs}`);
    }
    this.halfLifeMs = halfLifeMs;
    this.eraMs = halfLifeMs * ERA_HALF_LIVES;
  }

  /** Bumped on every change. */
  public get version(): number {
    return this.changes;
  }

  /** Adds `amount` observed at time t; non-finite amounts are ignored. */
  public add(key: string, attr: string, amount: number, t: number): void {
    if (!Number.isFinite(amount) || amount === 0) return;
    const era = eraOf(t, this.halfLifeMs);
    const scaled = amount * 2 ** ((t - era * this.eraMs) / this.halfLifeMs);
    this.addScaled(key, era, attr, scaled);
  }

  /** Adds an already scaled value to an era (merging, or a fleet read). */
  public addScaled(
    key: string,
    era: number,
    attr: string,
    scaled: number
  ): void {
    if (!Number.isFinite(scaled)) return;
    let attrs = this.data.get(key);
    if (!attrs) {
      attrs = new Map();
      this.data.set(key, attrs);
    }
    const cell = attrs.get(attr);
    if (!cell) {
      attrs.set(attr, {
        era,
        value: scaled,
        prevEra: era - 1,
        prevValue: 0,
      });
    } else if (era === cell.era) {
      cell.value += scaled;
    } else if (era > cell.era) {
      // A new era: the old one becomes the previous (or drops out).
      cell.prevValue = era === cell.era + 1 ? cell.value : 0;
      cell.prevEra = era - 1;
      cell.era = era;
      cell.value = scaled;
    } else if (era === cell.prevEra) {
      cell.prevValue += scaled;
    }
    // Older than the previous era: it no longer counts.
    this.changes++;
  }

  /** Decayed sum at `now` over the current and the previous era. */
  public value(key: string, attr: string, now: number): number {
    const cell = this.data.get(key)?.get(attr);
    if (!cell) return 0;
    if (now !== this.memoNow) {
      const era = eraOf(now, this.halfLifeMs);
      this.memoNow = now;
      this.memoEra = era;
      this.memoFactor = 2 ** ((era * this.eraMs - now) / this.halfLifeMs);
      this.memoPrevFactor = this.memoFactor * 2 ** -ERA_HALF_LIVES;
    }
    return (
      this.weighted(cell.era, cell.value) +
      this.weighted(cell.prevEra, cell.prevValue)
    );
  }

  private weighted(era: number, value: number): number {
    if (value === 0) return 0;
    if (era === this.memoEra) return value * this.memoFactor;
    if (era === this.memoEra - 1) return value * this.memoPrevFactor;
    if (era < this.memoEra - 1) return 0;
    // A future era (clock skew between writers): weigh it exactly.
    return value * 2 ** ((era * this.eraMs - this.memoNow) / this.halfLifeMs);
  }

  /** Keys with stored values. */
  public keys(): Iterable<string> {
    return this.data.keys();
  }

  /** Attributes of a key. */
  public attrs(key: string): Iterable<string> {
    return this.data.get(key)?.keys() ?? [];
  }

  /** Every stored (key, era) with its scaled values, e.g. to flush as ADDs. */
  public *entries(): Generator<{
    key: string;
    era: number;
    values: ReadonlyMap<string, number>;
  }> {
    for (const [key, attrs] of this.data) {
      const byEra = new Map<number, Map<string, number>>();
      for (const [attr, cell] of attrs) {
        for (const [era, v] of [
          [cell.prevEra, cell.prevValue],
          [cell.era, cell.value],
        ] as const) {
          if (v === 0) continue;
          let values = byEra.get(era);
          if (!values) {
            values = new Map();
            byEra.set(era, values);
          }
          values.set(attr, v);
        }
      }
      for (const [era, values] of byEra) yield { key, era, values };
    }
  }

  /** Adds every value of another instance with the same half-life. */
  public merge(other: DecayedSums): void {
    for (const { key, era, values } of other.entries()) {
      for (const [attr, v] of values) this.addScaled(key, era, attr, v);
    }
  }

  /** Forgets one key, or everything. */
  public clear(key?: string): void {
    if (key === undefined) this.data.clear();
    else this.data.delete(key);
    this.changes++;
  }

  /** Whether nothing is stored. */
  public get empty(): boolean {
    return this.data.size === 0;
  }
}
