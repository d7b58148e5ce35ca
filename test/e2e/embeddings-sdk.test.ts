import type OpenAI from 'openai';
import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import { fakeTokenCount } from '../helpers/fakes/common';
import { fakeEmbedding } from '../helpers/fakes/embedding-vectors';
import { useProviderFakes } from '../helpers/fakes/provider-fakes';
import {
  call,
  json,
  sdkClient,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';

/**
 * End to end: the official `openai` SDK's `embeddings.create` -> local
 * gateway (the Lambda's handler) -> real embedding adapters -> loopback fakes
 * of Bedrock InvokeModel, Gemini batchEmbedContents and an OpenAI-compatible
 * `/embeddings`.
 */

const POOR_KEY = 'sk-poor-tenant-key-0001';
const LIMITED_KEY = 'sk-limited-tenant-key-0001';

function unit(v: readonly number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

describe('E2E: embeddings through the gateway with the openai SDK', () => {
  const fakes = useProviderFakes();
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    const embedding = {
      capabilities: ['embeddings' as const],
      contextWindow: 8192,
      maxOutputTokens: 1,
      pricing: { inputPer1M: 0.02, outputPer1M: 0 },
    };
    const config: GatewayConfigFile = {
      providers: fakes.providers(),
      models: [
        {
          id: 'claude-sonnet',
          provider: 'bedrock',
          providerModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
          capabilities: ['tools', 'streaming'],
          quality: 0.95,
        },
        {
          ...embedding,
          id: 'titan-embed-v2',
          provider: 'bedrock',
          providerModelId: 'amazon.titan-embed-text-v2:0',
          aliases: ['embed'],
          quality: 0.9,
        },
        {
          ...embedding,
          id: 'cohere-embed-english',
          provider: 'bedrock',
          providerModelId: 'cohere.embed-english-v3',
          contextWindow: 512,
          quality: 0.8,
        },
        {
          ...embedding,
          id: 'gemini-embedding',
          provider: 'gemini',
          providerModelId: 'gemini-embedding-001',
          aliases: ['embed'],
          quality: 0.5,
        },
        {
          ...embedding,
          id: 'text-embedding-3-small',
          provider: 'openai-compatible',
          providerModelId: 'text-embedding-3-small',
          quality: 0.4,
        },
      ],
      tenants: [
        { id: 'test', apiKeys: [TEST_KEY], tier: 'premium' },
        {
          id: 'poor',
          apiKeys: [POOR_KEY],
          tier: 'premium',
          budgets: { dailyUsd: 0.00001 },
        },
        {
          id: 'limited',
          apiKeys: [LIMITED_KEY],
          tier: 'premium',
          limits: { requestsPerMinute: 1, tokensPerDay: 200 },
        },
      ],
      routing: { banditWeight: 0 },
      guardrails: { enabled: false },
    };
    gw = await startTestGateway(config, {
      env: fakes.env,
    });
    client = sdkClient(gw);
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('returns Titan floats without dimensions, with usage and routing headers', async () => {
    // Act
    const { data, response } = await client.embeddings
      .create({
        model: 'titan-embed-v2',
        input: 'the quick brown fox',
        encoding_format: 'float',
      })
      .withResponse();

    // Assess
    expect(data.object).toBe('list');
    expect(data.model).toBe('titan-embed-v2');
    expect(data.data).toHaveLength(1);
    expect(data.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    expect(data.data[0]!.embedding).toEqual(
      fakeEmbedding('the quick brown fox', 1024)
    );
    const tokens = fakeTokenCount('the quick brown fox');
    expect(data.usage).toEqual({
      prompt_tokens: tokens,
      total_tokens: tokens,
    });
    expect(response.headers.get('x-gateway-provider')).toBe('bedrock');
    expect(response.headers.get('x-gateway-model')).toBe('titan-embed-v2');
    expect(response.headers.get('x-gateway-cache')).toBe('miss');
    expect(Number(response.headers.get('x-gateway-cost-usd'))).toBeCloseTo(
      (tokens * 0.02) / 1e6,
      12
    );
    expect(response.headers.get('x-gateway-budget-remaining-usd')).toBe(
      'unlimited'
    );
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(fakes.bedrock.requests).toHaveLength(1);
    expect(fakes.bedrock.requests[0]!.path).toBe(
      '/model/amazon.titan-embed-text-v2%3A0/invoke'
    );
    expect(fakes.bedrock.requests[0]!.body).toEqual({
      inputText: 'the quick brown fox',
      normalize: true,
    });
  });

  it("decodes the SDK's default base64 with dimensions to the fake's numbers, one Titan call per input", async () => {
    // Act: no encoding_format: the SDK asks for base64 and decodes it.
    const res = await client.embeddings.create({
      model: 'titan-embed-v2',
      input: ['alpha', 'beta', 'gamma'],
      dimensions: 256,
    });

    // Assess
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(res.data[0]!.embedding).toEqual(fakeEmbedding('alpha', 256));
    expect(res.data[1]!.embedding).toEqual(fakeEmbedding('beta', 256));
    expect(res.data[2]!.embedding).toEqual(fakeEmbedding('gamma', 256));
    expect(fakes.bedrock.requests).toHaveLength(3);
    expect(
      fakes.bedrock.requests.map(
        (r) => (r.body as { dimensions: number }).dimensions
      )
    ).toEqual([256, 256, 256]);
  });

  it('sends an array to Cohere in one call (input_type search_document)', async () => {
    // Act
    const texts = Array.from({ length: 5 }, (_, i) => `cohere text ${i}`);
    const res = await client.embeddings.create({
      model: 'cohere-embed-english',
      input: texts,
    });

    // Assess
    expect(res.data.map((d) => d.embedding)).toEqual(
      texts.map((t) => fakeEmbedding(t, 1024))
    );
    expect(fakes.bedrock.requests).toHaveLength(1);
    expect(fakes.bedrock.requests[0]!.body).toEqual({
      texts,
      input_type: 'search_document',
      embedding_types: ['float'],
    });
  });

  it('maps dimensions to Gemini outputDimensionality and answers unit vectors', async () => {
    // Act
    const res = await client.embeddings.create({
      model: 'gemini-embedding',
      input: ['g one', 'g two'],
      dimensions: 64,
    });

    // Assess
    expect(fakes.gemini.requests[0]!.path).toBe(
      '/v1beta/models/gemini-embedding-001:batchEmbedContents'
    );
    expect(fakes.gemini.requests[0]!.body).toEqual({
      requests: [
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'g one' }] },
          outputDimensionality: 64,
        },
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'g two' }] },
          outputDimensionality: 64,
        },
      ],
    });
    const want = unit(fakeEmbedding('g two', 64));
    expect(res.data[1]!.embedding).toHaveLength(64);
    res.data[1]!.embedding.forEach((x, i) => {
      expect(x).toBeCloseTo(want[i]!, 6);
    });
  });

  it('passes through to an OpenAI-compatible upstream asking it for floats', async () => {
    // Act
    const { data, response } = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: 'pass me through' })
      .withResponse();

    // Assess
    expect(data.data[0]!.embedding).toEqual(
      fakeEmbedding('pass me through', 1536)
    );
    expect(response.headers.get('x-gateway-provider')).toBe(
      'openai-compatible'
    );
    expect(fakes.llama.requests[0]!.path).toBe('/v1/embeddings');
    expect(fakes.llama.requests[0]!.body).toMatchObject({
      model: 'text-embedding-3-small',
      input: ['pass me through'],
      encoding_format: 'float',
    });
  });

  it('fails over to the next embedding model when Bedrock is down', async () => {
    // Arrange
    fakes.bedrock.setBehavior({ errorStatus: 503 });

    // Act
    const { data, response } = await client.embeddings
      .create({ model: 'embed', input: 'fail me over', dimensions: 256 })
      .withResponse();

    // Assess
    expect(response.headers.get('x-gateway-model')).toBe('gemini-embedding');
    expect(response.headers.get('x-gateway-attempts')).toBe('2');
    expect(data.model).toBe('gemini-embedding');
    expect(fakes.bedrock.requests).toHaveLength(1);
    expect(fakes.gemini.requests).toHaveLength(1);
  });

  it('answers a repeat from the cache without calling the provider', async () => {
    // Act
    const ask = () =>
      client.embeddings
        .create({ model: 'titan-embed-v2', input: ['cache me', 'and me'] })
        .withResponse();
    const first = await ask();
    const second = await ask();
    const other = await client.embeddings
      .create({
        model: 'titan-embed-v2',
        input: ['cache me', 'and me'],
        dimensions: 512,
      })
      .withResponse();

    // Assess
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(second.response.headers.get('x-gateway-cache')).toBe('hit');
    expect(second.response.headers.get('x-gateway-cost-usd')).toBe(
      '0.00000000'
    );
    expect(second.data.data).toEqual(first.data.data);
    expect(second.data.usage).toEqual(first.data.usage);
    // Other dimensions are another key.
    expect(other.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(fakes.bedrock.requests).toHaveLength(4);
  });

  it('refuses over budget with 429 budget_exceeded and calls nobody', async () => {
    // Act
    const res = await call(gw, '/v1/embeddings', {
      key: POOR_KEY,
      body: { model: 'titan-embed-v2', input: 'x'.repeat(20_000) },
    });

    // Assess
    expect(res.status).toBe(429);
    expect((await json(res)).error.code).toBe('budget_exceeded');
    expect(fakes.bedrock.requests).toHaveLength(0);
  });

  it.each([
    [{ model: 'titan-embed-v2' }, 'input'],
    [{ model: 'titan-embed-v2', input: [] }, 'input'],
    [{ model: 'titan-embed-v2', input: [''] }, 'input'],
    [{ model: 'titan-embed-v2', input: [1, 2, 3] }, 'input'],
    [{ model: 'titan-embed-v2', input: [[1, 2]] }, 'input'],
    [{ model: 'titan-embed-v2', input: ['a', 3] }, 'input'],
    [{ model: 'titan-embed-v2', input: 'x'.repeat(40_000) }, 'input'],
    [{ model: 'titan-embed-v2', input: 'a', dimensions: 0 }, 'dimensions'],
    [{ model: 'titan-embed-v2', input: 'a', dimensions: 1.5 }, 'dimensions'],
    [
      { model: 'titan-embed-v2', input: 'a', encoding_format: 'int8' },
      'encoding_format',
    ],
    [{ input: 'a' }, 'model'],
    [{ model: 'titan-embed-v2', input: 'a', temperature: 0 }, 'temperature'],
  ])('answers 400 naming the field (case %#)', async (body, param) => {
    // Act
    const res = await call(gw, '/v1/embeddings', { body });

    // Assess
    expect(res.status).toBe(400);
    const err = (await json(res)).error;
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBe(param);
    expect(fakes.bedrock.requests).toHaveLength(0);
  });

  it('answers 400 for dimensions the model does not offer, without failing over', async () => {
    // Act
    const res = await call(gw, '/v1/embeddings', {
      body: { model: 'titan-embed-v2', input: 'odd size', dimensions: 100 },
    });

    // Assess
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toMatch(/256, 512, 1024/);
  });

  it('keeps chat and embedding models apart, with reasons in /v1/route', async () => {
    // Act
    const route = await json(
      await call(gw, '/v1/route', {
        body: { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
      })
    );
    const chatToEmbedding = await call(gw, '/v1/chat/completions', {
      body: {
        model: 'titan-embed-v2',
        messages: [{ role: 'user', content: 'hi' }],
      },
    });
    const embedToChat = await call(gw, '/v1/embeddings', {
      body: { model: 'claude-sonnet', input: 'hi' },
    });

    // Assess
    expect(route.chosen.model).toBe('claude-sonnet');
    const excluded = new Map(
      route.excluded.map((e: { model: string; code: string }) => [
        e.model,
        e.code,
      ])
    );
    expect(excluded.get('titan-embed-v2')).toBe('capability_embeddings');
    expect(excluded.get('gemini-embedding')).toBe('capability_embeddings');
    expect(chatToEmbedding.status).toBe(400);
    expect((await json(chatToEmbedding)).error.message).toMatch(
      /serves \/v1\/embeddings only/
    );
    expect(embedToChat.status).toBe(400);
    expect((await json(embedToChat)).error.message).toMatch(
      /not an embedding model/
    );
  });

  it('counts requests and input tokens against the tenant limits', async () => {
    // Act
    const tooBig = await call(gw, '/v1/embeddings', {
      key: LIMITED_KEY,
      body: { model: 'titan-embed-v2', input: 'y'.repeat(2_000) },
    });
    const first = await call(gw, '/v1/embeddings', {
      key: LIMITED_KEY,
      body: { model: 'titan-embed-v2', input: 'small one' },
    });
    const second = await call(gw, '/v1/embeddings', {
      key: LIMITED_KEY,
      body: { model: 'titan-embed-v2', input: 'small two' },
    });

    // Assess
    expect(tooBig.status).toBe(429);
    expect((await json(tooBig)).error.message).toMatch(/tokens per day/);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('1');
    await first.text();
    expect(second.status).toBe(429);
    expect((await json(second)).error.message).toMatch(/requests per minute/);
  });

  it('honours a provider kill switch: the engaged provider is skipped', async () => {
    // Arrange
    await gw.deps.killSwitches.set('provider/bedrock', {
      state: 'on',
      reason: 'test',
    });
    try {
      // Act
      const { response } = await client.embeddings
        .create({ model: 'embed', input: 'switch me', dimensions: 256 })
        .withResponse();

      // Assess
      expect(response.headers.get('x-gateway-model')).toBe('gemini-embedding');
      expect(fakes.bedrock.requests).toHaveLength(0);
    } finally {
      await gw.deps.killSwitches.set('provider/bedrock', { state: 'off' });
    }
  });

  it('writes a decision log entry for each served request', async () => {
    // Act
    const { response } = await client.embeddings
      .create({ model: 'titan-embed-v2', input: 'log my decision' })
      .withResponse();

    // Assess
    const id = response.headers.get('x-request-id');
    const entry = gw.deps.decisions.recent(50).find((d) => d.request_id === id);
    expect(entry).toMatchObject({
      decision_id: response.headers.get('x-gateway-decision-id'),
      tenant: 'test',
      chosen: 'titan-embed-v2',
      served_by: 'titan-embed-v2',
      outcome: 'ok',
      reward: null,
    });
    expect(entry!.cost_usd).toBeGreaterThan(0);
  });

  it('counts embeddings in the metrics and never logs the input', async () => {
    // Act
    await client.embeddings.create({
      model: 'titan-embed-v2',
      input: 'secret-ish input text 42',
    });
    const metrics = await (await call(gw, '/metrics')).text();

    // Assess
    expect(metrics).toMatch(/route="embeddings"/);
    expect(gw.log.text()).not.toContain('secret-ish input text 42');
  });
});
