import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** EventBridge `source` of the router's budget alerts (lambdas/core/adapters/aws/budget-alerts.ts). */
export const BUDGET_ALERT_SOURCE = 'ai-gateway.budget';
/** EventBridge `detail-type` of the router's budget alerts. */
export const BUDGET_ALERT_DETAIL_TYPE = 'Budget threshold reached';

/** Props of {@link BudgetAlertRule}. */
export interface BudgetAlertRuleProps {
  /** Topic the alerts go to (the on-call alert topic). */
  readonly topic: sns.ITopic;
}

/**
 * Forwards the router's budget alerts (one EventBridge event per scope,
 * period and threshold, on the default bus) to the alert topic. The router
 * only needs `events:PutEvents`: no cross-stack reference to the topic.
 */
export class BudgetAlertRule extends Construct {
  /** The rule. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: BudgetAlertRuleProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Resource', {
      description:
        'Gateway budget thresholds (50/75/90/95% by default) to the alert topic',
      eventPattern: {
        source: [BUDGET_ALERT_SOURCE],
        detailType: [BUDGET_ALERT_DETAIL_TYPE],
      },
      targets: [new targets.SnsTopic(props.topic)],
    });
  }
}
