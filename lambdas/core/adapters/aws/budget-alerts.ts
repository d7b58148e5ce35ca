import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  EventBridgeClient,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BudgetAlert, BudgetAlertSink } from '../../budget/types';
import { alertKey } from '../local/memory-budget-alerts';

/** EventBridge `source` of budget alerts (match it in rules). */
export const BUDGET_EVENT_SOURCE = 'ai-gateway.budget';
/** EventBridge `detail-type` of budget alerts. */
export const BUDGET_EVENT_DETAIL_TYPE = 'Budget threshold reached';

/** Props of {@link AwsBudgetAlerts}. */
export interface AwsBudgetAlertsProps {
  /** Usage table (`USAGE_TABLE`): holds one claim item per fired alert. */
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
  /** Event bus for PutEvents. @default 'default' */
  readonly eventBusName?: string;
  readonly events?: EventBridgeClient;
  /** SNS topic to publish to as well. @default - EventBridge only */
  readonly topicArn?: string;
  readonly sns?: SNSClient;
}

/**
 * Budget alerts on AWS: a conditional put of a claim item
 * (`pk = budgetalert#<tenant>`, `sk = <scope>#<id>#<period>#<key>#<pct>`)
 * makes each alert fire once per period across every container; the winner
 * sends an EventBridge event and, when a topic is configured, an SNS message.
 */
export class AwsBudgetAlerts implements BudgetAlertSink {
  private readonly events: EventBridgeClient;
  private readonly sns?: SNSClient;

  public constructor(private readonly props: AwsBudgetAlertsProps) {
    this.events = props.events ?? new EventBridgeClient({});
    if (props.topicArn) this.sns = props.sns ?? new SNSClient({});
  }

  public async publish(alert: BudgetAlert): Promise<boolean> {
    try {
      await this.props.client.send(
        new PutCommand({
          TableName: this.props.tableName,
          Item: {
            pk: `budgetalert#${encodeURIComponent(alert.tenant)}`,
            sk: alertKey(alert),
            ...alert,
            firedAt: new Date().toISOString(),
            // Kept past the period's end, then TTL'd.
            expiresAt:
              Math.ceil(Date.parse(alert.resetsAt) / 1000) + 35 * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        })
      );
    } catch (err) {
      if (
        err instanceof ConditionalCheckFailedException ||
        (err as Error).name === 'ConditionalCheckFailedException'
      )
        return false;
      throw err;
    }
    const detail = JSON.stringify(alert);
    await this.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.props.eventBusName ?? 'default',
            Source: BUDGET_EVENT_SOURCE,
            DetailType: BUDGET_EVENT_DETAIL_TYPE,
            Detail: detail,
          },
        ],
      })
    );
    if (this.sns && this.props.topicArn) {
      const scope =
        alert.scope === 'tenant'
          ? `tenant ${alert.tenant}`
          : `${alert.scope} ${alert.scopeId} of tenant ${alert.tenant}`;
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.props.topicArn,
          Subject:
            `AI gateway budget ${alert.thresholdPct}%: ${alert.tenant}`.slice(
              0,
              100
            ),
          Message: `${scope} has used ${alert.usedPct}% of its ${alert.period === 'day' ? 'daily' : 'monthly'} budget (${alert.spentUsd.toFixed(4)} of ${alert.capUsd} USD, period ${alert.periodKey}; resets ${alert.resetsAt}).\n\n${detail}`,
        })
      );
    }
    return true;
  }
}
