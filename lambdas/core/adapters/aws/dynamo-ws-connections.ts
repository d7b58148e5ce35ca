import {
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { WsFlightStore } from '../../gateway/ws-session';

/** What `$connect` learned about a connection. */
export interface WsConnectionRecord {
  /** SHA-256 (hex) of the key the client authenticated with; never the key. */
  readonly keyHash: string;
  readonly tenantId: string;
  /** Epoch ms of the handshake. */
  readonly connectedAt: number;
}

/** Props of {@link DynamoWsConnectionStore}. */
export interface DynamoWsConnectionStoreProps {
  /** Table (`WS_CONNECTIONS_TABLE`, the usage table on AWS; string keys `pk`, `sk`). */
  readonly tableName: string;
  /** The table's TTL attribute (epoch seconds). @default 'expiresAt' */
  readonly ttlAttribute?: string;
  readonly client?: DynamoDBDocumentClient;
  /**
   * How long an item outlives its connection's start: API Gateway closes a
   * connection after 2 h, so the item expires by TTL even without $disconnect.
   * @default 2 h 10 min
   */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** Partition key of a connection's item. */
export function wsConnectionKey(connectionId: string): {
  pk: string;
  sk: string;
} {
  return { pk: `WSCONN#${connectionId}`, sk: 'CONN' };
}

/** How long a cancel item lives (TTL); the session ignores stale ones anyway. */
const CANCEL_TTL_MS = 10 * 60_000;

function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

/**
 * WebSocket connections in DynamoDB, all under `pk = WSCONN#<id>` with a
 * TTL: the connection item (`sk = CONN`) holds the key hash and tenant from
 * `$connect` and the set of ids in flight (`inflight`), so claiming an id
 * checks duplicates and the per-connection limit in one conditional update;
 * a cancel is an item per connection and id (`sk = CANCEL#<id>`, attribute
 * `at`), written by the cancel's invocation whether or not the generation
 * registered yet (invocations race), read by the generating one. No scan,
 * no transaction.
 */
export class DynamoWsConnectionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly ttlAttr: string;

  public constructor(private readonly props: DynamoWsConnectionStoreProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
    this.ttlMs = props.ttlMs ?? 130 * 60_000;
    this.now = props.now ?? Date.now;
    this.ttlAttr = props.ttlAttribute ?? 'expiresAt';
  }

  /** Records an authenticated connection (`$connect`). */
  public async connect(
    connectionId: string,
    record: Omit<WsConnectionRecord, 'connectedAt'>
  ): Promise<void> {
    const at = this.now();
    await this.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: {
          ...wsConnectionKey(connectionId),
          keyHash: record.keyHash,
          tenantId: record.tenantId,
          connectedAt: at,
          [this.ttlAttr]: Math.ceil((at + this.ttlMs) / 1000),
        },
      })
    );
  }

  /** The connection's record, or undefined when unknown or expired. */
  public async get(
    connectionId: string
  ): Promise<WsConnectionRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: wsConnectionKey(connectionId),
        ProjectionExpression: 'keyHash, tenantId, connectedAt, #ttl',
        ExpressionAttributeNames: { '#ttl': this.ttlAttr },
      })
    );
    const item = out.Item;
    // TTL deletion lags expiry by up to days: check the time ourselves.
    if (!item || (item[this.ttlAttr] as number) * 1000 < this.now())
      return undefined;
    return {
      keyHash: item.keyHash as string,
      tenantId: item.tenantId as string,
      connectedAt: item.connectedAt as number,
    };
  }

  /** Forgets a connection (`$disconnect`). */
  public async disconnect(connectionId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.props.tableName,
        Key: wsConnectionKey(connectionId),
      })
    );
  }

  /** The flight registry of one connection, for a WsSession. */
  public flights(connectionId: string): WsFlightStore {
    const table = this.props.tableName;
    const Key = wsConnectionKey(connectionId);
    const client = this.client;
    const now = this.now;
    const ttlAttr = this.ttlAttr;
    const cancelKey = (id: string) => ({
      pk: Key.pk,
      sk: `CANCEL#${id}`,
    });
    return {
      async begin(id, max) {
        try {
          await client.send(
            new UpdateCommand({
              TableName: table,
              Key,
              UpdateExpression: 'ADD inflight :ids',
              ConditionExpression:
                'attribute_exists(pk) AND (attribute_not_exists(inflight) OR (NOT contains(inflight, :id) AND size(inflight) < :max))',
              ExpressionAttributeValues: {
                ':ids': new Set([id]),
                ':id': id,
                ':max': max,
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            })
          );
          return 'ok';
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
          const old = (err as { Item?: Record<string, unknown> }).Item;
          if (!old) throw new Error('the connection is not registered');
          // The raw item: a string set is `{SS: [...]}` here.
          const inflight = (old.inflight as { SS?: string[] } | undefined)?.SS;
          return inflight?.includes(id) ? 'duplicate' : 'full';
        }
      },
      async end(id, cancelled) {
        try {
          await client.send(
            new UpdateCommand({
              TableName: table,
              Key,
              UpdateExpression: 'DELETE inflight :ids',
              // Never resurrect the item of a closed connection.
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':ids': new Set([id]) },
            })
          );
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
        // Only a generation that saw a cancel has an item to forget: no
        // extra write on the common path.
        if (cancelled) {
          await client.send(
            new DeleteCommand({ TableName: table, Key: cancelKey(id) })
          );
        }
      },
      async requestCancel(id) {
        const at = now();
        await client.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...cancelKey(id),
              at,
              [ttlAttr]: Math.ceil((at + CANCEL_TTL_MS) / 1000),
            },
          })
        );
      },
      async cancelRequestedAt(id) {
        const out = await client.send(
          new GetCommand({
            TableName: table,
            Key: cancelKey(id),
            ProjectionExpression: '#at',
            ExpressionAttributeNames: { '#at': 'at' },
            ConsistentRead: true,
          })
        );
        return out.Item?.at as number | undefined;
      },
    };
  }
}
