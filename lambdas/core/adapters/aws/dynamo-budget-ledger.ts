import {
  type AttributeValue,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { maxCommittedBefore, refusalAt } from '../../budget/levels';
import type {
  BudgetLedger,
  BudgetLevel,
  LevelBalance,
  Reservation,
  ReserveRequest,
  ReserveResult,
} from '../../budget/types';

/** Props of {@link DynamoBudgetLedger}. */
export interface DynamoBudgetLedgerProps {
  /** Usage table (`USAGE_TABLE`; keys `pk`, `sk`, TTL `expiresAt`). */
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  /** Partitions reservation records are spread over (per tenant). @default 4 */
  readonly reservationShards?: number;
  /** Transactions retried on a TransactionConflict before giving up. @default 8 */
  readonly maxConflictRetries?: number;
  readonly rng?: () => number;
}

type TransactItem = NonNullable<
  TransactWriteCommandInput['TransactItems']
>[number];

const DAY_S = 86_400;
/** Day items are kept 90 days, month items 400 (reports and reconcile). */
const RETENTION_S = { day: 90 * DAY_S, month: 400 * DAY_S } as const;

/** A transaction DynamoDB cancelled: the reason per item, and the old item where asked. */
interface Cancelled {
  readonly codes: readonly string[];
  readonly items: readonly (Record<string, unknown> | undefined)[];
}

/**
 * The budget ledger on DynamoDB (the usage table). A level is one item
 * (`pk = budget#<tenant>#<scope>#<id>`, `sk = day#YYYY-MM-DD | month#YYYY-MM`)
 * holding `spent`, `reserved` and `committed = spent + reserved` in nano-USD;
 * `committed` exists because condition expressions can't add.
 *
 * reserve = ONE TransactWriteItems: per capped level an update guarded by
 * `committed <= min(cap - amount, shutdown line - 1)`, plus the reservation
 * record (`pk = budgetres#<tenant>#<shard>`, `sk = <releaseAt>#<id>`). All or
 * nothing: a refusing level holds nothing anywhere. settle, release and the
 * sweep close a reservation in one transaction with the level updates:
 * delete its record (only if still there) and put a tombstone
 * (`pk = budgetdone#<tenant>#<id>`, `state = settled | released`, TTL a day).
 * So each reservation ends once, a settle after a sweep still records its
 * spend, a second settle changes nothing, and the record partitions hold
 * only open reservations (the sweep reads nothing else).
 */
export class DynamoBudgetLedger implements BudgetLedger {
  private readonly client: DynamoDBDocumentClient;
  private readonly shards: number;
  private readonly rng: () => number;

  public constructor(private readonly props: DynamoBudgetLedgerProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
    this.shards = props.reservationShards ?? 4;
    this.rng = props.rng ?? Math.random;
  }

  public async reserve(request: ReserveRequest): Promise<ReserveResult> {
    const shard = Math.floor(this.rng() * this.shards);
    const reservation: Reservation = {
      id: request.id,
      tenant: request.tenant,
      levels: request.levels,
      amountNanos: request.amountNanos,
      releaseAt: request.releaseAt,
      recordKey: {
        pk: reservationPk(request.tenant, shard),
        sk: `${pad(request.releaseAt)}#${request.id}`,
      },
    };
    if (request.levels.length === 0) return { ok: true, reservation };
    const maxes = request.levels.map((l) =>
      maxCommittedBefore(l.capNanos, request.amountNanos, request.shutdownPct)
    );
    // Can't fit even an empty level: refuse without a write.
    const hopeless = maxes.findIndex((m) => m < 0);
    if (hopeless >= 0) {
      const level = request.levels[hopeless]!;
      return {
        ok: false,
        refusal: refusalAt(level, 0, request.amountNanos, request.shutdownPct),
      };
    }
    const items: TransactItem[] = request.levels.map((level, i) => ({
      Update: {
        TableName: this.props.tableName,
        Key: { pk: level.pk, sk: level.sk },
        UpdateExpression:
          'ADD #committed :a, #reserved :a SET #cap = :cap, #tenant = :tenant, #scope = :scope, #scopeId = :scopeId, #period = :period, #periodKey = :periodKey, #resetsAt = :resetsAt, #expiresAt = :exp',
        ConditionExpression:
          'attribute_not_exists(#committed) OR #committed <= :max',
        ExpressionAttributeNames: LEVEL_NAMES,
        ExpressionAttributeValues: {
          ':a': request.amountNanos,
          ':max': maxes[i],
          ...levelValues(level),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    }));
    items.push({
      Put: {
        TableName: this.props.tableName,
        Item: {
          ...reservation.recordKey,
          kind: 'reservation',
          id: request.id,
          tenant: request.tenant,
          levels: request.levels,
          amountNanos: request.amountNanos,
          releaseAt: request.releaseAt,
          // A last resort only: sweeps release it long before.
          expiresAt: Math.ceil(request.releaseAt / 1000) + 35 * DAY_S,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    const cancelled = await this.transact(items);
    if (!cancelled) return { ok: true, reservation };
    const at = cancelled.codes.indexOf('ConditionalCheckFailed');
    if (at < 0 || at >= request.levels.length)
      throw new Error(
        `budget reservation cancelled: ${cancelled.codes.join(', ')}`
      );
    const committed = Number(cancelled.items[at]?.committed ?? 0);
    return {
      ok: false,
      refusal: refusalAt(
        request.levels[at]!,
        committed,
        request.amountNanos,
        request.shutdownPct
      ),
    };
  }

  public async settle(
    reservation: Reservation,
    costNanos: number
  ): Promise<void> {
    if (!reservation.recordKey || reservation.levels.length === 0) return;
    const a = reservation.amountNanos;
    const first = await this.transact([
      ...this.close(reservation, 'settled'),
      ...reservation.levels.map((l) =>
        this.add(l, {
          committed: costNanos - a,
          reserved: -a,
          spent: costNanos,
        })
      ),
    ]);
    if (!first) return;
    // Not open any more: the tombstone says whether it was settled or released.
    const state = first.items[1]?.state;
    if (state === 'settled') return;
    const spend = reservation.levels.map((l) =>
      this.add(l, { committed: costNanos, spent: costNanos })
    );
    // Released by a sweep (or its records are gone): the money is spent all the same.
    await this.transact(
      state === 'released'
        ? [this.markSettled(reservation), ...spend]
        : [this.tombstone(reservation, 'settled'), ...spend]
    );
  }

  public async release(reservation: Reservation): Promise<void> {
    if (!reservation.recordKey || reservation.levels.length === 0) return;
    const a = reservation.amountNanos;
    await this.transact([
      ...this.close(reservation, 'released'),
      ...reservation.levels.map((l) =>
        this.add(l, { committed: -a, reserved: -a })
      ),
    ]);
  }

  public async sweep(tenant: string, now: number): Promise<number> {
    let released = 0;
    for (let shard = 0; shard < this.shards; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        // The partition holds open reservations only (settle/release delete them), oldest first.
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.props.tableName,
            KeyConditionExpression: 'pk = :pk AND sk <= :hi',
            ExpressionAttributeValues: {
              ':pk': reservationPk(tenant, shard),
              ':hi': `${pad(now)}#~`,
            },
            ExclusiveStartKey: start,
          })
        );
        for (const item of out.Items ?? []) {
          const r: Reservation = {
            id: String(item.id),
            tenant,
            levels: item.levels as BudgetLevel[],
            amountNanos: Number(item.amountNanos),
            releaseAt: Number(item.releaseAt),
            recordKey: { pk: String(item.pk), sk: String(item.sk) },
          };
          if (r.releaseAt > now) continue;
          const a = r.amountNanos;
          const cancelled = await this.transact([
            ...this.close(r, 'released'),
            ...r.levels.map((l) =>
              this.add(l, { committed: -a, reserved: -a })
            ),
          ]);
          if (!cancelled) released++;
        }
        start = out.LastEvaluatedKey;
      } while (start);
    }
    return released;
  }

  public async balances(
    levels: readonly BudgetLevel[]
  ): Promise<LevelBalance[]> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < levels.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = levels
        .slice(i, i + 100)
        .map((l) => ({ pk: l.pk, sk: l.sk }));
      while (keys && keys.length > 0) {
        const out: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.props.tableName]: { Keys: keys } },
          })
        );
        for (const item of out.Responses?.[this.props.tableName] ?? [])
          found.set(`${item.pk}|${item.sk}`, item);
        keys = out.UnprocessedKeys?.[this.props.tableName]?.Keys;
      }
    }
    return levels.map((level) => {
      const item = found.get(`${level.pk}|${level.sk}`);
      return {
        level,
        spentNanos: Number(item?.spent ?? 0),
        // Slices leased to containers (LeasingBudgetLedger) are held too.
        reservedNanos: Number(item?.reserved ?? 0) + Number(item?.leased ?? 0),
      };
    });
  }

  public async list(tenant?: string): Promise<LevelBalance[]> {
    const out: LevelBalance[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.props.tableName,
          FilterExpression: 'begins_with(pk, :p) AND attribute_exists(#cap)',
          ExpressionAttributeNames: { '#cap': 'capNanos' },
          ExpressionAttributeValues: {
            ':p':
              tenant === undefined
                ? 'budget#'
                : `budget#${encodeURIComponent(tenant)}#`,
          },
          ExclusiveStartKey: start,
        })
      );
      for (const item of page.Items ?? []) out.push(balanceFromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /**
   * Closes an open reservation: deletes its record (only if still there)
   * and leaves a tombstone saying how it ended (only if none yet), so a
   * reservation ends once and a late settle still finds out what happened.
   */
  private close(
    r: Reservation,
    state: 'settled' | 'released'
  ): [TransactItem, TransactItem] {
    return [
      {
        Delete: {
          TableName: this.props.tableName,
          Key: r.recordKey!,
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      this.tombstone(r, state),
    ];
  }

  private tombstone(
    r: Reservation,
    state: 'settled' | 'released'
  ): TransactItem {
    return {
      Put: {
        TableName: this.props.tableName,
        Item: {
          ...tombstoneKey(r),
          state,
          expiresAt: Math.ceil(r.releaseAt / 1000) + DAY_S,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  private markSettled(r: Reservation): TransactItem {
    return {
      Update: {
        TableName: this.props.tableName,
        Key: tombstoneKey(r),
        UpdateExpression: 'SET #state = :settled',
        ConditionExpression: '#state = :released',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':settled': 'settled',
          ':released': 'released',
        },
      },
    };
  }

  private add(
    level: BudgetLevel,
    delta: { committed: number; reserved?: number; spent?: number }
  ): TransactItem {
    const parts = ['#committed :c'];
    const values: Record<string, unknown> = { ':c': delta.committed };
    if (delta.reserved !== undefined) {
      parts.push('#reserved :r');
      values[':r'] = delta.reserved;
    }
    if (delta.spent !== undefined) {
      parts.push('#spent :s');
      values[':s'] = delta.spent;
    }
    const names: Record<string, string> = { '#committed': 'committed' };
    if (delta.reserved !== undefined) names['#reserved'] = 'reserved';
    if (delta.spent !== undefined) names['#spent'] = 'spent';
    return {
      Update: {
        TableName: this.props.tableName,
        Key: { pk: level.pk, sk: level.sk },
        UpdateExpression: `ADD ${parts.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /**
   * Runs a transaction; undefined when it committed, the cancellation when a
   * condition failed. Conflicts with concurrent transactions on the same
   * items are retried with jittered backoff (they hold no state).
   */
  private async transact(
    items: TransactItem[]
  ): Promise<Cancelled | undefined> {
    const max = this.props.maxConflictRetries ?? 8;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(
          new TransactWriteCommand({ TransactItems: items })
        );
        return undefined;
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const reasons = err.CancellationReasons ?? [];
        const codes = reasons.map((r) => r.Code ?? 'None');
        if (codes.includes('ConditionalCheckFailed')) {
          return {
            codes,
            items: reasons.map((r) =>
              r.Item
                ? unmarshall(r.Item as Record<string, AttributeValue>)
                : undefined
            ),
          };
        }
        if (!codes.includes('TransactionConflict') || attempt >= max) throw err;
        await sleep(Math.min(200, 5 * 2 ** attempt) * (0.5 + this.rng()));
      }
    }
  }
}

const LEVEL_NAMES = {
  '#committed': 'committed',
  '#reserved': 'reserved',
  '#cap': 'capNanos',
  '#tenant': 'tenant',
  '#scope': 'scope',
  '#scopeId': 'scopeId',
  '#period': 'period',
  '#periodKey': 'periodKey',
  '#resetsAt': 'resetsAt',
  '#expiresAt': 'expiresAt',
};

function levelValues(level: BudgetLevel): Record<string, unknown> {
  return {
    ':cap': level.capNanos,
    ':tenant': level.tenant,
    ':scope': level.scope,
    ':scopeId': level.scopeId,
    ':period': level.period,
    ':periodKey': level.periodKey,
    ':resetsAt': level.resetsAt,
    ':exp': Math.ceil(level.resetsAt / 1000) + RETENTION_S[level.period],
  };
}

function balanceFromItem(item: Record<string, unknown>): LevelBalance {
  const period = item.period === 'month' ? 'month' : 'day';
  return {
    level: {
      pk: String(item.pk),
      sk: String(item.sk),
      tenant: String(item.tenant),
      scope: item.scope as BudgetLevel['scope'],
      scopeId: String(item.scopeId),
      period,
      periodKey: String(item.periodKey),
      capNanos: Number(item.capNanos),
      resetsAt: Number(item.resetsAt),
    },
    spentNanos: Number(item.spent ?? 0),
    reservedNanos: Number(item.reserved ?? 0) + Number(item.leased ?? 0),
  };
}

/** Where a closed reservation's outcome is kept for a day (one partition per reservation). */
function tombstoneKey(r: Reservation): { pk: string; sk: string } {
  return {
    pk: `budgetdone#${encodeURIComponent(r.tenant)}#${r.id}`,
    sk: 'done',
  };
}

/** Partition of a tenant's open reservation records (spread over shards). */
function reservationPk(tenant: string, shard: number): string {
  return `budgetres#${encodeURIComponent(tenant)}#${shard}`;
}

/** Epoch ms as a fixed-width string, so sort keys order by time. */
function pad(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(15, '0');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
