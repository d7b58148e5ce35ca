/**
 * Budgets at scale, simulated in virtual time: one tenant at `rps` requests
 * per second spread over `containers` router containers, each request
 * reserving its worst case, then settling 30-100% of it (2% fail and
 * release). No DynamoDB: the shared item is modelled with DynamoDB's
 * conditional-write semantics (MemoryBudgetLedger for the per-request path,
 * MemorySliceStore for leasing), and every write attempt on the tenant's
 * budget item is counted (failed conditions too: they cost capacity).
 * Run alone: `npx tsx bench/budget-sim.ts`.
 */
import { MemoryBudgetLedger } from '../lambdas/core/adapters/local/memory-budget-ledger';
import { MemorySliceStore } from '../lambdas/core/adapters/local/memory-slice-store';
import { DEFAULT_BUDGET_SETTINGS } from '../lambdas/core/budget/config';
import { LeasingBudgetLedger } from '../lambdas/core/budget/leasing';
import { budgetLevels } from '../lambdas/core/budget/levels';
import {
  type BudgetLedger,
  type Reservation,
  toNanos,
  toUsd,
} from '../lambdas/core/budget/types';
import { seededRng } from '../lambdas/core/routing/bandit';

/** Options of the simulation. */
export interface BudgetSimOptions {
  readonly rps?: number;
  readonly containers?: number;
  readonly seconds?: number;
  /** The tenant's daily cap, USD (small enough to be hit mid-run). */
  readonly capUsd?: number;
  readonly worstCaseUsd?: number;
  /** Mean provider latency, ms (uniform 0.5x-1.5x). */
  readonly latencyMs?: number;
  readonly seed?: number;
}

/** Figures of one mode. */
export interface BudgetSimFigures {
  /** Most write attempts the tenant's budget item saw in one second. */
  readonly hottest_item_writes_per_s_max: number;
  /** Mean writes per second on that item over the run. */
  readonly hottest_item_writes_per_s_mean: number;
  readonly served: number;
  readonly refused: number;
  readonly spent_usd: number;
  /** Spent beyond the cap (must be 0). */
  readonly overspend_usd: number;
  /** Spent / cap at the end. */
  readonly cap_used: number;
  /** Still reserved or leased after every request ended (must be 0). */
  readonly leaked_usd: number;
}

/** Both modes side by side. */
export interface BudgetSimResult {
  readonly rps: number;
  readonly containers: number;
  readonly seconds: number;
  readonly cap_usd: number;
  readonly per_request: BudgetSimFigures;
  readonly leasing: BudgetSimFigures;
  readonly dynamodb_item_write_limit_per_s: number;
}

const DAY = Date.UTC(2026, 11, 3);

interface Pending {
  readonly ledger: BudgetLedger;
  readonly reservation: Reservation;
  readonly fail: boolean;
  readonly cost: number;
}

/** Runs both modes and returns their figures. */
export async function simulateBudget(
  options: BudgetSimOptions = {}
): Promise<BudgetSimResult> {
  const rps = options.rps ?? 5000;
  const containers = options.containers ?? 50;
  const seconds = options.seconds ?? 10;
  const capUsd = options.capUsd ?? 200;
  const run = async (leasing: boolean): Promise<BudgetSimFigures> => {
    const rng = seededRng(options.seed ?? 7);
    let t = DAY;
    const now = (): number => t;
    const writes = new Map<number, number>();
    const hot = (): void => {
      const s = Math.floor((t - DAY) / 1000);
      writes.set(s, (writes.get(s) ?? 0) + 1);
    };
    const tenant = {
      id: 'hot',
      keyHashes: [],
      budgets: { dailyUsd: capUsd },
      limits: {},
    };
    const levels = budgetLevels(tenant, undefined, DAY);
    const store = new MemorySliceStore({ onWrite: hot });
    const shared = new MemoryBudgetLedger();
    const ledgers: BudgetLedger[] = Array.from(
      { length: containers },
      (_, i) =>
        leasing
          ? new LeasingBudgetLedger({
              store,
              holder: `c${i}`,
              settings: {
                ...DEFAULT_BUDGET_SETTINGS.lease,
                enabled: true,
                idleSeconds: 2,
              },
              now,
            })
          : shared
    );
    const worst = toNanos(options.worstCaseUsd ?? 0.01);
    const latency = options.latencyMs ?? 800;
    const due = new Map<number, Pending[]>();
    let served = 0;
    let refused = 0;
    const endMs = seconds * 1000;
    const gapMs = 1000 / rps;
    let next = 0;
    let n = 0;
    for (let ms = 0; ms <= endMs + 2 * latency; ms++) {
      t = DAY + ms;
      for (const p of due.get(ms) ?? []) {
        if (!leasing) hot();
        if (p.fail) await p.ledger.release(p.reservation);
        else await p.ledger.settle(p.reservation, p.cost);
      }
      due.delete(ms);
      while (ms < endMs && next <= ms) {
        const ledger = ledgers[n % containers]!;
        n++;
        next += gapMs;
        if (!leasing) hot();
        const r = await ledger.reserve({
          id: `r${n}`,
          tenant: 'hot',
          levels,
          amountNanos: worst,
          shutdownPct: 100,
          releaseAt: t + 600_000,
        });
        if (!r.ok) {
          refused++;
          continue;
        }
        served++;
        const at = ms + Math.round(latency * (0.5 + rng()));
        const list = due.get(at) ?? [];
        list.push({
          ledger,
          reservation: r.reservation,
          fail: rng() < 0.02,
          cost: Math.floor(worst * (0.3 + 0.7 * rng())),
        });
        due.set(at, list);
      }
    }
    let spent: number;
    let left: number;
    if (leasing) {
      for (const l of ledgers) await (l as LeasingBudgetLedger).drain();
      const [item] = store.snapshot();
      spent = item?.spent ?? 0;
      left = item?.leased ?? 0;
    } else {
      const [b] = await shared.balances(levels);
      spent = b!.spentNanos;
      left = b!.reservedNanos;
    }
    if (process.env.BUDGET_SIM_TRACE)
      process.stdout.write(
        `${leasing ? 'leasing' : 'per-request'} writes/s: ${[...writes.entries()].map(([s2, w]) => `${s2}:${w}`).join(' ')}\n`
      );
    const perSecond = [...writes.entries()]
      .filter(([s]) => s < seconds)
      .map(([, w]) => w);
    const cap = toNanos(capUsd);
    return {
      hottest_item_writes_per_s_max: Math.max(...perSecond),
      hottest_item_writes_per_s_mean: Math.round(
        perSecond.reduce((a, b) => a + b, 0) / seconds
      ),
      served,
      refused,
      spent_usd: round(toUsd(spent)),
      overspend_usd: round(toUsd(Math.max(0, spent - cap))),
      cap_used: round(spent / cap),
      leaked_usd: round(toUsd(left)),
    };
  };
  return {
    rps,
    containers,
    seconds,
    cap_usd: capUsd,
    per_request: await run(false),
    leasing: await run(true),
    dynamodb_item_write_limit_per_s: 1000,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

if (require.main === module) {
  simulateBudget().then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    }
  );
}
