import {
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  EventBridgeClient,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  AwsBudgetAlerts,
  BUDGET_EVENT_DETAIL_TYPE,
  BUDGET_EVENT_SOURCE,
} from '../../../../lambdas/core/adapters/aws/budget-alerts';
import type { BudgetAlert } from '../../../../lambdas/core/budget/types';

const alert: BudgetAlert = {
  tenant: 'acme',
  scope: 'team',
  scopeId: 'eng',
  period: 'day',
  periodKey: '2026-12-03',
  thresholdPct: 90,
  usedPct: 91.2,
  spentUsd: 4.56,
  capUsd: 5,
  resetsAt: '2026-12-04T00:00:00.000Z',
};

describe('Class: AwsBudgetAlerts', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const events = mockClient(EventBridgeClient);
  const sns = mockClient(SNSClient);
  beforeEach(() => {
    ddb.reset();
    events.reset();
    sns.reset();
  });

  const make = (topicArn?: string) =>
    new AwsBudgetAlerts({
      tableName: 'usage',
      client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
      events: new EventBridgeClient({}),
      sns: new SNSClient({}),
      topicArn,
    });

  it('claims the alert with a conditional put, then sends one EventBridge event and one SNS message', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    // Act
    const published = await make('arn:aws:sns:eu-central-1:1:alerts').publish(
      alert
    );
    // Assess
    expect(published).toBe(true);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'usage',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: expect.objectContaining({
        pk: 'budgetalert#acme',
        sk: 'acme#team#eng#day#2026-12-03#90',
      }),
    });
    expect(events).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        expect.objectContaining({
          EventBusName: 'default',
          Source: BUDGET_EVENT_SOURCE,
          DetailType: BUDGET_EVENT_DETAIL_TYPE,
          Detail: JSON.stringify(alert),
        }),
      ],
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:eu-central-1:1:alerts',
      Message: expect.stringContaining(
        'team eng of tenant acme has used 91.2%'
      ),
    });
  });

  it('publishes nothing when another container already claimed the alert', async () => {
    ddb.on(PutCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'exists',
        $metadata: {},
      })
    );
    const published = await make('arn:aws:sns:eu-central-1:1:alerts').publish(
      alert
    );
    expect(published).toBe(false);
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('sends only the EventBridge event without a topic', async () => {
    ddb.on(PutCommand).resolves({});
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    expect(await make().publish(alert)).toBe(true);
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
