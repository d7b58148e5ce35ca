import {
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { AuditLogError } from '../../audit/errors';
import {
  type AuditInput,
  type AuditRecordDeps,
  buildAuditRecord,
  resolveListLimit,
} from '../../audit/record';
import type { AuditLog, AuditRecord } from '../../audit/types';

const DAY_MS = 86_400_000;

/** Props of {@link DynamoAuditLog}. */
export interface DynamoAuditLogProps extends AuditRecordDeps {
  /** Audit table (string keys `pk`, `sk`; the `AUDIT_TABLE` env var). */
  readonly tableName: string;
  /** Document client (tests pass a mocked one). @default - a new client */
  readonly client?: DynamoDBDocumentClient;
  /**
   * UTC days `list` looks back, today included; older records stay in the
   * table but `list` doesn't return them.
   * @default 7
   */
  readonly listDays?: number;
}

/** Partition of a record: one per UTC day, `audit#yyyy-mm-dd`. */
export function auditPartitionKey(at: string): string {
  return `audit#${at.slice(0, 10)}`;
}

/** Sort key of a record: `<iso>#<id>`, so a partition reads in time order. */
export function auditSortKey(record: Pick<AuditRecord, 'at' | 'id'>): string {
  return `${record.at}#${record.id}`;
}

function toRecord(item: Record<string, unknown>): AuditRecord {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as AuditRecord;
}

/**
 * Audit trail in DynamoDB. Items are keyed `pk = audit#<yyyy-mm-dd>` (UTC),
 * `sk = <iso>#<id>`; writes are conditional on the key being new, so a
 * record is never overwritten. `list` queries day partitions newest first.
 * A day partition takes every admin change of that day, which is far below
 * a partition's write limit.
 */
export class DynamoAuditLog implements AuditLog {
  /** The audit table's name. */
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly deps: AuditRecordDeps;
  private readonly listDays: number;

  public constructor(props: DynamoAuditLogProps) {
    const listDays = props.listDays ?? 7;
    if (!Number.isInteger(listDays) || listDays < 1 || listDays > 366) {
      throw new AuditLogError(
        `listDays must be an integer between 1 and 366, got ${listDays}`
      );
    }
    if (props.tableName.length < 3) {
      throw new AuditLogError(
        `tableName must be a DynamoDB table name, got ${JSON.stringify(props.tableName)}`
      );
    }
    this.tableName = props.tableName;
    this.listDays = listDays;
    this.deps = { clock: props.clock, newId: props.newId };
    this.client =
      props.client ??
      DynamoDBDocumentClient.from(new DynamoDBClient({}), {
        marshallOptions: { removeUndefinedValues: true },
      });
  }

  /** Redacts, stamps and stores a record (PutItem, never overwriting). */
  public async write(input: AuditInput): Promise<AuditRecord> {
    const record = buildAuditRecord(input, this.deps);
    const item: Record<string, unknown> = {
      pk: auditPartitionKey(record.at),
      sk: auditSortKey(record),
    };
    // Undefined top-level fields are left out (nested ones are already gone),
    // so the item marshals with any client's options.
    for (const [key, value] of Object.entries(record)) {
      if (value !== undefined) item[key] = value;
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        })
      );
    } catch (error) {
      const message =
        error instanceof ConditionalCheckFailedException
          ? `audit record ${record.id} already exists`
          : 'could not write audit record';
      throw new AuditLogError(message, { cause: error });
    }
    return record;
  }

  /**
   * Newest first over the last `listDays` UTC days, optionally filtered by
   * target prefix (a FilterExpression, so pages continue until enough match).
   */
  public async list(
    options: Parameters<AuditLog['list']>[0] = {}
  ): Promise<readonly AuditRecord[]> {
    const limit = resolveListLimit(options.limit);
    const now = (this.deps.clock ?? Date.now)();
    const out: AuditRecord[] = [];
    for (let day = 0; day < this.listDays && out.length < limit; day += 1) {
      const pk = auditPartitionKey(new Date(now - day * DAY_MS).toISOString());
      let startKey: Record<string, unknown> | undefined;
      do {
        const input: QueryCommandInput = {
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          // Without a filter every item read is returned, so read no more
          // than needed; with one, pages are filtered after the read.
          Limit: options.targetPrefix === undefined ? limit - out.length : 200,
          ExclusiveStartKey: startKey,
        };
        if (options.targetPrefix !== undefined) {
          input.FilterExpression = 'begins_with(#target, :prefix)';
          input.ExpressionAttributeNames = {
            ...input.ExpressionAttributeNames,
            '#target': 'target',
          };
          input.ExpressionAttributeValues = {
            ...input.ExpressionAttributeValues,
            ':prefix': options.targetPrefix,
          };
        }
        let page: QueryCommandOutput;
        try {
          page = await this.client.send(new QueryCommand(input));
        } catch (error) {
          throw new AuditLogError('could not list audit records', {
            cause: error,
          });
        }
        for (const item of page.Items ?? []) {
          if (out.length < limit) out.push(toRecord(item));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && out.length < limit);
    }
    return out;
  }
}
