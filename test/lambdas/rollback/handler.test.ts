import {
  CloudWatchClient,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoAuditLog } from '../../../lambdas/core/adapters/aws/dynamo-audit-log';
import { DynamoModelRegistry } from '../../../lambdas/core/adapters/aws/dynamo-registry';
import { SsmRouteSetStore } from '../../../lambdas/core/adapters/aws/ssm-route-sets';
import type { RollbackResult } from '../../../lambdas/core/rollback/rollback';
import { composeRollback } from '../../../lambdas/rollback/aws-deps';
import { handler } from '../../../lambdas/rollback/handler';
import { recordingLog, versionInput } from '../../core/registry/fixtures';
import {
  alarmEvent,
  fakeSsm,
  lambdaContext,
  modelAlarmEvent,
} from '../../core/rollback/helpers';
import { LOCAL_AWS, useDynamoDbLocal } from '../../helpers/dynamodb-local';

const TOPIC = 'arn:aws:sns:eu-central-1:111122223333:ai-gateway-dev-slo';
const MODEL = 'claude-sonnet';

describe('Function: handler (rollback)', () => {
  const ddb = useDynamoDbLocal();
  const ssm = mockClient(SSMClient);
  const sns = mockClient(SNSClient);
  const cw = mockClient(CloudWatchClient);
  const saved = { ...process.env };
  let raw: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  let idempotencyTable: string;
  let registryTable: string;
  let auditTable: string;
  let params: Map<string, string>;

  beforeAll(async () => {
    raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint() });
    doc = DynamoDBDocumentClient.from(raw, {
      marshallOptions: { removeUndefinedValues: true },
    });
    idempotencyTable = `rollback-idempotency-${process.pid}-${Date.now()}`;
    await raw.send(
      new CreateTableCommand({
        TableName: idempotencyTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      })
    );
  });
  afterAll(async () => {
    process.env = saved;
    ssm.restore();
    sns.restore();
    cw.restore();
    await raw.send(new DeleteTableCommand({ TableName: idempotencyTable }));
    raw.destroy();
  });
  beforeEach(async () => {
    ssm.reset();
    sns.reset();
    cw.reset();
    params = fakeSsm(ssm);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    cw.on(ListTagsForResourceCommand).resolves({ Tags: [] });
    registryTable = await ddb.createTable('rollback-registry');
    auditTable = await ddb.createTable('rollback-audit');
    // What the Monitoring stack sets (docs/deploy.md), plus the topic and DynamoDB Local.
    process.env = {
      ...saved,
      ...(LOCAL_AWS.credentials && {
        AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      }),
      AWS_REGION: LOCAL_AWS.region,
      // Anything not mocked would fail fast on loopback, never reach AWS.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint(),
      GATEWAY_ENV: 'dev',
      ROLLBACK_DRY_RUN: 'false',
      IDEMPOTENCY_TABLE: idempotencyTable,
      MODEL_REGISTRY_TABLE: registryTable,
      AUDIT_TABLE: auditTable,
      KILL_SWITCH_PREFIX: '/ai/kill-switches/dev',
      ROUTE_SET_PARAM: '/ai/routing/dev/active-models',
      ROLLBACK_TOPIC_ARN: TOPIC,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    // A model in the registry and a route set whose last activation added it.
    const routeSets = new SsmRouteSetStore({
      env: 'dev',
      tableName: registryTable,
      client: doc,
      awsSdkV3Client: new SSMClient({ region: LOCAL_AWS.region }),
      log: recordingLog(),
    });
    await new DynamoModelRegistry({
      tableName: registryTable,
      client: doc,
    }).putVersion(versionInput(MODEL, { status: 'active' }), 0);
    await routeSets.put(
      { name: 'active-models', models: [{ id: 'gemini-flash' }] },
      0
    );
    await routeSets.activate('active-models', 1, 'ops');
    await routeSets.put(
      {
        name: 'active-models',
        models: [{ id: 'gemini-flash' }, { id: MODEL }],
      },
      1
    );
    await routeSets.activate('active-models', 2, 'ops');
    ssm.resetHistory();
  });

  async function idempotencyRecords(): Promise<number> {
    const out = await raw.send(
      new ScanCommand({ TableName: idempotencyTable })
    );
    return out.Count ?? 0;
  }

  /** The handled path minus the module cache: a container built from the current env. */
  const invoke = (event: unknown, context?: unknown): Promise<RollbackResult> =>
    composeRollback(process.env).rollback.handle(event, {
      lambdaContext: context,
    });

  // The only test through the exported handler: it builds its container once.
  it('acts once when EventBridge delivers the same alarm transition again', async () => {
    // Prepare
    const event = modelAlarmEvent();
    const recordsBefore = await idempotencyRecords();

    // Act
    const first = await handler(
      event,
      lambdaContext('req-1') as unknown as Context
    );
    const replay = await handler(
      event,
      lambdaContext('req-2') as unknown as Context
    );

    // Assess
    expect(first.status).toBe('applied');
    expect(first.actions.map((a) => [a.kind, a.detail])).toEqual([
      ['kill-switch', 'engaged'],
      ['route-set-rollback', 'v2 -> v1'],
    ]);
    expect(replay).toEqual(first);
    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 2);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject:
        '[ai-gateway dev] rollback applied: ai-gateway-prod-model-claude-sonnet-error-rate',
    });
    expect(
      JSON.parse(params.get(`/ai/kill-switches/dev/model/${MODEL}`)!)
    ).toMatchObject({ state: 'on' });
    const audit = await new DynamoAuditLog({
      tableName: auditTable,
      client: doc,
    }).list();
    expect(audit.map((r) => r.what).sort()).toEqual([
      'kill-switch.set',
      'rollback.alarm',
      'route-set.rollback',
    ]);
    expect(audit.every((r) => r.requestId === 'req-1')).toBe(true);
    expect(await idempotencyRecords()).toBe(recordsBefore + 1);
  });

  it('ignores an OK transition without touching anything', async () => {
    // Prepare
    const recordsBefore = await idempotencyRecords();

    // Act
    const result = await invoke(
      alarmEvent({ model: MODEL, state: 'OK' }),
      lambdaContext()
    );

    // Assess
    expect(result.status).toBe('ignored');
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(await idempotencyRecords()).toBe(recordsBefore);
  });

  it('only plans and publishes with ROLLBACK_DRY_RUN=true', async () => {
    // Prepare
    process.env.ROLLBACK_DRY_RUN = 'true';

    // Act
    const result = await invoke(alarmEvent({ model: MODEL }), lambdaContext());

    // Assess
    expect(result.status).toBe('dry-run');
    expect(result.actions.map((a) => a.outcome)).toEqual([
      'planned',
      'planned',
    ]);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
    expect(
      await new DynamoAuditLog({ tableName: auditTable, client: doc }).list()
    ).toEqual([]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(
      sns.commandCalls(PublishCommand)[0]!.args[0].input.Message
    ).toContain('DRY RUN: nothing was changed');
  });

  it('fails on a malformed event or a missing environment variable', async () => {
    // Act & Assess
    await expect(invoke({ detail: {} })).rejects.toThrow(/invalid alarm event/);
    expect(() => composeRollback({ ...process.env, AUDIT_TABLE: '' })).toThrow(
      'environment: AUDIT_TABLE is not set'
    );
    expect(() =>
      composeRollback({ ...process.env, ROLLBACK_DRY_RUN: 'maybe' })
    ).toThrow(
      'environment: ROLLBACK_DRY_RUN must be true or false, got "maybe"'
    );
  });
});
