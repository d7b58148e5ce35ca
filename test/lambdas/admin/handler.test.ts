import {
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDecisionLog } from '../../../lambdas/core/adapters/aws/dynamo-decision-log';
import { DynamoLearningStore } from '../../../lambdas/core/adapters/aws/dynamo-learning-store';
import { LOCAL_AWS, useDynamoDbLocal } from '../../helpers/dynamodb-local';

/**
 * The real admin Lambda entry (lambdas/admin/handler.ts) with its AWS
 * composition: audit and decisions on DynamoDB Local, SSM mocked at the
 * client. API Gateway's AWS_IAM puts the caller's ARN in the event.
 */

const OPERATOR = 'arn:aws:iam::111122223333:role/operator';

function event(
  path: string,
  method: string,
  options: {
    body?: unknown;
    query?: Record<string, string>;
    arn?: string | null;
  } = {}
): APIGatewayProxyEvent {
  return {
    resource: '/v1/admin/{proxy+}',
    path,
    httpMethod: method,
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'apigw-admin-1',
      identity:
        options.arn === null ? {} : { userArn: options.arn ?? OPERATOR },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('Lambda: admin handler (AWS composition)', () => {
  const ddb = useDynamoDbLocal();
  const ssm = mockClient(SSMClient);
  const saved = { ...process.env };
  let handler: (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  let registryTable: string;
  let auditTable: string;
  let decisionsTable: string;

  beforeAll(async () => {
    [registryTable, auditTable, decisionsTable] = await Promise.all([
      ddb.createTable('a-registry'),
      ddb.createTable('a-audit'),
      ddb.createTable('a-decisions'),
    ]);
    const decisions = new DynamoDecisionLog({
      tableName: decisionsTable,
      client: ddb.documentClient(),
    });
    decisions.record({
      decision_id: 'dec-1',
      ts: '2026-12-01T10:00:00.000Z',
      tenant: 'acme',
      context: { domain: 'general', budget_tier: 'standard', tools: false },
      candidates: ['llama-maverick'],
      chosen: 'llama-maverick',
      propensity: 1,
      latency_ms: 120,
      cost_usd: 0,
      outcome: 'ok',
      reward: 0.9,
    });
    await decisions.flush();
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'none', $metadata: {} }));
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    Object.assign(process.env, {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint(),
      GATEWAY_ENV: 'dev',
      GATEWAY_CONFIG_JSON: JSON.stringify({
        providers: { llama: { type: 'openai-compatible' } },
      }),
      MODEL_REGISTRY_TABLE: registryTable,
      AUDIT_TABLE: auditTable,
      DECISIONS_TABLE: decisionsTable,
      ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
      KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    // Loaded after the environment is set: the module composes at import.
    handler = (
      require('../../../lambdas/admin/handler') as { handler: typeof handler }
    ).handler;
  });

  afterAll(() => {
    process.env = saved;
    ssm.restore();
  });

  it('answers 403 iam_required without an IAM identity', async () => {
    // Act
    const res = await handler(
      event('/v1/admin/kill-switches', 'GET', { arn: null })
    );

    // Assess
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('iam_required');
  });

  it('sets a kill switch in SSM and audits it under the caller ARN', async () => {
    // Act
    const res = await handler(
      event('/v1/admin/kill-switches/provider/llama', 'PUT', {
        body: { state: 'on', reason: 'incident 7' },
      })
    );

    // Assess
    expect(res.statusCode).toBe(200);
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/ai/kill-switches/dev/provider/llama',
    });
    const audit = await ddb
      .documentClient()
      .send(new ScanCommand({ TableName: process.env.AUDIT_TABLE }));
    expect(audit.Items).toEqual([
      expect.objectContaining({
        who: OPERATOR,
        target: 'kill-switch/provider/llama',
        reason: 'incident 7',
      }),
    ]);
  });

  it('exports decisions from DynamoDB with GET /v1/admin/decisions', async () => {
    // Act
    const res = await handler(
      event('/v1/admin/decisions', 'GET', { query: { tenant: 'acme' } })
    );

    // Assess
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(
      body.data.map((d: { decision_id: string }) => d.decision_id)
    ).toEqual(['dec-1']);
    expect(body.next_cursor).toBeNull();
    const bad = await handler(
      event('/v1/admin/decisions', 'GET', { query: { since: 'yesterday' } })
    );
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.param).toBe('since');
  });

  it('answers stats from the shared state, without per-container circuits', async () => {
    // Prepare: a router container learns and writes its deltas to the fleet state
    const router = new DynamoLearningStore({
      tableName: decisionsTable,
      client: ddb.documentClient(),
    });
    router.bandit.update('legal|premium|false', 'llama-maverick', 1);
    await router.sync();

    // Act
    const res = await handler(event('/v1/admin/stats', 'GET'));

    // Assess: the admin function reads what the router wrote
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toEqual(
      expect.objectContaining({
        object: 'stats',
        source: 'shared',
        circuits: null,
      })
    );
    const arm = body.bandit['legal|premium|false']?.['llama-maverick'];
    expect(arm.alpha).toBeGreaterThan(arm.beta);
  });

  it('resets the fleet state: a router sees the reset after its refresh', async () => {
    // Prepare
    const router = new DynamoLearningStore({
      tableName: decisionsTable,
      client: ddb.documentClient(),
    });
    router.bandit.update('code|low|true', 'llama-maverick', 1);
    await router.sync();
    await router.refresh();
    const before = router.bandit.get('code|low|true', 'llama-maverick');

    // Act
    const res = await handler(
      event('/v1/admin/bandit/reset', 'POST', {
        body: { reason: 'test reset' },
      })
    );
    await router.refresh();

    // Assess
    expect(res.statusCode).toBe(200);
    const after = router.bandit.get('code|low|true', 'llama-maverick');
    expect(after.alpha).toBeLessThan(before.alpha);
  });

  it('answers 404 outside /v1/admin and 400 on a bad body, OpenAI-shaped', async () => {
    // Act
    const outside = await handler(event('/v1/chat/completions', 'POST'));
    const badBody = await handler({
      ...event('/v1/admin/kill-switches/global', 'PUT'),
      body: '{not json',
    });

    // Assess
    expect(outside.statusCode).toBe(404);
    expect(badBody.statusCode).toBe(400);
    expect(JSON.parse(badBody.body).error.code).toBe('invalid_json');
    expect(badBody.headers?.['x-request-id']).toBe('apigw-admin-1');
  });
});
