import type { RoutingContext } from '../../../lambdas/core/routing/types';
import type { ModelConfig } from '../../../lambdas/core/types';

/** A routable model with neutral defaults; override what the test is about. */
export function makeModel(
  id: string,
  overrides: Partial<ModelConfig> = {}
): ModelConfig {
  return {
    id,
    provider: 'bedrock',
    providerType: 'bedrock',
    providerModelId: `upstream.${id}`,
    aliases: [],
    region: 'eu',
    capabilities: ['tools', 'streaming'],
    contextWindow: 128_000,
    maxOutputTokens: 4096,
    pricing: { inputPer1M: 1, outputPer1M: 4 },
    domains: [],
    quality: 0.7,
    expectedLatencyMs: 1000,
    status: 'active',
    ...overrides,
  };
}

/** A small auto-routed request with no special needs. */
export function makeContext(
  overrides: Partial<RoutingContext> = {}
): RoutingContext {
  return {
    model: { kind: 'auto' },
    domain: 'general',
    budgetTier: 'standard',
    needsTools: false,
    needsStreaming: false,
    region: 'any',
    maxLatencyMs: 5000,
    promptChars: 400,
    messageCount: 2,
    ...overrides,
  };
}
