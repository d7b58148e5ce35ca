import { hashApiKey, type ResolvedTenant } from '../../config/load';
import type { TenantDirectory } from '../../tenants/directory';
import {
  type ApiKeyInfo,
  ApiKeyNotFoundError,
  type ApiKeyStore,
  seededKeyId,
} from '../../tenants/keys';

interface KeyEntry {
  readonly hash: string;
  info: ApiKeyInfo;
}

/**
 * Tenants from the config file and their keys in memory: the config's
 * `apiKeys` (hashed at load) and `apiKeyHashes` are the seed; keys created
 * through the admin API are added, revoked keys stop working at once. Only
 * SHA-256 digests are kept; lookups go through a Map, so timing reveals
 * nothing useful about the clear key.
 */
export class MemoryTenantDirectory implements TenantDirectory, ApiKeyStore {
  private readonly tenants = new Map<string, ResolvedTenant>();
  private readonly byHash = new Map<string, KeyEntry>();
  private readonly byTenant = new Map<string, KeyEntry[]>();

  public constructor(tenants: readonly ResolvedTenant[]) {
    for (const t of tenants) {
      this.tenants.set(t.id, t);
      for (const hash of t.keyHashes)
        this.index(t.id, {
          hash,
          info: {
            id: seededKeyId(hash),
            tenant: t.id,
            prefix: null,
            createdAt: null,
            createdBy: 'config',
            status: 'active',
          },
        });
    }
  }

  public async authenticate(
    apiKey: string
  ): Promise<ResolvedTenant | undefined> {
    return this.authenticateHash(hashApiKey(apiKey));
  }

  /** The tenant of a key already hashed (WebSocket frames carry only the hash). */
  public async authenticateHash(
    keyHash: string
  ): Promise<ResolvedTenant | undefined> {
    const entry = this.byHash.get(keyHash);
    return entry?.info.status === 'active'
      ? this.tenants.get(entry.info.tenant)
      : undefined;
  }

  public async storeKey(
    tenantId: string,
    key: { hash: string; id: string; prefix: string },
    meta: { createdAt: string; createdBy: string }
  ): Promise<ApiKeyInfo> {
    this.tenant(tenantId);
    if (this.byHash.has(key.hash))
      throw new Error('a key with this hash already exists');
    const info: ApiKeyInfo = {
      id: key.id,
      tenant: tenantId,
      prefix: key.prefix,
      createdAt: meta.createdAt,
      createdBy: meta.createdBy,
      status: 'active',
    };
    this.index(tenantId, { hash: key.hash, info });
    return info;
  }

  public async listKeys(tenantId: string): Promise<readonly ApiKeyInfo[]> {
    this.tenant(tenantId);
    return (this.byTenant.get(tenantId) ?? []).map((e) => e.info).reverse();
  }

  public async revokeKey(
    tenantId: string,
    keyId: string,
    at: string
  ): Promise<{ before: ApiKeyInfo; after: ApiKeyInfo }> {
    this.tenant(tenantId);
    const entry = this.byTenant.get(tenantId)?.find((e) => e.info.id === keyId);
    if (!entry)
      throw new ApiKeyNotFoundError(`key ${keyId} of tenant ${tenantId}`);
    const before = entry.info;
    if (before.status === 'active')
      entry.info = { ...before, status: 'revoked', revokedAt: at };
    return { before, after: entry.info };
  }

  private tenant(id: string): ResolvedTenant {
    const t = this.tenants.get(id);
    if (!t) throw new ApiKeyNotFoundError(`tenant ${id}`);
    return t;
  }

  private index(tenantId: string, entry: KeyEntry): void {
    this.byHash.set(entry.hash, entry);
    const list = this.byTenant.get(tenantId) ?? [];
    list.push(entry);
    this.byTenant.set(tenantId, list);
  }
}
