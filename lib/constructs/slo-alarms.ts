import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  GATEWAY_DIMENSIONS as D,
  gatewayMetric,
  GATEWAY_METRICS as M,
  percentOf,
} from './gateway-metrics';

/** Service level objectives the alarms enforce. */
export interface SloTargets {
  /** p95 generation latency, ms. */
  readonly latencyP95Ms: number;
  /** p95 latency of cache hits, ms. */
  readonly cachedLatencyP95Ms: number;
  /** p95 ApplyGuardrail latency, ms. */
  readonly guardrailLatencyP95Ms: number;
  /** Share of requests that fail, percent. */
  readonly errorRatePct: number;
}

/** The gateway's SLOs. */
export const DEFAULT_SLO_TARGETS: SloTargets = {
  latencyP95Ms: 1500,
  cachedLatencyP95Ms: 300,
  guardrailLatencyP95Ms: 100,
  errorRatePct: 5,
};

/** Props of {@link SloAlarms}. */
export interface SloAlarmsProps {
  /** Alarm name prefix, e.g. `ai-gateway-prod`. */
  readonly namePrefix: string;
  /** The router's POWERTOOLS_SERVICE_NAME (the `service` dimension). */
  readonly serviceName: string;
  /** Models that get their own alarms. @default - none */
  readonly models?: readonly string[];
  /** Where every alarm notifies. */
  readonly topic: sns.ITopic;
  /** @default DEFAULT_SLO_TARGETS */
  readonly targets?: SloTargets;
}

/**
 * SLO alarms on the router's metrics: gateway-wide p95 latency, cached p95
 * latency, guardrail p95 latency and error rate, plus latency and error rate
 * per listed model. Per-model alarms carry the `Model` dimension, which the
 * rollback function reads from the alarm event to know what to roll back.
 * Three of five 5-minute periods must breach, so one slow burst does not page.
 */
export class SloAlarms extends Construct {
  /** Gateway-wide alarms. */
  public readonly gatewayAlarms: cloudwatch.Alarm[];
  /** Per-model alarms, by model id. */
  public readonly modelAlarms: Readonly<Record<string, cloudwatch.Alarm[]>>;

  constructor(scope: Construct, id: string, props: SloAlarmsProps) {
    super(scope, id);
    const t = props.targets ?? DEFAULT_SLO_TARGETS;
    const action = new actions.SnsAction(props.topic);
    const service = { [D.service]: props.serviceName };
    const alarm = (
      parent: Construct,
      alarmId: string,
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold: number
    ): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(parent, alarmId, {
        alarmName: `${props.namePrefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator:
          cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };

    this.gatewayAlarms = [
      alarm(
        this,
        'LatencyP95',
        'slo-latency-p95',
        `p95 generation latency above ${t.latencyP95Ms} ms`,
        gatewayMetric(M.latency, service, 'p95'),
        t.latencyP95Ms
      ),
      alarm(
        this,
        'CachedLatencyP95',
        'slo-cached-latency-p95',
        `p95 latency of cache hits above ${t.cachedLatencyP95Ms} ms`,
        gatewayMetric(M.cachedLatency, service, 'p95'),
        t.cachedLatencyP95Ms
      ),
      alarm(
        this,
        'GuardrailLatencyP95',
        'slo-guardrail-latency-p95',
        `p95 guardrail latency above ${t.guardrailLatencyP95Ms} ms`,
        gatewayMetric(M.guardrailLatency, service, 'p95'),
        t.guardrailLatencyP95Ms
      ),
      alarm(
        this,
        'ErrorRate',
        'slo-error-rate',
        `more than ${t.errorRatePct}% of requests failed`,
        percentOf(
          'errors',
          gatewayMetric(M.errors, service, 'Sum'),
          gatewayMetric(M.requests, service, 'Sum'),
          'Error rate (%)'
        ),
        t.errorRatePct
      ),
    ];

    const modelAlarms: Record<string, cloudwatch.Alarm[]> = {};
    const models = props.models ?? [];
    const names = models.map((m) => m.replace(/[^A-Za-z0-9._-]/g, '-'));
    const clash = names.find((n, i) => names.indexOf(n) !== i);
    if (clash !== undefined) {
      throw new Error(
        `models must stay distinct once reduced to alarm-name characters, got two models named "${clash}"`
      );
    }
    if (models.length > 0) {
      const ns = new Construct(this, 'Models');
      for (const model of models) {
        const safe = model.replace(/[^A-Za-z0-9._-]/g, '-');
        const scope = new Construct(ns, safe);
        const dims = { ...service, [D.model]: model };
        modelAlarms[model] = [
          alarm(
            scope,
            'LatencyP95',
            `model-${safe}-latency-p95`,
            `p95 latency of model ${model} above ${t.latencyP95Ms} ms`,
            gatewayMetric(M.latency, dims, 'p95'),
            t.latencyP95Ms
          ),
          alarm(
            scope,
            'ErrorRate',
            `model-${safe}-error-rate`,
            `more than ${t.errorRatePct}% of requests to model ${model} failed`,
            percentOf(
              'errors',
              gatewayMetric(M.errors, dims, 'Sum'),
              gatewayMetric(M.requests, dims, 'Sum'),
              `Error rate of ${model} (%)`
            ),
            t.errorRatePct
          ),
        ];
      }
    }
    this.modelAlarms = modelAlarms;
  }

  /** Every alarm, gateway-wide first. */
  public get allAlarms(): cloudwatch.Alarm[] {
    return [...this.gatewayAlarms, ...Object.values(this.modelAlarms).flat()];
  }
}
