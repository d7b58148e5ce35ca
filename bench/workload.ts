/**
 * The benchmark's one workload, shared by every figure that compares runs:
 * the tenant and upstream keys, the gateway config (one OpenAI-compatible
 * model) and the chat request.
 */
import { type GatewayConfig, resolveConfig } from '../lambdas/core/config/load';

/** Key the benchmark's tenant uses. */
export const BENCH_KEY = 'sk-bench-tenant-key-0001';
/** Key the fake upstream expects. */
export const UPSTREAM_KEY = 'sk-upstream-key-0001';
/** Environment variable the gateway reads the upstream key from. */
export const UPSTREAM_KEY_ENV = 'BENCH_UPSTREAM_KEY';

/** The gateway config: `bench-model` on an OpenAI-compatible upstream at `baseUrl`. */
export function benchGatewayConfig(baseUrl: string): GatewayConfig {
  return resolveConfig(
    {
      providers: {
        llama: {
          type: 'openai-compatible',
          baseUrl,
          apiKeyEnv: UPSTREAM_KEY_ENV,
        },
      },
      models: [
        {
          id: 'bench-model',
          provider: 'llama',
          providerModelId: 'bench-model',
          capabilities: ['tools', 'streaming'],
          pricing: { inputPer1M: 0.2, outputPer1M: 0.6 },
        },
      ],
      tenants: [{ id: 'bench', apiKeys: [BENCH_KEY] }],
    },
    { [UPSTREAM_KEY_ENV]: UPSTREAM_KEY },
    'bench'
  );
}

/** The chat request every latency figure sends. */
export function benchRequestBody(stream: boolean): string {
  return JSON.stringify({
    model: 'bench-model',
    messages: [
      { role: 'system', content: 'You are a concise assistant.' },
      {
        role: 'user',
        content:
          'Summarise the benefits of a multi-provider gateway in one line.',
      },
    ],
    max_tokens: 64,
    ...(stream ? { stream: true } : {}),
  });
}
