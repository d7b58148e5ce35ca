import { randomUUID } from 'node:crypto';
import {
  type EmbeddingsRequest,
  parseEmbeddingsRequest,
} from '../api/embeddings-request';
import { GatewayError, toGatewayError } from '../api/errors';
import type { CostStats } from '../budget/cost-stats';
import type { BudgetGuard } from '../budget/guard';
import { EmbeddingCache } from '../cache/embedding-cache';
import type { ResolvedTenant } from '../config/load';
import type { DecisionLog, GatewayMetrics, Log } from '../ports';
import {
  isAbortError,
  ProviderError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../providers/errors';
import type { ProviderAdapter } from '../providers/types';
import { attemptSignal, type CandidateGate, Deadline } from '../resilience';
import { costUsd } from '../tokens';
import type { ChatRequest } from '../types';
import { CACHE_HEADER, cacheDirective } from './cache-stage';
import {
  finalError,
  type GateRefusal,
  refusedError,
  withHeaders,
} from './chat-errors';
import type { LimitStage } from './limit-stage';
import { noCandidateError, type RoutePlan } from './plan';
import { killSwitchError, type RequestPlanner } from './planner';
import { JSON_HEADERS, type ResponseSink } from './sink';

/** Dependencies of the embeddings route (a subset of the router's). */
export interface EmbeddingsDeps {
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly gate: CandidateGate;
  readonly metrics: GatewayMetrics;
  readonly decisions: DecisionLog;
  readonly log: Log;
  readonly attemptTimeoutMs: (provider: string) => number;
  readonly hardTimeoutMs: number;
  readonly now?: () => number;
  readonly budget?: BudgetGuard;
  readonly costs?: CostStats;
  readonly limits?: LimitStage;
  /** Embedding answer cache (absent: every answer is a bypass). */
  readonly embeddingCache?: EmbeddingCache;
}

/** One `/v1/embeddings` call as the router hands it over. */
export interface EmbeddingsCall {
  readonly body: unknown;
  readonly tenant: ResolvedTenant;
  readonly requestId: string;
  /** The request's `x-gateway-cache` header. */
  readonly directive?: string;
  readonly sink: ResponseSink;
}

/**
 * The chat-shaped stand-in the planner, limits and budgets read: routing
 * sees the longest input (each input must fit the context window on its
 * own) and `endpoint: embeddings` (only embedding models are candidates).
 */
function planShim(req: EmbeddingsRequest): ChatRequest {
  let longest = req.inputs[0]!;
  for (const t of req.inputs) if (t.length > longest.length) longest = t;
  return {
    model: req.model,
    messages: [{ role: 'user', content: longest }],
    stream: false,
    includeUsage: false,
    routing: {},
    endpoint: 'embeddings',
    ...(req.user !== undefined ? { user: req.user } : {}),
  };
}

/** Limits and budgets count every input; embeddings produce no output tokens. */
function costShim(req: EmbeddingsRequest): ChatRequest {
  return {
    ...planShim(req),
    messages: req.inputs.map((content) => ({
      role: 'user' as const,
      content,
    })),
    maxTokens: 1,
  };
}

/** Little-endian float32 bytes, base64: what OpenAI sends and the SDK decodes. */
export function encodeBase64Vector(vector: ArrayLike<number>): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf.toString('base64');
}

/** The OpenAI list body. Float answers are float32-rounded, as OpenAI's are. */
function listBody(
  vectors: readonly ArrayLike<number>[],
  model: string,
  format: 'float' | 'base64',
  promptTokens: number
): string {
  return JSON.stringify({
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding:
        format === 'base64' ? encodeBase64Vector(v) : Array.from(v as number[]),
    })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}

/**
 * A cached answer for any candidate from this container's LRU, else the
 * shared tier's answer for the chosen model (one read: the fleet stores what
 * it chose, and a read per fallback would tax every miss).
 */
async function cachedAnswer(
  cache: EmbeddingCache,
  tenant: string,
  candidates: readonly { readonly model: { readonly id: string } }[],
  keyOf: (model: string) => string,
  now: number
) {
  for (const c of candidates) {
    const hit = cache.local(keyOf(c.model.id), tenant, now);
    if (hit) return hit;
  }
  const chosen = candidates[0];
  return chosen ? cache.shared(keyOf(chosen.model.id), tenant, now) : undefined;
}

/**
 * `POST /v1/embeddings`: limits, routing (kill switches, open circuits,
 * embedding-only candidates), cache, then the attempt loop (gate admission,
 * budget reserve of the worst case, failover on retryable errors), decision
 * log and metrics. Errors are thrown as GatewayError for the router.
 */
export async function serveEmbeddings(
  deps: EmbeddingsDeps,
  planner: RequestPlanner,
  call: EmbeddingsCall
): Promise<void> {
  const now = deps.now ?? Date.now;
  const started = now();
  const cacheHeader: Record<string, string> = { [CACHE_HEADER]: 'bypass' };
  try {
    const req = parseEmbeddingsRequest(call.body);
    const directive = cacheDirective(call.directive);
    const limited = await deps.limits?.admit(costShim(req), call.tenant);
    try {
      const { plan, blocked } = await planner.plan(planShim(req), call.tenant);
      if (blocked) throw killSwitchError(blocked);
      if (!plan.decision.chosen) throw noCandidateError(plan.decision);
      const out = limited?.wrap(call.sink) ?? call.sink;
      const candidates = [plan.decision.chosen, ...plan.decision.fallbacks];
      const keyOf = EmbeddingCache.keys(call.tenant.id, req);
      const cache = directive === 'no-cache' ? undefined : deps.embeddingCache;
      if (cache) {
        const hit = await cachedAnswer(
          cache,
          call.tenant.id,
          candidates,
          keyOf,
          started
        );
        if (hit) {
          cache.counters.hits++;
          deps.metrics.event('EmbeddingCacheHits', 1);
          deps.metrics.request({
            route: 'embeddings',
            status: 200,
            tenant: call.tenant.id,
            provider: hit.provider,
            model: hit.model,
            stream: false,
            latencyMs: now() - started,
            fallbacks: 0,
            cached: true,
          });
          out.send(
            200,
            {
              ...JSON_HEADERS,
              'x-request-id': call.requestId,
              [CACHE_HEADER]: 'hit',
              'x-gateway-provider': hit.provider,
              'x-gateway-model': hit.model,
              'x-gateway-cost-usd': (0).toFixed(8),
            },
            listBody(
              hit.vectors,
              hit.model,
              req.encodingFormat,
              hit.promptTokens
            )
          );
          return;
        }
        cache.counters.misses++;
        cacheHeader[CACHE_HEADER] = 'miss';
      }
      await attempts(
        deps,
        call,
        req,
        keyOf,
        plan,
        out,
        cacheHeader,
        started,
        (u) =>
          limited?.served({
            promptTokens: u,
            completionTokens: 0,
            totalTokens: u,
          })
      );
    } finally {
      await limited?.settle();
    }
  } catch (err) {
    const gw = toGatewayError(err);
    throw withHeaders(gw, cacheHeader);
  }
}

async function attempts(
  deps: EmbeddingsDeps,
  call: EmbeddingsCall,
  req: EmbeddingsRequest,
  keyOf: (model: string) => string,
  plan: RoutePlan,
  sink: ResponseSink,
  cacheHeader: Record<string, string>,
  started: number,
  served: (promptTokens: number) => void
): Promise<void> {
  const now = deps.now ?? Date.now;
  const candidates = [plan.decision.chosen!, ...plan.decision.fallbacks];
  const decisionId = randomUUID();
  const deadline = new Deadline(now, undefined, deps.hardTimeoutMs);
  const budget = deps.budget?.begin(call.tenant, costShim(req));
  let lastError: ProviderError | undefined;
  let refused: GateRefusal | undefined;
  let tried = 0;
  const decision = (
    outcome: 'ok' | 'error',
    cost: number,
    servedBy?: string
  ): void =>
    deps.decisions.record({
      decision_id: decisionId,
      ts: new Date(started).toISOString(),
      tenant: call.tenant.id,
      context: {
        domain: plan.context.domain,
        budget_tier: plan.context.budgetTier,
        tools: false,
      },
      candidates: plan.decision.candidates.map((c) => c.model.id),
      chosen: plan.decision.chosen!.model.id,
      propensity: plan.decision.propensity,
      latency_ms: now() - started,
      cost_usd: cost,
      outcome,
      // No reward: the bandit learns from chat outcomes only.
      reward: null,
      ...(servedBy ? { served_by: servedBy } : {}),
      request_id: call.requestId,
    });
  for (const candidate of candidates) {
    const model = candidate.model;
    const adapter = deps.adapters.get(model.provider);
    if (!adapter?.embed) {
      lastError = new ProviderUnavailableError(
        model.provider,
        `provider ${model.provider} has no embedding adapter`
      );
      continue;
    }
    const admission = deps.gate.admit(model);
    if (!admission.ok) {
      if (!refused || admission.code === 'rate_limited')
        refused = {
          code: admission.code,
          retryAfterMs: Math.min(
            refused?.retryAfterMs ?? Infinity,
            admission.retryAfterMs
          ),
        };
      continue;
    }
    if (budget && !(await budget.reserve(model))) {
      admission.attempt.ignore();
      admission.release();
      if (!budget.cheaperFallback) break;
      continue;
    }
    tried++;
    const scope = attemptSignal(
      call.sink.signal,
      deadline,
      deps.attemptTimeoutMs(model.provider)
    );
    const attemptStart = now();
    try {
      const result = await adapter.embed(
        {
          inputs: req.inputs,
          ...(req.dimensions !== undefined
            ? { dimensions: req.dimensions }
            : {}),
          ...(req.user !== undefined ? { user: req.user } : {}),
        },
        model,
        { signal: scope.signal, requestId: call.requestId }
      );
      admission.attempt.success();
      const latencyMs = now() - attemptStart;
      deps.metrics.attempt({
        provider: model.provider,
        model: model.id,
        outcome: 'ok',
        latencyMs,
      });
      const cost = costUsd(
        { promptTokens: result.promptTokens, completionTokens: 0 },
        model.pricing
      );
      await budget?.settle(cost);
      served(result.promptTokens);
      deps.costs?.record(call.tenant.id, model.id, cost);
      const vectors = result.vectors.map((v) => Float32Array.from(v));
      sink.send(
        200,
        {
          ...JSON_HEADERS,
          ...cacheHeader,
          'x-request-id': call.requestId,
          'x-gateway-provider': model.provider,
          'x-gateway-model': model.id,
          'x-gateway-decision-id': decisionId,
          'x-gateway-attempts': String(tried),
          ...(budget
            ? budget.headers(cost)
            : { 'x-gateway-cost-usd': cost.toFixed(8) }),
        },
        listBody(vectors, model.id, req.encodingFormat, result.promptTokens)
      );
      await deps.embeddingCache?.put(
        keyOf(model.id),
        {
          tenant: call.tenant.id,
          model: model.id,
          provider: model.provider,
          vectors,
          promptTokens: result.promptTokens,
        },
        now()
      );
      deps.metrics.request({
        route: 'embeddings',
        status: 200,
        tenant: call.tenant.id,
        provider: model.provider,
        model: model.id,
        stream: false,
        latencyMs: now() - started,
        costUsd: cost,
        promptTokens: result.promptTokens,
        completionTokens: 0,
        fallbacks: tried - 1,
      });
      decision(
        plan.decision.chosen!.model.id === model.id ? 'ok' : 'error',
        cost,
        model.id
      );
      return;
    } catch (err) {
      await budget?.release();
      const why = scope.reason();
      if (why === 'client' || call.sink.signal.aborted) {
        admission.attempt.ignore();
        return;
      }
      if (err instanceof GatewayError) throw err;
      const pe =
        err instanceof ProviderError && why === undefined
          ? err
          : why !== undefined || isAbortError(err)
            ? new ProviderTimeoutError(
                model.provider,
                why === 'hard'
                  ? 'the request deadline passed'
                  : 'no answer within the attempt timeout',
                { cause: err }
              )
            : new ProviderUnavailableError(model.provider, 'adapter failure', {
                cause: err,
              });
      if (why === 'hard') admission.attempt.ignore();
      else admission.attempt.failure(pe);
      deps.metrics.attempt({
        provider: model.provider,
        model: model.id,
        outcome: pe.kind,
        latencyMs: now() - attemptStart,
      });
      lastError = pe;
      if (!pe.retryable || deadline.remaining() <= 0) break;
    } finally {
      scope.dispose();
      admission.release();
    }
  }
  const error = withHeaders(
    lastError
      ? finalError(lastError, tried)
      : refused && !budget?.refused
        ? refusedError(refused)
        : (budget?.refusalError() ??
          new GatewayError(
            503,
            'service_unavailable',
            'no_available_model',
            'no embedding model can serve this request right now'
          )),
    budget?.headers(0)
  );
  deps.metrics.request({
    route: 'embeddings',
    status: error.status,
    tenant: call.tenant.id,
    stream: false,
    latencyMs: now() - started,
    fallbacks: Math.max(0, tried - 1),
    errorCode: error.code,
  });
  if (tried > 0) decision('error', 0);
  throw error;
}
