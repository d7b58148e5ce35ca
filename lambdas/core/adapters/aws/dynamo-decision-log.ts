import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { DecisionLog, DecisionRecord, Log } from '../../ports';

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
                    pk: `decision#${r.decision_id}`,
                    sk: 'decision',
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
}
