/**
 * Ports: the storage/config/metrics interfaces the core depends on. Each has
 * a local implementation (adapters/local) and, as issues land, an AWS one
 * (adapters/aws). The core never imports an adapter directly.
 */

/** Beta posterior parameters of one (context, model) arm. */
export interface BetaPosterior {
  readonly alpha: number;
  readonly beta: number;
}

/**
 * Bandit state: Beta posteriors per context key (`domain|budget_tier|tools`)
 * and model id. Reads are synchronous because they sit on the hot path; an
 * AWS implementation keeps a local replica and syncs in the background.
 */
export interface BanditStore {
  /** Posterior of an arm; the prior Beta(1, 1) when never updated. */
  get(contextKey: string, modelId: string): BetaPosterior;
  /** Adds a reward in [0, 1]: alpha += reward, beta += 1 - reward. */
  update(contextKey: string, modelId: string, reward: number): void;
  /**
   * Forgets all state (or one context). A fleet-shared store resets the
   * shared state, so it may be asynchronous.
   */
  reset(contextKey?: string): void | Promise<void>;
  /** All posteriors, for /v1/stats. */
  snapshot(): Record<string, Record<string, BetaPosterior>>;
}

/**
 * Latency per model, feeding the policy's latency term: a prior shrunk
 * toward decayed observations (lambdas/core/learning/latency-state.ts).
 */
export interface LatencyTracker {
  /** Records one served call; the first per model in a process counts as cold. */
  observe(modelId: string, latencyMs: number): void;
  /**
   * Latency estimate, ms: `priorMs` (the model's configured expectation), or
   * else the fleet median, shrunk toward the model's observations; undefined
   * only when there is neither a prior nor any observation.
   */
  estimate(modelId: string, priorMs?: number): number | undefined;
  /** Recent observations (decayed count). */
  count(modelId: string): number;
}

/** One routed request's outcome, as metrics see it. */
export interface RequestOutcome {
  readonly route: string;
  readonly status: number;
  readonly tenant?: string;
  readonly provider?: string;
  readonly model?: string;
  readonly stream: boolean;
  readonly latencyMs: number;
  /** Time to first token (streams) in ms. */
  readonly ttftMs?: number;
  readonly costUsd?: number;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** Candidates tried beyond the first. */
  readonly fallbacks: number;
  /** Error code when the request failed. */
  readonly errorCode?: string;
  /** Served from the response cache (latency counts as CachedLatency). */
  readonly cached?: boolean;
}

/** One provider attempt's outcome. */
export interface AttemptOutcome {
  readonly provider: string;
  readonly model: string;
  /** `ok` or the ProviderError kind (throttled, timeout, ...). */
  readonly outcome: string;
  readonly latencyMs: number;
}

/**
 * Metrics sink. Locally Prometheus text (`render`); on AWS CloudWatch EMF.
 * Calls are fire-and-forget and must be cheap: they sit on the hot path.
 */
export interface GatewayMetrics {
  request(outcome: RequestOutcome): void;
  attempt(outcome: AttemptOutcome): void;
  /**
   * An operational event (CircuitOpen, KillSwitchEngaged, RegistryError,
   * KillSwitchReadError...), counted with optional dimensions.
   */
  event(
    name: string,
    value?: number,
    dimensions?: Record<string, string>
  ): void;
  /**
   * A level (not a count), e.g. BudgetUsedPct per tenant: the last value
   * wins locally, the Maximum statistic reads it on CloudWatch.
   */
  gauge?(
    name: string,
    value: number,
    dimensions?: Record<string, string>
  ): void;
  /** Prometheus exposition text, where the backend supports it. */
  render?(): Promise<{ contentType: string; body: string }>;
  /** Flushes buffered metrics (EMF publishes per invocation). */
  flush?(): void;
}

/** A decision log record: the public contract of ARCHITECTURE.md (no prompt text). */
export interface DecisionRecord {
  readonly decision_id: string;
  readonly ts: string;
  readonly tenant: string;
  readonly context: {
    readonly domain: string;
    readonly budget_tier: string;
    readonly tools: boolean;
  };
  readonly candidates: readonly string[];
  readonly chosen: string;
  readonly propensity: number;
  readonly latency_ms: number;
  readonly cost_usd: number;
  readonly outcome: 'ok' | 'error' | 'filtered';
  readonly reward: number | null;
  /** Extension: the model that finally answered (differs from chosen after a failover). */
  readonly served_by?: string;
  /** Extension: request id, to join with logs. */
  readonly request_id?: string;
  /** Extension: explicit feedback (`POST /v1/feedback`), once given. */
  readonly feedback?: DecisionFeedback;
}

/** Feedback on one decision; the comment is stored, never logged. */
export interface DecisionFeedback {
  /** In [0, 1]; thumbs up = 1, down = 0. */
  readonly score: number;
  readonly thumbs?: 'up' | 'down';
  readonly comment?: string;
  /** When it was recorded (ISO). */
  readonly at: string;
}

/** What attaching feedback did: only `recorded` changed the record. */
export type FeedbackWrite =
  | {
      readonly status: 'recorded' | 'replay' | 'conflict';
      readonly record: DecisionRecord;
    }
  | { readonly status: 'not_found' };

/** A page of the decision log for export, filtered by time and tenant. */
export interface DecisionQuery {
  /** Inclusive ISO lower bound on `ts`. */
  readonly since?: string;
  /** Exclusive ISO upper bound on `ts`. */
  readonly until?: string;
  readonly tenant?: string;
  /** Most records in the page. */
  readonly limit: number;
  /** Opaque cursor from the previous page. */
  readonly cursor?: string;
}

/** Where decisions are written (memory/JSONL locally; DynamoDB on AWS). */
export interface DecisionLog {
  record(record: DecisionRecord): void;
  /** Most recent records first (bounded), for inspection and tests. */
  recent(limit?: number): readonly DecisionRecord[];
  /** Writes buffered records; the handler awaits it after the response ended. */
  flush?(): Promise<void>;
  /** One decision by id (any container's, on AWS). */
  get(decisionId: string): Promise<DecisionRecord | undefined>;
  /**
   * Attaches feedback and the new reward, once: only when the decision
   * exists, belongs to `tenant` and has no feedback yet (conditional write).
   */
  attachFeedback(
    decisionId: string,
    tenant: string,
    feedback: DecisionFeedback,
    reward: number | null
  ): Promise<FeedbackWrite>;
  /** Records for export; `cursor` is set while more may follow. */
  list(
    query: DecisionQuery
  ): Promise<{ records: readonly DecisionRecord[]; cursor?: string }>;
}

/** Minimal structured logger (Powertools Logger satisfies it). */
export interface Log {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}
