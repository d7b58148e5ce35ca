/**
 * What the budget adds before the first token: one reservation (reserve),
 * measured on the memory ledger (in process) and on the DynamoDB ledger
 * against DynamoDB Local (one TransactWriteItems over loopback), for one
 * level (tenant/day) and three (user, team, tenant). Settle runs after the
 * answer and is reported apart. Run alone: `npx tsx bench/budget-latency.ts`.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoBudgetLedger } from '../lambdas/core/adapters/aws/dynamo-budget-ledger';
import { MemoryBudgetLedger } from '../lambdas/core/adapters/local/memory-budget-ledger';
import { budgetLevels } from '../lambdas/core/budget/levels';
import type { BudgetLedger } from '../lambdas/core/budget/types';
import type { ResolvedTenant } from '../lambdas/core/config/load';
import {
  createGatewayTable,
  LOCAL_AWS,
  startDynamoDbLocal,
} from '../test/helpers/dynamodb-local';

/** Percentiles of one measurement, ms. */
export interface LatencyFigures {
  readonly p50_ms: number;
  readonly p99_ms: number;
}

/** The 1,000-concurrent-requests-at-the-edge proof as a figure. */
export interface BudgetEdgeFigures {
  readonly requests: number;
  readonly served: number;
  readonly refused: number;
  readonly cap_usd: number;
  readonly spent_usd: number;
  readonly overspend_usd: number;
  readonly leaked_reserved_usd: number;
  readonly wall_ms: number;
}

/** Reserve (before the first token) and settle (after the answer) latencies. */
export interface BudgetLatencyResult {
  readonly iterations: number;
  readonly memory: Record<
    string,
    { reserve: LatencyFigures; settle: LatencyFigures }
  >;
  readonly dynamodb_local?: Record<
    string,
    { reserve: LatencyFigures; settle: LatencyFigures }
  >;
  readonly round_trips_before_first_token: number;
  readonly note: string;
  /** 1,000 concurrent requests at a $1 cap (4x over-subscribed), per ledger. */
  readonly edge_1000_concurrent?: Record<string, BudgetEdgeFigures>;
}

/** 1,000 concurrent reserve→settle/release at a budget's edge; the same body as the proof test. */
export async function budgetEdge(
  ledger: BudgetLedger,
  requests = 1000
): Promise<BudgetEdgeFigures> {
  const t: ResolvedTenant = {
    id: `edge-${randomUUID().slice(0, 8)}`,
    keyHashes: [],
    budgets: { dailyUsd: 1 },
    limits: {},
  };
  const levels = budgetLevels(t, undefined, Date.now());
  const amount = 4_000_000;
  let served = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      const r = await ledger.reserve({
        id: randomUUID(),
        tenant: t.id,
        levels,
        amountNanos: amount,
        shutdownPct: 100,
        releaseAt: Date.now() + 600_000,
      });
      if (!r.ok) return;
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
  const [b] = await ledger.balances(levels);
  return {
    requests,
    served,
    refused: requests - served,
    cap_usd: 1,
    spent_usd: b!.spentNanos / 1e9,
    overspend_usd: Math.max(0, b!.spentNanos - 1e9) / 1e9,
    leaked_reserved_usd: b!.reservedNanos / 1e9,
    wall_ms: Math.round(performance.now() - started),
  };
}

const tenant: ResolvedTenant = {
  id: 'bench',
  keyHashes: [],
  budgets: { dailyUsd: 1e5, monthlyUsd: 1e6 },
  limits: {},
  teams: { eng: { budgets: { dailyUsd: 1e5 }, limits: {} } },
  users: { alice: { team: 'eng', budgets: { dailyUsd: 1e5 }, limits: {} } },
};

async function measure(
  ledger: BudgetLedger,
  user: string | undefined,
  iterations: number
): Promise<{ reserve: LatencyFigures; settle: LatencyFigures }> {
  const levels = budgetLevels(
    user ? tenant : { ...tenant, budgets: { dailyUsd: 1e5 } },
    user,
    Date.now()
  );
  const reserve: number[] = [];
  const settle: number[] = [];
  for (let i = 0; i < iterations + 20; i++) {
    const t0 = performance.now();
    const r = await ledger.reserve({
      id: randomUUID(),
      tenant: tenant.id,
      levels,
      amountNanos: 1_000_000,
      shutdownPct: 95,
      releaseAt: Date.now() + 600_000,
    });
    const t1 = performance.now();
    if (!r.ok) throw new Error('bench budget refused');
    await ledger.settle(r.reservation, 500_000);
    const t2 = performance.now();
    if (i >= 20) {
      reserve.push(t1 - t0);
      settle.push(t2 - t1);
    }
  }
  return { reserve: pct(reserve), settle: pct(settle) };
}

function pct(xs: number[]): LatencyFigures {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 1000) /
    1000;
  return { p50_ms: at(0.5), p99_ms: at(0.99) };
}

/** Measures both ledgers; DynamoDB Local is skipped (undefined) when Java is missing. */
export async function benchBudgetLatency(
  iterations = 300
): Promise<BudgetLatencyResult> {
  const memory = new MemoryBudgetLedger();
  const result: BudgetLatencyResult = {
    iterations,
    memory: {
      'tenant (1 level)': await measure(memory, undefined, iterations),
      'user+team+tenant (4 levels)': await measure(memory, 'alice', iterations),
    },
    round_trips_before_first_token: 1,
    note: 'reserve is the only budget step before the provider call (one TransactWriteItems, all levels + the reservation record); settle, the balance read and alerts run after the answer',
  };
  let ddb: Awaited<ReturnType<typeof startDynamoDbLocal>> | undefined;
  try {
    let endpoint = process.env.DYNAMODB_LOCAL_ENDPOINT;
    if (!endpoint) {
      ddb = await startDynamoDbLocal();
      endpoint = ddb.endpoint;
    }
    const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
    const table = await createGatewayTable(
      raw,
      `bench-usage-${randomUUID().slice(0, 8)}`
    );
    const ledger = new DynamoBudgetLedger({
      tableName: table,
      client: DynamoDBDocumentClient.from(raw),
    });
    const dynamo = {
      'tenant (1 level)': await measure(ledger, undefined, iterations),
      'user+team+tenant (4 levels)': await measure(ledger, 'alice', iterations),
    };
    const edge = {
      memory: await budgetEdge(new MemoryBudgetLedger()),
      dynamodb_local: await budgetEdge(
        new DynamoBudgetLedger({
          tableName: table,
          client: DynamoDBDocumentClient.from(raw),
          maxConflictRetries: 40,
        })
      ),
    };
    await raw.send(new DeleteTableCommand({ TableName: table }));
    raw.destroy();
    return { ...result, dynamodb_local: dynamo, edge_1000_concurrent: edge };
  } catch (err) {
    process.stderr.write(
      `budget latency: DynamoDB Local skipped (${(err as Error).message.split('\n')[0]})\n`
    );
    return result;
  } finally {
    await ddb?.stop();
  }
}

if (require.main === module) {
  benchBudgetLatency().then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    }
  );
}
