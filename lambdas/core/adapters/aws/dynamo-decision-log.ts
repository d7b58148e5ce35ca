import {
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { sameFeedback } from '../../decisions/query';
import type {
  DecisionFeedback,
  DecisionLog,
  DecisionQuery,
  DecisionRecord,
  FeedbackWrite,
  Log,
} from '../../ports';

/** Primary key of a decision item. */
export function decisionKey(decisionId: string): { pk: string; sk: string } {
  return { pk: `decision#${decisionId}`, sk: 'decision' };
}

/** The public record of an item (table keys and TTL dropped). */
function toRecord(item: Record<string, unknown>): DecisionRecord {
  const { pk: _pk, sk: _sk, expiresAt: _ttl, ...record } = item;
  return record as unknown as DecisionRecord;
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof key?.pk === 'string' &&
      key.pk.startsWith('decision#') &&
      typeof key.sk === 'string'
    )
      return { pk: key.pk, sk: key.sk };
  } catch {
    // fall through
  }
  throw new RangeError('cursor: not a cursor this API returned');
}

/** Props of {@link DynamoDecisionLog}. */
export interface DynamoDecisionLogProps {
  /** Decisions table (`DECISIONS_TABLE`; keys `pk`, `sk`, TTL `expiresAt`). */
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  /** Days a decision is kept (TTL). @default 30 */
  readonly retentionDays?: number;
  readonly log?: Log;
}

/**
 * Decision log in DynamoDB (`pk = decision#<id>`, `sk = decision`, TTL).
 * `record` only buffers; `flush` writes the buffer in batches of 25 and is
 * awaited by the handler after the response has ended, so the client never
 * waits on it. A failed write is logged, never thrown: losing a log line
 * must not fail a served request. No prompt text ever reaches a record.
 *
 * Feedback is one conditional UpdateItem on the same key, so it works from
 * any container: it lands only on an existing decision of the caller's
 * tenant that has no feedback yet. Export scans the table (decision items
 * only; the table also holds bandit state) with a time/tenant filter.
 */
export class DynamoDecisionLog implements DecisionLog {
  private readonly client: DynamoDBDocumentClient;
  private buffer: DecisionRecord[] = [];
  private readonly recentRing: DecisionRecord[] = [];

  public constructor(private readonly props: DynamoDecisionLogProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
  }

  public record(record: DecisionRecord): void {
    this.buffer.push(record);
    this.recentRing.push(record);
    if (this.recentRing.length > 100) this.recentRing.shift();
  }

  public recent(limit = 100): readonly DecisionRecord[] {
    return this.recentRing.slice(-limit).reverse();
  }

  public async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const pending = this.buffer;
    this.buffer = [];
    const expiresAt =
      Math.floor(Date.now() / 1000) + (this.props.retentionDays ?? 30) * 86_400;
    for (let i = 0; i < pending.length; i += 25) {
      const batch = pending.slice(i, i + 25);
      try {
        const out = await this.client.send(
          new BatchWriteCommand({
            RequestItems: {
              [this.props.tableName]: batch.map((r) => ({
                PutRequest: {
                  Item: {
                    ...decisionKey(r.decision_id),
                    expiresAt,
                    ...r,
                  },
                },
              })),
            },
          })
        );
        const left = out.UnprocessedItems?.[this.props.tableName]?.length ?? 0;
        if (left > 0)
          this.props.log?.warn('decision log: unprocessed items dropped', {
            count: left,
          });
      } catch (err) {
        this.props.log?.error('decision log write failed', {
          count: batch.length,
          error: err instanceof Error ? err.name : String(err),
        });
      }
    }
  }

  public async get(decisionId: string): Promise<DecisionRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: decisionKey(decisionId),
        ConsistentRead: true,
      })
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  public async attachFeedback(
    decisionId: string,
    tenant: string,
    feedback: DecisionFeedback,
    reward: number | null
  ): Promise<FeedbackWrite> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: decisionKey(decisionId),
          UpdateExpression: 'SET #feedback = :feedback, #reward = :reward',
          ConditionExpression:
            'attribute_exists(pk) AND #tenant = :tenant AND attribute_not_exists(#feedback)',
          ExpressionAttributeNames: {
            '#feedback': 'feedback',
            '#reward': 'reward',
            '#tenant': 'tenant',
          },
          ExpressionAttributeValues: {
            ':feedback': feedback,
            ':reward': reward,
            ':tenant': tenant,
          },
          ReturnValues: 'ALL_NEW',
        })
      );
      return { status: 'recorded', record: toRecord(out.Attributes ?? {}) };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
    // Why the condition failed: unknown, another tenant's, or already rated.
    const record = await this.get(decisionId);
    if (!record || record.tenant !== tenant) return { status: 'not_found' };
    return {
      status:
        record.feedback && sameFeedback(record.feedback, feedback)
          ? 'replay'
          : 'conflict',
      record,
    };
  }

  public async list(
    query: DecisionQuery
  ): Promise<{ records: readonly DecisionRecord[]; cursor?: string }> {
    const names: Record<string, string> = { '#pk': 'pk' };
    const values: Record<string, unknown> = { ':prefix': 'decision#' };
    const filters = ['begins_with(#pk, :prefix)'];
    // ISO timestamps of one format compare as strings.
    if (query.since !== undefined) {
      names['#ts'] = 'ts';
      values[':since'] = new Date(query.since).toISOString();
      filters.push('#ts >= :since');
    }
    if (query.until !== undefined) {
      names['#ts'] = 'ts';
      values[':until'] = new Date(query.until).toISOString();
      filters.push('#ts < :until');
    }
    if (query.tenant !== undefined) {
      names['#tenant'] = 'tenant';
      values[':tenant'] = query.tenant;
      filters.push('#tenant = :tenant');
    }
    const records: DecisionRecord[] = [];
    let startKey: Record<string, unknown> | undefined = query.cursor
      ? decodeCursor(query.cursor)
      : undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.props.tableName,
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: startKey,
          Limit: Math.max(query.limit, 100),
        })
      );
      for (const item of out.Items ?? []) {
        records.push(toRecord(item));
        if (records.length === query.limit) {
          // A full page: the next one starts after this item (any item's
          // key is a valid ExclusiveStartKey for a Scan).
          const last = out.Items!.at(-1)!;
          const more = item !== last || out.LastEvaluatedKey !== undefined;
          return more
            ? { records, cursor: encodeCursor({ pk: item.pk, sk: item.sk }) }
            : { records };
        }
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return { records };
  }
}
