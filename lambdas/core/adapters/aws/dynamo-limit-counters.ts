import {
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type CounterAdd,
  type CounterResult,
  type LimitCounterStore,
  LimitStoreError,
} from '../../limits/types';

/** Props of {@link DynamoLimitCounters}. */
export interface DynamoLimitCountersProps {
  /** Usage table (`USAGE_TABLE`; string keys `pk`, `sk`; TTL attribute `expiresAt`). */
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
}

/** Partition key of a limit counter; `LIMIT#` keeps it apart from the budget ledger in the same table. */
export function limitCounterKey(key: string): { pk: string; sk: string } {
  return { pk: `LIMIT#${key}`, sk: 'COUNTER' };
}

/**
 * Rate and token counters as DynamoDB atomic counters in the usage table:
 * one item per scope, metric and fixed window (`pk = LIMIT#<key>`,
 * `sk = COUNTER`, number `v`, TTL `expiresAt`). A check-and-increment is one
 * UpdateItem (`ADD v :n` under `v <= :limit - :n`): no read, no transaction,
 * so every router container shares the count exactly. A refused add changes
 * nothing and returns the current value (ReturnValuesOnConditionCheckFailure).
 */
export class DynamoLimitCounters implements LimitCounterStore {
  private readonly client: DynamoDBDocumentClient;

  public constructor(private readonly props: DynamoLimitCountersProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
  }

  public async tryAdd(add: CounterAdd): Promise<CounterResult> {
    // The condition below can't refuse a first add (no attribute yet), so
    // an add larger than the whole limit is refused here.
    if (add.amount > add.limit) return { ok: false, value: 0 };
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: limitCounterKey(add.key),
          UpdateExpression: 'ADD #v :n SET #e = if_not_exists(#e, :e)',
          ConditionExpression: 'attribute_not_exists(#v) OR #v <= :room',
          ExpressionAttributeNames: { '#v': 'v', '#e': 'expiresAt' },
          ExpressionAttributeValues: {
            ':n': add.amount,
            ':e': add.expiresAt,
            ':room': add.limit - add.amount,
          },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
      );
      return { ok: true, value: Number(out.Attributes?.v ?? add.amount) };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        const v = (err.Item as { v?: { N?: string } } | undefined)?.v?.N;
        return { ok: false, value: v === undefined ? add.limit : Number(v) };
      }
      throw new LimitStoreError(
        `limit counter update failed: ${(err as Error).name}`,
        { cause: err }
      );
    }
  }

  public async add(
    key: string,
    amount: number,
    expiresAt: number
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: limitCounterKey(key),
          UpdateExpression: 'ADD #v :n SET #e = if_not_exists(#e, :e)',
          ExpressionAttributeNames: { '#v': 'v', '#e': 'expiresAt' },
          ExpressionAttributeValues: { ':n': amount, ':e': expiresAt },
        })
      );
    } catch (err) {
      throw new LimitStoreError(
        `limit counter update failed: ${(err as Error).name}`,
        { cause: err }
      );
    }
  }
}
