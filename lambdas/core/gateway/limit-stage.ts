import { GatewayError } from '../api/errors';
import type { ResolvedTenant } from '../config/load';
import type { LimitSettings } from '../limits/config';
import {
  type CounterState,
  checkCounters,
  formatReset,
  type LimitScope,
  type LimitVerdict,
  limitScopes,
  maxTokensCap,
  type PlannedCounter,
  planCounters,
  rateLimitHeaders,
} from '../limits/limiter';
import type { LimitCounterStore } from '../limits/types';
import type { GatewayMetrics, Log } from '../ports';
import { estimatePromptTokens } from '../tokens';
import type { BudgetTier, ChatRequest, Usage } from '../types';
import { mergeHeaders, type ResponseSink } from './sink';

/** Dependencies of the limit stage. */
export interface LimitStageDeps {
  readonly store: LimitCounterStore;
  readonly settings: LimitSettings;
  /** Tier of tenants that set none (routing.defaultTier). */
  readonly defaultTier: BudgetTier;
  readonly log: Log;
  readonly metrics: GatewayMetrics;
  readonly now?: () => number;
}

/** A request that passed its limits. */
export interface AdmittedRequest {
  /** The request with `max_tokens` clamped to the tier's and the scopes' caps. */
  readonly request: ChatRequest;
  /** `x-ratelimit-*` headers for the answer. */
  readonly headers: Readonly<Record<string, string>>;
  /** The sink with the `x-ratelimit-*` headers added to the answer. */
  wrap(sink: ResponseSink): ResponseSink;
  /** Records what the provider really used (called once the answer is complete). */
  served(usage: Usage): void;
  /**
   * Corrects the token reservations with the real usage (or gives them back
   * when nothing was served). Idempotent; never throws.
   */
  settle(): Promise<void>;
}

/**
 * Step 4 of a request (ARCHITECTURE.md): requests per minute and tokens per
 * day per tenant, team and user, counted in the shared store (DynamoDB on
 * AWS) so the limit holds across every router instance. Before routing it
 * clamps `max_tokens`, reserves the estimated tokens (prompt estimate +
 * `max_tokens`) and one request, or refuses with 429
 * `rate_limit_exceeded`, `Retry-After` and OpenAI's `x-ratelimit-*` headers;
 * after the call the reservation is corrected with the real usage.
 */
export class LimitStage {
  private readonly now: () => number;

  public constructor(private readonly deps: LimitStageDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Checks and counts one request; throws a GatewayError (429, or 503 when failing closed). */
  public async admit(
    request: ChatRequest,
    tenant: ResolvedTenant
  ): Promise<AdmittedRequest> {
    const scopes = limitScopes(tenant, request.user);
    const tier = tenant.tier ?? this.deps.defaultTier;
    const cap = maxTokensCap(
      scopes,
      this.deps.settings.maxTokensPerRequest[tier]
    );
    const clamped =
      cap !== undefined &&
      (request.maxTokens === undefined || request.maxTokens > cap)
        ? { ...request, maxTokens: cap }
        : request;
    // No scope caps anything: no prompt estimate, no counters to plan.
    if (!scopes.some(capsAnything)) return admitted(clamped, {}, [], this.deps);
    const now = this.now();
    const estimate = estimatePromptTokens(clamped) + (clamped.maxTokens ?? 0);
    const counters = planCounters(tenant, scopes, estimate, now);
    if (counters.length === 0) return admitted(clamped, {}, [], this.deps);
    let verdict: LimitVerdict;
    try {
      verdict = await checkCounters(this.deps.store, counters);
    } catch (err) {
      this.deps.metrics.event('LimitStoreError');
      this.deps.log.warn('limit counters unavailable', {
        tenant: tenant.id,
        failOpen: this.deps.settings.failOpen,
        error: err instanceof Error ? err.message : String(err),
      });
      if (this.deps.settings.failOpen)
        return admitted(clamped, {}, [], this.deps);
      throw new GatewayError(
        503,
        'service_unavailable',
        'limits_unavailable',
        'rate limits cannot be checked right now; retry shortly',
        { headers: { 'retry-after': '1' } }
      );
    }
    const headers = rateLimitHeaders(verdict.states, now);
    if (!verdict.ok) {
      this.deps.metrics.event('RateLimited', 1, {
        Metric: verdict.refused[0]!.counter.metric,
      });
      throw limitError(verdict.refused, headers, now);
    }
    return admitted(clamped, headers, verdict.reserved, this.deps);
  }
}

function capsAnything(scope: LimitScope): boolean {
  return (
    scope.caps.requestsPerMinute !== undefined ||
    scope.caps.tokensPerDay !== undefined
  );
}

const keepSink = (sink: ResponseSink): ResponseSink => sink;
const ignoreUsage = (): void => {};
const nothingToSettle = async (): Promise<void> => {};

function admitted(
  request: ChatRequest,
  headers: Record<string, string>,
  reserved: readonly PlannedCounter[],
  deps: LimitStageDeps
): AdmittedRequest {
  // No limit applies (or nothing was reserved, and no header to add): shared
  // no-ops instead of three closures per request.
  if (reserved.length === 0 && Object.keys(headers).length === 0) {
    return {
      request,
      headers,
      wrap: keepSink,
      served: ignoreUsage,
      settle: nothingToSettle,
    };
  }
  let used: number | undefined;
  let settled = false;
  return {
    request,
    headers,
    wrap: (sink) =>
      Object.keys(headers).length === 0 ? sink : withHeaders(sink, headers),
    served: (usage) => {
      used = usage.totalTokens;
    },
    settle: async () => {
      if (settled) return;
      settled = true;
      await Promise.all(
        reserved.map(async (c) => {
          const delta = (used ?? 0) - c.amount;
          if (delta === 0) return;
          try {
            await deps.store.add(c.key, delta, c.expiresAt);
          } catch (err) {
            deps.metrics.event('LimitStoreError');
            deps.log.warn('token reservation not corrected', {
              scope: c.scope.kind,
              error: err instanceof Error ? err.message : String(err),
            });
          }
        })
      );
    },
  };
}

/** A sink whose answers (whole or streamed) carry extra headers. */
function withHeaders(
  sink: ResponseSink,
  extra: Readonly<Record<string, string>>
): ResponseSink {
  return {
    send: (status, headers, body) =>
      sink.send(status, mergeHeaders(extra, headers), body),
    start: (status, headers) =>
      sink.start(status, mergeHeaders(extra, headers)),
    write: (chunk) => sink.write(chunk),
    end: () => sink.end(),
    get signal() {
      return sink.signal;
    },
    get client() {
      return sink.client;
    },
  };
}

const SCOPE_NAME: Record<string, string> = {
  tenant: 'tenant',
  team: 'team',
  user: 'user',
};

/** The 429 of ARCHITECTURE.md "Refusals", naming the scope and the limit. */
function limitError(
  refused: readonly CounterState[],
  headers: Record<string, string>,
  now: number
): GatewayError {
  // Retry when every refused window has reset.
  let resetAtMs = 0;
  for (const r of refused)
    if (r.counter.resetAtMs > resetAtMs) resetAtMs = r.counter.resetAtMs;
  const waitMs = resetAtMs - now;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const first = refused[0]!;
  const c = first.counter;
  const who = `${SCOPE_NAME[c.scope.kind]} ${c.scope.id}`;
  const what =
    c.metric === 'requests'
      ? `requests per minute: limit ${c.limit}, used ${first.value}`
      : c.amount > c.limit
        ? `tokens per day: limit ${c.limit}; this request alone needs about ${c.amount} (lower max_tokens or shorten the prompt)`
        : `tokens per day: limit ${c.limit}, used ${first.value}, this request needs about ${c.amount}`;
  return new GatewayError(
    429,
    'rate_limit_exceeded',
    'rate_limit_exceeded',
    `rate limit reached for ${who} on ${what}; retry after ${formatReset(waitMs)}`,
    { headers: { ...headers, 'retry-after': String(seconds) } }
  );
}
