import {
  createKillSwitchBacking,
  MemoryKillSwitchStore,
} from '../../lambdas/core/adapters/local/memory-kill-switches';
import { PrometheusMetrics } from '../../lambdas/core/adapters/local/prometheus-metrics';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import { seededRng } from '../../lambdas/core/routing/bandit';
import {
  type FakeBedrockServer,
  startFakeBedrock,
} from '../helpers/fakes/bedrock-fake';
import type { FakeBehavior, FakeProviderServer } from '../helpers/fakes/common';
import { startFakeGemini } from '../helpers/fakes/gemini-fake';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../helpers/fakes/openai-fake';
import { startTestGateway, TEST_KEY } from '../helpers/gateway';

/**
 * Resilience under injected faults, through the real local gateway, real
 * adapters and the loopback fakes (bounded in count and time).
 */

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

/** A per-request fault plan: `rate` of requests get one of the faults, drawn from `rng`. */
function faults(
  rate: number,
  rng: () => number
): () => Partial<FakeBehavior> | undefined {
  const kinds: Partial<FakeBehavior>[] = [
    { errorStatus: 500, errorCount: undefined },
    { errorStatus: 503, errorCount: undefined },
    { errorStatus: 429, errorCount: undefined, retryAfterSeconds: 1 },
    { hang: true },
    // The connection dies after the response started, before any content.
    { dropAfterChunks: 0 },
  ];
  return () =>
    rng() < rate ? kinds[Math.floor(rng() * kinds.length)] : undefined;
}

function poolConfig(
  bedrock: string,
  gemini: string,
  llama: string,
  extra: Partial<GatewayConfigFile> = {}
): GatewayConfigFile {
  const models: NonNullable<GatewayConfigFile['models']> = [];
  for (const [provider, count] of [
    ['bedrock', 3],
    ['gemini', 3],
    ['openai-compatible', 3],
  ] as const) {
    for (let i = 0; i < count; i++) {
      models.push({
        id: `${provider}-${i}`,
        provider,
        providerModelId:
          provider === 'bedrock' ? `eu.anthropic.model-${i}` : `model-${i}`,
        aliases: ['pool'],
        capabilities: ['tools', 'streaming'],
        pricing: { inputPer1M: 1, outputPer1M: 2 },
      });
    }
  }
  return {
    providers: {
      bedrock: { region: 'eu-central-1', endpoint: bedrock, timeoutMs: 400 },
      gemini: { baseUrl: gemini, apiKeyEnv: 'GEMINI_API_KEY', timeoutMs: 400 },
      'openai-compatible': {
        baseUrl: llama,
        apiKeyEnv: 'LLAMA_API_KEY',
        timeoutMs: 400,
      },
    },
    models,
    tenants: [{ id: 'test', apiKeys: [TEST_KEY] }],
    routing: { maxFallbacks: 8 },
    ...extra,
  };
}

async function chatOnce(
  gw: Gateway,
  stream: boolean,
  text: string,
  model = 'pool'
): Promise<boolean> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TEST_KEY}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      model,
      stream,
      messages: [{ role: 'user', content: text }],
    }),
  });
  const body = await res.text();
  if (res.status !== 200) return false;
  if (!stream)
    return (
      (JSON.parse(body) as { choices: { message: { content: string } }[] })
        .choices[0]!.message.content === `echo: ${text}`
    );
  if (!body.endsWith('data: [DONE]\n\n')) return false;
  let out = '';
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    out +=
      (
        JSON.parse(line.slice(6)) as {
          choices: { delta?: { content?: string } }[];
        }
      ).choices[0]?.delta?.content ?? '';
  }
  return out === `echo: ${text}`;
}

describe('E2E: resilience', () => {
  let bedrock: FakeBedrockServer;
  let gemini: FakeProviderServer;
  let llama: FakeOpenAIServer;
  const savedEnv = { ...process.env };
  const env = { GEMINI_API_KEY: 'g-key', LLAMA_API_KEY: 'l-key' };

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    [bedrock, gemini, llama] = await Promise.all([
      startFakeBedrock(),
      startFakeGemini({ apiKey: 'g-key' }),
      startFakeOpenAI({ apiKey: 'l-key', record: false }),
    ]);
  });
  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([bedrock?.close(), gemini?.close(), llama?.close()]);
  });
  beforeEach(() => {
    for (const f of [bedrock, gemini, llama]) f.reset();
  });

  it('serves >= 99.9% of 2,000 requests under 30% injected faults, with retries within budget', async () => {
    // Prepare: every provider fails 30% of calls (500/503/429/hang/drop), independently
    const rng = seededRng(7);
    for (const f of [bedrock, gemini, llama])
      f.setBehavior({ faultPlan: faults(0.3, rng) });
    const metrics = new PrometheusMetrics();
    const gw = await startTestGateway(
      poolConfig(bedrock.url, gemini.url, llama.url),
      { env, metrics }
    );
    try {
      // Act: 2,000 requests, half streamed, 25 at a time
      const total = 2000;
      let next = 0;
      let ok = 0;
      await Promise.all(
        Array.from({ length: 25 }, async () => {
          while (next < total) {
            const i = next++;
            if (await chatOnce(gw, i % 2 === 0, `message number ${i}`)) ok++;
          }
        })
      );
      // Assess
      const successRate = ok / total;
      expect(successRate).toBeGreaterThanOrEqual(0.999);
      const text = (await metrics.render()).body;
      const retries = [
        ...text.matchAll(
          /gateway_events_total\{name="RetrySameCandidate"[^}]*\} (\d+)/g
        ),
      ].reduce((n, m) => n + Number(m[1]), 0);
      // Budget: 10% of first attempts plus the initial 10 tokens.
      expect(retries).toBeLessThanOrEqual(0.1 * total + 10);
      const fallbacks = Number(
        /gateway_fallbacks_total\{[^}]*\} (\d+)/.exec(text)?.[1] ?? '0'
      );
      expect(fallbacks).toBeGreaterThan(0);
    } finally {
      await gw.close();
    }
  }, 120_000);

  it('serves >= 99.9% of 2,000 requests when every provider is faulty at once (60% / 30% 429 / 10%)', async () => {
    // Prepare: correlated per-provider faults, as in a real multi-provider brownout
    const rng = seededRng(11);
    const fail =
      (rate: number, fault: Partial<FakeBehavior>) =>
      (): Partial<FakeBehavior> | undefined =>
        rng() < rate ? fault : undefined;
    bedrock.setBehavior({
      faultPlan: fail(0.6, { errorStatus: 503, errorCount: undefined }),
    });
    gemini.setBehavior({
      faultPlan: fail(0.3, {
        errorStatus: 429,
        errorCount: undefined,
        retryAfterSeconds: 1,
      }),
    });
    llama.setBehavior({
      faultPlan: fail(0.1, { errorStatus: 500, errorCount: undefined }),
    });
    const gw = await startTestGateway(
      // The default chain length (3 fallbacks) and circuit settings.
      poolConfig(bedrock.url, gemini.url, llama.url, { routing: {} }),
      { env }
    );
    try {
      // Act: 2,000 requests, half streamed, 25 at a time
      const total = 2000;
      let next = 0;
      let ok = 0;
      await Promise.all(
        Array.from({ length: 25 }, async () => {
          while (next < total) {
            const i = next++;
            if (await chatOnce(gw, i % 2 === 0, `mixed ${i}`)) ok++;
          }
        })
      );
      // Assess
      expect(ok / total).toBeGreaterThanOrEqual(0.999);
    } finally {
      await gw.close();
    }
  }, 120_000);

  it('spends the last retry on the healthiest tried provider, not on the last one tried', async () => {
    // Prepare: o (OpenAI-compatible) ranks first, b (Bedrock) is its only fallback
    const config: GatewayConfigFile = {
      providers: {
        bedrock: { region: 'eu-central-1', endpoint: bedrock.url },
        'openai-compatible': { baseUrl: llama.url, apiKeyEnv: 'LLAMA_API_KEY' },
      },
      models: [
        {
          id: 'o',
          provider: 'openai-compatible',
          providerModelId: 'model-o',
          aliases: ['pair'],
          quality: 1,
          expectedLatencyMs: 1,
        },
        {
          id: 'b',
          provider: 'bedrock',
          providerModelId: 'eu.model-b',
          aliases: ['pair'],
          quality: 0.1,
          expectedLatencyMs: 100,
        },
      ],
      tenants: [{ id: 'test', apiKeys: [TEST_KEY] }],
      routing: { banditWeight: 0, maxFallbacks: 1 },
    };
    const gw = await startTestGateway(config, { env });
    try {
      // o builds a clean record in the breakers' window
      for (let i = 0; i < 5; i++)
        expect(await chatOnce(gw, false, `warm ${i}`, 'pair')).toBe(true);
      // Act: one 503 from each, so the retry decides who gets the last attempt
      llama.setBehavior({ errorStatus: 503, errorCount: 1 });
      bedrock.setBehavior({ errorStatus: 503, errorCount: 1 });
      const before = bedrock.requests.length;
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_KEY}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          model: 'pair',
          messages: [{ role: 'user', content: 'last try' }],
        }),
      });
      // Assess: served by o on the retry; b was tried once, not retried
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-model')).toBe('o');
      expect(res.headers.get('x-gateway-attempts')).toBe('3');
      expect(bedrock.requests.length - before).toBe(1);
    } finally {
      await gw.close();
    }
  });

  it('a killed provider gets zero requests once the propagation bound has passed', async () => {
    // Prepare: the router reads kill switches with maxAge 300 ms; an operator writes through another store
    const backing = createKillSwitchBacking({});
    const routerView = new MemoryKillSwitchStore({ backing, maxAgeMs: 300 });
    const operator = new MemoryKillSwitchStore({ backing, maxAgeMs: 0 });
    const gw = await startTestGateway(
      poolConfig(bedrock.url, gemini.url, llama.url),
      {
        env,
        killSwitches: routerView,
      }
    );
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => chatOnce(gw, false, `warm ${i}`))
      );
      expect(
        llama.stats.connections +
          gemini.requests.length +
          bedrock.requests.length
      ).toBeGreaterThan(0);
      // Act: kill Gemini, wait out the bound, then send traffic
      await operator.set('provider/gemini', { state: 'on', reason: 'test' });
      await new Promise((r) => setTimeout(r, 350));
      gemini.reset();
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          chatOnce(gw, i % 2 === 0, `after ${i}`)
        )
      );
      // Assess
      expect(results.every(Boolean)).toBe(true);
      expect(gemini.requests).toHaveLength(0);
    } finally {
      await gw.close();
    }
  });

  it('opens a circuit on a failing model, stops calling it, then half-opens and closes after recovery', async () => {
    // Prepare: only Bedrock, two models; model b0 fails every call
    const config: GatewayConfigFile = {
      providers: { bedrock: { region: 'eu-central-1', endpoint: bedrock.url } },
      models: [
        {
          id: 'b0',
          provider: 'bedrock',
          providerModelId: 'eu.m0',
          aliases: ['g'],
          quality: 1,
          expectedLatencyMs: 1,
        },
        {
          id: 'b1',
          provider: 'bedrock',
          providerModelId: 'eu.m1',
          aliases: ['g'],
          quality: 0.1,
          expectedLatencyMs: 100,
        },
      ],
      tenants: [{ id: 'test', apiKeys: [TEST_KEY] }],
      routing: { banditWeight: 0 },
      resilience: {
        breaker: {
          minimumRequests: 5,
          failureRateThreshold: 0.5,
          cooldownMs: 400,
          windowMs: 10_000,
        },
      },
    };
    const gw = await startTestGateway(config, { env });
    const callsTo = (model: string) =>
      bedrock.requests.filter((r) => r.path.includes(`/model/${model}/`))
        .length;
    try {
      const failing = () =>
        bedrock.requests.at(-1)?.path.includes('/model/eu.m0/')
          ? { errorStatus: 500, errorCount: undefined }
          : undefined;
      bedrock.setBehavior({ faultPlan: failing });
      // Act 1: traffic until the circuit opens (every request still succeeds via b1)
      for (let i = 0; i < 8; i++)
        expect(await chatOnce(gw, false, `x${i}`, 'g')).toBe(true);
      const stats = (await (
        await fetch(`${gw.url}/v1/stats`, {
          headers: { authorization: `Bearer ${TEST_KEY}` },
        })
      ).json()) as {
        circuits: Record<string, { state: string }>;
      };
      expect(stats.circuits['bedrock#b0']?.state).toBe('open');
      const before = callsTo('eu.m0');
      for (let i = 0; i < 5; i++)
        expect(await chatOnce(gw, false, `y${i}`, 'g')).toBe(true);
      // Assess 1: open circuit = no calls
      expect(callsTo('eu.m0')).toBe(before);
      // Act 2: recovery, then the cooldown passes; one probe closes the circuit
      bedrock.setBehavior({ faultPlan: () => undefined });
      await new Promise((r) => setTimeout(r, 450));
      expect(await chatOnce(gw, false, 'probe', 'g')).toBe(true);
      const after = (await (
        await fetch(`${gw.url}/v1/stats`, {
          headers: { authorization: `Bearer ${TEST_KEY}` },
        })
      ).json()) as {
        circuits: Record<string, { state: string }>;
      };
      // Assess 2
      expect(callsTo('eu.m0')).toBe(before + 1);
      expect(after.circuits['bedrock#b0']?.state).toBe('closed');
    } finally {
      await gw.close();
    }
  });
});
