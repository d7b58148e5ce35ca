import { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { localAwsLambda } from '../../../local/awslambda-emulator';
import { LOCAL_AWS, useDynamoDbLocal } from '../../helpers/dynamodb-local';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../helpers/fakes/openai-fake';
import { LLAMA_MAVERICK, seedRouterTables } from '../../helpers/router-tables';

/**
 * DynamoDB operations per request on the real router Lambda entry with its
 * AWS composition (every table bound, as lib/orchestration-stack.ts does),
 * on DynamoDB Local. The expected counts are the table in README "Cost per
 * request": a change that adds a read or a write to the request path fails
 * here until the table (and the cost figure) is updated on purpose.
 */

const CLIENT_KEY = 'sk-gw-dynamo-ops-test-key-0001';
const UPSTREAM_KEY = 'llama-secret-ops';

/** Per command name: calls, and items touched (transaction and batch members). */
type OpCounts = Record<string, { calls: number; items: number }>;

/** Items a command touches: one, or the members of a batch or transaction. */
function itemsOf(input: Record<string, unknown>): number {
  if (Array.isArray(input.TransactItems)) return input.TransactItems.length;
  const batch = input.RequestItems as Record<string, unknown> | undefined;
  if (!batch) return 1;
  let n = 0;
  for (const v of Object.values(batch)) {
    n += Array.isArray(v) ? v.length : (v as { Keys: unknown[] }).Keys.length;
  }
  return n;
}

class NullStream extends Writable {
  public _onBeforeFirstWrite?: (w: (c: string | Uint8Array) => void) => void;
  private started = false;
  private prelude = '';
  public setContentType(): void {}
  public override _write(
    _chunk: Buffer | string,
    _e: BufferEncoding,
    cb: () => void
  ): void {
    if (!this.started) {
      this.started = true;
      this._onBeforeFirstWrite?.((c) => {
        this.prelude += Buffer.from(c).toString();
      });
    }
    cb();
  }
  /** Status code from the streaming prelude. */
  public statusCode(): number {
    return JSON.parse(this.prelude.slice(0, this.prelude.indexOf('\0')))
      .statusCode;
  }
}

function chat(
  body: Record<string, unknown>,
  path = '/v1/chat/completions'
): APIGatewayProxyEvent {
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: 'POST',
    headers: {
      Authorization: `Bearer ${CLIENT_KEY}`,
      'Content-Type': 'application/json',
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify(
      path === '/v1/embeddings'
        ? { model: 'embed-small', input: ['count my writes'], ...body }
        : {
            model: 'llama-maverick',
            messages: [{ role: 'user', content: 'count my writes' }],
            ...body,
          }
    ),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'apigw-ops',
      identity: {},
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** Items written whole (Put, batch and transaction puts) by the last count. */
const putItems: Record<string, unknown>[] = [];

function collectPuts(input: Record<string, unknown>): void {
  const item = input.Item as Record<string, unknown> | undefined;
  if (item) putItems.push(item);
  for (const t of (input.TransactItems as { Put?: { Item: never } }[]) ?? []) {
    if (t.Put) putItems.push(t.Put.Item);
  }
  const batch = input.RequestItems as Record<string, unknown> | undefined;
  for (const v of Object.values(batch ?? {})) {
    if (!Array.isArray(v)) continue;
    for (const r of v as { PutRequest?: { Item: never } }[]) {
      if (r.PutRequest) putItems.push(r.PutRequest.Item);
    }
  }
}

/** The DynamoDB operations sent while `fn` runs (and just after it). */
async function countOps(fn: () => Promise<void>): Promise<OpCounts> {
  const counts: OpCounts = {};
  // The document client resolves its own middleware (it never calls the
  // base client's send), so both entry points are watched.
  const spies = [
    jest.spyOn(DynamoDBDocumentClient.prototype, 'send'),
    jest.spyOn(DynamoDBClient.prototype, 'send'),
  ];
  for (const spy of spies) {
    const original = spy.getMockImplementation() as (
      ...a: unknown[]
    ) => unknown;
    spy.mockImplementation(function (
      this: unknown,
      command: { input: Record<string, unknown> },
      ...rest: unknown[]
    ) {
      const name = command.constructor.name;
      const c = counts[name] ?? { calls: 0, items: 0 };
      counts[name] = c;
      c.calls += 1;
      c.items += itemsOf(command.input);
      collectPuts(command.input);
      return original.call(this, command, ...rest);
    } as never);
  }
  try {
    await fn();
    // Writes that settle after the response (budget, cache store) land here.
    await new Promise((r) => setTimeout(r, 150));
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return counts;
}

// The table of README "Cost per request" (tenant with daily and monthly
// budgets, a requests-per-minute and a tokens-per-day limit).
const LIMITS = { calls: 3, items: 3 }; // rpm + tpd reserve, tpd settle
const PAID_REQUEST: OpCounts = {
  UpdateCommand: LIMITS,
  // Budget reserve (day, month, reservation) and settle (delete, put, ...).
  TransactWriteCommand: { calls: 2, items: 7 },
  // Headroom of day and month before reserving and after settling.
  BatchGetCommand: { calls: 2, items: 4 },
  // The decision log, flushed after the response.
  BatchWriteCommand: { calls: 1, items: 1 },
};

describe('Lambda: DynamoDB operations per request (AWS composition)', () => {
  const ddb = useDynamoDbLocal();
  const ssm = mockClient(SSMClient);
  const secrets = mockClient(SecretsManagerClient);
  const saved = { ...process.env };
  let fake: FakeOpenAIServer;
  let cold: OpCounts;
  let handler: (e: APIGatewayProxyEvent, s: Writable) => Promise<void>;
  const serve = async (
    body: Record<string, unknown>,
    path?: string
  ): Promise<number> => {
    const out = new NullStream();
    await handler(chat(body, path), out);
    return out.statusCode();
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
    const [registry, tenants, usage, cache, decisions] = await Promise.all([
      ddb.createTable('ops-registry'),
      ddb.createTable('ops-tenants'),
      ddb.createTable('ops-usage'),
      ddb.createCacheTable('ops-cache'),
      ddb.createTable('ops-decisions'),
    ]);
    // Budgets and limits on: the request path reserves, settles and counts.
    await seedRouterTables(
      ddb.documentClient(),
      { registry, tenants },
      {
        models: [
          LLAMA_MAVERICK,
          {
            id: 'embed-small',
            provider: 'llama',
            providerModelId: 'text-embedding-3-small',
            capabilities: ['embeddings'],
            maxOutputTokens: 1,
            pricing: { inputPer1M: 0.02, outputPer1M: 0 },
          },
        ],
        tenant: {
          id: 'acme',
          tier: 'standard',
          budgets: { dailyUsd: 100, monthlyUsd: 1000 },
          limits: { requestsPerMinute: 10_000, tokensPerDay: 10_000_000 },
        },
        clientKey: CLIENT_KEY,
        createdBy: 'test',
      }
    );
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'none', $metadata: {} }));
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ apiKey: UPSTREAM_KEY }) });
    Object.assign(process.env, {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint(),
      GATEWAY_ENV: 'dev',
      GATEWAY_CONFIG_JSON: JSON.stringify({
        providers: { llama: { type: 'openai-compatible', baseUrl: fake.url } },
        // The fleet sync is timed, not per request: it is counted apart.
        learning: { shared: { flushMs: 3_600_000, refreshMs: 3_600_000 } },
      }),
      MODEL_REGISTRY_TABLE: registry,
      TENANTS_TABLE: tenants,
      USAGE_TABLE: usage,
      CACHE_TABLE: cache,
      DECISIONS_TABLE: decisions,
      ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
      KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
      PROVIDER_SECRET_ARN_LLAMA:
        'arn:aws:secretsmanager:eu-central-1:111122223333:secret:ai-gateway/dev/llama-AbCdEf',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    (globalThis as { awslambda?: unknown }).awslambda = localAwsLambda;
    const mod = require('../../../lambdas/router/handler') as {
      handler: unknown;
    };
    handler = mod.handler as typeof handler;
    // A cold container reads the registry, tenant and key once; the table
    // is the warm steady state that every later request pays.
    cold = await countOps(async () => {
      expect(await serve({})).toBe(200);
    });
  });

  afterAll(async () => {
    process.env = saved;
    ssm.restore();
    secrets.restore();
    await fake.close();
  });

  it('a cold container pays the warm-up reads and the first learning flush on top', () => {
    // Assess: registry queries, tenant and key gets, the learning warm-up
    // read (GetItem + BatchGetItem) and its first flush (UpdateItem).
    expect(cold).toEqual({
      ...PAID_REQUEST,
      QueryCommand: { calls: 6, items: 6 },
      GetCommand: { calls: 2, items: 2 },
      BatchGetCommand: { calls: 3, items: 6 },
      UpdateCommand: { calls: 6, items: 6 },
    });
  });

  it('a non-streamed completion makes exactly the documented operations', async () => {
    // Act
    const ops = await countOps(async () => {
      expect(await serve({})).toBe(200);
    });
    // Assess
    expect(ops).toEqual(PAID_REQUEST);
  });

  it('writes items under 1 KB, so each costs one write unit (two in a transaction)', async () => {
    // Arrange
    putItems.length = 0;
    // Act
    await countOps(async () => {
      expect(
        await serve({
          temperature: 0,
          messages: [{ role: 'user', content: 'size my items' }],
        })
      ).toBe(200);
    });
    // Assess: JSON length over-counts DynamoDB's size (no quotes, braces).
    expect(putItems.length).toBeGreaterThanOrEqual(3);
    for (const item of putItems) {
      expect(JSON.stringify(item).length).toBeLessThan(1024);
    }
  });

  it('a streamed completion makes exactly the same operations', async () => {
    // Act
    const ops = await countOps(async () => {
      expect(await serve({ stream: true })).toBe(200);
    });
    // Assess
    expect(ops).toEqual(PAID_REQUEST);
  });

  it('a cacheable miss adds one cache read and one cache write; the hit makes only the limit updates', async () => {
    // Act
    const miss = await countOps(async () => {
      expect(await serve({ temperature: 0 })).toBe(200);
    });
    const hit = await countOps(async () => {
      expect(await serve({ temperature: 0 })).toBe(200);
    });
    // Assess: the hit is served from the container's LRU, before budgets.
    expect(miss).toEqual({
      ...PAID_REQUEST,
      GetCommand: { calls: 1, items: 1 },
      PutCommand: { calls: 1, items: 1 },
    });
    expect(hit).toEqual({ UpdateCommand: LIMITS });
  });

  it('an embeddings miss pays like a chat miss; the repeat is a cache hit with only the limit updates', async () => {
    // Act
    const miss = await countOps(async () => {
      expect(await serve({}, '/v1/embeddings')).toBe(200);
    });
    const hit = await countOps(async () => {
      expect(await serve({}, '/v1/embeddings')).toBe(200);
    });
    // Assess: the shared embedding cache reads once and writes once on a
    // miss; the repeat is served from the container's LRU.
    expect(miss).toEqual({
      ...PAID_REQUEST,
      GetCommand: { calls: 1, items: 1 },
      PutCommand: { calls: 1, items: 1 },
    });
    expect(hit).toEqual({ UpdateCommand: LIMITS });
  });
});
