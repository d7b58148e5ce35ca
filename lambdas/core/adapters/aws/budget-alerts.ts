import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { BudgetAlert, BudgetAlertSink } from '../../budget/types';
import { alertKey } from '../local/memory-budget-alerts';
import {
  type EventsTarget,
  lazyPutEvents,
  type PutEvents,
} from './lazy-eventbridge';

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
  /** @default - a client made on the first alert */
  readonly events?: EventsTarget;
}

/**
 * Budget alerts on AWS: a conditional put of a claim item
 * (`pk = budgetalert#<tenant>`, `sk = <scope>#<id>#<period>#<key>#<pct>`)
 * makes each alert fire once per period across every container; the winner
 * sends one EventBridge event. The monitoring stack's BudgetAlertRule
 * forwards it to the SNS alert topic, so the router carries no SNS client
 * (-40 KB bundle) and needs no cross-stack reference to the topic.
 */
export class AwsBudgetAlerts implements BudgetAlertSink {
  private readonly events: PutEvents;

  public constructor(private readonly props: AwsBudgetAlertsProps) {
    this.events = lazyPutEvents(props.events);
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
    try {
      await this.send(alert);
    } catch (err) {
      // Unclaim, so that a later request publishes it (best effort).
      await this.props.client
        .send(
          new DeleteCommand({
            TableName: this.props.tableName,
            Key: {
              pk: `budgetalert#${encodeURIComponent(alert.tenant)}`,
              sk: alertKey(alert),
            },
          })
        )
        .catch(() => undefined);
      throw err;
    }
    return true;
  }

  private async send(alert: BudgetAlert): Promise<void> {
    const out = await this.events({
      Entries: [
        {
          EventBusName: this.props.eventBusName ?? 'default',
          Source: BUDGET_EVENT_SOURCE,
          DetailType: BUDGET_EVENT_DETAIL_TYPE,
          Detail: JSON.stringify(alert),
        },
      ],
    });
    if ((out.FailedEntryCount ?? 0) > 0)
      throw new Error(
        `PutEvents refused the budget alert: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'}`
      );
  }
}
