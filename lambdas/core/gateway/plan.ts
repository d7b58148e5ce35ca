import { GatewayError } from '../api/errors';
import type { ResolvedRouting, ResolvedTenant } from '../config/load';
import type { Assignment } from '../experiments/assignment';
import type { ExplorationSettings } from '../learning/config';
import { mediaContext, mediaErrorParam } from '../media/routing';
import type { BanditStore, LatencyTracker } from '../ports';
import { decide } from '../routing/decide';
import type {
  Exclusion,
  ExternalExclusion,
  ModelRequest,
  Rng,
  RoutingContext,
  RoutingDecision,
} from '../routing/types';
import { promptChars } from '../tokens';
import type { ChatRequest, ModelConfig } from '../types';

/** The current set of routable models (static locally, registry-backed on AWS). */
export interface ModelCatalog {
  list(): readonly ModelConfig[];
  /** Re-reads the backing store when the cached view is stale (bounded staleness). */
  refresh?(): Promise<void>;
}

/** Inputs of one routing plan. */
export interface PlanDeps {
  readonly catalog: ModelCatalog;
  readonly routing: ResolvedRouting;
  readonly bandit: BanditStore;
  readonly latency: LatencyTracker;
  readonly rng: Rng;
  /** Bounded exploration (learning.exploration); absent: none. */
  readonly exploration?: ExplorationSettings;
}

/** A routing plan: the context the core saw and its decision. */
export interface RoutePlan {
  readonly context: RoutingContext;
  readonly decision: RoutingDecision;
  /** The experiment variant this request was routed under, if any. */
  readonly experiment?: Assignment;
}

/** Resolves `model` to auto or a model group; 404 when nothing matches. */
export function resolveModelRequest(
  name: string,
  models: readonly ModelConfig[]
): ModelRequest {
  if (name === 'auto') return { kind: 'auto' };
  const ids: string[] = [];
  for (const m of models) {
    if (m.id === name || m.aliases.includes(name)) ids.push(m.id);
  }
  if (ids.length === 0) {
    throw new GatewayError(
      404,
      'not_found_error',
      'model_not_found',
      `the model ${JSON.stringify(name)} does not exist; GET /v1/models lists the models you can use, or send "auto"`,
      { param: 'model' }
    );
  }
  return { kind: 'named', name, modelIds: ids };
}

/** Capabilities the request's structured-output and reasoning fields need. */
function routingNeeds(
  request: ChatRequest
): Pick<RoutingContext, 'responseFormat' | 'needsReasoning'> {
  const format = request.responseFormat?.type;
  const effort = request.reasoningEffort;
  return {
    ...(format === 'json_schema' || format === 'json_object'
      ? { responseFormat: format }
      : {}),
    // `none` asks for no reasoning: every model can honour that.
    ...(effort !== undefined && effort !== 'none'
      ? { needsReasoning: true }
      : {}),
  };
}

/** Builds the routing context of a request for a tenant. */
export function routingContext(
  request: ChatRequest,
  tenant: ResolvedTenant,
  model: ModelRequest,
  routing: ResolvedRouting
): RoutingContext {
  const tier = request.routing.budgetTier ?? tenant.tier ?? routing.defaultTier;
  return {
    model,
    domain:
      request.routing.domain ?? tenant.defaultDomain ?? routing.defaultDomain,
    budgetTier: tier,
    needsTools: (request.tools?.length ?? 0) > 0,
    needsStreaming: request.stream,
    ...routingNeeds(request),
    ...(request.endpoint ? { endpoint: request.endpoint } : {}),
    // The tenant's residency is a floor the request can't lower.
    region: tenant.region === 'eu' ? 'eu' : (request.routing.region ?? 'any'),
    providers: request.routing.providers,
    maxLatencyMs: request.routing.maxLatencyMs ?? routing.slaMs[tier],
    promptChars: promptChars(request),
    messageCount: request.messages.length,
    ...mediaContext(request),
    maxOutputTokens: request.maxTokens,
    allowedModels: tenant.allowedModels,
    allowedProviders: tenant.allowedProviders,
  };
}

/**
 * Plans the route of a request: resolves the model, filters, scores and
 * samples. Models with `autoRoute: false` are offered to `auto` requests
 * only as exclusions (reachable by name).
 */
export function planRoute(
  request: ChatRequest,
  tenant: ResolvedTenant,
  deps: PlanDeps,
  /** Kill switches, open circuits, dead providers: computed outside the pure core. */
  external?: ReadonlyMap<string, ExternalExclusion>
): RoutePlan {
  const all = deps.catalog.list();
  const modelRequest = resolveModelRequest(request.model, all);
  let models = all;
  const hidden: Exclusion[] = [];
  if (modelRequest.kind === 'auto' && all.some((m) => m.autoRoute === false)) {
    const routable: ModelConfig[] = [];
    models = routable;
    for (const m of all) {
      if (m.autoRoute === false) {
        hidden.push({
          modelId: m.id,
          code: 'not_requested',
          reason: 'reachable by name only (autoRoute: false)',
        });
      } else routable.push(m);
    }
  }
  const context = routingContext(request, tenant, modelRequest, deps.routing);
  const decision = decide(models, context, {
    latency: deps.latency,
    bandit: deps.bandit,
    rng: deps.rng,
    settings: deps.routing.settings,
    external,
    exploration: deps.exploration,
  });
  return {
    context,
    decision:
      hidden.length > 0
        ? { ...decision, excluded: [...decision.excluded, ...hidden] }
        : decision,
  };
}

const UNAVAILABLE_CODES = new Set([
  'kill_switch',
  'circuit_open',
  'provider_unavailable',
]);

/** The client error when no candidate is eligible, chosen from the exclusions. */
export function noCandidateError(decision: RoutingDecision): GatewayError {
  const relevant = decision.excluded.filter((e) => e.code !== 'not_requested');
  const summary = relevant
    .slice(0, 5)
    .map((e) => `${e.modelId}: ${e.reason}`)
    .join('; ');
  if (
    relevant.length > 0 &&
    relevant.every(
      (e) =>
        e.code === 'tenant_not_allowed' ||
        e.code === 'tenant_provider_not_allowed'
    )
  ) {
    return new GatewayError(
      403,
      'permission_error',
      'model_not_allowed',
      `your API key may not use the requested model (${summary})`,
      { param: 'model' }
    );
  }
  if (relevant.some((e) => UNAVAILABLE_CODES.has(e.code))) {
    return new GatewayError(
      503,
      'service_unavailable',
      'no_available_model',
      `no model can serve this request right now (${summary})`,
      { headers: { 'retry-after': '5' } }
    );
  }
  return new GatewayError(
    400,
    'invalid_request_error',
    'no_eligible_model',
    relevant.length > 0
      ? `no model satisfies this request (${summary})`
      : 'no model is configured for this request',
    { param: mediaErrorParam(relevant) ?? 'model' }
  );
}
