import {
  type AttributeValue,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SliceStore } from '../../budget/leasing';
import type { BudgetLevel, LevelBalance } from '../../budget/types';
import { DynamoBudgetLedger } from './dynamo-budget-ledger';

type TransactItem = NonNullable<
  TransactWriteCommandInput['TransactItems']
>[number];

/** Props of {@link DynamoSliceStore}. */
export interface DynamoSliceStoreProps {
  /** Usage table (`USAGE_TABLE`). */
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
  /** Grace after a lease's releaseAt before a sweep treats its holder as crashed, ms. @default 60000 */
  readonly crashGraceMs?: number;
}

/**
 * Budget slices on the usage table, for the LeasingBudgetLedger. The level
 * item is the one the DynamoBudgetLedger uses (`committed` = spent +
 * reserved + leased); each holder (container) has a lease record per level
 * (`pk = budgetlease#<tenant>`, `sk = <level pk>|<level sk>|<holder>`,
 * `outstanding`, `releaseAt`). acquire and giveBack are each ONE
 * TransactWriteItems of the level item and the lease record, so a crashed
 * holder's outstanding slice is always on record for the sweep.
 */
export class DynamoSliceStore implements SliceStore {
  private readonly reader: DynamoBudgetLedger;

  public constructor(private readonly props: DynamoSliceStoreProps) {
    this.reader = new DynamoBudgetLedger({
      tableName: props.tableName,
      client: props.client,
    });
  }

  public async acquire(
    level: BudgetLevel,
    want: number,
    maxCommitted: number,
    lease: { holder: string; releaseAt: number }
  ): Promise<{ granted: number; committed?: number }> {
    try {
      await this.transact({
        TransactItems: [
          {
            Update: {
              TableName: this.props.tableName,
              Key: { pk: level.pk, sk: level.sk },
              UpdateExpression:
                'ADD #committed :w, #leased :w SET #cap = :cap, #tenant = :tenant, #scope = :scope, #scopeId = :scopeId, #period = :period, #periodKey = :periodKey, #resetsAt = :resetsAt, #expiresAt = :exp',
              ConditionExpression:
                'attribute_not_exists(#committed) OR #committed <= :max',
              ExpressionAttributeNames: {
                '#committed': 'committed',
                '#leased': 'leased',
                '#cap': 'capNanos',
                '#tenant': 'tenant',
                '#scope': 'scope',
                '#scopeId': 'scopeId',
                '#period': 'period',
                '#periodKey': 'periodKey',
                '#resetsAt': 'resetsAt',
                '#expiresAt': 'expiresAt',
              },
              ExpressionAttributeValues: {
                ':w': want,
                ':max': maxCommitted,
                ':cap': level.capNanos,
                ':tenant': level.tenant,
                ':scope': level.scope,
                ':scopeId': level.scopeId,
                ':period': level.period,
                ':periodKey': level.periodKey,
                ':resetsAt': level.resetsAt,
                ':exp':
                  Math.ceil(level.resetsAt / 1000) +
                  (level.period === 'day' ? 90 : 400) * 86_400,
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Update: {
              TableName: this.props.tableName,
              Key: this.leaseKey(level, lease.holder),
              UpdateExpression:
                'ADD #o :w SET #level = :level, #holder = :holder, #releaseAt = :r, #expiresAt = :e',
              ExpressionAttributeNames: {
                '#o': 'outstanding',
                '#level': 'level',
                '#holder': 'holder',
                '#releaseAt': 'releaseAt',
                '#expiresAt': 'expiresAt',
              },
              ExpressionAttributeValues: {
                ':w': want,
                ':level': level,
                ':holder': lease.holder,
                ':r': lease.releaseAt,
                ':e': Math.ceil(lease.releaseAt / 1000) + 86_400,
              },
            },
          },
        ],
      });
      return { granted: want };
    } catch (err) {
      const old = conditionFailedItem(err, 0);
      if (old === undefined) throw err;
      return { granted: 0, committed: Number(old?.committed ?? 0) };
    }
  }

  public async giveBack(
    level: BudgetLevel,
    consumed: number,
    unused: number,
    holder: string
  ): Promise<void> {
    const total = consumed + unused;
    // total can be 0 with consumed > 0: a late settle after its hold was released.
    if (consumed === 0 && unused === 0) return;
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.props.tableName,
          Key: this.leaseKey(level, holder),
          UpdateExpression: 'ADD #o :neg',
          // Swept meanwhile (holder thought dead): the sweep already counted it.
          ConditionExpression: '#o >= :total',
          ExpressionAttributeNames: { '#o': 'outstanding' },
          ExpressionAttributeValues: { ':neg': -total, ':total': total },
        },
      },
      {
        Update: {
          TableName: this.props.tableName,
          Key: { pk: level.pk, sk: level.sk },
          UpdateExpression: 'ADD #committed :u, #leased :t, #spent :c',
          ExpressionAttributeNames: {
            '#committed': 'committed',
            '#leased': 'leased',
            '#spent': 'spent',
          },
          ExpressionAttributeValues: {
            ':u': -unused,
            ':t': -total,
            ':c': consumed,
          },
        },
      },
    ];
    try {
      await this.transact({ TransactItems: items });
    } catch (err) {
      if (conditionFailedItem(err, 0) === undefined) throw err;
    }
  }

  public async read(levels: readonly BudgetLevel[]): Promise<LevelBalance[]> {
    return this.reader.balances(levels);
  }

  public async sweep(tenant: string, now: number): Promise<number> {
    const grace = this.props.crashGraceMs ?? 60_000;
    const out = await this.props.client.send(
      new QueryCommand({
        TableName: this.props.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'outstanding > :zero AND releaseAt < :before',
        ExpressionAttributeValues: {
          ':pk': `budgetlease#${encodeURIComponent(tenant)}`,
          ':zero': 0,
          ':before': now - grace,
        },
      })
    );
    let n = 0;
    for (const rec of out.Items ?? []) {
      const level = rec.level as BudgetLevel;
      const o = Number(rec.outstanding);
      try {
        // Conservative: what a crashed holder may have served counts as spent.
        await this.props.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.props.tableName,
                  Key: { pk: rec.pk, sk: rec.sk },
                  UpdateExpression: 'SET #o = :zero',
                  ConditionExpression: '#o = :o',
                  ExpressionAttributeNames: { '#o': 'outstanding' },
                  ExpressionAttributeValues: { ':zero': 0, ':o': o },
                },
              },
              {
                Update: {
                  TableName: this.props.tableName,
                  Key: { pk: level.pk, sk: level.sk },
                  UpdateExpression: 'ADD #leased :neg, #spent :o',
                  ExpressionAttributeNames: {
                    '#leased': 'leased',
                    '#spent': 'spent',
                  },
                  ExpressionAttributeValues: { ':neg': -o, ':o': o },
                },
              },
            ],
          })
        );
        n++;
      } catch (err) {
        if (conditionFailedItem(err, 0) === undefined) throw err;
      }
    }
    return n;
  }

  /** One transaction, retried on conflicts with concurrent ones (they hold no state). */
  private async transact(input: TransactWriteCommandInput): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.props.client.send(new TransactWriteCommand(input));
        return;
      } catch (err) {
        const conflict =
          err instanceof TransactionCanceledException &&
          (err.CancellationReasons ?? []).some(
            (r) => r.Code === 'TransactionConflict'
          ) &&
          !(err.CancellationReasons ?? []).some(
            (r) => r.Code === 'ConditionalCheckFailed'
          );
        if (!conflict || attempt >= 20) throw err;
        await new Promise((r) =>
          setTimeout(r, Math.min(200, 5 * 2 ** attempt) * Math.random())
        );
      }
    }
  }

  private leaseKey(level: BudgetLevel, holder: string) {
    return {
      pk: `budgetlease#${encodeURIComponent(level.tenant)}`,
      sk: `${level.pk}|${level.sk}|${holder}`,
    };
  }
}

/**
 * The old item of transaction item `index` when a condition failed there
 * ({} when DynamoDB returned none); undefined for any other error.
 */
function conditionFailedItem(
  err: unknown,
  index: number
): Record<string, unknown> | undefined {
  if (!(err instanceof TransactionCanceledException)) return undefined;
  const reason = err.CancellationReasons?.[index];
  if (reason?.Code !== 'ConditionalCheckFailed') return undefined;
  return reason.Item
    ? unmarshall(reason.Item as Record<string, AttributeValue>)
    : {};
}
