import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { LRUCache } from 'lru-cache';
import { hashApiKey, type ResolvedTenant } from '../../config/load';
import type { TenantDirectory } from '../../tenants/directory';
import {
  type ApiKeyInfo,
  ApiKeyNotFoundError,
  type ApiKeyStore,
  generateApiKey,
} from '../../tenants/keys';

/** Longest a router may keep trusting a key it has seen: the revocation bound. */
export const MAX_POSITIVE_TTL_MS = 5_000;

/** Props of {@link DynamoTenantDirectory}. */
export interface DynamoTenantDirectoryProps {
  /** Tenants table (`TENANTS_TABLE`; string keys `pk`, `sk`). */
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  /**
   * How long a known key stays cached, ms; capped at 5000 so a revoked key
   * stops working on every router within 5 s. @default 5000
   */
  readonly positiveTtlMs?: number;
  /** How long an unknown key stays cached, ms. @default 5000 */
  readonly negativeTtlMs?: number;
  /** Clock of the caches (tests). @default performance.now */
  readonly now?: () => number;
}

/** The tenant item (`pk = TENANT#<id>`, `sk = CONFIG`). */
export interface TenantItem {
  readonly tier?: ResolvedTenant['tier'];
  readonly allowedModels?: readonly string[];
  readonly allowedProviders?: readonly string[];
  readonly region?: ResolvedTenant['region'];
  readonly defaultDomain?: string;
  readonly budgets?: ResolvedTenant['budgets'];
  readonly limits?: ResolvedTenant['limits'];
  readonly teams?: ResolvedTenant['teams'];
  readonly users?: ResolvedTenant['users'];
  readonly userDefaults?: ResolvedTenant['userDefaults'];
  /** `disabled` refuses every key of the tenant. */
  readonly status?: 'active' | 'disabled';
}

const NONE = Symbol('none');

interface KeyIndexItem {
  keyHash: string;
  keyId: string;
  prefix?: string;
  status?: 'active' | 'revoked';
  createdAt?: string;
  createdBy?: string;
  revokedAt?: string;
}

function keyInfo(tenant: string, item: KeyIndexItem): ApiKeyInfo {
  return {
    id: item.keyId,
    tenant,
    prefix: item.prefix ?? null,
    createdAt: item.createdAt ?? null,
    ...(item.createdBy ? { createdBy: item.createdBy } : {}),
    status: item.status === 'revoked' ? 'revoked' : 'active',
    ...(item.revokedAt ? { revokedAt: item.revokedAt } : {}),
  };
}

/**
 * Tenants and API keys in DynamoDB. A key is stored only as its SHA-256:
 * `pk = KEY#<hex>`, `sk = KEY` (what authentication reads: `tenantId`,
 * `keyId`, `status`), plus `pk = TENANT#<id>`, `sk = KEY#<keyId>` (the
 * tenant's key list: hash, shown prefix, dates, status); the tenant itself is
 * `pk = TENANT#<id>`, `sk = CONFIG`. Lookups are cached in a bounded LRU for
 * at most 5 s (hits and misses), so a hot key costs one read per router per
 * 5 s, a stream of bad keys can't hammer the table, and a revoked key stops
 * working on every router within 5 s.
 */
export class DynamoTenantDirectory implements TenantDirectory, ApiKeyStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly cache: LRUCache<string, ResolvedTenant | typeof NONE>;
  private readonly negativeTtlMs: number;

  public constructor(private readonly props: DynamoTenantDirectoryProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
    this.cache = new LRUCache({
      max: 10_000,
      ttl: Math.min(
        props.positiveTtlMs ?? MAX_POSITIVE_TTL_MS,
        MAX_POSITIVE_TTL_MS
      ),
      // An injected clock is read on every check (no 1 ms cached reading).
      ...(props.now ? { perf: { now: props.now }, ttlResolution: 0 } : {}),
    });
    this.negativeTtlMs = props.negativeTtlMs ?? 5_000;
  }

  public async authenticate(
    apiKey: string
  ): Promise<ResolvedTenant | undefined> {
    return this.authenticateHash(hashApiKey(apiKey));
  }

  public async authenticateHash(
    hash: string
  ): Promise<ResolvedTenant | undefined> {
    const cached = this.cache.get(hash);
    if (cached !== undefined) return cached === NONE ? undefined : cached;
    const tenant = await this.lookup(hash);
    if (tenant) this.cache.set(hash, tenant);
    else this.cache.set(hash, NONE, { ttl: this.negativeTtlMs });
    return tenant;
  }

  private async lookup(hash: string): Promise<ResolvedTenant | undefined> {
    const key = await this.client.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: { pk: `KEY#${hash}`, sk: 'KEY' },
      })
    );
    const tenantId = key.Item?.tenantId as string | undefined;
    if (!tenantId || key.Item?.status === 'revoked') return undefined;
    const item = await this.tenantItem(tenantId);
    if (!item || item.status === 'disabled') return undefined;
    return {
      id: tenantId,
      keyHashes: [hash],
      tier: item.tier,
      allowedModels: item.allowedModels,
      ...(item.allowedProviders
        ? { allowedProviders: item.allowedProviders }
        : {}),
      ...(item.region ? { region: item.region } : {}),
      ...(item.defaultDomain ? { defaultDomain: item.defaultDomain } : {}),
      budgets: item.budgets ?? {},
      limits: item.limits ?? {},
      teams: item.teams ?? {},
      users: item.users ?? {},
      ...(item.userDefaults ? { userDefaults: item.userDefaults } : {}),
    };
  }

  private async tenantItem(id: string): Promise<TenantItem | undefined> {
    const t = await this.client.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: { pk: `TENANT#${id}`, sk: 'CONFIG' },
      })
    );
    return t.Item as TenantItem | undefined;
  }

  /** Writes a tenant's config (ops tooling). */
  public async putTenant(id: string, item: TenantItem): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: { pk: `TENANT#${id}`, sk: 'CONFIG', ...item },
      })
    );
  }

  /** Stores a given clear key's hash for a tenant (ops `tenants add-key`); returns the hash. */
  public async addKey(
    tenantId: string,
    apiKey: string,
    createdBy = 'ops'
  ): Promise<string> {
    const generated = generateApiKey();
    const hash = hashApiKey(apiKey);
    await this.storeKey(
      tenantId,
      { hash, id: generated.id, prefix: apiKey.slice(0, 10) },
      { createdAt: new Date().toISOString(), createdBy }
    );
    return hash;
  }

  public async storeKey(
    tenantId: string,
    key: { hash: string; id: string; prefix: string },
    meta: { createdAt: string; createdBy: string }
  ): Promise<ApiKeyInfo> {
    const common = {
      keyId: key.id,
      prefix: key.prefix,
      status: 'active' as const,
      createdAt: meta.createdAt,
      createdBy: meta.createdBy,
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.props.tableName,
                Key: { pk: `TENANT#${tenantId}`, sk: 'CONFIG' },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.props.tableName,
                Item: {
                  pk: `KEY#${key.hash}`,
                  sk: 'KEY',
                  tenantId,
                  ...common,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.props.tableName,
                Item: {
                  pk: `TENANT#${tenantId}`,
                  sk: `KEY#${key.id}`,
                  keyHash: key.hash,
                  ...common,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        })
      );
    } catch (err) {
      const reasons = (err as { CancellationReasons?: { Code?: string }[] })
        .CancellationReasons;
      if (reasons?.[0]?.Code === 'ConditionalCheckFailed')
        throw new ApiKeyNotFoundError(`tenant ${tenantId}`);
      throw err;
    }
    this.cache.delete(key.hash);
    return keyInfo(tenantId, { keyHash: key.hash, ...common });
  }

  public async listKeys(tenantId: string): Promise<readonly ApiKeyInfo[]> {
    const [tenant, out] = await Promise.all([
      this.tenantItem(tenantId),
      this.client.send(
        new QueryCommand({
          TableName: this.props.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :k)',
          ExpressionAttributeValues: {
            ':pk': `TENANT#${tenantId}`,
            ':k': 'KEY#',
          },
        })
      ),
    ]);
    if (!tenant) throw new ApiKeyNotFoundError(`tenant ${tenantId}`);
    return ((out.Items ?? []) as KeyIndexItem[])
      .map((i) => keyInfo(tenantId, i))
      .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  }

  public async revokeKey(
    tenantId: string,
    keyId: string,
    at: string
  ): Promise<{ before: ApiKeyInfo; after: ApiKeyInfo }> {
    const got = await this.client.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: { pk: `TENANT#${tenantId}`, sk: `KEY#${keyId}` },
      })
    );
    const item = got.Item as KeyIndexItem | undefined;
    if (!item)
      throw new ApiKeyNotFoundError(`key ${keyId} of tenant ${tenantId}`);
    const before = keyInfo(tenantId, item);
    if (before.status === 'revoked') return { before, after: before };
    const set = {
      UpdateExpression: 'SET #s = :r, revokedAt = :at',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':r': 'revoked', ':at': at },
    };
    // The KEY# item is what every router reads: both change together.
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.props.tableName,
              Key: { pk: `KEY#${item.keyHash}`, sk: 'KEY' },
              ...set,
            },
          },
          {
            Update: {
              TableName: this.props.tableName,
              Key: { pk: `TENANT#${tenantId}`, sk: `KEY#${keyId}` },
              ...set,
            },
          },
        ],
      })
    );
    this.cache.delete(item.keyHash);
    return {
      before,
      after: { ...before, status: 'revoked', revokedAt: at },
    };
  }
}
