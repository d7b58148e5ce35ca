import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { AlertTopic } from './constructs/alert-topic';
import { BudgetAlertRule } from './constructs/budget-alert-rule';
import { GatewayDashboard } from './constructs/gateway-dashboard';
import type {
  GatewayFunction,
  GatewayFunctionNetwork,
} from './constructs/gateway-function';
import { GatewayKey } from './constructs/gateway-key';
import { ROUTER_SERVICE_NAME } from './constructs/gateway-metrics';
import { RollbackTrigger } from './constructs/rollback-trigger';
import { SloAlarms } from './constructs/slo-alarms';
import { type GatewayStackProps, namePrefix } from './gateway-stack-props';
import { entryPath } from './paths';

/** Props of {@link MonitoringStack}. */
export interface MonitoringStackProps extends GatewayStackProps {
  /** Models that get their own SLO alarms. @default - none */
  readonly sloModels?: readonly string[];
  /** Powertools idempotency table of the rollback function. */
  readonly idempotencyTable: dynamodb.ITableV2;
  /** Model registry (the rollback marks models). */
  readonly registryTable: dynamodb.ITableV2;
  /** Audit trail (every rollback is recorded). */
  readonly auditTable: dynamodb.ITableV2;
  /** `/ai/kill-switches/{env}`. */
  readonly killSwitchPrefix: string;
  /** `/ai/routing/{env}/active-models`. */
  readonly routeSetParameterName: string;
  /** VPC placement of the rollback function. @default - not in a VPC */
  readonly network?: GatewayFunctionNetwork;
  /** Dry-run the rollback (log only). @default false */
  readonly rollbackDryRun?: boolean;
}

/**
 * Observability and automatic reaction: the dashboard, SLO alarms to an
 * encrypted topic, and the rollback function started by those alarms.
 */
export class MonitoringStack extends Stack {
  /** SLO alarms. */
  public readonly alarms: SloAlarms;
  /** Alarm notifications. */
  public readonly alertTopic: AlertTopic;
  /** Router budget alerts (EventBridge) -> alert topic. */
  public readonly budgetAlerts: BudgetAlertRule;
  /** The dashboard. */
  public readonly dashboard: GatewayDashboard;
  /** The rollback function. */
  public readonly rollbackFunction: GatewayFunction;
  /** Alarm -> rollback wiring. */
  public readonly rollbackTrigger: RollbackTrigger;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { settings, gatewayEnv } = props;
    const prefix = namePrefix(gatewayEnv);

    const key = new GatewayKey(this, 'Key', {
      alias: `ai-gateway/${gatewayEnv}/monitoring`,
      description: 'Encrypts alarm notifications and rollback logs',
      removalPolicy: settings.removalPolicy,
      pendingWindow: settings.keyPendingWindow,
    });

    this.alertTopic = new AlertTopic(this, 'AlertTopic', {
      displayName: `${prefix} SLO alarms`,
      key,
      // EventBridge too: budget alerts arrive through BudgetAlertRule.
      publishers: ['cloudwatch', 'events'],
    });
    this.budgetAlerts = new BudgetAlertRule(this, 'BudgetAlerts', {
      topic: this.alertTopic.topic,
    });

    this.alarms = new SloAlarms(this, 'SloAlarms', {
      namePrefix: prefix,
      serviceName: ROUTER_SERVICE_NAME,
      models: props.sloModels,
      topic: this.alertTopic.topic,
    });

    this.dashboard = new GatewayDashboard(this, 'Dashboard', {
      dashboardName: prefix,
      serviceName: ROUTER_SERVICE_NAME,
      alarms: this.alarms.allAlarms,
    });

    this.rollbackTrigger = new RollbackTrigger(this, 'Rollback', {
      alarms: this.alarms.allAlarms,
      functionProps: {
        entry: entryPath('rollback'),
        serviceName: 'ai-gateway-rollback',
        description: 'Rolls back the model named by an SLO alarm',
        logKey: key,
        logRetention: settings.logRetention,
        logRemovalPolicy: settings.removalPolicy,
        memorySize: 256,
        timeout: Duration.minutes(1),
        network: props.network,
        environment: {
          GATEWAY_ENV: gatewayEnv,
          ROLLBACK_DRY_RUN: String(props.rollbackDryRun ?? false),
          // Rollback summaries go to the same on-call topic as the alarms.
          ROLLBACK_TOPIC_ARN: this.alertTopic.topic.topicArn,
        },
      },
    });
    this.rollbackFunction = this.rollbackTrigger.rollbackFunction
      .bindTable({
        table: props.idempotencyTable,
        accessMode: 'RW',
        envVarName: 'IDEMPOTENCY_TABLE',
      })
      .bindTable({
        table: props.registryTable,
        accessMode: 'RW',
        envVarName: 'MODEL_REGISTRY_TABLE',
      })
      .bindTable({
        table: props.auditTable,
        accessMode: 'RW',
        envVarName: 'AUDIT_TABLE',
      })
      .bindParameterPath({
        path: props.killSwitchPrefix,
        accessMode: 'RW',
        envVarName: 'KILL_SWITCH_PREFIX',
      })
      .bindParameter({
        parameterName: props.routeSetParameterName,
        accessMode: 'RW',
        envVarName: 'ROUTE_SET_PARAM',
      })
      .addToPolicy({
        sid: 'PublishRollbackSummary',
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topic.topicArn],
      })
      .addToPolicy({
        sid: 'EncryptForAlertTopic',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.key.keyArn],
      })
      .addToPolicy({
        sid: 'ReadAlarmTags',
        actions: ['cloudwatch:ListTagsForResource'],
        resources: this.alarms.allAlarms.map((a) => a.alarmArn),
      });
  }
}
