import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ConverseCommandOutput,
  ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import type { ChatRequest, ModelConfig } from '../../../../lambdas/core/types';

const DIR = join(__dirname, '../../../fixtures/providers/bedrock');

/** Recorded Converse outputs in test/fixtures/providers/bedrock. */
export type ConverseFixture =
  | 'converse-text'
  | 'converse-tool-use-parallel'
  | 'converse-max-tokens'
  | 'converse-guardrail-intervened'
  | 'converse-thinking-tool-answer';

/** Loads a recorded Converse output (as the SDK hands it back). */
export function loadConverseOutput(
  name: ConverseFixture
): ConverseCommandOutput {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8'));
}

/** Loads a recorded ConverseStream event sequence. */
export function loadStreamEvents(
  name:
    | 'converse-stream-text-tool-use'
    | 'converse-stream-tool-answer'
    | 'converse-stream-thinking'
): ConverseStreamOutput[] {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8'));
}

/** A Bedrock model entry; `providerModelId` is a cross-region profile ARN. */
export function bedrockModel(
  overrides: Partial<ModelConfig> = {}
): ModelConfig {
  return {
    id: 'claude-sonnet',
    provider: 'bedrock-eu',
    providerType: 'bedrock',
    providerModelId:
      'arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0',
    aliases: [],
    region: 'eu',
    capabilities: ['tools', 'streaming'],
    contextWindow: 200_000,
    maxOutputTokens: 8192,
    pricing: { inputPer1M: 3, outputPer1M: 15 },
    domains: ['legal'],
    quality: 0.9,
    expectedLatencyMs: 1500,
    status: 'active',
    ...overrides,
  };
}

/** A minimal valid chat request. */
export function chatRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'claude-sonnet',
    messages: [{ role: 'user', content: 'Hello' }],
    stream: false,
    includeUsage: false,
    routing: {},
    ...overrides,
  };
}
