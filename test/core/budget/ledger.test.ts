import { randomUUID } from 'node:crypto';
import { DynamoBudgetLedger } from '../../../lambdas/core/adapters/aws/dynamo-budget-ledger';
import { MemoryBudgetLedger } from '../../../lambdas/core/adapters/local/memory-budget-ledger';
import { budgetLevels } from '../../../lambdas/core/budget/levels';
import type {
  BudgetLedger,
  BudgetLevel,
  ReserveRequest,
} from '../../../lambdas/core/budget/types';
import type { ResolvedTenant } from '../../../lambdas/core/config/load';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';

const ddb = useDynamoDbLocal();

/** 2026-12-03T12:00:00Z */
const NOW = Date.UTC(2026, 11, 3, 12);
const USD = 1_000_000_000;

let tenantSeq = 0;
function tenant(extra: Partial<ResolvedTenant> = {}): ResolvedTenant {
  tenantSeq++;
  return {
    id: `t${tenantSeq}-${randomUUID().slice(0, 6)}`,
    keyHashes: [],
    budgets: { dailyUsd: 1 },
    limits: {},
    ...extra,
  };
}

function req(
  levels: readonly BudgetLevel[],
  amountNanos: number,
  extra: Partial<ReserveRequest> = {}
): ReserveRequest {
  return {
    id: randomUUID(),
    tenant: levels[0]!.tenant,
    levels,
    amountNanos,
    shutdownPct: 100,
    releaseAt: NOW + 600_000,
    ...extra,
  };
}

const ledgers: [string, () => Promise<BudgetLedger>][] = [
  ['MemoryBudgetLedger', async () => new MemoryBudgetLedger()],
  [
    'DynamoBudgetLedger (DynamoDB Local)',
    async () =>
      new DynamoBudgetLedger({
        tableName: await ddb.createTable('usage'),
        client: ddb.documentClient(),
        // DynamoDB Local serialises less gracefully than the service under
        // 1,000 concurrent transactions on one item: retry conflicts longer.
        maxConflictRetries: 40,
      }),
  ],
];

describe.each(ledgers)('BudgetLedger contract: %s', (_name, make) => {
  let ledger: BudgetLedger;
  beforeAll(async () => {
    ledger = await make();
  });

  it('1,000 concurrent requests at the edge settle at or under the cap and leak no reservation', async () => {
    // GIVEN a $1/day tenant and 1,000 requests of $0.004 worst case each (4x the cap)
    const t = tenant({ budgets: { dailyUsd: 1 } });
    const levels = budgetLevels(t, undefined, NOW);
    const amount = 4_000_000;
    let served = 0;
    let refused = 0;
    // WHEN they all reserve at once; each served one settles 40-100% of its worst case, 1 in 10 fails and releases
    await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const r = await ledger.reserve(req(levels, amount));
        if (!r.ok) {
          refused++;
          expect(r.refusal.level.scope).toBe('tenant');
          return;
        }
        served++;
        await new Promise((res) => setTimeout(res, i % 7));
        if (i % 10 === 0) await ledger.release(r.reservation);
        else
          await ledger.settle(
            r.reservation,
            Math.floor(amount * (0.4 + ((i * 37) % 61) / 100))
          );
      })
    );
    // THEN zero overspend, nothing left reserved, and the edge was really hit
    const [b] = await ledger.balances(levels);
    expect(b!.spentNanos).toBeLessThanOrEqual(1 * USD);
    expect(b!.reservedNanos).toBe(0);
    expect(refused).toBeGreaterThan(0);
    expect(served).toBeGreaterThanOrEqual(250);
    expect(b!.spentNanos).toBeGreaterThan(0.5 * USD);
  }, 120_000);

  it('refuses at the first level that would pass its cap and holds nothing anywhere', async () => {
    // GIVEN user (0.10/day) in team (0.50/day) under tenant (1.00/day)
    const t = tenant({
      budgets: { dailyUsd: 1 },
      teams: { eng: { budgets: { dailyUsd: 0.5 }, limits: {} } },
      users: { alice: { team: 'eng', budgets: { dailyUsd: 0.1 }, limits: {} } },
      userDefaults: { budgets: { dailyUsd: 0.3 }, limits: {} },
    });
    const alice = budgetLevels(t, 'alice', NOW);
    expect(alice.map((l) => l.scope)).toEqual(['tenant', 'team', 'user']);
    // WHEN alice reserves 0.08 then 0.05
    const first = await ledger.reserve(req(alice, 0.08 * USD));
    const second = await ledger.reserve(req(alice, 0.05 * USD));
    // THEN the second is refused by her user budget, with the room left
    expect(first.ok).toBe(true);
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.refusal.level.scope).toBe('user');
    expect(second.refusal.reason).toBe('cap');
    expect(second.refusal.roomNanos).toBe(0.02 * USD);
    // AND tenant/team hold only the first reservation
    const b = await ledger.balances(alice);
    expect(b.map((x) => x.reservedNanos)).toEqual([
      0.08 * USD,
      0.08 * USD,
      0.08 * USD,
    ]);
    // WHEN an unknown user (userDefaults 0.30, no team) spends, the team is untouched
    const bob = budgetLevels(t, 'bob', NOW);
    expect(bob.map((l) => l.scope)).toEqual(['tenant', 'user']);
    const r = await ledger.reserve(req(bob, 0.25 * USD));
    expect(r.ok).toBe(true);
    // AND the team level refuses once team members together pass 0.5
    const carol = budgetLevels(
      {
        ...t,
        users: { ...t.users, carol: { team: 'eng', budgets: {}, limits: {} } },
      },
      'carol',
      NOW
    );
    // carol: user cap from userDefaults (0.30)
    const c1 = await ledger.reserve(req(carol, 0.3 * USD));
    expect(c1.ok).toBe(true);
    const c2 = await ledger.reserve(req(carol, 0.2 * USD));
    expect(c2.ok).toBe(false);
    if (!c2.ok) expect(['team', 'user']).toContain(c2.refusal.level.scope);
    // tenant: 0.08 + 0.25 + 0.30 = 0.63; team 0.38 held
    const [tb, teamB] = await ledger.balances(carol);
    expect(tb!.reservedNanos).toBe(0.63 * USD);
    expect(teamB!.reservedNanos).toBe(0.38 * USD);
  });

  it('keeps day and month apart: the month cap refuses while the day has room, and a new day starts empty', async () => {
    const t = tenant({ budgets: { dailyUsd: 1, monthlyUsd: 1.5 } });
    const day1 = budgetLevels(t, undefined, NOW);
    expect(day1.map((l) => l.sk)).toEqual(['day#2026-12-03', 'month#2026-12']);
    expect(day1[0]!.resetsAt).toBe(Date.UTC(2026, 11, 4));
    expect(day1[1]!.resetsAt).toBe(Date.UTC(2027, 0, 1));
    const a = await ledger.reserve(req(day1, 0.9 * USD));
    expect(a.ok).toBe(true);
    if (a.ok) await ledger.settle(a.reservation, 0.9 * USD);
    const day2 = budgetLevels(t, undefined, NOW + 86_400_000);
    // Day 2 has a fresh $1 but the month only $0.60 left.
    const b = await ledger.reserve(req(day2, 0.7 * USD));
    expect(b.ok).toBe(false);
    if (!b.ok) {
      expect(b.refusal.level.period).toBe('month');
      expect(b.refusal.roomNanos).toBe(0.6 * USD);
    }
    const c = await ledger.reserve(req(day2, 0.6 * USD));
    expect(c.ok).toBe(true);
    const [d2, m] = await ledger.balances(day2);
    expect(d2!.reservedNanos).toBe(0.6 * USD);
    expect(m!.spentNanos).toBe(0.9 * USD);
  });

  it('refuses new requests at the shutdown threshold', async () => {
    const t = tenant({ budgets: { dailyUsd: 1 } });
    const levels = budgetLevels(t, undefined, NOW);
    const a = await ledger.reserve(
      req(levels, 0.95 * USD, { shutdownPct: 95 })
    );
    expect(a.ok).toBe(true);
    // 95% committed: even a small request stops
    const b = await ledger.reserve(req(levels, 1000, { shutdownPct: 95 }));
    expect(b.ok).toBe(false);
    if (!b.ok) {
      expect(b.refusal.reason).toBe('shutdown');
      expect(b.refusal.roomNanos).toBeLessThan(0);
    }
  });

  it('releases a crashed reservation after it expires, once; a late settle still counts the spend', async () => {
    const t = tenant({ budgets: { dailyUsd: 1 } });
    const levels = budgetLevels(t, undefined, NOW);
    const crashed = await ledger.reserve(
      req(levels, 0.5 * USD, { releaseAt: NOW + 1000 })
    );
    const live = await ledger.reserve(
      req(levels, 0.2 * USD, { releaseAt: NOW + 600_000 })
    );
    expect(crashed.ok && live.ok).toBe(true);
    if (!crashed.ok || !live.ok) return;
    // not yet expired
    expect(await ledger.sweep(t.id, NOW)).toBe(0);
    // expired: released once, the live one kept
    expect(await ledger.sweep(t.id, NOW + 2000)).toBe(1);
    expect(await ledger.sweep(t.id, NOW + 3000)).toBe(0);
    let [b] = await ledger.balances(levels);
    expect(b!.reservedNanos).toBe(0.2 * USD);
    // a release after the sweep is a no-op; a late settle adds the real cost only
    await ledger.release(crashed.reservation);
    await ledger.settle(crashed.reservation, 0.1 * USD);
    await ledger.settle(crashed.reservation, 0.1 * USD);
    [b] = await ledger.balances(levels);
    expect(b!.reservedNanos).toBe(0.2 * USD);
    expect(b!.spentNanos).toBe(0.1 * USD);
    // settle then release of the live one: idempotent
    await ledger.settle(live.reservation, 0.15 * USD);
    await ledger.release(live.reservation);
    await ledger.settle(live.reservation, 0.15 * USD);
    [b] = await ledger.balances(levels);
    expect(b).toMatchObject({ spentNanos: 0.25 * USD, reservedNanos: 0 });
    // reports list the level
    const listed = await ledger.list(t.id);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      spentNanos: 0.25 * USD,
      level: { scope: 'tenant', period: 'day', capNanos: USD },
    });
  });

  it('a request with no capped level always fits and writes nothing', async () => {
    const t = tenant({ budgets: {} });
    const r = await ledger.reserve({
      id: randomUUID(),
      tenant: t.id,
      levels: [],
      amountNanos: 10 * USD,
      shutdownPct: 95,
      releaseAt: NOW + 1000,
    });
    expect(r.ok).toBe(true);
    expect(await ledger.list(t.id)).toEqual([]);
  });
});
