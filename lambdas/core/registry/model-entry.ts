import type { ModelConfigFile } from '../config/schema';
import type { ModelConfig, ProviderType } from '../types';

/**
 * Model entry resolution shared by the config file and registry documents:
 * one place owns the defaults, so a model reads the same whichever way it
 * reached the gateway. (config/load.ts keeps its own private copy for now;
 * it can call this instead.)
 */

/** Provider protocol families a provider id may name directly. */
export const PROVIDER_FAMILIES: readonly ProviderType[] = [
  'bedrock',
  'gemini',
  'openai-compatible',
  'echo',
];

/** What the resolution needs to know about the model's provider instance. */
export interface ProviderFacts {
  readonly type: ProviderType;
  /** AWS region of a Bedrock provider instance, when configured. */
  readonly region?: string;
}

/** Bedrock cross-region inference profiles carry their geography as a prefix. */
const INFERENCE_PROFILE_GEO = /^(eu|us|apac|us-gov|global)\./;

/**
 * Default data residency of a model: a Bedrock inference profile's geography
 * (`eu.anthropic...` is served inside the EU whatever region calls it), else
 * the Bedrock provider's region, else `local` for echo, else `global`.
 */
export function defaultModelRegion(
  provider: ProviderFacts,
  providerModelId: string
): string {
  if (provider.type === 'bedrock') {
    const geo = INFERENCE_PROFILE_GEO.exec(providerModelId)?.[1];
    if (geo) return geo;
    const region = provider.region ?? '';
    if (region.startsWith('eu-')) return 'eu';
    if (region.startsWith('us-')) return 'us';
  }
  if (provider.type === 'echo') return 'local';
  return 'global';
}

/** Resolves a model entry as written (config or registry file) with defaults. */
export function resolveModelEntry(
  m: ModelConfigFile,
  provider: ProviderFacts
): ModelConfig {
  return {
    id: m.id,
    provider: m.provider,
    providerType: provider.type,
    providerModelId: m.providerModelId,
    aliases: m.aliases ?? [],
    region: m.region ?? defaultModelRegion(provider, m.providerModelId),
    capabilities: m.capabilities ?? ['streaming'],
    contextWindow: m.contextWindow ?? 128_000,
    maxOutputTokens: m.maxOutputTokens ?? 4096,
    pricing: m.pricing ?? { inputPer1M: 0, outputPer1M: 0 },
    domains: m.domains ?? [],
    quality: m.quality ?? 0.5,
    // Unset stays unset: the latency estimate then starts from the fleet
    // median instead of a made-up constant.
    ...(m.expectedLatencyMs === undefined
      ? {}
      : { expectedLatencyMs: m.expectedLatencyMs }),
    status: m.status ?? 'active',
    autoRoute: m.autoRoute ?? true,
    ...(m.structuredOutput ? { structuredOutput: m.structuredOutput } : {}),
  };
}
