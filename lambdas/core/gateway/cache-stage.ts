import { randomUUID } from 'node:crypto';
import {
  ChunkEncoder,
  chatCompletionJson,
  SSE_DONE,
} from '../api/chat-response';
import { badRequest } from '../api/errors';
import { type CapturedAnswer, captureJson, SseCapture } from '../cache/capture';
import { type CacheSettings, ttlSecondsFor } from '../cache/config';
import { cacheKey } from '../cache/key';
import { entrySize, ResponseCache } from '../cache/response-cache';
import type {
  CachedCompletion,
  CacheStatus,
  ResponseCacheStore,
} from '../cache/types';
import type { ResolvedTenant } from '../config/load';
import type { GatewayMetrics, Log } from '../ports';
import type { ClientSignal } from '../resilience';
import { estimatePromptTokens, estimateTextTokens, makeUsage } from '../tokens';
import type { ChatRequest } from '../types';
import type { RoutePlan } from './plan';
import {
  JSON_HEADERS,
  mergeHeaders,
  type ResponseSink,
  SSE_HEADERS,
} from './sink';

/** Request and response header of the cache (ARCHITECTURE.md contract). */
export const CACHE_HEADER = 'x-gateway-cache';

/** Request directives of `x-gateway-cache`. */
export type CacheDirective = 'force' | 'no-cache';

/**
 * A sink that stamps `x-gateway-cache` on whatever answer goes out (errors
 * included) and, once asked, captures the answer for the cache.
 */
export class CacheTaggedSink implements ResponseSink {
  /** The value stamped on the answer. */
  public status: CacheStatus = 'bypass';
  private capture?: { maxBytes: number; sse?: SseCapture; json?: string };
  private sentStatus?: number;
  private sentHeaders: Record<string, string> = {};

  public constructor(private readonly inner: ResponseSink) {}

  public get signal(): AbortSignal {
    return this.inner.signal;
  }

  public get client(): ClientSignal | undefined {
    return this.inner.client;
  }

  public send(
    status: number,
    headers: Record<string, string>,
    body: string
  ): void {
    this.sentStatus = status;
    this.sentHeaders = headers;
    if (this.capture && status === 200) this.capture.json = body;
    const out = mergeHeaders(headers);
    out[CACHE_HEADER] = this.status;
    this.inner.send(status, out, body);
  }

  public start(status: number, headers: Record<string, string>): void {
    this.sentStatus = status;
    this.sentHeaders = headers;
    if (this.capture && status === 200)
      this.capture.sse = new SseCapture(this.capture.maxBytes);
    const out = mergeHeaders(headers);
    out[CACHE_HEADER] = this.status;
    this.inner.start(status, out);
  }

  public write(chunk: string): undefined | Promise<void> {
    this.capture?.sse?.push(chunk);
    return this.inner.write(chunk);
  }

  public end(): void {
    this.inner.end();
  }

  /** Starts capturing the answer (answers over `maxBytes` are not kept). */
  public startCapture(maxBytes: number): void {
    this.capture = { maxBytes };
  }

  /** The captured answer when it was a clean 200, with the headers it went out with. */
  public captured():
    | { answer: CapturedAnswer; headers: Record<string, string> }
    | undefined {
    if (!this.capture || this.sentStatus !== 200) return undefined;
    const answer = this.capture.sse
      ? this.capture.sse.result()
      : this.capture.json !== undefined &&
          Buffer.byteLength(this.capture.json) <= this.capture.maxBytes * 2
        ? captureJson(this.capture.json)
        : undefined;
    return answer ? { answer, headers: this.sentHeaders } : undefined;
  }
}

/** Wraps a sink so every answer says hit, miss or bypass (idempotent). */
export function tagCacheStatus(sink: ResponseSink): CacheTaggedSink {
  return sink instanceof CacheTaggedSink ? sink : new CacheTaggedSink(sink);
}

/** Parses the `x-gateway-cache` request header; 400 for an unknown value. */
export function cacheDirective(
  value: string | undefined
): CacheDirective | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  if (v === 'force' || v === 'no-cache') return v;
  throw badRequest(
    `${CACHE_HEADER}: unknown directive ${JSON.stringify(value.slice(0, 40))}; use "force" or "no-cache"`,
    null,
    'invalid_value'
  );
}

/** Why a request is served without the cache, or its TTL when cacheable. */
export type CacheDecision =
  | { readonly cacheable: true; readonly ttlSeconds: number }
  | {
      readonly cacheable: false;
      readonly reason:
        | 'disabled'
        | 'no-cache'
        | 'non-deterministic'
        | 'domain-ttl-0';
    };

/**
 * Whether a request may be served from and stored in the cache: only
 * deterministic requests (temperature 0) unless the client forces it, never
 * with `no-cache`, never in a domain whose TTL is 0.
 */
export function cacheDecision(
  request: ChatRequest,
  domain: string,
  directive: CacheDirective | undefined,
  settings: CacheSettings
): CacheDecision {
  if (!settings.enabled) return { cacheable: false, reason: 'disabled' };
  if (directive === 'no-cache') return { cacheable: false, reason: 'no-cache' };
  if (directive !== 'force' && request.temperature !== 0)
    return { cacheable: false, reason: 'non-deterministic' };
  const ttlSeconds = ttlSecondsFor(settings, domain);
  if (ttlSeconds <= 0) return { cacheable: false, reason: 'domain-ttl-0' };
  return { cacheable: true, ttlSeconds };
}

/** Dependencies of the cache stage. */
export interface CacheStageDeps {
  readonly cache: ResponseCache;
  readonly settings: CacheSettings;
  readonly metrics: GatewayMetrics;
  readonly log: Log;
  readonly now?: () => number;
}

/** One chat request as the cache stage sees it. */
export interface CacheStageCall {
  readonly request: ChatRequest;
  readonly tenant: ResolvedTenant;
  readonly plan: RoutePlan;
  readonly requestId: string;
  /** The request's `x-gateway-cache` header, if any. */
  readonly directive?: string;
  readonly sink: ResponseSink;
}

/** Counters of one router instance, for `/v1/stats`. */
export interface CacheCounters {
  hits: number;
  misses: number;
  bypasses: number;
  stores: number;
}

/**
 * The response cache in the request path. It runs after auth, parsing and
 * the routing plan (so kill switches, tenant allow-lists and region rules
 * apply to hits too) and before the chat service (so a hit never reserves
 * budget or calls a provider). A hit is served only when the model that
 * produced it is still a candidate of this request's plan. A miss is
 * captured from what the client actually received and stored only when it
 * was a clean, complete answer that no guardrail stopped.
 */
export class CacheStage {
  private readonly now: () => number;
  /** Per-instance counters (hits, misses, bypasses, stores). */
  public readonly counters: CacheCounters = {
    hits: 0,
    misses: 0,
    bypasses: 0,
    stores: 0,
  };

  public constructor(private readonly deps: CacheStageDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Serves `call` from the cache, or through `handle` and stores the answer. */
  public async serve(
    call: CacheStageCall,
    handle: (sink: ResponseSink) => Promise<void>
  ): Promise<void> {
    const started = this.now();
    const sink = tagCacheStatus(call.sink);
    const directive = cacheDirective(call.directive);
    const decision = cacheDecision(
      call.request,
      call.plan.context.domain,
      directive,
      this.deps.settings
    );
    if (!decision.cacheable) {
      sink.status = 'bypass';
      this.counters.bypasses++;
      this.deps.metrics.event('CacheBypass', 1);
      await handle(sink);
      return;
    }
    const key = cacheKey(call.tenant.id, call.plan.context, call.request);
    const found = await this.deps.cache.get(key, call.tenant.id, started);
    if (found && this.servable(found.entry, call.plan)) {
      sink.status = 'hit';
      this.counters.hits++;
      await this.replay(call, sink, found.entry, started);
      this.deps.metrics.event('CacheHits', 1);
      this.deps.metrics.request({
        route: 'chat',
        status: 200,
        tenant: call.tenant.id,
        provider: found.entry.provider,
        model: found.entry.model,
        stream: call.request.stream,
        latencyMs: this.now() - started,
        costUsd: 0,
        fallbacks: 0,
        cached: true,
      });
      return;
    }
    sink.status = 'miss';
    this.counters.misses++;
    this.deps.metrics.event('CacheMisses', 1);
    sink.startCapture(this.deps.settings.maxEntryBytes);
    await handle(sink);
    await this.store(call, sink, key, decision.ttlSeconds);
  }

  /** Hit rate and counters of this instance, for `/v1/stats`. */
  public stats(): Record<string, number | null> {
    const { hits, misses, bypasses, stores } = this.counters;
    const looked = hits + misses;
    return {
      hits,
      misses,
      bypasses,
      stores,
      entries: this.deps.cache.size,
      hit_rate: looked === 0 ? null : Math.round((hits / looked) * 1e4) / 1e4,
    };
  }

  /** The entry's model must still be a candidate (not killed, allowed, in region). */
  private servable(entry: CachedCompletion, plan: RoutePlan): boolean {
    return plan.decision.candidates.some(
      (c) => c.model.id === entry.model && c.model.provider === entry.provider
    );
  }

  private async store(
    call: CacheStageCall,
    sink: CacheTaggedSink,
    key: string,
    ttlSeconds: number
  ): Promise<void> {
    const got = sink.captured();
    if (!got) return;
    const { answer, headers } = got;
    // A guardrail-blocked answer is never served again from the cache.
    if (answer.finishReason === 'content_filter') return;
    const model = headers['x-gateway-model'] ?? answer.model;
    const provider = headers['x-gateway-provider'];
    if (!model || !provider) return;
    const now = this.now();
    const entry: CachedCompletion = {
      v: 1,
      tenant: call.tenant.id,
      model,
      provider,
      content: answer.content,
      toolCalls: answer.toolCalls,
      finishReason: answer.finishReason,
      usage: answer.usage ?? estimatedUsage(call.request, answer),
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
    };
    if (entrySize(entry) > this.deps.settings.maxEntryBytes) return;
    await this.deps.cache.put(key, entry);
    this.counters.stores++;
  }

  private async replay(
    call: CacheStageCall,
    sink: CacheTaggedSink,
    entry: CachedCompletion,
    now: number
  ): Promise<void> {
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(now / 1000);
    const headers: Record<string, string> = {
      'x-request-id': call.requestId,
      'x-gateway-provider': entry.provider,
      'x-gateway-model': entry.model,
      'x-gateway-cost-usd': (0).toFixed(8),
      'x-gateway-cache-age': String(
        Math.max(0, Math.floor((now - entry.createdAt) / 1000))
      ),
    };
    if (!call.request.stream) {
      sink.send(
        200,
        mergeHeaders(JSON_HEADERS, headers),
        JSON.stringify(
          chatCompletionJson(id, created, entry.model, {
            content: entry.content,
            toolCalls: entry.toolCalls,
            finishReason: entry.finishReason,
            usage: entry.usage,
          })
        )
      );
      return;
    }
    sink.start(200, mergeHeaders(SSE_HEADERS, headers));
    const pending = sink.write(
      replaySse(entry, id, created, call.request.includeUsage)
    );
    if (pending) await pending;
    sink.end();
  }
}

/** Characters per replayed content delta (live streams send a few tokens each). */
const REPLAY_DELTA_CHARS = 64;

/**
 * The SSE text of a cached answer, framed like a live stream: role chunk,
 * content deltas, tool-call deltas, the finish chunk, the usage chunk when
 * asked, then `[DONE]`.
 */
export function replaySse(
  entry: CachedCompletion,
  id: string,
  created: number,
  includeUsage: boolean
): string {
  const enc = new ChunkEncoder(id, created, entry.model);
  let out = enc.role();
  if (entry.content) {
    // Split on code points so no delta ends inside a surrogate pair.
    const chars = Array.from(entry.content);
    for (let i = 0; i < chars.length; i += REPLAY_DELTA_CHARS)
      out += enc.text(chars.slice(i, i + REPLAY_DELTA_CHARS).join(''));
  }
  entry.toolCalls.forEach((c, index) => {
    out += enc.toolCall(index, c.id, c.function.name, c.function.arguments);
  });
  out += enc.finish(entry.finishReason);
  if (includeUsage) out += enc.usage(entry.usage);
  return out + SSE_DONE;
}

/** Usage of a streamed answer that carried none (no include_usage): estimated. */
function estimatedUsage(request: ChatRequest, answer: CapturedAnswer) {
  const generated =
    (answer.content ?? '') +
    answer.toolCalls.map((c) => c.function.arguments).join('');
  return makeUsage(
    estimatePromptTokens(request),
    estimateTextTokens(generated)
  );
}

/**
 * Runs a chat request through the cache stage when there is one; without
 * one the answer still says `x-gateway-cache: bypass`.
 */
export async function serveWithCache(
  stage: CacheStage | undefined,
  call: CacheStageCall,
  handle: (sink: ResponseSink) => Promise<void>
): Promise<void> {
  if (stage) return stage.serve(call, handle);
  cacheDirective(call.directive);
  const sink = tagCacheStatus(call.sink);
  sink.status = 'bypass';
  await handle(sink);
}

/**
 * Builds the cache stage from the `cache` settings: an LRU in front of
 * `store` when given; undefined when the cache is disabled.
 */
export function createCacheStage(
  settings: CacheSettings,
  options: {
    readonly store?: ResponseCacheStore;
    readonly metrics: GatewayMetrics;
    readonly log: Log;
    readonly now?: () => number;
  }
): CacheStage | undefined {
  if (!settings.enabled) return undefined;
  return new CacheStage({
    cache: new ResponseCache({
      settings,
      store: options.store,
      log: options.log,
      onStoreError: (op) =>
        options.metrics.event('CacheStoreError', 1, { Op: op }),
    }),
    settings,
    metrics: options.metrics,
    log: options.log,
    now: options.now,
  });
}
