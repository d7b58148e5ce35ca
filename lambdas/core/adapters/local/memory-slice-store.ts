import type { SliceStore } from '../../budget/leasing';
import type { BudgetLevel, LevelBalance } from '../../budget/types';

interface SharedItem {
  level: BudgetLevel;
  spent: number;
  leased: number;
}

interface LeaseRecord {
  level: BudgetLevel;
  outstanding: number;
  releaseAt: number;
}

/**
 * Shared budget items in memory with DynamoDB's conditional-write semantics
 * (a write either holds its condition or changes nothing). Stands in for
 * the usage table in tests and in the at-scale simulation, which counts the
 * writes each item receives through `onWrite`.
 */
export class MemorySliceStore implements SliceStore {
  private readonly items = new Map<string, SharedItem>();
  private readonly leases = new Map<string, LeaseRecord>();

  public constructor(
    private readonly options: {
      /** Called once per write attempt on a level item (failed conditions count: they cost capacity). */
      readonly onWrite?: (itemKey: string) => void;
      /** Grace after a lease's releaseAt before a sweep treats its holder as crashed, ms. */
      readonly crashGraceMs?: number;
    } = {}
  ) {}

  public async acquire(
    level: BudgetLevel,
    want: number,
    maxCommitted: number,
    lease: { holder: string; releaseAt: number }
  ): Promise<{ granted: number; committed?: number }> {
    const item = this.item(level);
    this.options.onWrite?.(key(level));
    const committed = item.spent + item.leased;
    if (committed > maxCommitted) return { granted: 0, committed };
    item.leased += want;
    const rec = this.lease(level, lease.holder);
    rec.outstanding += want;
    rec.releaseAt = Math.max(rec.releaseAt, lease.releaseAt);
    return { granted: want };
  }

  public async giveBack(
    level: BudgetLevel,
    consumed: number,
    unused: number,
    holder: string
  ): Promise<void> {
    const rec = this.lease(level, holder);
    const total = consumed + unused;
    // Swept meanwhile (holder thought dead): the sweep already counted it.
    if (rec.outstanding < total) return;
    this.options.onWrite?.(key(level));
    rec.outstanding -= total;
    const item = this.item(level);
    item.leased -= total;
    item.spent += consumed;
  }

  public async read(levels: readonly BudgetLevel[]): Promise<LevelBalance[]> {
    return levels.map((level) => {
      const item = this.items.get(key(level));
      return {
        level,
        spentNanos: item?.spent ?? 0,
        reservedNanos: item?.leased ?? 0,
      };
    });
  }

  public async sweep(tenant: string, now: number): Promise<number> {
    let n = 0;
    const grace = this.options.crashGraceMs ?? 60_000;
    for (const rec of this.leases.values()) {
      if (rec.level.tenant !== tenant || rec.outstanding === 0) continue;
      if (rec.releaseAt + grace > now) continue;
      // Conservative: what a crashed holder may have served counts as spent.
      const item = this.item(rec.level);
      this.options.onWrite?.(key(rec.level));
      item.leased -= rec.outstanding;
      item.spent += rec.outstanding;
      rec.outstanding = 0;
      n++;
    }
    return n;
  }

  /** Spent and leased of every item (the simulation's overspend check). */
  public snapshot(): { level: BudgetLevel; spent: number; leased: number }[] {
    return [...this.items.values()].map((i) => ({ ...i }));
  }

  private item(level: BudgetLevel): SharedItem {
    const k = key(level);
    let item = this.items.get(k);
    if (!item) {
      item = { level, spent: 0, leased: 0 };
      this.items.set(k, item);
    }
    return item;
  }

  private lease(level: BudgetLevel, holder: string): LeaseRecord {
    const k = `${key(level)}|${holder}`;
    let rec = this.leases.get(k);
    if (!rec) {
      rec = { level, outstanding: 0, releaseAt: 0 };
      this.leases.set(k, rec);
    }
    return rec;
  }
}

function key(level: BudgetLevel): string {
  return `${level.pk}|${level.sk}`;
}
