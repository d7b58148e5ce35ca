import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoWsConnectionStore } from '../../../lambdas/core/adapters/aws/dynamo-ws-connections';
import { hashApiKey, resolveConfig } from '../../../lambdas/core/config/load';
import type { ProviderAdapter } from '../../../lambdas/core/providers/types';
import { KeyHashTenantDirectory } from '../../../lambdas/core/tenants/key-hash-directory';
import type { ChatRequest, StreamEvent } from '../../../lambdas/core/types';
import { createRouterApp } from '../../../lambdas/router/app';
import {
  createWsHandler,
  type WsLambdaEvent,
  type WsLambdaHandler,
} from '../../../lambdas/router/ws-app';
import { composeLocal } from '../../../local/compose';
import { useDynamoDbLocal } from '../../helpers/dynamodb-local';
import {
  echoConfig,
  type Json,
  MemoryLog,
  TEST_KEY,
} from '../../helpers/gateway';

/**
 * The AWS WebSocket path: the handler with API Gateway WebSocket events,
 * the connection store on DynamoDB Local and PostToConnection mocked.
 */

const ddb = useDynamoDbLocal();
const management = mockClient(ApiGatewayManagementApiClient);

const sleep = (ms: number): Promise<void> =>
  new Promise((r) => setTimeout(r, ms));

/** What the scripted provider saw. */
interface Calls {
  aborted: number;
  completed: number;
}

function lastText(request: ChatRequest): string {
  const m = request.messages[request.messages.length - 1];
  return typeof m?.content === 'string' ? m.content : '';
}

/**
 * A provider whose reply depends on the prompt: `big:<n>` streams one text
 * event of n characters, `slow` a tick every 20 ms for 10 s (until aborted),
 * anything else `echo: <text>`.
 */
function scriptedAdapter(calls: Calls): ProviderAdapter {
  return {
    id: 'echo',
    type: 'echo',
    chat: () => Promise.reject(new Error('not used')),
    async *chatStream(request, _model, { signal }) {
      const text = lastText(request);
      const finish: StreamEvent = { type: 'finish', finishReason: 'stop' };
      if (text.startsWith('big:')) {
        // Multi-byte and astral code points, to check splitting boundaries.
        const n = Number(text.slice(4));
        yield { type: 'text', text: 'é😀x'.repeat(Math.ceil(n / 4)) };
        yield finish;
        calls.completed++;
        return;
      }
      if (text === 'slow') {
        for (let i = 0; i < 500; i++) {
          if (signal.aborted) {
            calls.aborted++;
            throw signal.reason;
          }
          yield { type: 'text', text: 'tick ' };
          await sleep(20);
        }
        yield finish;
        calls.completed++;
        return;
      }
      yield { type: 'text', text: `echo: ${text}` };
      yield finish;
      calls.completed++;
    },
  };
}

interface Harness {
  handler: WsLambdaHandler;
  store: DynamoWsConnectionStore;
  tableName: string;
  calls: Calls;
  log: MemoryLog;
  /** Frames posted per connection, parsed, with their byte sizes. */
  posted: Map<string, { frame: Json; bytes: number; at: number }[]>;
}

async function harness(
  options: { maxInFlight?: number; cancelPollMs?: number } = {}
): Promise<Harness> {
  const tableName = await ddb.createTable('ws');
  const store = new DynamoWsConnectionStore({
    tableName,
    client: ddb.documentClient(),
  });
  const calls: Calls = { aborted: 0, completed: 0 };
  const log = new MemoryLog();
  // Frames are timed and counted mid-stream; the output guardrail's window
  // would hold the first ones back (guardrails on streams: test/router).
  const config = resolveConfig(
    { ...echoConfig(), guardrails: { enabled: false } },
    {},
    'test'
  );
  const { deps } = composeLocal(config, {
    log,
    env: {},
    adapters: new Map([['echo', scriptedAdapter(calls)]]),
  });
  const app = createRouterApp({
    ...deps,
    tenants: new KeyHashTenantDirectory(deps.tenants),
  });
  const posted = new Map<
    string,
    { frame: Json; bytes: number; at: number }[]
  >();
  management.on(PostToConnectionCommand).callsFake((input) => {
    const data = Buffer.from(input.Data as Uint8Array);
    const list = posted.get(input.ConnectionId) ?? [];
    list.push({
      frame: JSON.parse(data.toString()),
      bytes: data.length,
      at: Date.now(),
    });
    posted.set(input.ConnectionId, list);
    return {};
  });
  const handler = createWsHandler({
    app,
    tenants: deps.tenants,
    connections: store,
    managementClient: () =>
      new ApiGatewayManagementApiClient({
        region: 'eu-central-1',
        endpoint: 'https://example.execute-api.eu-central-1.amazonaws.com/dev',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    maxInFlight: options.maxInFlight,
    cancelPollMs: options.cancelPollMs,
    log,
  });
  return { handler, store, tableName, calls, log, posted };
}

function event(
  routeKey: string,
  connectionId: string,
  extra: Partial<WsLambdaEvent> = {}
): WsLambdaEvent {
  return {
    requestContext: {
      routeKey,
      connectionId,
      domainName: 'abc123.execute-api.eu-central-1.amazonaws.com',
      stage: 'dev',
      requestId: `req-${Math.random()}`,
      identity: { sourceIp: '203.0.113.9' },
    },
    isBase64Encoded: false,
    ...extra,
  };
}

function frame(connectionId: string, body: unknown): WsLambdaEvent {
  return event('$default', connectionId, {
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function create(id: string, content: string): unknown {
  return {
    type: 'chat.create',
    id,
    request: { model: 'echo', messages: [{ role: 'user', content }] },
  };
}

describe('Function: createWsHandler (API Gateway WebSocket)', () => {
  beforeEach(() => management.reset());

  describe('Route: $connect', () => {
    it('refuses a handshake without a key, or with the key in the query string', async () => {
      // Prepare
      const h = await harness();
      // Act
      const none = await h.handler(event('$connect', 'c0', { headers: {} }));
      const query = await h.handler(
        event('$connect', 'c0', {
          headers: { Host: 'x' },
          queryStringParameters: { api_key: TEST_KEY },
        } as Partial<WsLambdaEvent>)
      );
      // Assess
      for (const res of [none, query]) {
        expect(res.statusCode).toBe(401);
        expect(JSON.parse(res.body!).error.code).toBe('missing_api_key');
      }
      expect(await h.store.get('c0')).toBeUndefined();
    });

    it('refuses an unknown key', async () => {
      const h = await harness();
      const res = await h.handler(
        event('$connect', 'c1', { headers: { Authorization: 'Bearer sk-bad' } })
      );
      expect(res.statusCode).toBe(401);
      expect(JSON.parse(res.body!).error.code).toBe('invalid_api_key');
    });

    it('accepts the Authorization header and stores only the key hash', async () => {
      // Prepare
      const h = await harness();
      // Act
      const res = await h.handler(
        event('$connect', 'c2', {
          headers: { Authorization: `Bearer ${TEST_KEY}` },
        })
      );
      // Assess
      expect(res).toEqual({ statusCode: 200 });
      const raw = await ddb.documentClient().send(
        new GetCommand({
          TableName: h.tableName,
          Key: { pk: 'WSCONN#c2', sk: 'CONN' },
        })
      );
      expect(raw.Item).toMatchObject({
        keyHash: hashApiKey(TEST_KEY),
        tenantId: 'test',
      });
      expect(raw.Item!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 7200);
      expect(JSON.stringify(raw.Item)).not.toContain(TEST_KEY);
    });

    it('accepts the bearer.<key> subprotocol and echoes gateway.v1', async () => {
      const h = await harness();
      const res = await h.handler(
        event('$connect', 'c3', {
          headers: {
            'Sec-WebSocket-Protocol': `gateway.v1, bearer.${TEST_KEY}`,
          },
        })
      );
      expect(res).toEqual({
        statusCode: 200,
        headers: { 'Sec-WebSocket-Protocol': 'gateway.v1' },
      });
      expect((await h.store.get('c3'))?.tenantId).toBe('test');
    });
  });

  describe('Route: $default', () => {
    async function connected(
      options?: Parameters<typeof harness>[0]
    ): Promise<Harness> {
      const h = await harness(options);
      await h.handler(
        event('$connect', 'conn', {
          headers: { authorization: `Bearer ${TEST_KEY}` },
        })
      );
      return h;
    }

    it('streams a generation as chunks and one chat.done through PostToConnection', async () => {
      // Prepare
      const h = await connected();
      // Act
      const res = await h.handler(frame('conn', create('a', 'hello aws')));
      // Assess
      expect(res.statusCode).toBe(200);
      const frames = h.posted.get('conn')!.map((p) => p.frame);
      expect(frames.at(-1)).toEqual({ type: 'chat.done', id: 'a' });
      expect(frames.filter((f) => f.type !== 'chat.chunk')).toHaveLength(1);
      expect(
        frames
          .filter((f) => f.type === 'chat.chunk')
          .map((f) => f.chunk.choices[0]?.delta?.content ?? '')
          .join('')
      ).toBe('echo: hello aws');
      // The flight was released.
      const item = await ddb.documentClient().send(
        new GetCommand({
          TableName: h.tableName,
          Key: { pk: 'WSCONN#conn', sk: 'CONN' },
        })
      );
      expect(item.Item?.inflight).toBeUndefined();
    });

    it('splits a chunk above 32 KB into frames of the same id, each at most 32 KB, on code-point boundaries', async () => {
      // Prepare
      const h = await connected();
      // Act
      await h.handler(frame('conn', create('big', 'big:100000')));
      // Assess
      const posted = h.posted.get('conn')!;
      expect(posted.length).toBeGreaterThan(4);
      for (const p of posted) expect(p.bytes).toBeLessThanOrEqual(32 * 1024);
      const text = posted
        .filter((p) => p.frame.type === 'chat.chunk')
        .map((p) => p.frame.chunk.choices[0]?.delta?.content ?? '')
        .join('');
      expect(text).toBe('é😀x'.repeat(25000));
      expect(posted.every((p) => p.frame.id === 'big')).toBe(true);
      expect(posted.at(-1)!.frame).toEqual({ type: 'chat.done', id: 'big' });
    });

    it('answers bad frames with chat.error 400', async () => {
      const h = await connected();
      await h.handler(frame('conn', 'nope'));
      await h.handler(frame('conn', { type: 'chat.create', id: 'x' }));
      await h.handler(
        event('$default', 'conn', { body: 'AAEC', isBase64Encoded: true })
      );
      const frames = h.posted.get('conn')!.map((p) => p.frame);
      expect(frames).toHaveLength(3);
      for (const f of frames) {
        expect(f.type).toBe('chat.error');
        expect(f.error.status).toBe(400);
      }
      expect(frames[1].id).toBe('x');
    });

    it('refuses a frame of a connection $connect never registered', async () => {
      const h = await harness();
      await h.handler(frame('stranger', create('s', 'hi')));
      expect(h.posted.get('stranger')!.map((p) => p.frame)).toEqual([
        expect.objectContaining({
          type: 'chat.error',
          id: 's',
          error: expect.objectContaining({
            status: 401,
            code: 'connection_unknown',
          }),
        }),
      ]);
      expect(h.calls.completed).toBe(0);
    });

    it('refuses a duplicate in-flight id and ids beyond maxInFlight across invocations', async () => {
      // Prepare
      const h = await connected({ maxInFlight: 1 });
      // Act: the generation runs in one invocation, the others arrive meanwhile
      const running = h.handler(frame('conn', create('one', 'slow')));
      await sleep(150);
      await h.handler(frame('conn', create('one', 'hi')));
      await h.handler(frame('conn', create('two', 'hi')));
      await h.handler(frame('conn', { type: 'chat.cancel', id: 'one' }));
      await running;
      // Assess
      const terminals = h.posted
        .get('conn')!
        .map((p) => p.frame)
        .filter((f) => f.type !== 'chat.chunk');
      expect(terminals).toEqual([
        expect.objectContaining({
          id: 'one',
          error: expect.objectContaining({ status: 400, code: 'duplicate_id' }),
        }),
        expect.objectContaining({
          id: 'two',
          error: expect.objectContaining({
            status: 429,
            code: 'too_many_in_flight',
          }),
        }),
        expect.objectContaining({
          id: 'one',
          error: expect.objectContaining({ status: 499, code: 'cancelled' }),
        }),
      ]);
    }, 20_000);

    it('stops the generation (and its upstream call) when the connection is gone', async () => {
      // Prepare: the client disappears after a few frames
      const h = await connected();
      let posts = 0;
      management.on(PostToConnectionCommand).callsFake(() => {
        posts++;
        if (posts > 3)
          throw new GoneException({ message: 'gone', $metadata: {} });
        return {};
      });
      // Act
      const started = Date.now();
      await h.handler(frame('conn', create('g', 'slow')));
      // Assess
      expect(Date.now() - started).toBeLessThan(2000);
      expect(h.calls.aborted).toBe(1);
      expect(h.calls.completed).toBe(0);
    });

    it('honours a cancel whose invocation overtook the create, and forgets it afterwards', async () => {
      // Prepare
      const h = await connected({ cancelPollMs: 50 });
      // Act: the cancel is stored before the create registers
      await h.handler(frame('conn', { type: 'chat.cancel', id: 'early' }));
      await h.handler(frame('conn', create('early', 'slow')));
      await h.handler(frame('conn', create('early', 'hi again')));
      // Assess
      const terminals = h.posted
        .get('conn')!
        .map((p) => p.frame)
        .filter((f) => f.type !== 'chat.chunk');
      expect(terminals).toEqual([
        expect.objectContaining({
          id: 'early',
          error: expect.objectContaining({ code: 'cancelled' }),
        }),
        { type: 'chat.done', id: 'early' },
      ]);
      expect(h.calls.aborted).toBe(1);
    });

    it('carries a cancel from another invocation through the store; measures how fast it takes effect', async () => {
      // Prepare
      const pollMs = 250;
      const h = await connected({ cancelPollMs: pollMs });
      const latencies: number[] = [];
      // Act: 8 generations, each cancelled by a separate invocation
      for (let i = 0; i < 8; i++) {
        const id = `gen-${i}`;
        const running = h.handler(frame('conn', create(id, 'slow')));
        await sleep(100 + 37 * i); // cancels land at different poll phases
        const sentAt = Date.now();
        await h.handler(frame('conn', { type: 'chat.cancel', id }));
        await running;
        const terminal = h.posted
          .get('conn')!
          .find((p) => p.frame.id === id && p.frame.type !== 'chat.chunk');
        expect(terminal?.frame.error).toMatchObject({
          code: 'cancelled',
          status: 499,
        });
        // From the cancel frame's invocation to the cancelled frame's post.
        latencies.push(terminal!.at - sentAt);
      }
      // Assess: one poll interval plus a read and a post, at worst (with
      // slack for a shared CI machine)
      latencies.sort((a, b) => a - b);
      const median = latencies[Math.floor(latencies.length / 2)]!;
      const max = latencies.at(-1)!;
      process.stdout.write(
        `websocket cancel latency over DynamoDB Local, poll ${pollMs} ms: median ${median} ms, max ${max} ms (n=${latencies.length})\n`
      );
      expect(median).toBeLessThan(pollMs + 100);
      expect(max).toBeLessThan(2 * pollMs + 500);
      expect(h.calls.aborted).toBe(8);
      expect(h.calls.completed).toBe(0);
    }, 30_000);
  });

  describe('Route: $disconnect', () => {
    it('forgets the connection', async () => {
      const h = await harness();
      await h.handler(
        event('$connect', 'bye', {
          headers: { Authorization: `Bearer ${TEST_KEY}` },
        })
      );
      expect(await h.handler(event('$disconnect', 'bye'))).toEqual({
        statusCode: 200,
      });
      expect(await h.store.get('bye')).toBeUndefined();
    });
  });
});
