import type { GatewayConfigFile } from '../../lambdas/core/config/schema';
import {
  type FakeBedrockServer,
  startFakeBedrock,
} from '../helpers/fakes/bedrock-fake';
import type { FakeProviderServer } from '../helpers/fakes/common';
import {
  type FakeGeminiServer,
  startFakeGemini,
} from '../helpers/fakes/gemini-fake';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../helpers/fakes/openai-fake';
import {
  echoConfig,
  type Json,
  startTestGateway,
  TEST_KEY,
} from '../helpers/gateway';
import { eventually, WsTestClient } from '../helpers/ws-client';

/**
 * WebSocket streaming through the real local gateway (`GET /v1/ws`), the
 * real provider adapters and the loopback fakes of all three families.
 */

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;
type Family = 'bedrock' | 'gemini' | 'openai-compatible';

const env = { GEMINI_API_KEY: 'g-key', LLAMA_API_KEY: 'l-key' };

function wsUrl(gw: Gateway, query = ''): string {
  return `${gw.url.replace(/^http/, 'ws')}/v1/ws${query}`;
}

function familyConfig(family: Family, url: string): GatewayConfigFile {
  const providers: GatewayConfigFile['providers'] =
    family === 'bedrock'
      ? { bedrock: { region: 'eu-central-1', endpoint: url } }
      : family === 'gemini'
        ? { gemini: { baseUrl: url, apiKeyEnv: 'GEMINI_API_KEY' } }
        : {
            'openai-compatible': { baseUrl: url, apiKeyEnv: 'LLAMA_API_KEY' },
          };
  return {
    providers,
    models: ['a', 'b'].map((s) => ({
      id: `${family}-${s}`,
      provider: family,
      providerModelId:
        family === 'bedrock' ? `eu.anthropic.model-${s}` : `model-${s}`,
      aliases: ['pool'],
      capabilities: ['tools', 'streaming'],
      pricing: { inputPer1M: 1, outputPer1M: 2 },
    })),
    tenants: [{ id: 'test', apiKeys: [TEST_KEY] }],
    routing: { maxFallbacks: 3 },
    // These tests time chunks and cancels mid-stream; the output guardrail's
    // window would hold the first chunks back (test/router/guardrails covers
    // guardrails on streams, which WebSocket shares through the router app).
    guardrails: { enabled: false },
  };
}

/** SSE chunks of the same request over HTTP, for comparison. */
async function sseChunks(
  gw: Gateway,
  request: Record<string, unknown>
): Promise<Json[]> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TEST_KEY}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ...request, stream: true }),
  });
  const text = await res.text();
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)));
}

/** A chunk without the per-request id and timestamp. */
function stable(chunk: Json): Json {
  const { id: _id, created: _created, ...rest } = chunk;
  return rest;
}

const LONG = 'lorem ipsum dolor sit amet '.repeat(8).trim();

describe.each<Family>(['bedrock', 'gemini', 'openai-compatible'])(
  'E2E: WebSocket streaming over %s',
  (family) => {
    let fake: FakeProviderServer;
    let gw: Gateway;
    const savedEnv = { ...process.env };

    /** Upstream responses still open (the cancelled one must be closed). */
    const upstreamReleased = (): boolean => {
      if (family === 'bedrock')
        return (fake as FakeBedrockServer).openStreams <= 1;
      if (family === 'gemini')
        return (fake as FakeGeminiServer).openResponses() <= 1;
      return (fake as FakeOpenAIServer).stats.clientAborts >= 1;
    };

    beforeAll(async () => {
      process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
      process.env.AWS_SECRET_ACCESS_KEY = 'secret';
      fake =
        family === 'bedrock'
          ? await startFakeBedrock()
          : family === 'gemini'
            ? await startFakeGemini({ apiKey: 'g-key' })
            : await startFakeOpenAI({ apiKey: 'l-key' });
      gw = await startTestGateway(familyConfig(family, fake.url), { env });
    });
    afterAll(async () => {
      process.env = savedEnv;
      await gw?.close();
      await fake?.close();
    });
    beforeEach(() => fake.reset());

    it('runs several requests in flight on one connection, each ending in exactly one chat.done', async () => {
      // Prepare
      fake.setBehavior({ chunkDelayMs: 5 });
      const client = await WsTestClient.open(wsUrl(gw), {
        headers: { authorization: `Bearer ${TEST_KEY}` },
      });
      try {
        // Act
        const ids = ['one', 'two', 'three', 'four'];
        for (const id of ids) {
          client.create(id, {
            model: `${family}-a`,
            messages: [{ role: 'user', content: `message ${id}` }],
          });
        }
        await client.until(() =>
          ids.every((id) => client.terminals(id).length)
        );
        await new Promise((r) => setTimeout(r, 50));
        // Assess
        for (const id of ids) {
          expect(client.terminals(id)).toEqual([{ type: 'chat.done', id }]);
          expect(client.of(id).at(-1).type).toBe('chat.done');
          expect(client.text(id)).toBe(`echo: message ${id}`);
        }
      } finally {
        await client.close();
      }
    });

    it('sends the same chunks SSE sends for the same request', async () => {
      // Prepare
      const request = {
        model: `${family}-a`,
        stream: false, // streamed whatever it says
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'the same words either way' }],
      };
      const sse = await sseChunks(gw, request);
      const client = await WsTestClient.open(wsUrl(gw), {
        headers: { authorization: `Bearer ${TEST_KEY}` },
      });
      try {
        // Act
        client.create('same', request);
        await client.ended('same');
        // Assess
        const ws = client
          .of('same')
          .filter((f) => f.type === 'chat.chunk')
          .map((f) => f.chunk);
        expect(ws.map(stable)).toEqual(sse.map(stable));
        expect(ws.at(-1).usage.total_tokens).toBeGreaterThan(0);
        expect(client.terminals('same')).toEqual([
          { type: 'chat.done', id: 'same' },
        ]);
      } finally {
        await client.close();
      }
    });

    it('cancel stops one generation and its upstream call, not the connection or the others', async () => {
      // Prepare: two slow generations on one connection
      fake.setBehavior({ chunkDelayMs: 40, chunkSize: 4 });
      const client = await WsTestClient.open(wsUrl(gw), {
        protocols: ['gateway.v1', `bearer.${TEST_KEY}`],
      });
      try {
        for (const id of ['stop-me', 'keep-me']) {
          client.create(id, {
            model: `${family}-a`,
            messages: [{ role: 'user', content: `${id} ${LONG}` }],
          });
        }
        await client.until(() =>
          ['stop-me', 'keep-me'].every((id) => client.text(id).length > 0)
        );
        // Act
        client.send({ type: 'chat.cancel', id: 'stop-me' });
        await client.ended('stop-me');
        const chunksAtCancel = client.of('stop-me').length;
        await eventually(upstreamReleased);
        expect(client.terminals('keep-me')).toEqual([]);
        await client.ended('keep-me', 20_000);
        // Assess: exactly one terminal each; nothing after the cancel
        expect(client.terminals('stop-me')).toEqual([
          {
            type: 'chat.error',
            id: 'stop-me',
            error: expect.objectContaining({ code: 'cancelled', status: 499 }),
          },
        ]);
        expect(client.of('stop-me')).toHaveLength(chunksAtCancel);
        expect(client.terminals('keep-me')).toEqual([
          { type: 'chat.done', id: 'keep-me' },
        ]);
        expect(client.text('keep-me')).toBe(`echo: keep-me ${LONG}`);
        // The connection still serves, and the id may be reused.
        fake.setBehavior({ chunkDelayMs: 0, chunkSize: 8 });
        client.create('stop-me', {
          model: `${family}-a`,
          messages: [{ role: 'user', content: 'again' }],
        });
        await client.until(() => client.terminals('stop-me').length === 2);
        expect(client.terminals('stop-me')[1]).toEqual({
          type: 'chat.done',
          id: 'stop-me',
        });
      } finally {
        await client.close();
      }
    }, 30_000);

    it('closing the connection aborts its generations upstream', async () => {
      // Prepare
      fake.setBehavior({ chunkDelayMs: 40, chunkSize: 4 });
      const client = await WsTestClient.open(wsUrl(gw), {
        headers: { authorization: `Bearer ${TEST_KEY}` },
      });
      client.create('left', {
        model: `${family}-a`,
        messages: [{ role: 'user', content: LONG }],
      });
      await client.until(() => client.text('left').length > 0);
      // Act
      await client.close();
      // Assess
      await eventually(
        () =>
          family === 'bedrock'
            ? (fake as FakeBedrockServer).openStreams === 0
            : family === 'gemini'
              ? (fake as FakeGeminiServer).openResponses() === 0
              : (fake as FakeOpenAIServer).stats.clientAborts === 1,
        // The whole answer takes about 2 s: only an abort ends it this soon.
        1000
      );
    });

    it('ends a stream that fails after the first token with chat.error, never silence', async () => {
      // Prepare
      fake.setBehavior({ dropAfterChunks: 2, chunkSize: 4 });
      const client = await WsTestClient.open(wsUrl(gw), {
        headers: { authorization: `Bearer ${TEST_KEY}` },
      });
      try {
        // Act
        client.create('broken', {
          model: `${family}-a`,
          messages: [{ role: 'user', content: LONG }],
        });
        await client.ended('broken');
        await new Promise((r) => setTimeout(r, 50));
        // Assess
        expect(client.text('broken').length).toBeGreaterThan(0);
        expect(client.terminals('broken')).toEqual([
          {
            type: 'chat.error',
            id: 'broken',
            error: expect.objectContaining({
              code: 'stream_interrupted',
              status: 502,
              type: 'upstream_error',
            }),
          },
        ]);
      } finally {
        await client.close();
      }
    });

    it('fails over before the first token: the client sees one clean stream', async () => {
      // Prepare: the first call fails with 503, the next candidate serves
      fake.setBehavior({ errorStatus: 503, errorCount: 1 });
      const client = await WsTestClient.open(wsUrl(gw), {
        headers: { authorization: `Bearer ${TEST_KEY}` },
      });
      try {
        // Act
        client.create('failover', {
          model: 'pool',
          messages: [{ role: 'user', content: 'try again elsewhere' }],
        });
        await client.ended('failover');
        // Assess
        expect(fake.requests.length).toBe(2);
        expect(client.terminals('failover')).toEqual([
          { type: 'chat.done', id: 'failover' },
        ]);
        expect(client.text('failover')).toBe('echo: try again elsewhere');
      } finally {
        await client.close();
      }
    });

    it('turns a refusal before the stream (every candidate throttled) into chat.error with status and retry_after', async () => {
      // Prepare
      fake.setBehavior({ errorStatus: 429, retryAfterSeconds: 1 });
      const client = await WsTestClient.open(wsUrl(gw), {
        headers: { authorization: `Bearer ${TEST_KEY}` },
      });
      try {
        // Act
        client.create('throttled', {
          model: `${family}-a`,
          messages: [{ role: 'user', content: 'hello' }],
        });
        await client.ended('throttled');
        // Assess
        expect(client.of('throttled')).toEqual([
          {
            type: 'chat.error',
            id: 'throttled',
            error: expect.objectContaining({
              status: 429,
              code: 'upstream_rate_limited',
              retry_after: expect.any(Number),
            }),
          },
        ]);
      } finally {
        await client.close();
      }
    }, 20_000);
  }
);

describe('E2E: WebSocket handshake and frames', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startTestGateway(
      echoConfig({ providers: { echo: { type: 'echo', latencyMs: 300 } } }),
      { ws: { maxInFlight: 2 } }
    );
  });
  afterAll(async () => {
    await gw?.close();
  });

  const request = {
    model: 'echo',
    messages: [{ role: 'user', content: 'hi' }],
  };

  it('authenticates by the Authorization header', async () => {
    // Act
    const client = await WsTestClient.open(wsUrl(gw), {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    client.create('h', request);
    await client.ended('h');
    // Assess
    expect(client.ws.protocol).toBe('');
    expect(client.terminals('h')).toEqual([{ type: 'chat.done', id: 'h' }]);
    await client.close();
  });

  it('authenticates by the bearer.<key> subprotocol and echoes gateway.v1 only', async () => {
    // Act
    const client = await WsTestClient.open(wsUrl(gw), {
      protocols: ['gateway.v1', `bearer.${TEST_KEY}`],
    });
    client.create('p', request);
    await client.ended('p');
    // Assess
    expect(client.ws.protocol).toBe('gateway.v1');
    expect(client.text('p')).toBe('echo: hi');
    await client.close();
  });

  it('refuses a key in the query string with 401', async () => {
    // Act / Assess
    await expect(
      WsTestClient.open(wsUrl(gw, `?api_key=${TEST_KEY}&key=${TEST_KEY}`))
    ).rejects.toMatchObject({
      status: 401,
      body: expect.stringContaining('missing_api_key'),
    });
  });

  it('refuses an unknown key and an unknown path', async () => {
    await expect(
      WsTestClient.open(wsUrl(gw), {
        headers: { authorization: 'Bearer sk-nope' },
      })
    ).rejects.toMatchObject({
      status: 401,
      body: expect.stringContaining('invalid_api_key'),
    });
    await expect(
      WsTestClient.open(wsUrl(gw).replace('/v1/ws', '/v1/wss'), {
        headers: { authorization: `Bearer ${TEST_KEY}` },
      })
    ).rejects.toMatchObject({ status: 404 });
  });

  it('answers bad frames with chat.error 400 and keeps the connection open', async () => {
    // Prepare
    const client = await WsTestClient.open(wsUrl(gw), {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    try {
      // Act
      client.send('not json');
      client.send({ type: 'chat.explode', id: 'x1' });
      client.send({ type: 'chat.create', id: 'x2' });
      client.send({ type: 'chat.create', id: 'x3', request: [] });
      client.ws.send(Buffer.from([1, 2, 3]));
      client.create('x4', { model: 'echo' });
      client.create('x5', { ...request, model: 'no-such-model' });
      await client.until(() => client.frames.length >= 7);
      client.create('ok', request);
      await client.ended('ok');
      // Assess
      const nulls = client.of(null);
      expect(nulls).toHaveLength(2);
      for (const f of nulls) {
        expect(f.type).toBe('chat.error');
        expect(f.error).toMatchObject({ status: 400, code: 'invalid_frame' });
      }
      expect(client.of('x1')[0].error).toMatchObject({
        status: 400,
        param: 'type',
      });
      expect(client.of('x2')[0].error).toMatchObject({
        status: 400,
        param: 'request',
      });
      expect(client.of('x3')[0].error.status).toBe(400);
      // Router refusals keep their HTTP status and OpenAI error.
      expect(client.of('x4')[0].error).toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        param: 'messages',
      });
      expect(client.of('x5')[0].error).toMatchObject({
        status: 404,
        code: 'model_not_found',
      });
      expect(client.terminals('ok')).toEqual([{ type: 'chat.done', id: 'ok' }]);
    } finally {
      await client.close();
    }
  });

  it('refuses a duplicate in-flight id (400) and more than maxInFlight ids (429)', async () => {
    // Prepare
    const client = await WsTestClient.open(wsUrl(gw), {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    try {
      // Act
      client.create('d1', request);
      client.create('d1', request);
      client.create('d2', request);
      client.create('d3', request);
      await client.until(
        () =>
          client.terminals('d1').length === 2 &&
          client.terminals('d2').length === 1 &&
          client.terminals('d3').length === 1
      );
      // Assess: the refusals come first; the originals finish normally
      expect(client.terminals('d1')[0].error).toMatchObject({
        status: 400,
        code: 'duplicate_id',
      });
      expect(client.terminals('d1')[1]).toEqual({
        type: 'chat.done',
        id: 'd1',
      });
      expect(client.terminals('d3')).toEqual([
        expect.objectContaining({
          type: 'chat.error',
          error: expect.objectContaining({
            status: 429,
            code: 'too_many_in_flight',
          }),
        }),
      ]);
      expect(client.terminals('d2')).toEqual([{ type: 'chat.done', id: 'd2' }]);
    } finally {
      await client.close();
    }
  });

  it('ignores a cancel of an id that is not in flight (its terminal frame was sent)', async () => {
    const client = await WsTestClient.open(wsUrl(gw), {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    try {
      client.create('c1', request);
      await client.ended('c1');
      client.send({ type: 'chat.cancel', id: 'c1' });
      client.send({ type: 'chat.cancel', id: 'never' });
      client.create('c2', request);
      await client.ended('c2');
      expect(client.of('c1').filter((f) => f.type !== 'chat.chunk')).toEqual([
        { type: 'chat.done', id: 'c1' },
      ]);
      expect(client.of('never')).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
