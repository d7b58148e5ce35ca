import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CachedCompletion, ResponseCacheStore } from '../../cache/types';

/** Props of {@link DynamoResponseCacheStore}. */
export interface DynamoResponseCacheStoreProps {
  /** Cache table (`CACHE_TABLE`; key `pk`, TTL attribute `expiresAt`). */
  readonly tableName: string;
  /** @default - a document client with the default credentials */
  readonly client?: DynamoDBDocumentClient;
}

/**
 * Shared response cache in DynamoDB: one item per entry, `pk = <tenant>#<sha256>`,
 * the entry as a JSON string in `entry`, the tenant in `tenant`, and
 * `expiresAt` in epoch seconds for DynamoDB's TTL. TTL deletion lags (up to
 * days), so every read checks `expiresAt` itself and reports a stale item as
 * a miss. Reads are eventually consistent: a just-written entry seen a few
 * milliseconds late is only a miss.
 */
export class DynamoResponseCacheStore implements ResponseCacheStore {
  private readonly client: DynamoDBDocumentClient;

  public constructor(private readonly props: DynamoResponseCacheStoreProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
  }

  public async get(
    key: string,
    now: number
  ): Promise<CachedCompletion | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.props.tableName, Key: { pk: key } })
    );
    const item = out.Item;
    if (!item || typeof item.entry !== 'string') return undefined;
    if (typeof item.expiresAt !== 'number' || item.expiresAt * 1000 <= now)
      return undefined;
    let entry: CachedCompletion;
    try {
      entry = JSON.parse(item.entry) as CachedCompletion;
    } catch {
      return undefined;
    }
    if (entry.v !== 1 || entry.tenant !== item.tenant) return undefined;
    return entry.expiresAt > now ? entry : undefined;
  }

  public async put(key: string, entry: CachedCompletion): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: {
          pk: key,
          tenant: entry.tenant,
          entry: JSON.stringify(entry),
          // DynamoDB TTL wants epoch seconds; round up so the item never
          // disappears before the entry's own expiry.
          expiresAt: Math.ceil(entry.expiresAt / 1000),
        },
      })
    );
  }
}
