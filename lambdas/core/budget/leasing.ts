import type { LeaseSettings } from './config';
import { maxCommittedBefore } from './levels';
import type {
  BudgetLedger,
  BudgetLevel,
  BudgetRefusal,
  LevelBalance,
  Reservation,
  ReserveRequest,
  ReserveResult,
} from './types';
import { toNanos } from './types';

/**
 * The shared items a leasing ledger takes slices from. Every method is ONE
 * conditional write (a transaction of the level item and this container's
 * lease record on AWS), so the hot item sees a write per slice, not per request.
 */
export interface SliceStore {
  /**
   * Moves `want` from the level's room into this container's lease, only if
   * the level's `committed` stays within `maxCommitted` (cap and shutdown
   * line). Returns the granted amount (0 or `want`) and, when refused, the
   * level's committed amount as found (to size a smaller retry).
   */
  acquire(
    level: BudgetLevel,
    want: number,
    maxCommitted: number,
    lease: { readonly holder: string; readonly releaseAt: number }
  ): Promise<{ granted: number; committed?: number }>;
  /** Hands a slice back: `consumed` becomes spent, `unused` frees room. */
  giveBack(
    level: BudgetLevel,
    consumed: number,
    unused: number,
    holder: string
  ): Promise<void>;
  /** Balances as the shared items hold them (leases count as reserved). */
  read(levels: readonly BudgetLevel[]): Promise<LevelBalance[]>;
  /** Settles leases of crashed holders (their slices count as spent); returns how many. */
  sweep(tenant: string, now: number): Promise<number>;
}

/** Options of a LeasingBudgetLedger. */
export interface LeasingLedgerOptions {
  readonly store: SliceStore;
  readonly settings: LeaseSettings;
  /** This container's id (lease records are per holder). */
  readonly holder: string;
  /** For reports (`list`), which read the shared items. */
  readonly reports?: Pick<BudgetLedger, 'list'>;
  readonly now?: () => number;
  /** How long a refusal's view of the shared item stands in for new writes, ms. @default 1000 */
  readonly refusalMemoryMs?: number;
  /** How often a level's shared balance is re-read for headers/alerts, ms. @default 1000 */
  readonly balanceMaxAgeMs?: number;
}

/** How long a released reservation still accepts a late settle, ms. */
const LATE_SETTLE_MS = 3_600_000;

interface Slice {
  level: BudgetLevel;
  /** Taken from the shared item and not yet given back. */
  granted: number;
  /** Held by local reservations. */
  reserved: number;
  /** Settled locally, not yet given back. */
  spent: number;
  lastUsed: number;
  releaseAt: number;
  /** Room the shared item had at the last refusal, and until when to trust it. */
  knownRoom?: number;
  knownRoomUntil: number;
  /** The top-up in flight, if any. */
  pending?: Promise<void>;
}

interface LocalReservation {
  readonly reservation: Reservation;
  state: 'open' | 'settled' | 'released';
}

/**
 * A budget ledger that serves reservations from slices of the shared
 * budget leased in bulk (README "Budgets at scale"). Zero overspend holds
 * because every nano a request may spend was first moved out of the shared
 * item by a conditional write that kept `committed ≤ cap`; local
 * reservations only ever draw on what this container holds. Unused slice
 * goes back after `idleSeconds` without use and at `ttlSeconds`; a crashed
 * container's lease is swept as spent (it may have been).
 */
export class LeasingBudgetLedger implements BudgetLedger {
  private readonly slices = new Map<string, Slice>();
  private readonly open = new Map<string, LocalReservation>();
  private readonly cache = new Map<string, { at: number; b: LevelBalance }>();
  private readonly now: () => number;

  public constructor(private readonly options: LeasingLedgerOptions) {
    this.now = options.now ?? Date.now;
  }

  public async reserve(request: ReserveRequest): Promise<ReserveResult> {
    await this.maintain();
    const amount = request.amountNanos;
    const free = (level: BudgetLevel): number => {
      const slice = this.slice(level);
      return slice.granted - slice.reserved - slice.spent;
    };
    for (let round = 0; ; round++) {
      for (const level of request.levels) {
        for (;;) {
          if (free(level) >= amount) break;
          const slice = this.slice(level);
          // One top-up per slice at a time; the others wait and re-check.
          if (slice.pending) {
            await slice.pending;
            continue;
          }
          const topUp = this.topUp(
            slice,
            amount - free(level),
            request.shutdownPct,
            free(level)
          );
          slice.pending = topUp.then(() => undefined);
          const refusal = await topUp.finally(() => {
            slice.pending = undefined;
          });
          if (refusal) return { ok: false, refusal };
        }
      }
      // Awaits above let other requests draw on the slices: check all again, synchronously.
      if (request.levels.every((l) => free(l) >= amount)) break;
      if (round >= 10)
        return {
          ok: false,
          refusal: refusalFor(
            request.levels.find((l) => free(l) < amount)!,
            undefined,
            request.shutdownPct,
            undefined
          ),
        };
    }
    const now = this.now();
    for (const level of request.levels) {
      const slice = this.slice(level);
      slice.reserved += amount;
      slice.lastUsed = now;
    }
    const reservation: Reservation = {
      id: request.id,
      tenant: request.tenant,
      levels: request.levels,
      amountNanos: amount,
      releaseAt: request.releaseAt,
    };
    if (request.levels.length > 0)
      this.open.set(request.id, { reservation, state: 'open' });
    return { ok: true, reservation, balances: this.cached(request.levels) };
  }

  public async settle(r: Reservation, costNanos: number): Promise<void> {
    const rec = this.open.get(r.id);
    if (!rec || rec.state === 'settled') return;
    for (const level of r.levels) {
      const slice = this.slice(level);
      if (rec.state === 'open') slice.reserved -= r.amountNanos;
      slice.spent += costNanos;
    }
    rec.state = 'settled';
    this.open.delete(r.id);
    await this.maintain();
  }

  public async release(r: Reservation): Promise<void> {
    const rec = this.open.get(r.id);
    if (rec?.state !== 'open') return;
    for (const level of r.levels) this.slice(level).reserved -= r.amountNanos;
    // Kept a while: a late settle must still count its spend.
    rec.state = 'released';
  }

  public async sweep(tenant: string, now: number): Promise<number> {
    return this.options.store.sweep(tenant, now);
  }

  public async balances(
    levels: readonly BudgetLevel[]
  ): Promise<LevelBalance[]> {
    const maxAge = this.options.balanceMaxAgeMs ?? 1000;
    const now = this.now();
    const stale = levels.filter((l) => {
      const c = this.cache.get(key(l));
      return !c || now - c.at > maxAge;
    });
    if (stale.length > 0) {
      for (const b of await this.options.store.read(stale))
        this.cache.set(key(b.level), { at: now, b });
    }
    return this.cached(levels) ?? [];
  }

  public async list(tenant?: string): Promise<LevelBalance[]> {
    return this.options.reports ? this.options.reports.list(tenant) : [];
  }

  /** Gives every slice back (container shutdown, tests, the simulation's end). */
  public async drain(): Promise<void> {
    for (const slice of this.slices.values()) await this.giveBack(slice, true);
  }

  /** Slices given back so far, and acquisitions (for the simulation). */
  public readonly stats = { acquisitions: 0, refusals: 0, givebacks: 0 };

  /** Gives back idle or expiring slices (called on the request path, no timers). */
  public async maintain(): Promise<void> {
    const now = this.now();
    // A request that hung past its releaseAt gives its hold back (as the sweep does per request).
    for (const [id, rec] of [...this.open]) {
      const at = rec.reservation.releaseAt;
      if (rec.state === 'open' && at <= now)
        await this.release(rec.reservation);
      else if (rec.state !== 'open' && at + LATE_SETTLE_MS <= now)
        this.open.delete(id);
    }
    const idleMs = this.options.settings.idleSeconds * 1000;
    for (const slice of this.slices.values()) {
      if (slice.granted === 0) continue;
      if (now - slice.lastUsed >= idleMs || now >= slice.releaseAt)
        await this.giveBack(slice, false);
    }
  }

  private async giveBack(slice: Slice, all: boolean): Promise<void> {
    // Held reservations keep their part; the rest (spent and free) goes back.
    const keep = all ? 0 : slice.reserved;
    const unused = slice.granted - slice.spent - slice.reserved;
    if (slice.spent === 0 && unused <= 0) return;
    const consumed = slice.spent;
    slice.granted = keep;
    slice.spent = 0;
    if (all) slice.reserved = 0;
    this.stats.givebacks++;
    await this.options.store.giveBack(
      slice.level,
      consumed,
      all ? unused + slice.reserved : unused,
      this.options.holder
    );
  }

  private async topUp(
    slice: Slice,
    needed: number,
    shutdownPct: number,
    free: number
  ): Promise<BudgetRefusal | undefined> {
    const s = this.options.settings;
    const level = slice.level;
    // The item was found exhausted a moment ago: refuse locally, no write
    // (at the edge every refused request would otherwise hit the hot item).
    if (
      slice.knownRoom !== undefined &&
      this.now() < slice.knownRoomUntil &&
      needed > slice.knownRoom
    ) {
      this.stats.refusals++;
      return refusalFor(level, undefined, shutdownPct, slice.knownRoom + free);
    }
    let want = Math.max(
      needed,
      Math.min(toNanos(s.maxSliceUsd), Math.floor(level.capNanos * s.fraction))
    );
    const lease = {
      holder: this.options.holder,
      releaseAt: this.now() + s.ttlSeconds * 1000,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const max = maxCommittedBefore(level.capNanos, want, shutdownPct);
      if (max >= 0) {
        const got = await this.options.store.acquire(level, want, max, lease);
        if (got.granted > 0) {
          this.stats.acquisitions++;
          slice.granted += got.granted;
          if (slice.granted === got.granted) slice.releaseAt = lease.releaseAt;
          return undefined;
        }
        if (got.committed !== undefined) {
          // Near the edge: ask for a share of what is left, never less than needed.
          const room =
            Math.min(
              level.capNanos,
              maxCommittedBefore(level.capNanos, 0, shutdownPct)
            ) - got.committed;
          slice.knownRoom = room;
          slice.knownRoomUntil =
            this.now() + (this.options.refusalMemoryMs ?? 1000);
          if (room < needed) {
            this.stats.refusals++;
            return refusalFor(level, got.committed, shutdownPct, room + free);
          }
          want = Math.max(needed, Math.floor(room * s.fraction));
          continue;
        }
      }
      want = needed;
    }
    this.stats.refusals++;
    return refusalFor(level, undefined, shutdownPct, undefined);
  }

  private slice(level: BudgetLevel): Slice {
    const k = key(level);
    let slice = this.slices.get(k);
    if (!slice) {
      slice = {
        level,
        granted: 0,
        reserved: 0,
        spent: 0,
        lastUsed: this.now(),
        releaseAt: 0,
        knownRoomUntil: 0,
      };
      this.slices.set(k, slice);
    }
    return slice;
  }

  private cached(levels: readonly BudgetLevel[]): LevelBalance[] | undefined {
    const out: LevelBalance[] = [];
    for (const l of levels) {
      const c = this.cache.get(key(l));
      if (!c) return undefined;
      out.push(c.b);
    }
    return out;
  }
}

function refusalFor(
  level: BudgetLevel,
  committed: number | undefined,
  shutdownPct: number,
  room: number | undefined
): BudgetRefusal {
  const shut =
    committed !== undefined &&
    maxCommittedBefore(level.capNanos, 0, shutdownPct) < committed;
  return {
    level,
    reason: shut ? 'shutdown' : 'cap',
    ...(room === undefined ? {} : { roomNanos: shut ? -1 : room }),
  };
}

function key(level: BudgetLevel): string {
  return `${level.pk}|${level.sk}`;
}
