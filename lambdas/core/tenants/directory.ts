import { hashApiKey, type ResolvedTenant } from '../config/load';

/** Looks up the tenant that owns an API key. */
export interface TenantDirectory {
  /** The tenant for a presented key, or undefined when the key is unknown. */
  authenticate(apiKey: string): Promise<ResolvedTenant | undefined>;
  /**
   * The tenant for a key known only by its SHA-256 (hex): a WebSocket
   * connection keeps the hash from its handshake, never the key.
   */
  authenticateHash?(keyHash: string): Promise<ResolvedTenant | undefined>;
}

/**
 * Tenants from the config file, indexed by key hash. Keys are compared as
 * SHA-256 digests through a Map lookup, so the timing reveals nothing useful
 * about the clear key.
 */
export class StaticTenantDirectory implements TenantDirectory {
  private readonly byHash = new Map<string, ResolvedTenant>();

  public constructor(tenants: readonly ResolvedTenant[]) {
    for (const t of tenants) for (const h of t.keyHashes) this.byHash.set(h, t);
  }

  public async authenticate(
    apiKey: string
  ): Promise<ResolvedTenant | undefined> {
    return this.byHash.get(hashApiKey(apiKey));
  }

  public async authenticateHash(
    keyHash: string
  ): Promise<ResolvedTenant | undefined> {
    return this.byHash.get(keyHash);
  }
}
