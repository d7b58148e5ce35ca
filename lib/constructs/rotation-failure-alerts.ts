import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Secrets Manager CloudTrail service events that mean a rotation did not finish. */
export const ROTATION_FAILURE_EVENTS = ['RotationFailed', 'RotationAbandoned'];

/** Props of {@link RotationFailureAlerts}. */
export interface RotationFailureAlertsProps {
  /** Name prefix of the alarm, e.g. `ai-gateway-prod`. */
  readonly namePrefix: string;
  /** The rotation function whose errors are alarmed. */
  readonly rotationFunction: lambda.IFunction;
  /** Where alerts go. */
  readonly topic: sns.ITopic;
}

/**
 * Tells operators when a secret rotation fails, three ways: Secrets
 * Manager's own RotationFailed/RotationAbandoned service events, a failed
 * RotateSecret API call, and errors of the rotation function itself.
 */
export class RotationFailureAlerts extends Construct {
  /** Rule on Secrets Manager rotation service events. */
  public readonly rotationFailedRule: events.Rule;
  /** Rule on RotateSecret API calls that returned an error. */
  public readonly rotateSecretErrorRule: events.Rule;
  /** Alarm on the rotation function's Errors metric. */
  public readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RotationFailureAlertsProps) {
    super(scope, id);
    const target = new targets.SnsTopic(props.topic);

    this.rotationFailedRule = new events.Rule(this, 'RotationFailedRule', {
      description: 'Secrets Manager reports a failed or abandoned rotation',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ROTATION_FAILURE_EVENTS,
        },
      },
      targets: [target],
    });

    this.rotateSecretErrorRule = new events.Rule(
      this,
      'RotateSecretErrorRule',
      {
        description: 'A RotateSecret API call failed',
        eventPattern: {
          source: ['aws.secretsmanager'],
          detailType: ['AWS API Call via CloudTrail'],
          detail: {
            eventSource: ['secretsmanager.amazonaws.com'],
            eventName: ['RotateSecret'],
            errorCode: [{ exists: true }],
          },
        },
        targets: [target],
      }
    );

    this.errorsAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmName: `${props.namePrefix}-rotation-errors`,
      alarmDescription: 'The secret rotation function returned errors',
      metric: props.rotationFunction.metricErrors({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator:
        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm.addAlarmAction(new actions.SnsAction(props.topic));
  }
}
