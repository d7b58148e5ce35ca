import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BedrockRuntimeClient,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { Uint8ArrayBlobAdapter } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { createBedrockAdapter } from '../../../lambdas/core/providers/bedrock';
import type { ProviderError } from '../../../lambdas/core/providers/errors';
import { createGeminiAdapter } from '../../../lambdas/core/providers/gemini';
import type { HttpFetch } from '../../../lambdas/core/providers/http-client';
import { createOpenAICompatibleAdapter } from '../../../lambdas/core/providers/openai-compatible';
import {
  type CallOptions,
  staticCredential,
} from '../../../lambdas/core/providers/types';
import type { ModelConfig } from '../../../lambdas/core/types';
import {
  type FakeBedrockServer,
  startFakeBedrock,
} from '../../helpers/fakes/bedrock-fake';
import type { FakeProviderServer } from '../../helpers/fakes/common';
import { fakeEmbedding } from '../../helpers/fakes/embedding-vectors';
import { startFakeGemini } from '../../helpers/fakes/gemini-fake';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../helpers/fakes/openai-fake';

/**
 * Contract of `embed` per provider family: the wire request each one sends,
 * the parse of a recorded provider answer (test/fixtures/providers/embeddings),
 * and the error kinds a failing upstream maps to (against the loopback fakes).
 */

const FIXTURES = join(__dirname, '../../fixtures/providers/embeddings');
const fixture = (name: string): string =>
  readFileSync(join(FIXTURES, name), 'utf8');

function model(id: string, provider: string, providerModelId: string) {
  return {
    id,
    provider,
    providerType: 'bedrock',
    providerModelId,
    aliases: [],
    region: 'eu',
    capabilities: ['embeddings'],
    contextWindow: 8192,
    maxOutputTokens: 1,
    pricing: { inputPer1M: 0.02, outputPer1M: 0 },
    domains: [],
    quality: 0.5,
    status: 'active',
  } as ModelConfig;
}

const opts = (): CallOptions => ({
  signal: new AbortController().signal,
  requestId: 'req-1',
});

/** A fetch answering every call with one recorded body, recording requests. */
function recordedFetch(status: number, body: string) {
  const calls: {
    url: string;
    body: unknown;
    headers: Record<string, string>;
  }[] = [];
  const fetch: HttpFetch = async (url, init) => {
    calls.push({
      url,
      body: JSON.parse(init.body ?? 'null'),
      headers: init.headers,
    });
    return {
      ok: status >= 200 && status < 300,
      status,
      headers: { get: () => null },
      text: async () => body,
      body: null,
    };
  };
  return { fetch, calls };
}

describe('Bedrock embed (InvokeModel)', () => {
  const titan = model('titan', 'bedrock', 'amazon.titan-embed-text-v2:0');
  const cohere = model('cohere', 'bedrock', 'cohere.embed-multilingual-v3');

  it('parses a recorded Titan v2 answer and sends one call per input', async () => {
    // Arrange
    const client = new BedrockRuntimeClient({ region: 'eu-central-1' });
    const mock = mockClient(client);
    mock.on(InvokeModelCommand).resolves({
      body: Uint8ArrayBlobAdapter.fromString(fixture('titan-v2-response.json')),
      contentType: 'application/json',
    });
    const adapter = createBedrockAdapter({
      id: 'bedrock',
      region: 'eu-central-1',
      client,
    });

    // Act
    const out = await adapter.embed!(
      { inputs: ['hello world', 'again'], dimensions: 512 },
      titan,
      opts()
    );

    // Assess
    expect(out.vectors).toHaveLength(2);
    expect(out.vectors[0]!.slice(0, 3)).toEqual([-0.0727, 0.0411, 0.0159]);
    expect(out.promptTokens).toBe(12);
    const sent = mock
      .commandCalls(InvokeModelCommand)
      .map((c) => c.args[0].input);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.modelId).toBe('amazon.titan-embed-text-v2:0');
    expect(JSON.parse(String(sent[0]!.body))).toEqual({
      inputText: 'hello world',
      dimensions: 512,
      normalize: true,
    });
  });

  it('parses a recorded Cohere answer and batches 96 texts per call', async () => {
    // Arrange
    const client = new BedrockRuntimeClient({ region: 'eu-central-1' });
    const mock = mockClient(client);
    const body = JSON.parse(fixture('cohere-v3-response.json'));
    mock.on(InvokeModelCommand).callsFake((input) => {
      const n = JSON.parse(String(input.body)).texts.length;
      const vectors = Array.from(
        { length: n },
        (_, i) => body.embeddings.float[i % 2]
      );
      return {
        body: Uint8ArrayBlobAdapter.fromString(
          JSON.stringify({ ...body, embeddings: { float: vectors } })
        ),
      };
    });
    const adapter = createBedrockAdapter({
      id: 'bedrock',
      region: 'eu-central-1',
      client,
    });
    const texts = Array.from({ length: 100 }, (_, i) => `doc ${i}`);

    // Act
    const out = await adapter.embed!({ inputs: texts }, cohere, opts());

    // Assess
    expect(out.vectors).toHaveLength(100);
    expect(out.vectors[1]).toEqual([-0.0091, 0.0314, 0.0022, 0.0478]);
    const sent = mock
      .commandCalls(InvokeModelCommand)
      .map((c) => JSON.parse(String(c.args[0].input.body)));
    expect(sent.map((b) => b.texts.length)).toEqual([96, 4]);
    expect(sent[0]).toMatchObject({
      input_type: 'search_document',
      embedding_types: ['float'],
    });
  });

  describe('against the fake', () => {
    let fake: FakeBedrockServer;
    const saved = { ...process.env };
    beforeAll(async () => {
      process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
      process.env.AWS_SECRET_ACCESS_KEY = 'secret';
      fake = await startFakeBedrock();
    });
    afterAll(async () => {
      process.env = saved;
      await fake.close();
    });
    beforeEach(() => fake.reset());

    it.each([
      [429, 'throttled'],
      [503, 'unavailable'],
      [400, 'bad_request'],
      [403, 'auth'],
    ])('maps HTTP %i to %s', async (status, kind) => {
      // Arrange
      fake.setBehavior({ errorStatus: status });
      const adapter = createBedrockAdapter({
        id: 'bedrock',
        region: 'eu-central-1',
        endpoint: fake.url,
      });

      // Act
      const err = (await adapter.embed!({ inputs: ['x'] }, titan, opts()).catch(
        (e: unknown) => e
      )) as ProviderError;

      // Assess
      expect(err.kind).toBe(kind);
      expect(err.provider).toBe('bedrock');
    });

    it('refuses Titan dimensions it does not offer before calling', async () => {
      const adapter = createBedrockAdapter({
        id: 'bedrock',
        region: 'eu-central-1',
        endpoint: fake.url,
      });
      const err = (await adapter.embed!(
        { inputs: ['x'], dimensions: 300 },
        titan,
        opts()
      ).catch((e: unknown) => e)) as ProviderError;
      expect(err.kind).toBe('bad_request');
      expect(fake.requests).toHaveLength(0);
    });
  });
});

describe('Gemini embed (batchEmbedContents)', () => {
  const gem = model('g', 'gemini', 'gemini-embedding-001');

  it('parses a recorded answer, sends outputDimensionality and the key header, normalises shortened vectors', async () => {
    // Arrange
    const rec = recordedFetch(200, fixture('gemini-batch-response.json'));
    const adapter = createGeminiAdapter({
      id: 'gemini',
      baseUrl: 'http://127.0.0.1:9',
      credential: staticCredential('k-1'),
      fetch: rec.fetch,
    });

    // Act
    const out = await adapter.embed!(
      { inputs: ['a', 'b'], dimensions: 4 },
      gem,
      opts()
    );

    // Assess
    expect(rec.calls[0]!.url).toBe(
      'http://127.0.0.1:9/v1beta/models/gemini-embedding-001:batchEmbedContents'
    );
    expect(rec.calls[0]!.headers['x-goog-api-key']).toBe('k-1');
    expect(rec.calls[0]!.body).toEqual({
      requests: [
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'a' }] },
          outputDimensionality: 4,
        },
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'b' }] },
          outputDimensionality: 4,
        },
      ],
    });
    // [0.3, -0.4, 0, 0] has norm 0.5.
    expect(out.vectors[0]![0]).toBeCloseTo(0.6, 12);
    expect(out.vectors[0]![1]).toBeCloseTo(-0.8, 12);
    expect(out.vectors[1]).toEqual([0, 0.6, 0.8, 0]);
  });

  it('splits more than 100 inputs into batches', async () => {
    let fake: FakeProviderServer | undefined;
    try {
      fake = await startFakeGemini({ apiKey: 'k' });
      const adapter = createGeminiAdapter({
        id: 'gemini',
        baseUrl: fake.url,
        credential: staticCredential('k'),
      });
      const texts = Array.from({ length: 150 }, (_, i) => `t${i}`);
      const out = await adapter.embed!({ inputs: texts }, gem, opts());
      expect(fake.requests).toHaveLength(2);
      expect(out.vectors[149]).toEqual(fakeEmbedding('t149', 3072));
    } finally {
      await fake?.close();
    }
  });

  it.each([
    [429, 'throttled'],
    [500, 'unavailable'],
    [400, 'bad_request'],
  ])('maps HTTP %i to %s', async (status, kind) => {
    const fake = await startFakeGemini({ apiKey: 'k' });
    try {
      fake.setBehavior({ errorStatus: status });
      const adapter = createGeminiAdapter({
        id: 'gemini',
        baseUrl: fake.url,
        credential: staticCredential('k'),
      });
      const err = (await adapter.embed!({ inputs: ['x'] }, gem, opts()).catch(
        (e: unknown) => e
      )) as ProviderError;
      expect(err.kind).toBe(kind);
    } finally {
      await fake.close();
    }
  });

  it('maps a rejected key to auth and never echoes the key', async () => {
    const fake = await startFakeGemini({ apiKey: 'right' });
    try {
      const adapter = createGeminiAdapter({
        id: 'gemini',
        baseUrl: fake.url,
        credential: staticCredential('wrong-key-123'),
      });
      const err = (await adapter.embed!({ inputs: ['x'] }, gem, opts()).catch(
        (e: unknown) => e
      )) as ProviderError;
      expect(err.kind).toBe('auth');
      expect(err.message).not.toContain('wrong-key-123');
    } finally {
      await fake.close();
    }
  });
});

describe('OpenAI-compatible embed (/embeddings)', () => {
  const oai = model('o', 'openai-compatible', 'text-embedding-3-small');

  it('parses a recorded answer by index and asks upstream for floats', async () => {
    // Arrange
    const rec = recordedFetch(200, fixture('openai-response.json'));
    const adapter = createOpenAICompatibleAdapter({
      id: 'oai',
      baseUrl: 'http://127.0.0.1:9/v1/',
      credential: staticCredential('sk-x'),
      fetch: rec.fetch,
    });

    // Act
    const out = await adapter.embed!(
      { inputs: ['a', 'b'], dimensions: 3, user: 'u1' },
      oai,
      opts()
    );

    // Assess
    expect(rec.calls[0]!.url).toBe('http://127.0.0.1:9/v1/embeddings');
    expect(rec.calls[0]!.headers.authorization).toBe('Bearer sk-x');
    expect(rec.calls[0]!.body).toEqual({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      encoding_format: 'float',
      dimensions: 3,
      user: 'u1',
    });
    expect(out.vectors).toEqual([
      [-0.0625, 0.75, 0.5],
      [0.25, -0.5, 0.125],
    ]);
    expect(out.promptTokens).toBe(7);
  });

  it('treats a short answer as a provider fault', async () => {
    const rec = recordedFetch(200, fixture('openai-response.json'));
    const adapter = createOpenAICompatibleAdapter({
      id: 'oai',
      baseUrl: 'http://127.0.0.1:9/v1',
      credential: staticCredential(undefined),
      fetch: rec.fetch,
    });
    const err = (await adapter.embed!(
      { inputs: ['a', 'b', 'c'] },
      oai,
      opts()
    ).catch((e: unknown) => e)) as ProviderError;
    expect(err.kind).toBe('unavailable');
  });

  describe('against the fake', () => {
    let fake: FakeOpenAIServer;
    beforeAll(async () => {
      fake = await startFakeOpenAI({ apiKey: 'sk-x' });
    });
    afterAll(() => fake.close());
    beforeEach(() => fake.reset());

    it.each([
      [429, 'throttled'],
      [503, 'unavailable'],
      [400, 'bad_request'],
      [401, 'auth'],
    ])('maps HTTP %i to %s', async (status, kind) => {
      fake.setBehavior({ errorStatus: status });
      const adapter = createOpenAICompatibleAdapter({
        id: 'oai',
        baseUrl: fake.url,
        credential: staticCredential('sk-x'),
      });
      const err = (await adapter.embed!({ inputs: ['x'] }, oai, opts()).catch(
        (e: unknown) => e
      )) as ProviderError;
      expect(err.kind).toBe(kind);
    });
  });
});
