import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  CachedEmbeddings,
  EmbeddingCacheStore,
} from '../../cache/embedding-cache';

/** Props of {@link DynamoEmbeddingCacheStore}. */
export interface DynamoEmbeddingCacheStoreProps {
  /** Cache table (`CACHE_TABLE`; key `pk`, TTL attribute `expiresAt`), shared with chat. */
  readonly tableName: string;
  /** @default - a document client with the default credentials */
  readonly client?: DynamoDBDocumentClient;
  /**
   * Largest vector payload stored, bytes. DynamoDB items stop at 400 KB; a
   * larger answer stays in the container's LRU only.
   * @default 350000
   */
  readonly maxVectorBytes?: number;
}

/** Item format version; another shape reads as a miss. */
const VERSION = 1;

/**
 * Shared embedding cache in DynamoDB, in the chat cache's table:
 * `pk = <tenant>#<key>` (the key already hashes tenant, model, dimensions and
 * inputs), the vectors as one binary attribute of little-endian float32
 * values (`count` vectors of `dims` each: 4 KB for a 1,024-dim vector, against
 * ~11 KB as JSON numbers), `expiresAt` in epoch seconds for DynamoDB's TTL.
 * No input text is stored. Reads check tenant and expiry themselves (TTL
 * deletion lags) and are eventually consistent.
 */
export class DynamoEmbeddingCacheStore implements EmbeddingCacheStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly maxVectorBytes: number;

  public constructor(private readonly props: DynamoEmbeddingCacheStoreProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
    this.maxVectorBytes = props.maxVectorBytes ?? 350_000;
  }

  public async get(
    key: string,
    tenant: string,
    now: number
  ): Promise<CachedEmbeddings | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: { pk: `${tenant}#${key}` },
      })
    );
    const item = out.Item;
    if (!item || item.v !== VERSION || item.tenant !== tenant) return undefined;
    if (typeof item.expiresAtMs !== 'number' || item.expiresAtMs <= now)
      return undefined;
    const bytes = item.vectors;
    const count = item.count;
    const dims = item.dims;
    if (
      !(bytes instanceof Uint8Array) ||
      typeof count !== 'number' ||
      typeof dims !== 'number' ||
      bytes.byteLength !== count * dims * 4
    )
      return undefined;
    return {
      tenant,
      model: String(item.model),
      provider: String(item.provider),
      promptTokens: Number(item.promptTokens),
      expiresAt: item.expiresAtMs,
      vectors: splitVectors(bytes, count, dims),
    };
  }

  public async put(key: string, entry: CachedEmbeddings): Promise<void> {
    const dims = entry.vectors[0]?.length ?? 0;
    // Mixed lengths never come from one model call; don't store what can't be split back.
    if (entry.vectors.some((v) => v.length !== dims)) return;
    const bytes = entry.vectors.length * dims * 4;
    if (bytes > this.maxVectorBytes) return;
    const packed = Buffer.allocUnsafe(bytes);
    let offset = 0;
    for (const v of entry.vectors)
      for (let i = 0; i < v.length; i++, offset += 4)
        packed.writeFloatLE(v[i]!, offset);
    await this.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: {
          pk: `${entry.tenant}#${key}`,
          v: VERSION,
          tenant: entry.tenant,
          model: entry.model,
          provider: entry.provider,
          promptTokens: entry.promptTokens,
          count: entry.vectors.length,
          dims,
          vectors: packed,
          expiresAtMs: entry.expiresAt,
          // DynamoDB TTL wants epoch seconds; round up so the item never
          // disappears before the entry's own expiry.
          expiresAt: Math.ceil(entry.expiresAt / 1000),
        },
      })
    );
  }
}

/** `count` float32 vectors of `dims` values from little-endian bytes. */
function splitVectors(
  bytes: Uint8Array,
  count: number,
  dims: number
): Float32Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Float32Array[] = [];
  for (let j = 0; j < count; j++) {
    const v = new Float32Array(dims);
    for (let i = 0; i < dims; i++)
      v[i] = view.getFloat32((j * dims + i) * 4, true);
    out.push(v);
  }
  return out;
}
