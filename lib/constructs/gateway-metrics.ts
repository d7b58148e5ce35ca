import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from './gateway-function';

/**
 * The metric contract between the router's EMF output and the dashboard and
 * alarms (documented in docs/deploy.md). Powertools Metrics adds the
 * `service` dimension to every metric, so every dimension set starts with it:
 *
 * - `[service]`: totals; SLO alarms read these.
 * - `[service, Model]`: per model; per-model alarms read these, and the Model
 *   dimension is how the rollback function finds the model to act on.
 * - `[service, Provider, Model]`: per provider and model; dashboard only.
 * - `[service, Tenant]`: per tenant cost and budget; dashboard only.
 */
export const GATEWAY_METRICS = {
  requests: 'Requests',
  errors: 'Errors',
  fallbacks: 'Fallbacks',
  /** Generation latency (cache misses), ms. */
  latency: 'Latency',
  /** Latency of cache hits, ms. */
  cachedLatency: 'CachedLatency',
  /** Time to first token of streams, ms. */
  timeToFirstToken: 'TimeToFirstToken',
  cacheHits: 'CacheHits',
  cacheMisses: 'CacheMisses',
  costUsd: 'CostUsd',
  budgetUsedPct: 'BudgetUsedPct',
  guardrailBlocks: 'GuardrailBlocks',
  /** ApplyGuardrail latency, ms. */
  guardrailLatency: 'GuardrailLatency',
  circuitOpen: 'CircuitOpen',
  killSwitchEngaged: 'KillSwitchEngaged',
} as const;

/** Dimension names of the contract. */
export const GATEWAY_DIMENSIONS = {
  service: 'service',
  provider: 'Provider',
  model: 'Model',
  tenant: 'Tenant',
} as const;

/** POWERTOOLS_SERVICE_NAME of the router, the `service` dimension of its metrics. */
export const ROUTER_SERVICE_NAME = 'ai-gateway-router';

/** Default period of dashboard graphs and alarms. */
export const METRIC_PERIOD = Duration.minutes(5);

/** One gateway metric with the given dimensions. */
export function gatewayMetric(
  metricName: string,
  dimensionsMap: Record<string, string>,
  statistic: string,
  label?: string
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap,
    statistic,
    period: METRIC_PERIOD,
    label,
  });
}

/**
 * A SEARCH over one dimension set, for graphs whose series (models,
 * tenants) are only known at run time. Alarms cannot use SEARCH.
 */
export function gatewaySearch(
  metricName: string,
  dimensions: readonly string[],
  statistic: string,
  label: string
): cloudwatch.MathExpression {
  const schema = [METRICS_NAMESPACE, ...dimensions].join(',');
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${schema}} MetricName="${metricName}"', '${statistic}', ${METRIC_PERIOD.toSeconds()})`,
    usingMetrics: {},
    label,
    period: METRIC_PERIOD,
  });
}

/**
 * `100 * part / whole`, 0 when there was no traffic. `id` (lower camel case)
 * keeps the inner metric ids unique when several rates share a graph.
 */
export function percentOf(
  id: string,
  part: cloudwatch.IMetric,
  whole: cloudwatch.IMetric,
  label: string
): cloudwatch.MathExpression {
  const p = `${id}Part`;
  const w = `${id}Whole`;
  return new cloudwatch.MathExpression({
    expression: `IF(${w} > 0, 100 * ${p} / ${w}, 0)`,
    usingMetrics: { [p]: part, [w]: whole },
    label,
    period: METRIC_PERIOD,
  });
}
