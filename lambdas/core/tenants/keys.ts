import { randomBytes } from 'node:crypto';
import { hashApiKey } from '../config/load';

/** What the gateway shows about a client API key: never the key, never its full hash. */
export interface ApiKeyInfo {
  /** Stable id of the key (`key_<hex>`), used to revoke it. */
  readonly id: string;
  readonly tenant: string;
  /** The key's first characters (`sk-gw-AbCd`), or null for keys seeded as hashes. */
  readonly prefix: string | null;
  readonly createdAt: string | null;
  readonly createdBy?: string;
  readonly status: 'active' | 'revoked';
  readonly revokedAt?: string;
}

/** A newly generated key: the clear key exists only here and in the one answer that shows it. */
export interface NewApiKey {
  readonly key: string;
  readonly hash: string;
  readonly id: string;
  readonly prefix: string;
}

/** Where client keys are kept, as SHA-256 only (DynamoDB on AWS, memory locally). */
export interface ApiKeyStore {
  /** Stores a key's hash for a tenant. Throws ApiKeyNotFoundError for an unknown tenant. */
  storeKey(
    tenantId: string,
    key: Pick<NewApiKey, 'hash' | 'id' | 'prefix'>,
    meta: { readonly createdAt: string; readonly createdBy: string }
  ): Promise<ApiKeyInfo>;
  /** The tenant's keys, newest first. Throws ApiKeyNotFoundError for an unknown tenant. */
  listKeys(tenantId: string): Promise<readonly ApiKeyInfo[]>;
  /** Revokes a key (idempotent). Throws ApiKeyNotFoundError for an unknown tenant or key. */
  revokeKey(
    tenantId: string,
    keyId: string,
    at: string
  ): Promise<{ before: ApiKeyInfo; after: ApiKeyInfo }>;
}

/** An unknown tenant or key. */
export class ApiKeyNotFoundError extends Error {
  public override readonly name = 'ApiKeyNotFoundError';
}

/** Prefix of every key the gateway issues. */
export const API_KEY_PREFIX = 'sk-gw-';

/** How many characters of a key are kept and shown to tell keys apart. */
const SHOWN_CHARS = API_KEY_PREFIX.length + 4;

/**
 * A new random client key: `sk-gw-` + 32 random bytes in base64url (256
 * bits, so guessing is hopeless), its SHA-256, an id and the shown prefix.
 */
export function generateApiKey(
  random: (n: number) => Buffer = randomBytes
): NewApiKey {
  const key = `${API_KEY_PREFIX}${random(32).toString('base64url')}`;
  return {
    key,
    hash: hashApiKey(key),
    id: `key_${random(8).toString('hex')}`,
    prefix: key.slice(0, SHOWN_CHARS),
  };
}

/** Id of a key that came from the config file as a hash (stable across restarts). */
export function seededKeyId(hash: string): string {
  return `key_cfg${hash.slice(0, 9)}`;
}

/** A client key as the admin API and the ops CLI show it (snake_case; never the key or its hash). */
export interface ApiKeyJson {
  readonly object: 'api_key';
  readonly id: string;
  readonly tenant: string;
  readonly prefix: string | null;
  readonly status: 'active' | 'revoked';
  readonly created_at: string | null;
  readonly created_by: string | null;
  readonly revoked_at: string | null;
}

/** The JSON view of a key. */
export function apiKeyJson(k: ApiKeyInfo): ApiKeyJson {
  return {
    object: 'api_key',
    id: k.id,
    tenant: k.tenant,
    prefix: k.prefix,
    status: k.status,
    created_at: k.createdAt,
    created_by: k.createdBy ?? null,
    revoked_at: k.revokedAt ?? null,
  };
}
