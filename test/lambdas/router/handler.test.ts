import { Writable } from 'node:stream';
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
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoModelRegistry } from '../../../lambdas/core/adapters/aws/dynamo-registry';
import { DynamoTenantDirectory } from '../../../lambdas/core/adapters/aws/dynamo-tenants';
import { resolveModelEntry } from '../../../lambdas/core/registry/model-entry';
import { localAwsLambda } from '../../../local/awslambda-emulator';
import { LOCAL_AWS, useDynamoDbLocal } from '../../helpers/dynamodb-local';
import {
  type FakeOpenAIServer,
  startFakeOpenAI,
} from '../../helpers/fakes/openai-fake';

/**
 * The real router Lambda entry (lambdas/router/handler.ts) with its AWS
 * composition: tenants and registry on DynamoDB Local, SSM and Secrets
 * Manager mocked at the client, the provider a loopback fake. The response
 * goes through the Lambda streaming prelude format.
 */

const CLIENT_KEY = 'sk-gw-aws-handler-test-key-0001';
const UPSTREAM_KEY = 'llama-secret-from-secrets-manager';

/** Collects what the handler writes to the runtime's response stream. */
class CapturedStream extends Writable {
  public chunks: Buffer[] = [];
  /** Set by HttpResponseStream.from; the runtime calls it before the first byte. */
  public _onBeforeFirstWrite?: (
    write: (c: string | Uint8Array) => void
  ) => void;
  private started = false;
  public setContentType(): void {}
  public override _write(
    chunk: Buffer | string,
    _e: BufferEncoding,
    cb: () => void
  ): void {
    if (!this.started) {
      this.started = true;
      this._onBeforeFirstWrite?.((c) => this.chunks.push(Buffer.from(c)));
    }
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  /** Splits the prelude (status, headers) from the body. */
  public parsed(): {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  } {
    const all = Buffer.concat(this.chunks);
    const at = all.indexOf(Buffer.alloc(8));
    return {
      ...JSON.parse(all.subarray(0, at).toString()),
      body: all.subarray(at + 8).toString(),
    };
  }
}

function event(
  path: string,
  method: string,
  body?: unknown,
  key = CLIENT_KEY
): APIGatewayProxyEvent {
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers: {
      Authorization: `Bearer ${key}`,
      'Content-Type': 'application/json',
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'apigw-req-1',
      identity: {},
    } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('Lambda: router handler (AWS composition)', () => {
  const ddb = useDynamoDbLocal();
  const ssm = mockClient(SSMClient);
  const secrets = mockClient(SecretsManagerClient);
  const saved = { ...process.env };
  let fake: FakeOpenAIServer;
  let handler: (e: APIGatewayProxyEvent, s: CapturedStream) => Promise<void>;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
    const [registryTable, tenantsTable, auditTable, decisionsTable] =
      await Promise.all([
        ddb.createTable('h-registry'),
        ddb.createTable('h-tenants'),
        ddb.createTable('h-audit'),
        ddb.createTable('h-decisions'),
      ]);
    // Prepare the tables the way operators do: a registry version and a hashed key.
    const registry = new DynamoModelRegistry({
      tableName: registryTable,
      client: ddb.documentClient(),
    });
    await registry.putVersion(
      {
        modelId: 'llama-maverick',
        config: resolveModelEntry(
          {
            id: 'llama-maverick',
            provider: 'llama',
            providerModelId: 'Llama-4-Maverick',
            capabilities: ['streaming', 'tools'],
          },
          { type: 'openai-compatible' }
        ),
        createdBy: 'test',
        createdAt: new Date().toISOString(),
      },
      0
    );
    const tenants = new DynamoTenantDirectory({
      tableName: tenantsTable,
      client: ddb.documentClient(),
    });
    await tenants.putTenant('acme', { tier: 'standard' });
    await tenants.addKey('acme', CLIENT_KEY);
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'none', $metadata: {} }));
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ apiKey: UPSTREAM_KEY }) });
    Object.assign(process.env, {
      ...{
        AWS_REGION: LOCAL_AWS.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint(),
      GATEWAY_ENV: 'dev',
      GATEWAY_CONFIG_JSON: JSON.stringify({
        providers: { llama: { type: 'openai-compatible', baseUrl: fake.url } },
      }),
      MODEL_REGISTRY_TABLE: registryTable,
      TENANTS_TABLE: tenantsTable,
      AUDIT_TABLE: auditTable,
      DECISIONS_TABLE: decisionsTable,
      ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
      KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
      PROVIDER_SECRET_ARN_LLAMA:
        'arn:aws:secretsmanager:eu-central-1:111122223333:secret:ai-gateway/dev/llama-AbCdEf',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    (globalThis as { awslambda?: unknown }).awslambda = localAwsLambda;
    // Loaded after the environment is set: the module composes at import, as on Lambda.
    const mod = require('../../../lambdas/router/handler') as {
      handler: unknown;
    };
    handler = mod.handler as typeof handler;
  });

  afterAll(async () => {
    process.env = saved;
    ssm.restore();
    secrets.restore();
    await fake.close();
  });

  it('serves a completion: key hash from DynamoDB, model from the registry, credential from Secrets Manager', async () => {
    // Act
    const out = new CapturedStream();
    await handler(
      event('/v1/chat/completions', 'POST', {
        model: 'auto',
        messages: [{ role: 'user', content: 'from lambda' }],
      }),
      out
    );
    // Assess
    const res = out.parsed();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-gateway-model']).toBe('llama-maverick');
    expect(JSON.parse(res.body).choices[0].message.content).toBe(
      'echo: from lambda'
    );
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('streams SSE through the Lambda response stream and flushes the decision log to DynamoDB', async () => {
    // Act
    const out = new CapturedStream();
    await handler(
      event('/v1/chat/completions', 'POST', {
        model: 'llama-maverick',
        stream: true,
        messages: [{ role: 'user', content: 'stream it' }],
      }),
      out
    );
    // Assess
    const res = out.parsed();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(res.body.endsWith('data: [DONE]\n\n')).toBe(true);
    const stored = await ddb.documentClient().send(
      new ScanCommand({
        TableName: process.env.DECISIONS_TABLE,
      })
    );
    const decisions = (stored.Items ?? []).filter((i) =>
      String(i.pk).startsWith('decision#')
    );
    expect(decisions.length).toBeGreaterThanOrEqual(1);
    // The fleet-shared learning state lives in the same table.
    expect(stored.Items!.some((i) => String(i.pk).startsWith('BANDIT#'))).toBe(
      true
    );
    expect(decisions[0]).toEqual(
      expect.objectContaining({
        tenant: 'acme',
        chosen: 'llama-maverick',
        outcome: 'ok',
      })
    );
    expect(JSON.stringify(stored.Items)).not.toContain('stream it');
  });

  it('records feedback on a decision another invocation wrote to DynamoDB, once', async () => {
    // Arrange: a served request; its decision is flushed after the response.
    const served = new CapturedStream();
    await handler(
      event('/v1/chat/completions', 'POST', {
        model: 'llama-maverick',
        messages: [{ role: 'user', content: 'rate me' }],
      }),
      served
    );
    const decisionId = served.parsed().headers['x-gateway-decision-id']!;
    const body = { decision_id: decisionId, thumbs: 'up', comment: 'great' };

    // Act: the lookup is a GetItem by decision id (any container's write).
    const first = new CapturedStream();
    await handler(event('/v1/feedback', 'POST', body), first);
    const replay = new CapturedStream();
    await handler(event('/v1/feedback', 'POST', body), replay);
    const other = new CapturedStream();
    await handler(
      event('/v1/feedback', 'POST', { decision_id: decisionId, score: 0.2 }),
      other
    );

    // Assess
    expect(first.parsed().statusCode).toBe(200);
    expect(JSON.parse(first.parsed().body)).toEqual(
      expect.objectContaining({ decision_id: decisionId, score: 1, reward: 1 })
    );
    expect(replay.parsed().statusCode).toBe(200);
    expect(replay.parsed().body).toBe(first.parsed().body);
    expect(other.parsed().statusCode).toBe(409);
    const item = await ddb.documentClient().send(
      new GetCommand({
        TableName: process.env.DECISIONS_TABLE,
        Key: { pk: `decision#${decisionId}`, sk: 'decision' },
      })
    );
    expect(item.Item).toEqual(
      expect.objectContaining({
        reward: 1,
        feedback: expect.objectContaining({
          score: 1,
          thumbs: 'up',
          comment: 'great',
        }),
      })
    );
  });

  it('answers 401 for an unknown key and 404 for admin routes (the admin Lambda serves them)', async () => {
    const bad = new CapturedStream();
    await handler(
      event('/v1/models', 'GET', undefined, 'sk-unknown-key-0000000000'),
      bad
    );
    expect(bad.parsed().statusCode).toBe(401);
    const admin = new CapturedStream();
    await handler(event('/v1/admin/kill-switches', 'GET'), admin);
    expect(admin.parsed().statusCode).toBe(404);
  });
});
