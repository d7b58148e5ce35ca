import type { ResolvedTenant } from '../config/load';
import type { TenantDirectory } from './directory';

/** Token prefix of a key given by its SHA-256 (`sha256:<64 hex>`). */
export const KEY_HASH_TOKEN_PREFIX = 'sha256:';

const TOKEN_RE = /^sha256:([0-9a-f]{64})$/;

/** The bearer token that stands for a key known only by its hash. */
export function keyHashToken(keyHash: string): string {
  return `${KEY_HASH_TOKEN_PREFIX}${keyHash}`;
}

/**
 * A tenant directory that accepts only `sha256:<hex>` tokens: the router
 * app serving AWS WebSocket frames authenticates each frame with the key
 * hash its connection stored at `$connect` (the key itself is never
 * stored). It never accepts a clear key, and the app it serves is reached
 * only by frames of connections `$connect` authenticated, so a hash
 * someone read elsewhere can't be presented as a key.
 */
export class KeyHashTenantDirectory implements TenantDirectory {
  public constructor(private readonly inner: TenantDirectory) {
    if (!inner.authenticateHash) {
      throw new Error('the tenant directory cannot authenticate by key hash');
    }
  }

  public async authenticate(
    token: string
  ): Promise<ResolvedTenant | undefined> {
    const m = TOKEN_RE.exec(token);
    return m ? this.inner.authenticateHash!(m[1]!) : undefined;
  }
}
