import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import {
  GATEWAY_DIMENSIONS as D,
  gatewayMetric,
  gatewaySearch,
  GATEWAY_METRICS as M,
  percentOf,
} from './gateway-metrics';

/** Props of {@link GatewayDashboard}. */
export interface GatewayDashboardProps {
  /** Dashboard name. */
  readonly dashboardName: string;
  /** The router's POWERTOOLS_SERVICE_NAME (the `service` dimension). */
  readonly serviceName: string;
  /** Alarms shown in the status row. @default - none */
  readonly alarms?: readonly cloudwatch.IAlarm[];
}

/**
 * One CloudWatch dashboard for the gateway (namespace AiGateway): traffic,
 * latency and time to first token per provider/model, error and fallback
 * rates, cache, cost per tenant and model, budgets, guardrails, circuits and
 * kill switches. Per-model and per-tenant graphs use SEARCH, so new models
 * and tenants appear without a deploy.
 */
export class GatewayDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: GatewayDashboardProps) {
    super(scope, id);
    const service = { [D.service]: props.serviceName };
    const perModel = [D.model, D.provider, D.service];
    const total = (name: string, stat: string, label?: string) =>
      gatewayMetric(name, service, stat, label ?? name);
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      width = 12
    ): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
    });

    if (props.alarms && props.alarms.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({
          title: 'SLO alarms',
          alarms: [...props.alarms],
          width: 24,
          height: 3,
        })
      );
    }

    this.dashboard.addWidgets(
      graph('Requests by provider/model', [
        gatewaySearch(M.requests, perModel, 'Sum', 'Requests'),
      ]),
      graph('Latency (generation)', [
        total(M.latency, 'p50', 'p50'),
        total(M.latency, 'p95', 'p95'),
        total(M.latency, 'p99', 'p99'),
      ])
    );
    this.dashboard.addWidgets(
      graph('Latency p95 by provider/model', [
        gatewaySearch(M.latency, perModel, 'p95', 'p95'),
      ]),
      graph('Time to first token p95 by provider/model', [
        gatewaySearch(M.timeToFirstToken, perModel, 'p95', 'TTFT p95'),
      ])
    );
    this.dashboard.addWidgets(
      graph('Error and fallback rate (%)', [
        percentOf(
          'errors',
          total(M.errors, 'Sum'),
          total(M.requests, 'Sum'),
          'Error rate (%)'
        ),
        percentOf(
          'fallbacks',
          total(M.fallbacks, 'Sum'),
          total(M.requests, 'Sum'),
          'Fallback rate (%)'
        ),
      ]),
      graph('Cache', [
        total(M.cacheHits, 'Sum'),
        total(M.cacheMisses, 'Sum'),
        total(M.cachedLatency, 'p95', 'Cached latency p95'),
      ])
    );
    this.dashboard.addWidgets(
      graph('Cost (USD) per tenant', [
        gatewaySearch(M.costUsd, [D.service, D.tenant], 'Sum', 'Cost'),
      ]),
      graph('Cost (USD) per model', [
        gatewaySearch(M.costUsd, perModel, 'Sum', 'Cost'),
      ])
    );
    this.dashboard.addWidgets(
      graph(
        'Budget used (%) per tenant',
        [
          gatewaySearch(
            M.budgetUsedPct,
            [D.service, D.tenant],
            'Maximum',
            'Budget used'
          ),
        ],
        8
      ),
      graph(
        'Guardrails',
        [
          total(M.guardrailBlocks, 'Sum'),
          total(M.guardrailLatency, 'p95', 'Guardrail latency p95'),
        ],
        8
      ),
      graph(
        'Circuits and kill switches',
        [total(M.circuitOpen, 'Sum'), total(M.killSwitchEngaged, 'Sum')],
        8
      )
    );
  }
}
