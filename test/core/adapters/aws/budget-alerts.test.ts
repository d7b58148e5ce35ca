import {
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  EventBridgeClient,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
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
  beforeEach(() => {
    ddb.reset();
    events.reset();
  });

  const make = () =>
    new AwsBudgetAlerts({
      tableName: 'usage',
      client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
      events: new EventBridgeClient({}),
    });

  it('claims the alert with a conditional put, then sends one EventBridge event (the rule forwards it to SNS)', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    // Act
    const published = await make().publish(alert);
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
        {
          EventBusName: 'default',
          Source: BUDGET_EVENT_SOURCE,
          DetailType: BUDGET_EVENT_DETAIL_TYPE,
          Detail: JSON.stringify(alert),
        },
      ],
    });
  });

  it('publishes nothing when another container already claimed the alert', async () => {
    ddb.on(PutCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'exists',
        $metadata: {},
      })
    );
    expect(await make().publish(alert)).toBe(false);
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('unclaims and throws when EventBridge refuses the event, so a later request publishes it', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'Throttling' }],
    });
    await expect(make().publish(alert)).rejects.toThrow(/Throttling/);
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'budgetalert#acme', sk: 'acme#team#eng#day#2026-12-03#90' },
    });
  });
});
