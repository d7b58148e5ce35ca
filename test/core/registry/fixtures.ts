import type { ModelVersion } from '../../../lambdas/core/registry/types';
import type { ModelConfig } from '../../../lambdas/core/types';

/** A complete, valid model config; override what the test is about. */
export function modelConfig(
  id: string,
  overrides: Partial<ModelConfig> = {}
): ModelConfig {
  return {
    id,
    provider: 'bedrock',
    providerType: 'bedrock',
    providerModelId: `eu.test.${id}-v1:0`,
    aliases: [],
    region: 'eu',
    capabilities: ['tools', 'streaming'],
    contextWindow: 200_000,
    maxOutputTokens: 8192,
    pricing: { inputPer1M: 3, outputPer1M: 15 },
    domains: ['legal'],
    quality: 0.8,
    expectedLatencyMs: 1200,
    status: 'active',
    autoRoute: true,
    ...overrides,
  };
}

/** A version to write with `putVersion`. */
export function versionInput(
  id: string,
  overrides: Partial<ModelConfig> = {},
  extra: Partial<Omit<ModelVersion, 'version' | 'config' | 'modelId'>> = {}
): Omit<ModelVersion, 'version'> {
  return {
    modelId: id,
    config: modelConfig(id, overrides),
    createdBy: 'tester',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

/** A Log that records every call. */
export function recordingLog(): {
  readonly calls: { level: string; message: string; attrs: unknown[] }[];
  debug: (m: string, ...a: Record<string, unknown>[]) => void;
  info: (m: string, ...a: Record<string, unknown>[]) => void;
  warn: (m: string, ...a: Record<string, unknown>[]) => void;
  error: (m: string, ...a: Record<string, unknown>[]) => void;
} {
  const calls: { level: string; message: string; attrs: unknown[] }[] = [];
  const at =
    (level: string) =>
    (message: string, ...attrs: Record<string, unknown>[]) => {
      calls.push({ level, message, attrs });
    };
  return {
    calls,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
