import { mediaExclusion } from '../media/routing';
import { mediaTokens } from '../media/summary';
import { estimatePromptTokens } from '../tokens';
import type { ChatRequest, ModelConfig, ProviderType } from '../types';
import type { Exclusion, ExternalExclusion, RoutingContext } from './types';

/*
 * The routing core sees only the prompt size (chars, message count), not the
 * request, so token estimates go through estimatePromptTokens with an empty
 * request and an explicit char count, plus the per-message framing derived
 * from tokens.ts itself. One source of truth for chars-per-token.
 */
const EMPTY_REQUEST: ChatRequest = {
  model: '',
  messages: [],
  stream: false,
  includeUsage: false,
  routing: {},
};
const TOKENS_PER_MESSAGE = estimatePromptTokens(
  { ...EMPTY_REQUEST, messages: [{ role: 'user', content: '' }] },
  'openai-compatible',
  0
);

/** Estimated prompt tokens of the routed request for one provider family. */
export function estimateContextPromptTokens(
  ctx: Pick<RoutingContext, 'promptChars' | 'messageCount' | 'media'>,
  providerType: ProviderType
): number {
  return (
    estimatePromptTokens(EMPTY_REQUEST, providerType, ctx.promptChars) +
    TOKENS_PER_MESSAGE * ctx.messageCount +
    (ctx.media ? mediaTokens(ctx.media, providerType) : 0)
  );
}

/** Result of the candidate filter: every input model lands in exactly one list. */
export interface CandidateSet {
  readonly eligible: ModelConfig[];
  readonly excluded: Exclusion[];
}

function matchesAny(model: ModelConfig, ids: readonly string[]): boolean {
  if (ids.includes(model.id)) return true;
  for (const alias of model.aliases) if (ids.includes(alias)) return true;
  return false;
}

/** True when `names` holds the model's provider instance or its family (`bedrock`). */
function providerIn(model: ModelConfig, names: readonly string[]): boolean {
  return names.includes(model.provider) || names.includes(model.providerType);
}

function capabilityList(model: ModelConfig): string {
  return model.capabilities.length > 0 ? model.capabilities.join(', ') : 'none';
}

/**
 * json_schema needs `structured_output`; json_object is also served by a
 * model with the older `json_mode` capability.
 */
function structuredExclusion(
  model: ModelConfig,
  ctx: RoutingContext
): Exclusion | undefined {
  const format = ctx.responseFormat;
  if (!format) return undefined;
  const caps = model.capabilities;
  if (caps.includes('structured_output')) return undefined;
  if (format === 'json_object' && caps.includes('json_mode')) return undefined;
  return {
    modelId: model.id,
    code: 'capability_structured_output',
    reason: `response_format ${format} needs the structured_output capability${format === 'json_object' ? ' or json_mode' : ''} (has: ${capabilityList(model)})`,
  };
}

function firstExclusion(
  model: ModelConfig,
  ctx: RoutingContext,
  external: ReadonlyMap<string, ExternalExclusion> | undefined
): Exclusion | undefined {
  const modelId = model.id;
  if (ctx.model.kind === 'named' && !ctx.model.modelIds.includes(modelId)) {
    return {
      modelId,
      code: 'not_requested',
      reason: `not requested: ${ctx.model.name} resolves to ${ctx.model.modelIds.join(', ') || 'no models'}`,
    };
  }
  if (model.status === 'deprecated' || model.status === 'shadow') {
    return {
      modelId,
      code: 'status',
      reason: `status ${model.status} is not routable`,
    };
  }
  // The tenant file may list aliases as well as ids (config schema).
  if (ctx.allowedModels && !matchesAny(model, ctx.allowedModels)) {
    return {
      modelId,
      code: 'tenant_not_allowed',
      reason: `model ${modelId} is not in the tenant allowlist`,
    };
  }
  if (ctx.allowedProviders && !providerIn(model, ctx.allowedProviders)) {
    return {
      modelId,
      code: 'tenant_provider_not_allowed',
      reason: `provider ${model.provider} is not in the tenant's allowed providers`,
    };
  }
  // Clients may name a provider instance or a provider family (`bedrock`).
  if (ctx.providers && !providerIn(model, ctx.providers)) {
    return {
      modelId,
      code: 'provider_not_requested',
      reason: `provider ${model.provider} not in requested providers ${ctx.providers.join(', ')}`,
    };
  }
  if (ctx.region === 'eu' && model.region.toLowerCase() !== 'eu') {
    return {
      modelId,
      code: 'region',
      reason: `region ${model.region} does not meet eu residency`,
    };
  }
  const embeddingModel = model.capabilities.includes('embeddings');
  if (ctx.endpoint === 'embeddings' && !embeddingModel) {
    return {
      modelId,
      code: 'capability_embeddings',
      reason: `not an embedding model (has: ${capabilityList(model)})`,
    };
  }
  if (ctx.endpoint !== 'embeddings' && embeddingModel) {
    return {
      modelId,
      code: 'capability_embeddings',
      reason: 'embedding model: serves /v1/embeddings only',
    };
  }
  if (ctx.needsTools && !model.capabilities.includes('tools')) {
    return {
      modelId,
      code: 'capability_tools',
      reason: `no tools capability (has: ${capabilityList(model)})`,
    };
  }
  if (ctx.needsStreaming && !model.capabilities.includes('streaming')) {
    return {
      modelId,
      code: 'capability_streaming',
      reason: `no streaming capability (has: ${capabilityList(model)})`,
    };
  }
  const structured = structuredExclusion(model, ctx);
  if (structured) return structured;
  if (ctx.needsReasoning && !model.capabilities.includes('reasoning')) {
    return {
      modelId,
      code: 'capability_reasoning',
      reason: `reasoning_effort needs the reasoning capability (has: ${capabilityList(model)})`,
    };
  }
  const media = ctx.media ? mediaExclusion(model, ctx.media) : undefined;
  if (media) return media;
  const needed =
    estimateContextPromptTokens(ctx, model.providerType) +
    (ctx.maxOutputTokens ?? 0);
  if (needed > model.contextWindow) {
    return {
      modelId,
      code: 'context_window',
      reason: `context window ${model.contextWindow} < estimated ${needed} tokens`,
    };
  }
  const ext = external?.get(modelId);
  if (ext) return { modelId, code: ext.code, reason: ext.reason };
  return undefined;
}

/**
 * Splits models into eligible and excluded for one request. Rules apply in a
 * fixed order (request, status, tenant, provider, region, capabilities,
 * context window, then external kill switches/circuits) and the first failing
 * rule is the model's single exclusion, so /v1/route explains each model once.
 */
export function filterCandidates(
  models: readonly ModelConfig[],
  ctx: RoutingContext,
  external?: ReadonlyMap<string, ExternalExclusion>
): CandidateSet {
  const eligible: ModelConfig[] = [];
  const excluded: Exclusion[] = [];
  for (const model of models) {
    const exclusion = firstExclusion(model, ctx, external);
    if (exclusion) excluded.push(exclusion);
    else eligible.push(model);
  }
  return { eligible, excluded };
}
