import type { CostStats } from '../budget/cost-stats';
import type { ResolvedProvider, ResolvedTenant } from '../config/load';
import type { BanditStore, LatencyTracker } from '../ports';
import type { CandidateGate } from '../resilience';
import type { RoutingDecision, ScoredCandidate } from '../routing/types';
import type { ModelConfig } from '../types';
import type { RoutePlan } from './plan';

/** `GET /v1/models`: OpenAI list shape plus provider, capabilities, region. */
export function listModelsJson(
  models: readonly ModelConfig[],
  tenant: ResolvedTenant
): Record<string, unknown> {
  const allowed = tenant.allowedModels
    ? new Set(tenant.allowedModels)
    : undefined;
  return {
    object: 'list',
    data: models
      .filter((m) => !allowed || allowed.has(m.id))
      .filter(
        (m) =>
          !tenant.allowedProviders ||
          tenant.allowedProviders.includes(m.provider) ||
          tenant.allowedProviders.includes(m.providerType)
      )
      .filter((m) => m.status !== 'deprecated')
      .map((m) => ({
        id: m.id,
        object: 'model',
        created: 0,
        owned_by: m.provider,
        provider: m.provider,
        provider_type: m.providerType,
        provider_model_id: m.providerModelId,
        aliases: m.aliases,
        capabilities: m.capabilities,
        region: m.region,
        context_window: m.contextWindow,
        max_output_tokens: m.maxOutputTokens,
        pricing: {
          input_per_1m: m.pricing.inputPer1M,
          output_per_1m: m.pricing.outputPer1M,
        },
        domains: m.domains,
        status: m.status,
        auto_route: m.autoRoute !== false,
      })),
  };
}

function candidateJson(c: ScoredCandidate): Record<string, unknown> {
  return {
    model: c.model.id,
    provider: c.model.provider,
    probability: round(c.probability),
    score: {
      final: round(c.finalScore),
      policy: round(c.policyScore),
      components: {
        latency: round(c.components.latency),
        cost: round(c.components.cost),
        quality: round(c.components.quality),
        domain: round(c.components.domain),
      },
      bandit: { mean: round(c.banditMean), sample: round(c.banditSample) },
    },
    estimated_cost_usd: c.estimatedCostUsd,
    estimated_latency_ms: Math.round(c.estimatedLatencyMs),
    over_sla: c.overSla,
  };
}

/** `POST /v1/route`: the dry-run decision with every score and exclusion. */
export function routeDecisionJson(
  plan: RoutePlan,
  blocked?: { readonly scope: string; readonly reason?: string }
): Record<string, unknown> {
  const d: RoutingDecision = plan.decision;
  const ctx = plan.context;
  return {
    object: 'route.decision',
    context_key: d.contextKey,
    context: {
      model: ctx.model.kind === 'auto' ? 'auto' : ctx.model.name,
      domain: ctx.domain,
      budget_tier: ctx.budgetTier,
      tools: ctx.needsTools,
      stream: ctx.needsStreaming,
      response_format: ctx.responseFormat ?? null,
      reasoning: ctx.needsReasoning === true,
      endpoint: ctx.endpoint ?? 'chat',
      region: ctx.region,
      providers: ctx.providers ?? null,
      max_latency_ms: ctx.maxLatencyMs,
    },
    /** Set when a global or route kill switch would answer 503. */
    blocked_by: blocked
      ? { kill_switch: blocked.scope, reason: blocked.reason ?? null }
      : null,
    chosen: d.chosen
      ? {
          model: d.chosen.model.id,
          provider: d.chosen.model.provider,
          probability: round(d.propensity),
        }
      : null,
    fallbacks: d.fallbacks.map((c) => c.model.id),
    candidates: d.candidates.map(candidateJson),
    excluded: d.excluded.map((e) => ({
      model: e.modelId,
      code: e.code,
      reason: e.reason,
    })),
  };
}

/** `GET /health`: liveness and which providers can be called. */
export function healthJson(
  providers: readonly ResolvedProvider[],
  startedAt: number,
  now: number
): Record<string, unknown> {
  return {
    status: 'ok',
    uptime_s: Math.round((now - startedAt) / 1000),
    providers: providers.map((p) => ({
      id: p.id,
      type: p.type,
      live: p.live,
      ...(p.reason ? { reason: p.reason } : {}),
    })),
  };
}

/** `GET /v1/stats`: latency estimates, bandit posteriors, cost per tenant and model. */
export function statsJson(
  models: readonly ModelConfig[],
  latency: LatencyTracker,
  bandit: BanditStore,
  gate: CandidateGate,
  /** Response cache counters of this instance (hit rate); null when off. */
  cache?: { stats(): Record<string, number | null> },
  /** Cost per tenant and model; `tenant` limits it to the caller's own. */
  costs?: { stats: CostStats; tenant?: string }
): Record<string, unknown> {
  return {
    ...(costs ? { cost_usd: costs.stats.snapshot(costs.tenant) } : {}),
    object: 'stats',
    circuits: gate.breakers.snapshot(),
    provider_limits: gate.limits.snapshot(),
    models: models.map((m) => ({
      model: m.id,
      provider: m.provider,
      observations: latency.count(m.id),
      latency_ewma_ms:
        latency.estimate(m.id) === undefined
          ? null
          : Math.round(latency.estimate(m.id)!),
    })),
    bandit: bandit.snapshot(),
    cache: cache?.stats() ?? null,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
