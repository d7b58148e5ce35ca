import { randomUUID } from 'node:crypto';
import { chatCompletionJson } from '../api/chat-response';
import { GatewayError, toGatewayError } from '../api/errors';
import type { ResolvedTenant } from '../config/load';
import type {
  BanditStore,
  DecisionLog,
  GatewayMetrics,
  LatencyTracker,
  Log,
} from '../ports';
import {
  isAbortError,
  ProviderError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../providers/errors';
import type { ProviderAdapter } from '../providers/types';
import {
  type AbortCode,
  type AttemptSignal,
  attemptSignal,
  type CandidateGate,
  Deadline,
  planNextStep,
  type RetryBudget,
} from '../resilience';
import { computeReward } from '../routing/reward';
import type { ScoredCandidate } from '../routing/types';
import { costUsd } from '../tokens';
import type { ChatRequest, ModelConfig, Usage } from '../types';
import type { RoutePlan } from './plan';
import { JSON_HEADERS, type ResponseSink } from './sink';
import { StreamResponder } from './stream-responder';

/** Dependencies of the chat service. */
export interface ChatServiceDeps {
  readonly bandit: BanditStore;
  readonly latency: LatencyTracker;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly metrics: GatewayMetrics;
  readonly decisions: DecisionLog;
  readonly log: Log;
  /** Circuit breakers + provider limits, checked before every attempt. */
  readonly gate: CandidateGate;
  /** Caps same-candidate retries to a share of traffic. */
  readonly retryBudget: RetryBudget;
  /** Same-candidate retries when no other candidate is left. @default 1 */
  readonly maxRetriesPerCandidate?: number;
  /** SSE keep-alive comment after this much silence, ms. */
  readonly keepAliveMs: number;
  /** Per-attempt timeout of a provider: whole call (non-stream) or first token (stream), ms. */
  readonly attemptTimeoutMs: (provider: string) => number;
  /** Longest silence tolerated between stream events after the first token, ms. */
  readonly streamIdleTimeoutMs: number;
  /** Hard deadline of a whole request (504 beyond), ms. */
  readonly hardTimeoutMs: number;
  readonly now?: () => number;
  /** Random source (backoff jitter). */
  readonly rng: () => number;
}

/** Per-request identity passed down from the handler. */
export interface ChatCall {
  readonly request: ChatRequest;
  readonly tenant: ResolvedTenant;
  readonly requestId: string;
  readonly sink: ResponseSink;
  readonly plan: RoutePlan;
  /** Told the real usage once an answer is complete (limit and budget settlement). */
  readonly onServed?: (usage: Usage, model: ModelConfig) => void;
}

/** What a successful attempt produced. */
interface Served {
  readonly model: ModelConfig;
  readonly usage: Usage;
  /** Cost of `usage` at the model's pricing, USD. */
  readonly costUsd: number;
  readonly latencyMs: number;
  readonly ttftMs?: number;
}

/** Thrown inside an attempt when the stream failed after content reached the client. */
class AfterFirstTokenError extends Error {
  public constructor(public readonly providerError: ProviderError) {
    super('stream failed after the first token');
  }
}

/**
 * Serves chat completions over a routing plan: admits each candidate through
 * its circuit breaker and provider limits, calls it under a per-attempt
 * signal (client gone, soft deadline, hard deadline, attempt timeout), and on
 * a retryable failure before the first token fails over to the next candidate
 * (or retries the last one within the retry budget). After the first token a
 * failure ends the stream with an explicit error event: never a silent cut.
 */
export class ChatService {
  private readonly now: () => number;

  public constructor(private readonly deps: ChatServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Handles one chat completion; failures become client responses (GatewayError). */
  public async handle(call: ChatCall): Promise<void> {
    const started = this.now();
    const { plan, request, sink } = call;
    const attempts = [plan.decision.chosen!, ...plan.decision.fallbacks];
    const decisionId = randomUUID();
    const deadline = new Deadline(
      this.now,
      plan.context.maxLatencyMs,
      this.deps.hardTimeoutMs
    );
    const stream = request.stream
      ? new StreamResponder(sink, {
          id: `chatcmpl-${decisionId}`,
          created: Math.floor(started / 1000),
          model: attempts[0]!.model.id,
          keepAliveMs: this.deps.keepAliveMs,
          includeUsage: request.includeUsage,
          now: this.now,
          headers: (model, attempt) =>
            this.routeHeaders(call, model, decisionId, attempt),
        })
      : undefined;
    this.deps.retryBudget.recordRequest();
    let lastError: ProviderError | undefined;
    let refused:
      | { code: 'circuit_open' | 'rate_limited'; retryAfterMs: number }
      | undefined;
    let attemptNo = 0;
    try {
      for (let i = 0, retries = 0; i < attempts.length; ) {
        const candidate = attempts[i]!;
        const model = candidate.model;
        const admission = this.deps.gate.admit(model);
        if (!admission.ok) {
          // Saturated or open: skip it; if nobody admits, the client learns why.
          if (!refused || admission.code === 'rate_limited') {
            refused = {
              code: admission.code,
              retryAfterMs: Math.min(
                refused?.retryAfterMs ?? Infinity,
                admission.retryAfterMs
              ),
            };
          }
          i++;
          retries = 0;
          continue;
        }
        attemptNo++;
        const hasNext = i + 1 < attempts.length;
        const scope = attemptSignal(
          sink.signal,
          deadline,
          this.deps.attemptTimeoutMs(model.provider),
          {
            soft: hasNext,
          }
        );
        const attemptStart = this.now();
        try {
          const served = stream
            ? await this.streamAttempt(
                call,
                model,
                attemptNo,
                scope,
                stream,
                attemptStart
              )
            : await this.completeAttempt(
                call,
                model,
                attemptNo,
                scope,
                decisionId,
                started,
                attemptStart
              );
          admission.attempt.success();
          const reward = this.attemptSucceeded(plan, candidate, served);
          this.finish(call, decisionId, started, attemptNo - 1, served, reward);
          return;
        } catch (err) {
          const why = scope.reason();
          if (why === 'client' || sink.signal.aborted) {
            admission.attempt.ignore();
            this.clientGone(call, started, model);
            return;
          }
          const afterFirstToken = err instanceof AfterFirstTokenError;
          const pe = this.classify(
            afterFirstToken ? err.providerError : err,
            model,
            why
          );
          // A deadline the client chose says nothing about the provider.
          if (why === 'soft' || why === 'hard') admission.attempt.ignore();
          else admission.attempt.failure(pe);
          this.attemptFailed(plan, candidate, this.now() - attemptStart, pe);
          lastError = pe;
          if (afterFirstToken) {
            await stream!.interrupt(pe);
            this.failed(
              call,
              decisionId,
              started,
              attemptNo,
              pe,
              'stream_interrupted'
            );
            return;
          }
          const step = planNextStep(pe, {
            retriesOnCandidate: retries,
            maxRetriesPerCandidate: this.deps.maxRetriesPerCandidate,
            hasNextCandidate: hasNext,
            remainingMs: deadline.remaining(),
            budget: this.deps.retryBudget,
            rng: this.deps.rng,
          });
          if (step.action === 'failover') {
            i++;
            retries = 0;
            continue;
          }
          if (step.action === 'retry-same') {
            retries++;
            this.deps.metrics.event('RetrySameCandidate', 1, {
              Provider: model.provider,
            });
            if (!(await sleep(step.delayMs, sink.signal))) {
              this.clientGone(call, started, model);
              return;
            }
            continue;
          }
          if (step.reason === 'deadline')
            lastError = this.deadlineError(pe, deadline);
          break;
        } finally {
          scope.dispose();
          admission.release();
        }
      }
      const error = lastError
        ? this.finalError(lastError, attemptNo)
        : this.refusedError(refused!);
      if (lastError)
        this.failed(call, decisionId, started, attemptNo, lastError);
      else this.refusedRequest(call, started, error);
      if (stream?.committed) {
        await stream.fail(error);
        return;
      }
      throw error;
    } finally {
      stream?.close();
    }
  }

  private async completeAttempt(
    call: ChatCall,
    model: ModelConfig,
    attempt: number,
    scope: AttemptSignal,
    decisionId: string,
    started: number,
    attemptStart: number
  ): Promise<Served> {
    const result = await this.adapterFor(model).chat(call.request, model, {
      signal: scope.signal,
      requestId: call.requestId,
    });
    const latencyMs = this.now() - attemptStart;
    const cost = costUsd(result.usage, model.pricing);
    const body = JSON.stringify(
      chatCompletionJson(
        `chatcmpl-${decisionId}`,
        Math.floor(started / 1000),
        model.id,
        result
      )
    );
    call.sink.send(
      200,
      {
        ...JSON_HEADERS,
        ...this.routeHeaders(call, model, decisionId, attempt),
        'x-gateway-cost-usd': cost.toFixed(8),
      },
      body
    );
    return { model, usage: result.usage, costUsd: cost, latencyMs };
  }

  private async streamAttempt(
    call: ChatCall,
    model: ModelConfig,
    attempt: number,
    scope: AttemptSignal,
    out: StreamResponder,
    attemptStart: number
  ): Promise<Served> {
    out.beginAttempt(model, attempt);
    let ttftMs: number | undefined;
    try {
      for await (const ev of this.adapterFor(model).chatStream(
        call.request,
        model,
        {
          signal: scope.signal,
          requestId: call.requestId,
        }
      )) {
        if (ev.type === 'text' || ev.type === 'tool_call') {
          if (ttftMs === undefined) {
            ttftMs = this.now() - attemptStart;
            scope.firstToken(this.deps.streamIdleTimeoutMs);
          } else scope.touch();
        }
        await out.event(ev);
      }
    } catch (err) {
      if (out.contentSent && !(scope.reason() === 'client')) {
        throw new AfterFirstTokenError(
          this.classify(err, model, scope.reason())
        );
      }
      throw err;
    }
    const usage = await out.complete();
    return {
      model,
      usage,
      costUsd: costUsd(usage, model.pricing),
      latencyMs: this.now() - attemptStart,
      ttftMs,
    };
  }

  private adapterFor(model: ModelConfig): ProviderAdapter {
    const adapter = this.deps.adapters.get(model.provider);
    if (!adapter) {
      // The catalog and adapters come from one config: this is a wiring bug.
      throw new GatewayError(
        500,
        'server_error',
        'provider_not_wired',
        `provider ${model.provider} has no adapter`
      );
    }
    return adapter;
  }

  private classify(
    err: unknown,
    model: ModelConfig,
    why: AbortCode | undefined
  ): ProviderError {
    if (err instanceof ProviderError && why === undefined) return err;
    if (
      why === 'attempt-timeout' ||
      why === 'idle' ||
      why === 'soft' ||
      why === 'hard'
    ) {
      const what =
        why === 'idle'
          ? 'the stream went silent'
          : why === 'attempt-timeout'
            ? 'no answer within the attempt timeout'
            : `the ${why} deadline passed`;
      return new ProviderTimeoutError(model.provider, what, { cause: err });
    }
    if (err instanceof ProviderError) return err;
    if (err instanceof GatewayError) throw err;
    if (isAbortError(err)) {
      return new ProviderTimeoutError(model.provider, 'the call was aborted', {
        cause: err,
      });
    }
    // An adapter bug must not become a 500 while other candidates could serve.
    this.deps.log.error('adapter threw a non-provider error', {
      provider: model.provider,
      model: model.id,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return new ProviderUnavailableError(model.provider, 'adapter failure', {
      cause: err,
    });
  }

  private routeHeaders(
    call: ChatCall,
    model: ModelConfig,
    decisionId: string,
    attempt: number
  ): Record<string, string> {
    return {
      'x-request-id': call.requestId,
      'x-gateway-provider': model.provider,
      'x-gateway-model': model.id,
      'x-gateway-decision-id': decisionId,
      'x-gateway-attempts': String(attempt),
    };
  }

  private referenceCost(plan: RoutePlan): number {
    let max = 1e-9;
    for (const c of plan.decision.candidates)
      if (c.estimatedCostUsd > max) max = c.estimatedCostUsd;
    return max;
  }

  /** Records a served attempt (latency, metrics, bandit) and returns its reward. */
  private attemptSucceeded(
    plan: RoutePlan,
    candidate: ScoredCandidate,
    served: Served
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
    const reward = computeReward({
      ok: true,
      latencyMs,
      slaMs: plan.context.maxLatencyMs,
      costUsd: served.costUsd,
      referenceCostUsd: this.referenceCost(plan),
    });
    this.deps.bandit.update(plan.decision.contextKey, model.id, reward);
    return reward;
  }

  private attemptFailed(
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

  private decisionBase(call: ChatCall, decisionId: string, started: number) {
    const { plan } = call;
    return {
      decision_id: decisionId,
      ts: new Date(started).toISOString(),
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
    };
  }

  private finish(
    call: ChatCall,
    decisionId: string,
    started: number,
    fallbacks: number,
    served: Served,
    reward: number
  ): void {
    call.onServed?.(served.usage, served.model);
    const latencyMs = this.now() - started;
    const cost = served.costUsd;
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
    this.deps.decisions.record({
      ...this.decisionBase(call, decisionId, started),
      latency_ms: latencyMs,
      cost_usd: cost,
      outcome: chosenServed ? 'ok' : 'error',
      // The logging policy's action is the chosen model: a failover means it failed.
      reward: chosenServed ? reward : 0,
      served_by: served.model.id,
    });
  }

  private failed(
    call: ChatCall,
    decisionId: string,
    started: number,
    attempts: number,
    err: ProviderError,
    code?: string
  ): void {
    const latencyMs = this.now() - started;
    const gw = toGatewayError(err);
    this.deps.metrics.request({
      route: 'chat',
      status: gw.status,
      tenant: call.tenant.id,
      provider: err.provider,
      stream: call.request.stream,
      latencyMs,
      fallbacks: Math.max(0, attempts - 1),
      errorCode: code ?? gw.code,
    });
    this.deps.decisions.record({
      ...this.decisionBase(call, decisionId, started),
      latency_ms: latencyMs,
      cost_usd: 0,
      outcome: err.kind === 'content_filtered' ? 'filtered' : 'error',
      reward: 0,
    });
  }

  private refusedRequest(
    call: ChatCall,
    started: number,
    error: GatewayError
  ): void {
    this.deps.metrics.request({
      route: 'chat',
      status: error.status,
      tenant: call.tenant.id,
      stream: call.request.stream,
      latencyMs: this.now() - started,
      fallbacks: 0,
      errorCode: error.code,
    });
  }

  private clientGone(
    call: ChatCall,
    started: number,
    model: ModelConfig
  ): void {
    this.deps.metrics.request({
      route: 'chat',
      status: 499,
      tenant: call.tenant.id,
      provider: model.provider,
      model: model.id,
      stream: call.request.stream,
      latencyMs: this.now() - started,
      fallbacks: 0,
      errorCode: 'client_closed_request',
    });
  }

  private deadlineError(err: ProviderError, deadline: Deadline): ProviderError {
    return deadline.remaining() === 0 || err.kind === 'timeout'
      ? new ProviderTimeoutError(err.provider, 'the request deadline passed', {
          cause: err,
        })
      : err;
  }

  /** The error the client gets after every attempt failed. */
  private finalError(last: ProviderError, attempts: number): GatewayError {
    const gw = toGatewayError(last);
    if (attempts <= 1 || !last.retryable || gw.status === 429) return gw;
    return new GatewayError(
      gw.status === 504 ? 504 : 502,
      gw.type,
      'all_candidates_failed',
      `all ${attempts} attempts failed; last: ${gw.message}`,
      { provider: gw.provider, headers: gw.headers }
    );
  }

  /** Every candidate was refused by the gate: the gateway sheds load itself. */
  private refusedError(refused: {
    code: 'circuit_open' | 'rate_limited';
    retryAfterMs: number;
  }): GatewayError {
    const seconds = String(Math.max(1, Math.ceil(refused.retryAfterMs / 1000)));
    if (refused.code === 'rate_limited') {
      return new GatewayError(
        429,
        'rate_limit_error',
        'gateway_overloaded',
        `every candidate provider is at its configured rate or concurrency limit; retry after ${seconds}s`,
        { headers: { 'retry-after': seconds } }
      );
    }
    return new GatewayError(
      503,
      'service_unavailable',
      'circuit_open',
      `every candidate model's circuit is open; retry after ${seconds}s`,
      { headers: { 'retry-after': seconds } }
    );
  }
}

/** Waits `ms` unless the signal aborts first; false when aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
