import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { EmbeddingsRequest } from '../api/embeddings-request';
import type { Log } from '../ports';
import type { CacheSettings } from './config';

/** One cached embedding answer: vectors only, never the input text. */
export interface CachedEmbeddings {
  readonly tenant: string;
  readonly model: string;
  readonly provider: string;
  readonly vectors: readonly Float32Array[];
  readonly promptTokens: number;
  /** When it stops being served, epoch ms. */
  readonly expiresAt: number;
}

/**
 * Shared (cross-container) tier behind the in-process LRU: DynamoDB with TTL
 * on AWS, absent locally. Implementations treat expired entries and entries
 * of another tenant as misses and never throw for a missing item.
 */
export interface EmbeddingCacheStore {
  /** The live entry under `key` for `tenant`, or undefined. */
  get(
    key: string,
    tenant: string,
    now: number
  ): Promise<CachedEmbeddings | undefined>;
  /** Stores an entry until its `expiresAt` (may skip one too big to store). */
  put(key: string, entry: CachedEmbeddings): Promise<void>;
}

/** Where a hit came from. */
export type EmbeddingCacheSource = 'lru' | 'store';

/** Options of {@link EmbeddingCache}. */
export interface EmbeddingCacheOptions {
  /** Shared tier (DynamoDB on AWS); absent: this container only. */
  readonly store?: EmbeddingCacheStore;
  /** Where store failures are reported (they are misses, never errors). */
  readonly log?: Pick<Log, 'warn'>;
}

/**
 * Cache of embedding answers. Embeddings are deterministic, so every request
 * is cacheable (unless the client sends `x-gateway-cache: no-cache`), and a
 * fleet-wide tier pays off most here: RAG pipelines embed the same chunks
 * from many containers. The key is tenant + model + inputs + dimensions,
 * hashed so no input text is kept. Vectors are held as float32 (what the
 * providers produce) to keep the byte cap honest.
 */
export class EmbeddingCache {
  private readonly lru: LRUCache<string, CachedEmbeddings>;
  /** Hits, misses and stores of this instance. */
  public readonly counters = { hits: 0, misses: 0, stores: 0, storeHits: 0 };

  public constructor(
    private readonly settings: Pick<
      CacheSettings,
      'lruMaxEntries' | 'lruMaxBytes' | 'defaultTtlSeconds'
    >,
    private readonly options: EmbeddingCacheOptions = {}
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

  /**
   * Cache keys of `request` for `tenant`, by serving model. The inputs (up to
   * 1.2 MB) are hashed once, on the first key asked for; each model's key is
   * then a hash of tenant, model and that digest, so trying the LRU for every
   * candidate and storing the answer cost one pass over the text.
   */
  public static keys(
    tenant: string,
    request: EmbeddingsRequest
  ): (model: string) => string {
    let inputs: string | undefined;
    return (model) => {
      if (inputs === undefined) {
        const h = createHash('sha256');
        h.update(`${request.dimensions ?? ''}\0`);
        for (const t of request.inputs) h.update(`${t.length}:${t}`);
        inputs = h.digest('base64url');
      }
      const key = createHash('sha256')
        .update(`${tenant}\0${model}\0${inputs}`)
        .digest('base64url');
      return `emb:${key}`;
    };
  }

  /** The live in-process entry under `key` for `tenant` (no I/O). */
  public local(
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

  /**
   * The shared tier's entry under `key`, promoted into the LRU. A failing
   * store is a miss: the cache never turns a servable request into an error.
   */
  public async shared(
    key: string,
    tenant: string,
    now: number
  ): Promise<CachedEmbeddings | undefined> {
    if (!this.options.store) return undefined;
    try {
      const e = await this.options.store.get(key, tenant, now);
      if (!e || e.tenant !== tenant || e.expiresAt <= now) return undefined;
      this.counters.storeHits++;
      this.lru.set(key, e);
      return e;
    } catch (err) {
      this.storeFailed('get', err);
      return undefined;
    }
  }

  /** Stores an answer in the LRU and the shared tier until the default TTL. */
  public async put(
    key: string,
    entry: Omit<CachedEmbeddings, 'expiresAt'>,
    now: number
  ): Promise<void> {
    this.counters.stores++;
    const full: CachedEmbeddings = {
      ...entry,
      expiresAt: now + this.settings.defaultTtlSeconds * 1000,
    };
    this.lru.set(key, full);
    if (!this.options.store) return;
    try {
      await this.options.store.put(key, full);
    } catch (err) {
      this.storeFailed('put', err);
    }
  }

  private storeFailed(op: 'get' | 'put', err: unknown): void {
    this.options.log?.warn('embedding cache store failed', {
      op,
      error: err instanceof Error ? err.name : 'unknown',
    });
  }
}
