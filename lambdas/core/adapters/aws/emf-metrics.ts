import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttemptOutcome, GatewayMetrics, RequestOutcome } from '../../ports';

/** CloudWatch namespace of every gateway metric (the dashboard reads it). */
export const METRICS_NAMESPACE = 'AiGateway';

/**
 * CloudWatch metrics as EMF log lines via Powertools Metrics. One Lambda
 * container serves one request at a time, so a shared instance is safe:
 * each outcome adds its dimensions, its metrics, and publishes at once.
 * Dimension sets: {Provider, Model} for latency/errors, {Tenant} for spend.
 */
export class EmfMetrics implements GatewayMetrics {
  public constructor(
    private readonly metrics: Metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: 'router',
    })
  ) {}

  public request(o: RequestOutcome): void {
    const m = this.metrics;
    m.addDimensions({ Provider: o.provider ?? 'none', Model: o.model ?? 'none' });
    m.addMetric('Requests', MetricUnit.Count, 1);
    m.addMetric('Latency', MetricUnit.Milliseconds, o.latencyMs);
    if (o.ttftMs !== undefined) m.addMetric('TimeToFirstToken', MetricUnit.Milliseconds, o.ttftMs);
    m.addMetric('Errors', MetricUnit.Count, o.status >= 500 ? 1 : 0);
    m.addMetric('ClientErrors', MetricUnit.Count, o.status >= 400 && o.status < 500 ? 1 : 0);
    m.addMetric('Fallbacks', MetricUnit.Count, o.fallbacks);
    if (o.costUsd !== undefined) m.addMetric('CostUsd', MetricUnit.NoUnit, o.costUsd);
    m.publishStoredMetrics();
    if (o.tenant) {
      m.addDimensions({ Tenant: o.tenant });
      m.addMetric('TenantRequests', MetricUnit.Count, 1);
      if (o.costUsd !== undefined) m.addMetric('CostUsd', MetricUnit.NoUnit, o.costUsd);
      if (o.promptTokens !== undefined) m.addMetric('PromptTokens', MetricUnit.Count, o.promptTokens);
      if (o.completionTokens !== undefined)
        m.addMetric('CompletionTokens', MetricUnit.Count, o.completionTokens);
      m.publishStoredMetrics();
    }
  }

  public attempt(o: AttemptOutcome): void {
    const m = this.metrics;
    m.addDimensions({ Provider: o.provider, Model: o.model });
    m.addMetric('ProviderAttempts', MetricUnit.Count, 1);
    m.addMetric('ProviderErrors', MetricUnit.Count, o.outcome === 'ok' ? 0 : 1);
    m.addMetric('ProviderLatency', MetricUnit.Milliseconds, o.latencyMs);
    m.publishStoredMetrics();
  }
}
