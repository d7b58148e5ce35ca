import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import type {
  ChatRequest,
  ModelConfig,
  StreamEvent,
} from '../../../../lambdas/core/types';

const FIXTURES = join(
  __dirname,
  '../../../fixtures/providers/openai-compatible'
);

/**
 * Loads a package with Node's own `require`, outside jest's module registry.
 * eventsource-parser ships ESM only: jest's CommonJS runtime on Node 20
 * cannot load it unless jest.config.js transforms it, while Node >= 20.19
 * itself can `require()` ESM. Used as
 * `jest.mock('eventsource-parser', () => ...nativeRequire('eventsource-parser'))`.
 */
export function nativeRequire(id: string): unknown {
  const nodeModule = runInThisContext(
    "process.getBuiltinModule('node:module')"
  ) as typeof import('node:module');
  return nodeModule.createRequire(__filename)(id);
}

/** Reads a recorded JSON body from the provider's fixture folder. */
export function loadJsonFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** Reads a recorded raw body (SSE) from the provider's fixture folder. */
export function loadTextFixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** A routable OpenAI-compatible model, as the registry would describe it. */
export function makeModel(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    id: 'llama-maverick',
    provider: 'llama',
    providerType: 'openai-compatible',
    providerModelId: 'Llama-4-Maverick-17B-128E-Instruct-FP8',
    aliases: [],
    region: 'us',
    capabilities: ['tools', 'streaming'],
    contextWindow: 128000,
    maxOutputTokens: 4096,
    pricing: { inputPer1M: 0.2, outputPer1M: 0.6 },
    domains: [],
    quality: 0.8,
    expectedLatencyMs: 800,
    status: 'active',
    ...overrides,
  };
}

/** A normalised request with one user message unless overridden. */
export function makeRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'auto',
    messages: [{ role: 'user', content: 'hello world' }],
    stream: false,
    includeUsage: false,
    routing: {},
    ...overrides,
  };
}

/** Drains a stream, returning what was yielded and what it threw (if anything). */
export async function collect(
  stream: AsyncIterable<StreamEvent>
): Promise<{ events: StreamEvent[]; error?: unknown }> {
  const events: StreamEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

/** Concatenated text of the text events. */
export function textOf(events: readonly StreamEvent[]): string {
  let out = '';
  for (const e of events) if (e.type === 'text') out += e.text;
  return out;
}

/** Tool calls reassembled from tool_call events, by index. */
export function toolCallsOf(
  events: readonly StreamEvent[]
): { index: number; id?: string; name?: string; arguments: string }[] {
  const calls: {
    index: number;
    id?: string;
    name?: string;
    arguments: string;
  }[] = [];
  for (const e of events) {
    if (e.type !== 'tool_call') continue;
    let call = calls.find((c) => c.index === e.index);
    if (!call) {
      call = { index: e.index, id: e.id, name: e.name, arguments: '' };
      calls.push(call);
    }
    call.arguments += e.argumentsDelta ?? '';
  }
  return calls.sort((a, b) => a.index - b.index);
}

/** Polls until the predicate holds or the timeout elapses. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 2000
): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs)
      throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
