import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type {
  AttemptOutcome,
  GatewayMetrics,
  RequestOutcome,
} from '../../ports';

/** CloudWatch namespace of every gateway metric (the dashboard reads it). */
export const METRICS_NAMESPACE = 'AiGateway';

// Powertools warns whenever two dimension sets of one blob name the same key,
// even with the same value. The request blob's [Model] and [Provider, Model]
// sets always share `Model` with one value (the EMF contract below), so the
// warning was a false alarm written to the logs on every request.
const SHARED_SET_KEY =
  /^EMF key "[^"]+" is defined as both a dimension set and dimension set;/;

/**
 * Powertools' warnings, less the shared-dimension-set one. Everything else
 * still goes to the console, as Powertools does without a logger.
 */
export const emfWarnings = {
  trace: (...args: unknown[]): void => console.trace(...args),
  debug: (...args: unknown[]): void => console.debug(...args),
  info: (...args: unknown[]): void => console.info(...args),
  error: (...args: unknown[]): void => console.error(...args),
  warn: (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && SHARED_SET_KEY.test(args[0])) return;
    console.warn(...args);
  },
};

/**
 * CloudWatch metrics as EMF log lines via Powertools Metrics, following the
 * contract in lib/constructs/gateway-metrics.ts (docs/deploy.md): every
 * request publishes one blob under the dimension sets [service],
 * [service, Model] and [service, Provider, Model] (totals for SLO alarms,
 * per model for per-model alarms and the rollback, per provider for the
 * dashboard), and one under [service, Tenant] for spend. The service name
 * comes from POWERTOOLS_SERVICE_NAME. One Lambda container serves one
 * request at a time, so a shared instance is safe.
 */
export class EmfMetrics implements GatewayMetrics {
  public constructor(
    private readonly metrics: Metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      logger: emfWarnings,
    })
  ) {}

  public request(o: RequestOutcome): void {
    const m = this.metrics;
    const model = o.model ?? 'none';
    m.addDimensions({});
    m.addDimensions({ Model: model });
    m.addDimensions({ Provider: o.provider ?? 'none', Model: model });
    m.addMetric('Requests', MetricUnit.Count, 1);
    if (o.status < 400)
      m.addMetric(
        o.cached ? 'CachedLatency' : 'Latency',
        MetricUnit.Milliseconds,
        o.latencyMs
      );
    if (o.ttftMs !== undefined)
      m.addMetric('TimeToFirstToken', MetricUnit.Milliseconds, o.ttftMs);
    m.addMetric('Errors', MetricUnit.Count, o.status >= 500 ? 1 : 0);
    m.addMetric(
      'ClientErrors',
      MetricUnit.Count,
      o.status >= 400 && o.status < 500 ? 1 : 0
    );
    m.addMetric('Fallbacks', MetricUnit.Count, o.fallbacks);
    if (o.costUsd !== undefined)
      m.addMetric('CostUsd', MetricUnit.NoUnit, o.costUsd);
    m.publishStoredMetrics();
    if (o.tenant) {
      m.addDimensions({ Tenant: o.tenant });
      m.addMetric('TenantRequests', MetricUnit.Count, 1);
      if (o.costUsd !== undefined)
        m.addMetric('CostUsd', MetricUnit.NoUnit, o.costUsd);
      if (o.promptTokens !== undefined)
        m.addMetric('PromptTokens', MetricUnit.Count, o.promptTokens);
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

  public gauge(
    name: string,
    value: number,
    dimensions?: Record<string, string>
  ): void {
    const m = this.metrics;
    if (dimensions && Object.keys(dimensions).length > 0)
      m.addDimensions(dimensions);
    m.addMetric(name, MetricUnit.Percent, value);
    m.publishStoredMetrics();
  }

  public event(
    name: string,
    value = 1,
    dimensions?: Record<string, string>
  ): void {
    const m = this.metrics;
    m.addDimensions({});
    if (dimensions && Object.keys(dimensions).length > 0)
      m.addDimensions(dimensions);
    m.addMetric(name, MetricUnit.Count, value);
    m.publishStoredMetrics();
  }
}
