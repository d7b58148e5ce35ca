import { maxCommittedBefore, refusalAt } from '../../budget/levels';
import type {
  BudgetLedger,
  BudgetLevel,
  LevelBalance,
  Reservation,
  ReserveRequest,
  ReserveResult,
} from '../../budget/types';

/** How long settled/released records are kept to make settle/release idempotent. */
const RECORD_RETENTION_MS = 86_400_000;

interface Item {
  level: BudgetLevel;
  spent: number;
  reserved: number;
}

/**
 * The budget ledger in process memory, with the DynamoDB ledger's semantics:
 * a reservation checks and holds every level in one step (no await between
 * check and write, so concurrent requests on one event loop can't interleave),
 * settle and release are idempotent per reservation id, and expired
 * reservations are released by sweep. One process only: locally that is the
 * whole gateway.
 */
export class MemoryBudgetLedger implements BudgetLedger {
  private readonly items = new Map<string, Item>();
  /** Reservation records by id; settled/released ones are kept a day (idempotency). */
  private readonly records = new Map<
    string,
    { reservation: Reservation; state: 'open' | 'settled' | 'released' }
  >();

  public async reserve(request: ReserveRequest): Promise<ReserveResult> {
    for (const level of request.levels) {
      const item = this.items.get(key(level));
      const committed = item ? item.spent + item.reserved : 0;
      const max = maxCommittedBefore(
        level.capNanos,
        request.amountNanos,
        request.shutdownPct
      );
      if (committed > max)
        return {
          ok: false,
          refusal: refusalAt(
            level,
            committed,
            request.amountNanos,
            request.shutdownPct
          ),
        };
    }
    const balances: LevelBalance[] = [];
    for (const level of request.levels) {
      const item = this.item(level);
      item.reserved += request.amountNanos;
      balances.push(balanceOf(item, level));
    }
    const reservation: Reservation = {
      id: request.id,
      tenant: request.tenant,
      levels: request.levels,
      amountNanos: request.amountNanos,
      releaseAt: request.releaseAt,
    };
    if (request.levels.length > 0)
      this.records.set(request.id, { reservation, state: 'open' });
    return { ok: true, reservation, balances };
  }

  public async settle(
    reservation: Reservation,
    costNanos: number
  ): Promise<void> {
    const rec = this.records.get(reservation.id);
    if (!rec || rec.state === 'settled') return;
    for (const level of rec.reservation.levels) {
      const item = this.item(level);
      if (rec.state === 'open') item.reserved -= rec.reservation.amountNanos;
      // Spent even when a sweep already released the hold: the money is gone.
      item.spent += costNanos;
    }
    rec.state = 'settled';
  }

  public async release(reservation: Reservation): Promise<void> {
    const rec = this.records.get(reservation.id);
    if (rec?.state !== 'open') return;
    for (const level of rec.reservation.levels)
      this.item(level).reserved -= rec.reservation.amountNanos;
    rec.state = 'released';
  }

  public async sweep(tenant: string, now: number): Promise<number> {
    let n = 0;
    for (const [id, rec] of [...this.records]) {
      const r = rec.reservation;
      if (r.releaseAt + RECORD_RETENTION_MS < now) this.records.delete(id);
      if (r.tenant !== tenant || r.releaseAt > now || rec.state !== 'open')
        continue;
      await this.release(r);
      n++;
    }
    return n;
  }

  public async balances(
    levels: readonly BudgetLevel[]
  ): Promise<LevelBalance[]> {
    return levels.map((level) => {
      const item = this.items.get(key(level));
      return item
        ? balanceOf(item, level)
        : { level, spentNanos: 0, reservedNanos: 0 };
    });
  }

  public async list(tenant?: string): Promise<LevelBalance[]> {
    return [...this.items.values()]
      .filter((i) => tenant === undefined || i.level.tenant === tenant)
      .map((i) => balanceOf(i, i.level));
  }

  private item(level: BudgetLevel): Item {
    const k = key(level);
    let item = this.items.get(k);
    if (!item) {
      item = { level, spent: 0, reserved: 0 };
      this.items.set(k, item);
    }
    // The newest cap wins (config reloads change caps mid-period).
    item.level = level;
    return item;
  }
}

function key(level: BudgetLevel): string {
  return `${level.pk}|${level.sk}`;
}

function balanceOf(item: Item, level: BudgetLevel): LevelBalance {
  return { level, spentNanos: item.spent, reservedNanos: item.reserved };
}
