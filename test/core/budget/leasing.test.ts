import { randomUUID } from 'node:crypto';
import { simulateBudget } from '../../../bench/budget-sim';
import { DynamoBudgetLedger } from '../../../lambdas/core/adapters/aws/dynamo-budget-ledger';
import { DynamoSliceStore } from '../../../lambdas/core/adapters/aws/dynamo-slice-store';
import { MemorySliceStore } from '../../../lambdas/core/adapters/local/memory-slice-store';
import { DEFAULT_BUDGET_SETTINGS } from '../../../lambdas/core/budget/config';
import {
  LeasingBudgetLedger,
  type SliceStore,
} from '../../../lambdas/core/budget/leasing';
import { budgetLevels } from '../../../lambdas/core/budget/levels';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();
const USD = 1_000_000_000;
const NOW = Date.UTC(2026, 11, 3, 12);

describe('Simulation: budgets at scale', () => {
  it('leasing cuts the hot item to a small fraction of the writes with zero overspend and no leak', async () => {
    const r = await simulateBudget({
      rps: 1000,
      containers: 10,
      seconds: 3,
      capUsd: 12,
    });
    for (const mode of [r.per_request, r.leasing]) {
      expect(mode.overspend_usd).toBe(0);
      expect(mode.leaked_usd).toBe(0);
      expect(mode.refused).toBeGreaterThan(0);
      expect(mode.cap_used).toBeGreaterThan(0.95);
    }
    expect(r.leasing.hottest_item_writes_per_s_max).toBeLessThan(
      r.per_request.hottest_item_writes_per_s_max / 10
    );
  });
});

type Shared = {
  store: SliceStore;
  read: (
    l: ReturnType<typeof budgetLevels>
  ) => Promise<{ spentNanos: number; reservedNanos: number }[]>;
};

const stores: [string, () => Promise<Shared>][] = [
  [
    'MemorySliceStore',
    async () => {
      const store = new MemorySliceStore({ crashGraceMs: 1000 });
      return { store, read: (l) => store.read(l) };
    },
  ],
  [
    'DynamoSliceStore (DynamoDB Local)',
    async () => {
      const tableName = await ddb.createTable('leases');
      const client = ddb.documentClient();
      const ledger = new DynamoBudgetLedger({ tableName, client });
      return {
        store: new DynamoSliceStore({ tableName, client, crashGraceMs: 1000 }),
        read: (l) => ledger.balances(l),
      };
    },
  ],
];

describe.each(stores)('LeasingBudgetLedger over %s', (_name, make) => {
  it('5 containers x 100 concurrent requests at the edge: spend at or under the cap, every slice returned', async () => {
    const shared = await make();
    const t = {
      id: `lease-${randomUUID().slice(0, 6)}`,
      keyHashes: [],
      budgets: { dailyUsd: 1 },
      limits: {},
    };
    const levels = budgetLevels(t, undefined, NOW);
    const ledgers = Array.from(
      { length: 5 },
      (_, i) =>
        new LeasingBudgetLedger({
          store: shared.store,
          holder: `c${i}`,
          settings: {
            ...DEFAULT_BUDGET_SETTINGS.lease,
            enabled: true,
            fraction: 0.1,
          },
          now: () => NOW,
        })
    );
    let served = 0;
    await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const ledger = ledgers[i % 5]!;
        const r = await ledger.reserve({
          id: `r${i}`,
          tenant: t.id,
          levels,
          amountNanos: 0.004 * USD,
          shutdownPct: 100,
          releaseAt: NOW + 600_000,
        });
        if (!r.ok) return;
        served++;
        if (i % 10 === 0) await ledger.release(r.reservation);
        else await ledger.settle(r.reservation, 0.003 * USD);
      })
    );
    for (const l of ledgers) await l.drain();
    const [b] = await shared.read(levels);
    expect(b!.spentNanos).toBeLessThanOrEqual(USD);
    expect(b!.reservedNanos).toBe(0);
    expect(served).toBeGreaterThan(200);
    expect(b!.spentNanos).toBeGreaterThan(0.6 * USD);
  }, 60_000);

  it('a hung request’s local hold is released at its releaseAt; the slice then goes back when idle', async () => {
    const shared = await make();
    const t = {
      id: `hung-${randomUUID().slice(0, 6)}`,
      keyHashes: [],
      budgets: { dailyUsd: 1 },
      limits: {},
    };
    const levels = budgetLevels(t, undefined, NOW);
    let now = NOW;
    const ledger = new LeasingBudgetLedger({
      store: shared.store,
      holder: 'live',
      settings: {
        ...DEFAULT_BUDGET_SETTINGS.lease,
        enabled: true,
        fraction: 0.1,
        idleSeconds: 10,
      },
      now: () => now,
    });
    const hung = await ledger.reserve({
      id: 'hung',
      tenant: t.id,
      levels,
      amountNanos: 0.05 * USD,
      shutdownPct: 100,
      releaseAt: NOW + 5_000,
    });
    expect(hung.ok).toBe(true);
    // 6 s later: the hold is released; 20 s later the idle slice is back
    now = NOW + 6_000;
    await ledger.maintain();
    now = NOW + 20_000;
    await ledger.maintain();
    const [b] = await shared.read(levels);
    expect(b).toMatchObject({ spentNanos: 0, reservedNanos: 0 });
    // a settle arriving after all is still counted, once
    if (hung.ok) {
      await ledger.settle(hung.reservation, 0.01 * USD);
      await ledger.settle(hung.reservation, 0.01 * USD);
    }
    await ledger.drain();
    const [after] = await shared.read(levels);
    expect(after).toMatchObject({ spentNanos: 0.01 * USD, reservedNanos: 0 });
  });

  it('a crashed container’s slice is swept as spent after its lease ends, once', async () => {
    const shared = await make();
    const t = {
      id: `crash-${randomUUID().slice(0, 6)}`,
      keyHashes: [],
      budgets: { dailyUsd: 1 },
      limits: {},
    };
    const levels = budgetLevels(t, undefined, NOW);
    let now = NOW;
    const doomed = new LeasingBudgetLedger({
      store: shared.store,
      holder: 'doomed',
      settings: {
        ...DEFAULT_BUDGET_SETTINGS.lease,
        enabled: true,
        fraction: 0.25,
        ttlSeconds: 10,
      },
      now: () => now,
    });
    const r = await doomed.reserve({
      id: 'x',
      tenant: t.id,
      levels,
      amountNanos: 0.01 * USD,
      shutdownPct: 100,
      releaseAt: NOW + 600_000,
    });
    expect(r.ok).toBe(true);
    let [b] = await shared.read(levels);
    expect(b!.reservedNanos).toBe(0.25 * USD);
    // the container dies; nothing is returned until the lease (10 s) + grace (1 s) pass
    expect(await shared.store.sweep(t.id, NOW + 5_000)).toBe(0);
    now = NOW + 12_000;
    expect(await shared.store.sweep(t.id, now)).toBe(1);
    expect(await shared.store.sweep(t.id, now)).toBe(0);
    [b] = await shared.read(levels);
    expect(b).toMatchObject({ spentNanos: 0.25 * USD, reservedNanos: 0 });
  });
});
