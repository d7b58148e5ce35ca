import { createHash } from 'node:crypto';
import { cacheKeyMessages } from '../media/text';
import type { RoutingContext } from '../routing/types';
import type { ChatRequest } from '../types';

/**
 * Stable JSON: object keys sorted, no whitespace, undefined members dropped.
 * Two requests that differ only in key order or JSON formatting (tool
 * schemas, response format) give the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    if (obj[k] === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * What the answer depends on besides the prompt: the model the request
 * resolves to. A named model (id or alias) keys on the sorted ids it
 * resolves to, so an alias and its id share entries. `auto` keys on the
 * routing inputs (domain, tier, region, provider filter, after tenant
 * defaults) rather than on the sampled model, so repeats can hit although
 * the bandit samples; the stage still serves a hit only when its model is a
 * candidate of this request's plan.
 */
export function modelKey(context: RoutingContext): unknown {
  if (context.model.kind === 'named') {
    return { named: [...context.model.modelIds].sort() };
  }
  return {
    auto: {
      domain: context.domain,
      tier: context.budgetTier,
      region: context.region,
      providers: context.providers ? [...context.providers].sort() : null,
      allowed: context.allowedModels ? [...context.allowedModels].sort() : null,
    },
  };
}

/**
 * The cache key of a request: SHA-256 over the tenant, the resolved model,
 * the normalised messages, tools, tool choice and every generation
 * parameter. The tenant id is both hashed and kept as a readable prefix, so
 * entries of two tenants can never share a key.
 */
export function cacheKey(
  tenantId: string,
  context: RoutingContext,
  request: ChatRequest
): string {
  const material = canonicalJson({
    v: 1,
    tenant: tenantId,
    model: modelKey(context),
    // Media keep their sha256 (the bytes' hash), not the base64 itself.
    messages: cacheKeyMessages(request.messages),
    tools: request.tools ?? null,
    tool_choice: request.toolChoice ?? null,
    parallel_tool_calls: request.parallelToolCalls ?? null,
    max_tokens: request.maxTokens ?? null,
    temperature: request.temperature ?? null,
    top_p: request.topP ?? null,
    stop: request.stop ?? null,
    response_format: request.responseFormat ?? null,
    reasoning_effort: request.reasoningEffort ?? null,
    seed: request.seed ?? null,
  });
  const digest = createHash('sha256').update(material).digest('hex');
  return `${tenantId}#${digest}`;
}
