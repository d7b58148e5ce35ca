import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import {
  EXPERIMENT_EVALUATE_DETAIL_TYPE,
  EXPERIMENT_EVENT_SOURCE,
} from '../../lambdas/core/experiments/events';
import type { GatewayFunction } from './gateway-function';

/** Props of {@link ExperimentController}. */
export interface ExperimentControllerProps {
  /** Asks for evaluations (PutEvents on the default bus, its source only). */
  readonly router: GatewayFunction;
  /** Acts on them (holds the registry, kill-switch and route-set writes). */
  readonly admin: GatewayFunction;
  /** The backstop sweep over every live experiment. @default Duration.minutes(5) */
  readonly sweepInterval?: Duration;
}

/**
 * Automatic promotion and rollback without giving the router admin writes:
 * a router whose view of the shared counters says "promote" or "roll back"
 * puts an `ExperimentEvaluationRequested` event on the default bus; a rule
 * delivers it to the admin function, which re-judges the experiment from
 * the same counters and acts through the audited control plane. A schedule
 * sweeps every live experiment as a backstop (no traffic, lost events).
 */
export class ExperimentController extends Construct {
  /** Router requests -> admin function. */
  public readonly requestRule: events.Rule;
  /** The periodic sweep. */
  public readonly sweepRule: events.Rule;

  constructor(scope: Construct, id: string, props: ExperimentControllerProps) {
    super(scope, id);
    const sweep = props.sweepInterval ?? Duration.minutes(5);
    if (sweep.toSeconds() < 60) {
      throw new Error(
        `sweepInterval must be at least 1 minute, got ${sweep.toSeconds()}s`
      );
    }
    const target = new targets.LambdaFunction(props.admin.function, {
      retryAttempts: 2,
      maxEventAge: Duration.minutes(15),
    });
    this.requestRule = new events.Rule(this, 'RequestRule', {
      description: 'A router asks the admin function to evaluate a rollout',
      eventPattern: {
        source: [EXPERIMENT_EVENT_SOURCE],
        detailType: [EXPERIMENT_EVALUATE_DETAIL_TYPE],
      },
      targets: [target],
    });
    this.sweepRule = new events.Rule(this, 'SweepRule', {
      description: 'Periodic evaluation of every live experiment',
      schedule: events.Schedule.rate(sweep),
      targets: [target],
    });
    const { partition, region, account } = Stack.of(this);
    props.router.addToPolicy({
      sid: 'RequestExperimentEvaluation',
      actions: ['events:PutEvents'],
      resources: [
        `arn:${partition}:events:${region}:${account}:event-bus/default`,
      ],
      conditions: {
        StringEquals: { 'events:source': EXPERIMENT_EVENT_SOURCE },
      },
    });
  }
}
