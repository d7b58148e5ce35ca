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
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  cloudWatchAlarmTags,
  dynamoIdempotency,
  SnsRollbackNotifier,
} from '../../../lambdas/core/rollback/aws';
import type { RollbackResult } from '../../../lambdas/core/rollback/rollback';
import { LOCAL_AWS, useDynamoDbLocal } from '../../helpers/dynamodb-local';
import { recordingLog } from '../registry/fixtures';
import { lambdaContext } from './helpers';

const ARN = 'arn:aws:cloudwatch:eu-central-1:111122223333:alarm:a';

describe('Class: SnsRollbackNotifier', () => {
  const sns = mockClient(SNSClient);
  afterAll(() => sns.restore());

  it('publishes the subject and message to the topic', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const topic = 'arn:aws:sns:eu-central-1:111122223333:alerts';

    // Act
    await new SnsRollbackNotifier(
      topic,
      new SNSClient({ region: 'eu-central-1' })
    ).publish('s', 'm');

    // Assess
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: topic,
      Subject: 's',
      Message: 'm',
    });
  });
});

describe('Function: cloudWatchAlarmTags', () => {
  const cw = mockClient(CloudWatchClient);
  afterAll(() => cw.restore());
  beforeEach(() => cw.reset());

  it('maps the alarm tags', async () => {
    // Prepare
    cw.on(ListTagsForResourceCommand, { ResourceARN: ARN }).resolves({
      Tags: [
        { Key: 'ai-gateway:model', Value: 'gemini-flash' },
        { Key: 'Project', Value: 'ai-gateway' },
      ],
    });

    // Act
    const tags = await cloudWatchAlarmTags(
      recordingLog(),
      new CloudWatchClient({ region: 'eu-central-1' })
    )(ARN);

    // Assess
    expect(tags).toEqual({
      'ai-gateway:model': 'gemini-flash',
      Project: 'ai-gateway',
    });
  });

  it('reads no tags when CloudWatch refuses, and says so', async () => {
    // Prepare
    const error = Object.assign(
      new Error('not authorized to perform: cloudwatch:ListTagsForResource'),
      {
        name: 'AccessDenied',
      }
    );
    cw.on(ListTagsForResourceCommand).rejects(error);
    const log = recordingLog();

    // Act
    const tags = await cloudWatchAlarmTags(
      log,
      new CloudWatchClient({ region: 'eu-central-1' })
    )(ARN);

    // Assess
    expect(tags).toEqual({});
    expect(log.calls).toEqual([
      {
        level: 'warn',
        message: 'could not read the alarm tags; using its dimensions only',
        attrs: [
          {
            alarmArn: ARN,
            error:
              'AccessDenied: not authorized to perform: cloudwatch:ListTagsForResource',
          },
        ],
      },
    ]);
  });
});

describe('Function: dynamoIdempotency', () => {
  const ddb = useDynamoDbLocal();
  let client: DynamoDBClient;
  let table: string;

  beforeAll(async () => {
    client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint() });
    table = `idempotency-${process.pid}-${Date.now()}`;
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      })
    );
  });
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: table }));
    client.destroy();
  });

  const result = (n: number): RollbackResult => ({
    status: 'applied',
    alarmName: 'a',
    alarmArn: ARN,
    state: 'ALARM',
    stateTimestamp: `2026-03-02T10:0${n}:00.000Z`,
    dryRun: false,
    models: ['m'],
    actions: [],
    skipped: [],
    notified: true,
  });

  it('runs once per alarm transition and mode, and not at all for a replay', async () => {
    // Prepare
    const guard = dynamoIdempotency({ tableName: table, client });
    const run = jest.fn(async () => result(1));
    const key = {
      alarmArn: ARN,
      stateTimestamp: '2026-03-02T10:01:00.000Z',
      dryRun: false,
    };

    // Act
    const ctx = lambdaContext();
    const first = await guard(key, run, ctx);
    const replay = await guard({ ...key }, run, ctx);
    const dry = await guard({ ...key, dryRun: true }, run, ctx);
    const next = await guard(
      { ...key, stateTimestamp: '2026-03-02T11:00:00.000Z' },
      run,
      ctx
    );

    // Assess
    expect(run).toHaveBeenCalledTimes(3);
    expect(replay).toEqual(first);
    expect(dry).toEqual(first);
    expect(next).toEqual(first);
    const items = await client.send(new ScanCommand({ TableName: table }));
    expect(items.Items?.map((i) => i.status?.S).sort()).toEqual([
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ]);
    expect(
      items.Items?.every((i) => i.id?.S?.startsWith('ai-gateway-rollback#'))
    ).toBe(true);
  });

  it('keeps no record of a run that failed, so its retry runs', async () => {
    // Prepare
    const guard = dynamoIdempotency({ tableName: table, client });
    const key = {
      alarmArn: ARN,
      stateTimestamp: '2026-03-02T12:00:00.000Z',
      dryRun: false,
    };
    const failing = jest.fn(async (): Promise<RollbackResult> => {
      throw new Error('SSM throttled');
    });
    const succeeding = jest.fn(async () => result(2));

    // Act
    await expect(guard(key, failing, lambdaContext())).rejects.toThrow(
      'SSM throttled'
    );
    const retried = await guard(key, succeeding, lambdaContext());

    // Assess
    expect(succeeding).toHaveBeenCalledTimes(1);
    expect(retried).toEqual(result(2));
  });
});
