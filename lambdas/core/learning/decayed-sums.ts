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

type Eras = Map<number, Map<string, number>>;

/** Forward-decayed sums per (key, era, attribute), in memory. */
export class DecayedSums implements LearningSums {
  /** The half-life of every sum, ms. */
  public readonly halfLifeMs: number;
  private readonly eraMs: number;
  private readonly data = new Map<string, Eras>();
  private changes = 0;

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
    if (!Number.isFinite(scaled) || scaled === 0) return;
    let eras = this.data.get(key);
    if (!eras) {
      eras = new Map();
      this.data.set(key, eras);
    }
    let attrs = eras.get(era);
    if (!attrs) {
      attrs = new Map();
      eras.set(era, attrs);
      // Eras two behind the newest no longer count: drop them.
      for (const e of eras.keys()) if (e < era - 1) eras.delete(e);
    }
    attrs.set(attr, (attrs.get(attr) ?? 0) + scaled);
    this.changes++;
  }

  /** Decayed sum at `now` over the current and the previous era. */
  public value(key: string, attr: string, now: number): number {
    const eras = this.data.get(key);
    if (!eras) return 0;
    const current = eraOf(now, this.halfLifeMs);
    let sum = 0;
    for (const [era, attrs] of eras) {
      if (era < current - 1) continue;
      const v = attrs.get(attr);
      if (v !== undefined) {
        sum += v * 2 ** ((era * this.eraMs - now) / this.halfLifeMs);
      }
    }
    return sum;
  }

  /** Keys with stored values. */
  public keys(): Iterable<string> {
    return this.data.keys();
  }

  /** Attributes of a key across its eras. */
  public attrs(key: string): Iterable<string> {
    const out = new Set<string>();
    for (const attrs of this.data.get(key)?.values() ?? []) {
      for (const a of attrs.keys()) out.add(a);
    }
    return out;
  }

  /** Every stored (key, era, attr, scaled value), e.g. to flush as ADDs. */
  public *entries(): Generator<{
    key: string;
    era: number;
    values: ReadonlyMap<string, number>;
  }> {
    for (const [key, eras] of this.data) {
      for (const [era, values] of eras) yield { key, era, values };
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
