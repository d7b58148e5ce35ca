/**
 * Child processes of the benchmark, so the upstream fake, the gateway and the
 * load generator each get their own event loop (and core, where there are two).
 *   tsx bench/children.ts upstream          -> prints READY <base url>
 *   tsx bench/children.ts gateway <baseUrl> -> prints READY <gateway url>
 */
import { resolveConfig } from '../lambdas/core/config/load';
import { startLocalGateway } from '../local/gateway';
import { startFakeOpenAI } from '../test/helpers/fakes/openai-fake';
import { MemoryLog } from '../test/helpers/gateway';

/** Key the benchmark's tenant uses. */
export const BENCH_KEY = 'sk-bench-tenant-key-0001';
/** Key the fake upstream expects. */
export const UPSTREAM_KEY = 'sk-upstream-key-0001';

async function main(): Promise<void> {
  const [role, upstreamUrl] = process.argv.slice(2);
  if (role === 'upstream') {
    const fake = await startFakeOpenAI({
      apiKey: UPSTREAM_KEY,
      record: false,
      models: ['bench-model'],
    });
    process.stdout.write(`READY ${fake.url}\n`);
    return;
  }
  if (role === 'gateway' && upstreamUrl) {
    const config = resolveConfig(
      {
        providers: {
          llama: {
            type: 'openai-compatible',
            baseUrl: upstreamUrl,
            apiKeyEnv: 'BENCH_UPSTREAM_KEY',
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
      { BENCH_UPSTREAM_KEY: UPSTREAM_KEY },
      'bench'
    );
    const gw = await startLocalGateway(config, {
      env: { BENCH_UPSTREAM_KEY: UPSTREAM_KEY },
      log: new MemoryLog(),
    });
    process.stdout.write(`READY ${gw.url}\n`);
    return;
  }
  process.stderr.write(
    'usage: children.ts upstream | gateway <upstreamBaseUrl>\n'
  );
  process.exit(2);
}

// Exit cleanly on signals so `--cpu-prof` profiles get written.
process.once('SIGINT', () => process.exit(0));
process.once('SIGTERM', () => process.exit(0));

if (require.main === module) void main();
