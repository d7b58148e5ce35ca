import type { GatewayConfigFile } from '../lambdas/core/config/schema';
import { startFakeOpenAI } from '../test/helpers/fakes/openai-fake';
import { startTestGateway, TEST_KEY } from '../test/helpers/gateway';

/** Requests per second of `/v1/embeddings`, through the gateway and direct. */
export interface EmbeddingsBenchResult {
  /** Straight to the loopback OpenAI-compatible fake. */
  readonly directRps: number;
  /** Through the local gateway, cache off for the request (`x-gateway-cache: no-cache`). */
  readonly gatewayRps: number;
  /** Through the gateway, every request a cache hit (no upstream call). */
  readonly gatewayCachedRps: number;
  /** gatewayRps / directRps. */
  readonly ratio: number;
  readonly inputsPerRequest: number;
  readonly dimensions: number;
  readonly concurrency: number;
  readonly seconds: number;
  /** Non-200 answers seen (must be 0). */
  readonly errors: number;
}

const UPSTREAM_KEY = 'bench-upstream-key';

/** Runs `send` from `concurrency` loops for `seconds`; requests per second. */
async function rps(
  send: (i: number) => Promise<boolean>,
  seconds: number,
  concurrency: number
): Promise<{ rps: number; errors: number }> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  let seq = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        if (!(await send(seq++))) errors++;
        done++;
      }
    })
  );
  return { rps: (done * 1000) / (Date.now() - started), errors };
}

/**
 * Embeddings throughput through the local gateway (auth, validation,
 * routing, limits, budget, cache lookup, adapter, float32 re-encoding to
 * base64) against the same requests sent straight to the fake upstream.
 * Each request carries `inputs` short texts; the SDK's default base64 is
 * asked for both ways.
 */
export async function benchEmbeddings(
  options: {
    seconds?: number;
    concurrency?: number;
    inputs?: number;
    dimensions?: number;
  } = {}
): Promise<EmbeddingsBenchResult> {
  const seconds = options.seconds ?? 3;
  const concurrency = options.concurrency ?? 16;
  const inputs = options.inputs ?? 4;
  const dimensions = options.dimensions ?? 256;
  // Not recording: the bench sends thousands of requests.
  const upstream = await startFakeOpenAI({
    apiKey: UPSTREAM_KEY,
    record: false,
  });
  const config: GatewayConfigFile = {
    providers: {
      'openai-compatible': {
        baseUrl: upstream.url,
        apiKeyEnv: 'BENCH_EMBED_KEY',
      },
    },
    models: [
      {
        id: 'embed',
        provider: 'openai-compatible',
        providerModelId: 'text-embedding-3-small',
        capabilities: ['embeddings'],
        contextWindow: 8192,
        maxOutputTokens: 1,
        pricing: { inputPer1M: 0.02, outputPer1M: 0 },
      },
    ],
    tenants: [{ id: 'bench', apiKeys: [TEST_KEY], tier: 'standard' }],
    guardrails: { enabled: false },
  };
  const gw = await startTestGateway(config, {
    env: { BENCH_EMBED_KEY: UPSTREAM_KEY },
  });
  const body = (i: number): string =>
    JSON.stringify({
      model: 'embed',
      input: Array.from({ length: inputs }, (_, k) => `text ${i} ${k}`),
      dimensions,
      encoding_format: 'base64',
    });
  const post = async (
    url: string,
    key: string,
    text: string,
    extra: Record<string, string> = {}
  ): Promise<boolean> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...extra,
      },
      body: text,
    });
    await res.arrayBuffer();
    return res.status === 200;
  };
  try {
    // Warm both paths (JIT, keep-alive sockets).
    for (let i = 0; i < 50; i++) {
      await post(`${upstream.url}/embeddings`, UPSTREAM_KEY, body(i));
      await post(`${gw.url}/v1/embeddings`, TEST_KEY, body(i), {
        'x-gateway-cache': 'no-cache',
      });
    }
    const direct = await rps(
      (i) => post(`${upstream.url}/embeddings`, UPSTREAM_KEY, body(i)),
      seconds,
      concurrency
    );
    const gateway = await rps(
      (i) =>
        post(`${gw.url}/v1/embeddings`, TEST_KEY, body(i), {
          'x-gateway-cache': 'no-cache',
        }),
      seconds,
      concurrency
    );
    const fixed = body(-1);
    await post(`${gw.url}/v1/embeddings`, TEST_KEY, fixed);
    const cached = await rps(
      () => post(`${gw.url}/v1/embeddings`, TEST_KEY, fixed),
      seconds,
      concurrency
    );
    return {
      directRps: Math.round(direct.rps),
      gatewayRps: Math.round(gateway.rps),
      gatewayCachedRps: Math.round(cached.rps),
      ratio: Number((gateway.rps / direct.rps).toFixed(3)),
      inputsPerRequest: inputs,
      dimensions,
      concurrency,
      seconds,
      errors: direct.errors + gateway.errors + cached.errors,
    };
  } finally {
    await gw.close();
    await upstream.close();
  }
}

if (require.main === module) {
  benchEmbeddings().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    }
  );
}
