import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { EmbeddingsRequest } from '../api/embeddings-request';
import type { CacheSettings } from '../cache/config';

/** One cached embedding answer: vectors only, never the input text. */
export interface CachedEmbeddings {
  readonly tenant: string;
  readonly model: string;
  readonly provider: string;
  readonly vectors: readonly Float32Array[];
  readonly promptTokens: number;
  readonly expiresAt: number;
}

/**
 * In-process cache of embedding answers. Embeddings are deterministic, so
 * every request is cacheable (unless the client sends
 * `x-gateway-cache: no-cache`); the key is tenant + model + inputs +
 * dimensions, hashed so no input text is kept. Vectors are held as float32
 * (what the providers produce) to keep the byte cap honest.
 */
export class EmbeddingCache {
  private readonly lru: LRUCache<string, CachedEmbeddings>;
  /** Hits and misses of this instance. */
  public readonly counters = { hits: 0, misses: 0, stores: 0 };

  public constructor(
    private readonly settings: Pick<
      CacheSettings,
      'lruMaxEntries' | 'lruMaxBytes' | 'defaultTtlSeconds'
    >
  ) {
    this.lru = new LRUCache({
      max: settings.lruMaxEntries,
      maxSize: settings.lruMaxBytes,
      sizeCalculation: (e) =>
        Math.max(
          1,
          e.vectors.reduce((n, v) => n + v.byteLength, 0)
        ),
    });
  }

  /** The cache key of `request` served by `model` for `tenant`. */
  public static key(
    tenant: string,
    model: string,
    request: EmbeddingsRequest
  ): string {
    const h = createHash('sha256');
    h.update(`${tenant}\0${model}\0${request.dimensions ?? ''}\0`);
    for (const t of request.inputs) h.update(`${t.length}:${t}`);
    return `emb:${h.digest('base64url')}`;
  }

  /** The live entry under `key` for `tenant`. */
  public get(
    key: string,
    tenant: string,
    now: number
  ): CachedEmbeddings | undefined {
    const e = this.lru.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now || e.tenant !== tenant) {
      this.lru.delete(key);
      return undefined;
    }
    return e;
  }

  /** Stores an answer until the cache's default TTL. */
  public put(
    key: string,
    entry: Omit<CachedEmbeddings, 'expiresAt'>,
    now: number
  ): void {
    this.counters.stores++;
    this.lru.set(key, {
      ...entry,
      expiresAt: now + this.settings.defaultTtlSeconds * 1000,
    });
  }
}
