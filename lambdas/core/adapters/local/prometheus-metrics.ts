import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  AttemptOutcome,
  GatewayMetrics,
  RequestOutcome,
} from '../../ports';

const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10, 30, 60,
];

type Labels = Record<string, string>;

/**
 * Counter increments summed per label set and handed to prom-client when the
 * counter is read (a scrape). prom-client hashes and validates the label
 * object on every `inc`; per request that was most of the metrics' cost.
 * Label sets are as bounded as the counter's own.
 */
class Tally {
  private readonly pending = new Map<
    string,
    { labels: Labels; value: number }
  >();

  public constructor(private readonly counter: () => Counter<string>) {}

  /** Adds `value` under `key` (the label values joined); `labels` builds them once. */
  public add(key: string, labels: () => Labels, value: number): void {
    // prom-client's own refusal, thrown where the value came from.
    if (!Number.isFinite(value) || value < 0) {
      this.counter().inc(labels(), value);
      return;
    }
    const entry = this.pending.get(key);
    if (entry) entry.value += value;
    else this.pending.set(key, { labels: labels(), value });
  }

  /** The counter's `collect`: moves the sums into it. */
  public flush(): void {
    const counter = this.counter();
    for (const entry of this.pending.values()) {
      if (entry.value === 0) continue;
      counter.inc(entry.labels, entry.value);
      entry.value = 0;
    }
  }
}

/**
 * Prometheus metrics for the local gateway (`GET /metrics`), via prom-client.
 * Label sets are bounded by config (tenants, providers, models).
 */
export class PrometheusMetrics implements GatewayMetrics {
  public readonly registry = new Registry();
  private readonly requests: Counter<
    'route' | 'status' | 'provider' | 'model' | 'tenant' | 'stream'
  >;
  private readonly duration: Histogram<
    'route' | 'provider' | 'model' | 'stream'
  >;
  private readonly ttft: Histogram<'provider' | 'model'>;
  private readonly attempts: Counter<'provider' | 'model' | 'outcome'>;
  private readonly attemptDuration: Histogram<'provider' | 'model'>;
  private readonly fallbacks: Counter<'model'>;
  private readonly cost: Counter<'tenant' | 'model'>;
  private readonly tokens: Counter<'tenant' | 'model' | 'kind'>;
  private readonly events: Counter<'name' | 'detail'>;
  private readonly gauges: Gauge<'name' | 'detail'>;

  private readonly requestTally = new Tally(() => this.requests);
  private readonly attemptTally = new Tally(() => this.attempts);
  private readonly costTally = new Tally(() => this.cost);
  private readonly tokenTally = new Tally(() => this.tokens);

  public constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'gateway_requests_total',
      help: 'Requests answered, by route and status',
      labelNames: ['route', 'status', 'provider', 'model', 'tenant', 'stream'],
      registers,
      collect: () => this.requestTally.flush(),
    });
    this.duration = new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Time from request to the last byte',
      labelNames: ['route', 'provider', 'model', 'stream'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.ttft = new Histogram({
      name: 'gateway_time_to_first_token_seconds',
      help: 'Time to the first streamed token',
      labelNames: ['provider', 'model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: 'gateway_provider_attempts_total',
      help: 'Provider calls by outcome (ok or the error kind)',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
      collect: () => this.attemptTally.flush(),
    });
    this.attemptDuration = new Histogram({
      name: 'gateway_provider_attempt_duration_seconds',
      help: 'Duration of provider calls',
      labelNames: ['provider', 'model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.fallbacks = new Counter({
      name: 'gateway_fallbacks_total',
      help: 'Failovers to another candidate',
      labelNames: ['model'],
      registers,
    });
    this.cost = new Counter({
      name: 'gateway_cost_usd_total',
      help: 'Estimated spend in USD from provider-reported usage',
      labelNames: ['tenant', 'model'],
      registers,
      collect: () => this.costTally.flush(),
    });
    this.events = new Counter({
      name: 'gateway_events_total',
      help: 'Operational events (CircuitOpen, KillSwitchEngaged, RegistryError, ...)',
      labelNames: ['name', 'detail'],
      registers,
    });
    this.gauges = new Gauge({
      name: 'gateway_gauge',
      help: 'Levels by name (BudgetUsedPct per tenant, ...): the last value seen',
      labelNames: ['name', 'detail'],
      registers,
    });
    this.tokens = new Counter({
      name: 'gateway_tokens_total',
      help: 'Tokens by kind (prompt, completion)',
      labelNames: ['tenant', 'model', 'kind'],
      registers,
      collect: () => this.tokenTally.flush(),
    });
  }

  public request(o: RequestOutcome): void {
    const provider = o.provider ?? 'none';
    const model = o.model ?? 'none';
    const stream = o.stream ? 'true' : 'false';
    const tenant = o.tenant ?? 'none';
    this.requestTally.add(
      `${o.route}\u0000${o.status}\u0000${provider}\u0000${model}\u0000${tenant}\u0000${stream}`,
      () => ({
        route: o.route,
        status: String(o.status),
        provider,
        model,
        tenant,
        stream,
      }),
      1
    );
    this.duration.observe(
      { route: o.route, provider, model, stream },
      o.latencyMs / 1000
    );
    if (o.ttftMs !== undefined)
      this.ttft.observe({ provider, model }, o.ttftMs / 1000);
    if (o.fallbacks > 0) this.fallbacks.inc({ model }, o.fallbacks);
    if (o.tenant && o.model) {
      const key = `${o.tenant}\u0000${model}`;
      if (o.costUsd)
        this.costTally.add(key, () => ({ tenant, model }), o.costUsd);
      if (o.promptTokens)
        this.tokenTally.add(
          `${key}\u0000p`,
          () => ({ tenant, model, kind: 'prompt' }),
          o.promptTokens
        );
      if (o.completionTokens)
        this.tokenTally.add(
          `${key}\u0000c`,
          () => ({ tenant, model, kind: 'completion' }),
          o.completionTokens
        );
    }
  }

  public event(
    name: string,
    value = 1,
    dimensions?: Record<string, string>
  ): void {
    const detail = dimensions ? Object.values(dimensions).join('/') : '';
    this.events.inc({ name, detail }, value);
  }

  public gauge(
    name: string,
    value: number,
    dimensions?: Record<string, string>
  ): void {
    const detail = dimensions ? Object.values(dimensions).join('/') : '';
    this.gauges.set({ name, detail }, value);
  }

  public attempt(o: AttemptOutcome): void {
    this.attemptTally.add(
      `${o.provider}\u0000${o.model}\u0000${o.outcome}`,
      () => ({ provider: o.provider, model: o.model, outcome: o.outcome }),
      1
    );
    this.attemptDuration.observe(
      { provider: o.provider, model: o.model },
      o.latencyMs / 1000
    );
  }

  public async render(): Promise<{ contentType: string; body: string }> {
    return {
      contentType: this.registry.contentType,
      body: await this.registry.metrics(),
    };
  }
}
