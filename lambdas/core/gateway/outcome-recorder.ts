import { toGatewayError } from '../api/errors';
import type { CostStats } from '../budget/cost-stats';
import type {
  BanditStore,
  DecisionLog,
  DecisionRecord,
  GatewayMetrics,
  LatencyTracker,
  Log,
} from '../ports';
import type { ProviderError } from '../providers/errors';
import { computeReward, type RewardWeights } from '../routing/reward';
import type { ScoredCandidate } from '../routing/types';
import type { ModelConfig } from '../types';
import type { ChatCall, Served } from './chat-call';
import type { RoutePlan } from './plan';
import type { ExperimentCallHooks } from './shadow';

/** Dependencies of an OutcomeRecorder. */
export interface OutcomeRecorderDeps {
  readonly bandit: BanditStore;
  readonly latency: LatencyTracker;
  readonly metrics: GatewayMetrics;
  readonly decisions: DecisionLog;
  readonly log: Log;
  readonly now: () => number;
  /** Reward weights (α, β, γ) of a domain (learning.reward). @default DEFAULT_REWARD_WEIGHTS */
  readonly rewardWeights?: (domain: string) => RewardWeights;
  /** Experiment outcomes and shadow copies (lambdas/core/gateway/shadow.ts). */
  readonly experimentHooks?: ExperimentCallHooks;
  /** Cost per tenant and model for `/v1/stats`. @default - not kept */
  readonly costs?: CostStats;
}

/** Identity of one request's decision record. */
export interface DecisionRef {
  readonly decisionId: string;
  /** When the request started, epoch ms. */
  readonly started: number;
}

/**
 * Records what happened to a request and its attempts: latency estimates,
 * bandit rewards, metrics and the decision log. Pure bookkeeping, no control
 * flow: the ChatService decides, this writes it down.
 */
export class OutcomeRecorder {
  public constructor(private readonly deps: OutcomeRecorderDeps) {}

  /** Records a served attempt (latency, metrics, bandit) and returns its reward. */
  public attemptSucceeded(
    plan: RoutePlan,
    candidate: ScoredCandidate,
    served: Served,
    /** Failed attempts of this same model before it answered. */
    errors = 0
  ): number {
    const model = candidate.model;
    // What the client waited for: the first token when streaming.
    const latencyMs = served.ttftMs ?? served.latencyMs;
    this.deps.latency.observe(model.id, latencyMs);
    this.deps.metrics.attempt({
      provider: model.provider,
      model: model.id,
      outcome: 'ok',
      latencyMs,
    });
    const reward = computeReward(
      {
        ok: true,
        latencyMs,
        slaMs: plan.context.maxLatencyMs,
        costUsd: served.costUsd,
        referenceCostUsd: referenceCost(plan),
        errors,
      },
      this.deps.rewardWeights?.(plan.context.domain)
    );
    this.deps.bandit.update(plan.decision.contextKey, model.id, reward);
    return reward;
  }

  /** Records a failed attempt (metrics, bandit, a warning without content). */
  public attemptFailed(
    plan: RoutePlan,
    candidate: ScoredCandidate,
    latencyMs: number,
    err: ProviderError
  ): void {
    const model = candidate.model;
    this.deps.metrics.attempt({
      provider: model.provider,
      model: model.id,
      outcome: err.kind,
      latencyMs,
    });
    // A timeout is a (lower bound on a) latency: a model slowing down under
    // load must lose traffic before its circuit opens.
    if (err.kind === 'timeout') this.deps.latency.observe(model.id, latencyMs);
    // Client-caused failures say nothing about the model's quality.
    if (err.kind !== 'bad_request' && err.kind !== 'context_length') {
      this.deps.bandit.update(plan.decision.contextKey, model.id, 0);
    }
    this.deps.log.warn('provider attempt failed', {
      provider: err.provider,
      model: model.id,
      kind: err.kind,
      status: err.status,
      latencyMs,
    });
  }

  /** A served request: request metrics and its decision record. */
  public finished(
    call: ChatCall,
    ref: DecisionRef,
    fallbacks: number,
    served: Served,
    reward: number
  ): void {
    call.onServed?.(served.usage, served.model);
    const latencyMs = this.deps.now() - ref.started;
    const cost = served.costUsd;
    this.deps.costs?.record(call.tenant.id, served.model.id, cost);
    this.deps.metrics.request({
      route: 'chat',
      status: 200,
      tenant: call.tenant.id,
      provider: served.model.provider,
      model: served.model.id,
      stream: call.request.stream,
      latencyMs,
      ttftMs: served.ttftMs,
      costUsd: cost,
      promptTokens: served.usage.promptTokens,
      completionTokens: served.usage.completionTokens,
      fallbacks,
    });
    const chosenServed =
      call.plan.decision.chosen!.model.id === served.model.id;
    this.deps.decisions.record(
      decisionRecord(
        call,
        ref,
        latencyMs,
        cost,
        chosenServed ? 'ok' : 'error',
        // The logging policy's action is the chosen model: a failover means it failed.
        chosenServed ? reward : 0,
        served.model.id
      )
    );
    this.deps.experimentHooks?.finished(call, {
      ok: chosenServed,
      latencyMs,
      costUsd: cost,
    });
  }

  /** A request whose attempts all failed (or whose stream broke). */
  public failed(
    call: ChatCall,
    ref: DecisionRef,
    attempts: number,
    err: ProviderError,
    code?: string,
    costUsd = 0,
    /** The model that ran up `costUsd` (a broken stream). */
    model?: string
  ): void {
    const latencyMs = this.deps.now() - ref.started;
    const gw = toGatewayError(err);
    if (costUsd > 0 && model)
      this.deps.costs?.record(call.tenant.id, model, costUsd);
    this.deps.metrics.request({
      route: 'chat',
      status: gw.status,
      tenant: call.tenant.id,
      provider: err.provider,
      stream: call.request.stream,
      latencyMs,
      fallbacks: Math.max(0, attempts - 1),
      errorCode: code ?? gw.code,
      ...(costUsd > 0 ? { costUsd } : {}),
    });
    this.deps.decisions.record(
      decisionRecord(
        call,
        ref,
        latencyMs,
        costUsd,
        err.kind === 'content_filtered' ? 'filtered' : 'error',
        0
      )
    );
    this.deps.experimentHooks?.finished(call, {
      ok: false,
      latencyMs,
      costUsd,
    });
  }

  /** A request the gateway refused itself before any provider answered. */
  public refused(
    call: ChatCall,
    started: number,
    error: { status: number; code: string }
  ): void {
    this.deps.metrics.request({
      route: 'chat',
      status: error.status,
      tenant: call.tenant.id,
      stream: call.request.stream,
      latencyMs: this.deps.now() - started,
      fallbacks: 0,
      errorCode: error.code,
    });
  }

  /** The client went away mid-request. */
  public clientGone(call: ChatCall, started: number, model: ModelConfig): void {
    this.deps.metrics.request({
      route: 'chat',
      status: 499,
      tenant: call.tenant.id,
      provider: model.provider,
      model: model.id,
      stream: call.request.stream,
      latencyMs: this.deps.now() - started,
      fallbacks: 0,
      errorCode: 'client_closed_request',
    });
  }
}

function referenceCost(plan: RoutePlan): number {
  let max = 1e-9;
  for (const c of plan.decision.candidates)
    if (c.estimatedCostUsd > max) max = c.estimatedCostUsd;
  return max;
}

/** The decision record, built in one literal (keys in the log's order). */
function decisionRecord(
  call: ChatCall,
  ref: DecisionRef,
  latencyMs: number,
  costUsd: number,
  outcome: DecisionRecord['outcome'],
  reward: number,
  servedBy?: string
): DecisionRecord {
  const { plan } = call;
  const record: { -readonly [K in keyof DecisionRecord]: DecisionRecord[K] } = {
    decision_id: ref.decisionId,
    ts: new Date(ref.started).toISOString(),
    tenant: call.tenant.id,
    context: {
      domain: plan.context.domain,
      budget_tier: plan.context.budgetTier,
      tools: plan.context.needsTools,
    },
    candidates: plan.decision.candidates.map((c) => c.model.id),
    chosen: plan.decision.chosen!.model.id,
    propensity: plan.decision.propensity,
    request_id: call.requestId,
    latency_ms: latencyMs,
    cost_usd: costUsd,
    outcome,
    reward,
  };
  if (servedBy !== undefined) record.served_by = servedBy;
  return record;
}
