import { DecayedSums, type LearningSums } from './decayed-sums';

/** Deltas written to the shared store, kept until a read includes them. */
interface InFlight {
  readonly sums: DecayedSums;
  /**
   * Order of the write's completion (Infinity while it runs); a read
   * started after it includes it.
   */
  seq: number;
}

/**
 * The sums one router sees when the fleet shares its state: the fleet's as
 * of the last read, plus this router's own deltas not yet written, plus
 * those written but not yet part of a read. Reads never wait on the network,
 * and a router's own evidence counts immediately and exactly once.
 */
export class SharedSums implements LearningSums {
  private fleet: DecayedSums;
  private pending: DecayedSums;
  private inflight: InFlight[] = [];
  private changes = 0;
  private writes = 0;

  public constructor(public readonly halfLifeMs: number) {
    this.fleet = new DecayedSums(halfLifeMs);
    this.pending = new DecayedSums(halfLifeMs);
  }

  /** Bumped on every local change and every fleet read. */
  public get version(): number {
    return this.changes;
  }

  /** Records a local delta (written at the next flush). */
  public add(key: string, attr: string, amount: number, t: number): void {
    this.pending.add(key, attr, amount, t);
    this.changes++;
  }

  /** Fleet + pending + in-flight, decayed to `now`. */
  public value(key: string, attr: string, now: number): number {
    let v =
      this.fleet.value(key, attr, now) + this.pending.value(key, attr, now);
    for (const f of this.inflight) v += f.sums.value(key, attr, now);
    return v;
  }

  /** Keys known from any layer. */
  public keys(): Iterable<string> {
    const out = new Set<string>(this.fleet.keys());
    for (const k of this.pending.keys()) out.add(k);
    for (const f of this.inflight) for (const k of f.sums.keys()) out.add(k);
    return out;
  }

  /** Attributes of a key in any layer. */
  public attrs(key: string): Iterable<string> {
    const out = new Set<string>(this.fleet.attrs(key));
    for (const a of this.pending.attrs(key)) out.add(a);
    for (const f of this.inflight)
      for (const a of f.sums.attrs(key)) out.add(a);
    return out;
  }

  /**
   * Takes the pending deltas for a write. They stay visible (in flight)
   * while the write runs; call `written` when it is over.
   */
  public takePending(): DecayedSums {
    const taken = this.pending;
    this.pending = new DecayedSums(this.halfLifeMs);
    if (!taken.empty) this.inflight.push({ sums: taken, seq: Infinity });
    return taken;
  }

  /**
   * Marks a write taken by takePending as completed; the `failed` part
   * goes back to pending, to be written next time.
   */
  public written(sums: DecayedSums, failed?: DecayedSums): void {
    this.writes++;
    const entry = this.inflight.find((f) => f.sums === sums);
    if (entry) entry.seq = this.writes;
    if (!failed || failed.empty) return;
    for (const { key, era, values } of failed.entries()) {
      for (const [attr, v] of values) sums.addScaled(key, era, attr, -v);
    }
    this.pending.merge(failed);
    this.changes++;
  }

  /** Call when a fleet read starts; pass the result to replaceFleet. */
  public readStarted(): number {
    return this.writes;
  }

  /**
   * Replaces the fleet layer with a read (`started` from readStarted);
   * in-flight deltas whose write completed before it are part of it and
   * are dropped.
   */
  public replaceFleet(fleet: DecayedSums, started: number): void {
    this.fleet = fleet;
    this.inflight = this.inflight.filter((f) => f.seq > started);
    this.changes++;
  }

  /** Forgets one key (or everything) in every layer, e.g. after a reset. */
  public clear(key?: string): void {
    this.fleet.clear(key);
    this.pending.clear(key);
    for (const f of this.inflight) f.sums.clear(key);
    this.changes++;
  }
}
