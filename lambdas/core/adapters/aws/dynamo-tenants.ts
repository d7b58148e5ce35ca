import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { LRUCache } from 'lru-cache';
import { hashApiKey, type ResolvedTenant } from '../../config/load';
import type { TenantDirectory } from '../../tenants/directory';

/** Props of {@link DynamoTenantDirectory}. */
export interface DynamoTenantDirectoryProps {
  /** Tenants table (`TENANTS_TABLE`; string keys `pk`, `sk`). */
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  /** How long a known key stays cached, ms. @default 60000 */
  readonly positiveTtlMs?: number;
  /** How long an unknown key stays cached, ms. @default 10000 */
  readonly negativeTtlMs?: number;
}

/** The tenant item (`pk = TENANT#<id>`, `sk = CONFIG`). */
export interface TenantItem {
  readonly tier?: ResolvedTenant['tier'];
  readonly allowedModels?: readonly string[];
  readonly budgets?: ResolvedTenant['budgets'];
  readonly limits?: ResolvedTenant['limits'];
  /** `disabled` refuses every key of the tenant. */
  readonly status?: 'active' | 'disabled';
}

const NONE = Symbol('none');

/**
 * Tenants and API keys in DynamoDB. A key is stored only as its SHA-256
 * (`pk = KEY#<hex>`, `sk = KEY`, attribute `tenantId`, optional `status`),
 * the tenant as `pk = TENANT#<id>`, `sk = CONFIG`. Lookups are cached in a
 * bounded LRU (hits 60 s, misses 10 s) so a hot key costs no DynamoDB read
 * and a stream of bad keys can't hammer the table.
 */
export class DynamoTenantDirectory implements TenantDirectory {
  private readonly client: DynamoDBDocumentClient;
  private readonly cache: LRUCache<string, ResolvedTenant | typeof NONE>;
  private readonly negativeTtlMs: number;

  public constructor(private readonly props: DynamoTenantDirectoryProps) {
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
    this.cache = new LRUCache({
      max: 10_000,
      ttl: props.positiveTtlMs ?? 60_000,
    });
    this.negativeTtlMs = props.negativeTtlMs ?? 10_000;
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
    const t = await this.client.send(
      new GetCommand({
        TableName: this.props.tableName,
        Key: { pk: `TENANT#${tenantId}`, sk: 'CONFIG' },
      })
    );
    const item = t.Item as TenantItem | undefined;
    if (!item || item.status === 'disabled') return undefined;
    return {
      id: tenantId,
      keyHashes: [hash],
      tier: item.tier,
      allowedModels: item.allowedModels,
      budgets: item.budgets ?? {},
      limits: item.limits ?? {},
    };
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

  /** Stores a key's hash for a tenant; refuses to overwrite an existing key. */
  public async addKey(tenantId: string, apiKey: string): Promise<string> {
    const hash = hashApiKey(apiKey);
    await this.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: {
          pk: `KEY#${hash}`,
          sk: 'KEY',
          tenantId,
          status: 'active',
          createdAt: new Date().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      })
    );
    return hash;
  }
}
