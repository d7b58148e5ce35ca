import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GatewayFunction, type GatewayFunctionProps } from './gateway-function';

/** Props of {@link RollbackTrigger}. */
export interface RollbackTriggerProps {
  /** The rollback function (DLQ and retry settings are set here). */
  readonly functionProps: Omit<GatewayFunctionProps, 'functionProps'>;
  /** Alarms whose transition to ALARM starts a rollback. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /**
   * Retries of a failed delivery or invocation (EventBridge and Lambda each).
   * @default 2
   */
  readonly retryAttempts?: number;
  /** How long an undelivered alarm event stays worth acting on. @default Duration.hours(1) */
  readonly maxEventAge?: Duration;
}

/**
 * Alarm -> EventBridge -> rollback function. The rule matches CloudWatch
 * "Alarm State Change" events into ALARM for exactly the given alarm ARNs.
 * Both hops retry, and events that still fail (EventBridge could not deliver,
 * or the function kept failing) land in one SQS dead-letter queue, where an
 * operator can see which rollback never happened.
 */
export class RollbackTrigger extends Construct {
  /** The rollback function. */
  public readonly rollbackFunction: GatewayFunction;
  /** Dead-letter queue of both hops. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The EventBridge rule. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RollbackTriggerProps) {
    super(scope, id);
    if (props.alarms.length === 0) {
      throw new Error('alarms must not be empty');
    }
    const retryAttempts = props.retryAttempts ?? 2;
    if (retryAttempts < 0 || retryAttempts > 2) {
      throw new Error(
        `retryAttempts must be between 0 and 2 (the Lambda async limit), got ${retryAttempts}`
      );
    }
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.rollbackFunction = new GatewayFunction(this, 'Function', {
      ...props.functionProps,
      functionProps: {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts,
        maxEventAge,
      },
    });

    this.rule = new events.Rule(this, 'AlarmRule', {
      description: 'Gateway SLO alarm entered ALARM: start a rollback',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: props.alarms.map((a) => a.alarmArn),
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.LambdaFunction(this.rollbackFunction.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts,
          maxEventAge,
        }),
      ],
    });
  }
}
