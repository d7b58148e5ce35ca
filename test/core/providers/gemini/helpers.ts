import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import type { ChatRequest, ModelConfig } from '../../../../lambdas/core/types';

/**
 * Shared helpers of the Gemini provider tests: recorded fixtures, request
 * and model builders, and the bridge that lets jest load eventsource-parser.
 */

const FIXTURES = join(__dirname, '../../../fixtures/providers/gemini');

/** Loads a recorded JSON fixture from test/fixtures/providers/gemini. */
export function loadFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as T;
}

/**
 * Loads a package with Node's own `require`, outside jest's registry.
 * eventsource-parser ships ESM only; jest's CJS runtime on Node 20 refuses
 * it unless jest.config.js transforms it, while Node >= 20.19 itself can
 * `require()` ESM. Used as `jest.mock('eventsource-parser', factory)`.
 */
export function nativeRequire(id: string): unknown {
  const nodeModule = runInThisContext(
    "process.getBuiltinModule('node:module')"
  ) as typeof import('node:module');
  return nodeModule.createRequire(__filename)(id);
}

/** A chat request with defaults for everything but the messages. */
export function chatRequest(patch: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'gemini-flash',
    messages: [{ role: 'user', content: 'Hello' }],
    stream: false,
    includeUsage: false,
    routing: {},
    ...patch,
  };
}

/** A Gemini model entry as the registry would hold it. */
export function geminiModel(patch: Partial<ModelConfig> = {}): ModelConfig {
  return {
    id: 'gemini-flash',
    provider: 'gemini',
    providerType: 'gemini',
    providerModelId: 'gemini-2.5-flash',
    aliases: [],
    region: 'global',
    capabilities: ['tools', 'streaming', 'json_mode'],
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    pricing: { inputPer1M: 0.3, outputPer1M: 2.5 },
    domains: [],
    quality: 0.8,
    expectedLatencyMs: 900,
    status: 'active',
    ...patch,
  };
}
