import type { FinishReason, ToolCall, Usage } from '../types';

/**
 * One cached chat completion: what the client saw, provider-neutral, so it
 * can be replayed as JSON or as an SSE stream whatever the original was.
 * No request text is stored, only the answer.
 */
export interface CachedCompletion {
  /** Entry format version (a new shape gets a new version; old ones read as misses). */
  readonly v: 1;
  /** Tenant the entry belongs to; checked on every read besides the key. */
  readonly tenant: string;
  /** Gateway model id that produced the answer. */
  readonly model: string;
  /** Provider instance of that model. */
  readonly provider: string;
  readonly content: string | null;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  /** Token usage of the original call (reported again on replay; billed 0). */
  readonly usage: Usage;
  /** When it was stored, epoch ms. */
  readonly createdAt: number;
  /** When it stops being served, epoch ms (DynamoDB's TTL may delete it later). */
  readonly expiresAt: number;
}

/**
 * Shared (cross-instance) store behind the in-process LRU: DynamoDB with TTL
 * on AWS; absent locally. Implementations treat expired entries as misses
 * and never throw for a missing item.
 */
export interface ResponseCacheStore {
  /** The live entry under `key`, or undefined (absent or expired at `now`). */
  get(key: string, now: number): Promise<CachedCompletion | undefined>;
  /** Stores an entry until its `expiresAt`. */
  put(key: string, entry: CachedCompletion): Promise<void>;
}

/** `x-gateway-cache` value of an answer (ARCHITECTURE.md contract). */
export type CacheStatus = 'hit' | 'miss' | 'bypass';
