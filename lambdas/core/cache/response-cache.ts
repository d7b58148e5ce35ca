import { LRUCache } from 'lru-cache';
import type { Log } from '../ports';
import type { CacheSettings } from './config';
import type { CachedCompletion, ResponseCacheStore } from './types';

/** Options of a {@link ResponseCache}. */
export interface ResponseCacheOptions {
  readonly settings: Pick<CacheSettings, 'lruMaxEntries' | 'lruMaxBytes'>;
  /**
   * Shared store behind the LRU (DynamoDB on AWS).
   * @default - LRU only (local mode)
   */
  readonly store?: ResponseCacheStore;
  readonly log?: Log;
  /** Called when the shared store fails (the request goes on as a miss). */
  readonly onStoreError?: (op: 'get' | 'put') => void;
}

/** Where a found entry came from. */
export type CacheSource = 'lru' | 'store';

/**
 * Two-level response cache: an in-process LRU bounded by entries and bytes
 * in front of an optional shared store. Expiry is judged against the
 * caller's clock on every read (never the LRU's own timers), so tests can
 * inject time and an entry is never served past its `expiresAt`. The shared
 * store is best effort: its failures are misses, never request errors.
 */
export class ResponseCache {
  private readonly lru: LRUCache<string, CachedCompletion>;

  public constructor(private readonly options: ResponseCacheOptions) {
    this.lru = new LRUCache<string, CachedCompletion>({
      max: options.settings.lruMaxEntries,
      maxSize: options.settings.lruMaxBytes,
      sizeCalculation: (entry) => entrySize(entry),
    });
  }

  /** The live entry for `key` and `tenant`, or undefined. */
  public async get(
    key: string,
    tenant: string,
    now: number
  ): Promise<{ entry: CachedCompletion; source: CacheSource } | undefined> {
    const local = this.lru.get(key);
    if (local) {
      if (local.expiresAt > now && local.tenant === tenant)
        return { entry: local, source: 'lru' };
      this.lru.delete(key);
    }
    if (!this.options.store) return undefined;
    let remote: CachedCompletion | undefined;
    try {
      remote = await this.options.store.get(key, now);
    } catch (err) {
      this.storeFailed('get', err);
      return undefined;
    }
    // The key already names the tenant; the check is a second lock.
    if (!remote || remote.expiresAt <= now || remote.tenant !== tenant)
      return undefined;
    this.lru.set(key, remote);
    return { entry: remote, source: 'store' };
  }

  /** Stores an entry in the LRU and the shared store. */
  public async put(key: string, entry: CachedCompletion): Promise<void> {
    this.lru.set(key, entry);
    if (!this.options.store) return;
    try {
      await this.options.store.put(key, entry);
    } catch (err) {
      this.storeFailed('put', err);
    }
  }

  /** Entries held in process (tests, stats). */
  public get size(): number {
    return this.lru.size;
  }

  private storeFailed(op: 'get' | 'put', err: unknown): void {
    this.options.log?.warn('response cache store failed', {
      op,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    this.options.onStoreError?.(op);
  }
}

/** Serialised size of an entry in bytes (what the LRU and the size cap count). */
export function entrySize(entry: CachedCompletion): number {
  return Buffer.byteLength(JSON.stringify(entry));
}
