import { randomUUID } from 'node:crypto';
import {
  ChunkEncoder,
  chatCompletionJson,
  SSE_DONE,
  SSE_KEEP_ALIVE,
  sseError,
} from '../api/chat-response';
import { GatewayError, toGatewayError } from '../api/errors';
import type { ResolvedTenant } from '../config/load';
import type { DecisionLog, GatewayMetrics, Log } from '../ports';
import {
  isAbortError,
  ProviderError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../providers/errors';
import type { ProviderAdapter } from '../providers/types';
import { computeReward } from '../routing/reward';
import type { ScoredCandidate } from '../routing/types';
import { costUsd } from '../tokens';
import type { ChatRequest, FinishReason, ModelConfig, Usage } from '../types';
import {
  noCandidateError,
  type PlanDeps,
  planRoute,
  type RoutePlan,
} from './plan';
import { JSON_HEADERS, type ResponseSink, SSE_HEADERS } from './sink';

/** Dependencies of the chat service. */
export interface ChatServiceDeps extends PlanDeps {
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly metrics: GatewayMetrics;
  readonly decisions: DecisionLog;
  readonly log: Log;
  /** SSE keep-alive comment after this much silence, ms. */
  readonly keepAliveMs: number;
  /** Per-attempt timeout of a provider: whole call (non-stream) or first token (stream), ms. */
  readonly attemptTimeoutMs: (provider: string) => number;
  /** Longest silence tolerated between stream events after the first token, ms. */
  readonly streamIdleTimeoutMs: number;
  readonly now?: () => number;
}

/** Per-request identity passed down from the handler. */
export interface ChatCall {
  readonly request: ChatRequest;
  readonly tenant: ResolvedTenant;
  readonly requestId: string;
  readonly sink: ResponseSink;
}

interface AttemptScope {
  readonly signal: AbortSignal;
  /** True when our own timer aborted the attempt. */
  timedOut(): boolean;
  /** Re-arms the timer (stream idle timeout). */
  rearm(ms: number): void;
  /** Marks the attempt finished normally (nothing left to abort). */
  complete(): void;
  dispose(): void;
}

/** Outcome of a whole request, for logs, metrics, bandit and decision log. */
interface Served {
  readonly model: ModelConfig;
  readonly usage: Usage;
  readonly latencyMs: number;
  readonly ttftMs?: number;
}

/**
 * Serves chat completions: plans the route, calls the chosen provider with a
 * timeout, fails over to the next candidate on a retryable failure before the
 * first token, and streams OpenAI chunks. After the first token a failure
 * ends the stream with an explicit error event: never a silent truncation.
 */
export class ChatService {
  private readonly now: () => number;

  public constructor(private readonly deps: ChatServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Handles one chat completion; all errors become client responses. */
  public async handle(call: ChatCall): Promise<void> {
    const started = this.now();
    const plan = planRoute(call.request, call.tenant, this.deps);
    const chosen = plan.decision.chosen;
    if (!chosen) throw noCandidateError(plan.decision);
    const attempts = [chosen, ...plan.decision.fallbacks];
    const decisionId = randomUUID();
    if (call.request.stream) {
      await this.stream(call, plan, attempts, decisionId, started);
    } else {
      await this.complete(call, plan, attempts, decisionId, started);
    }
  }

  private async complete(
    call: ChatCall,
    plan: RoutePlan,
    attempts: readonly ScoredCandidate[],
    decisionId: string,
    started: number
  ): Promise<void> {
    let lastError: ProviderError | undefined;
    for (let i = 0; i < attempts.length; i++) {
      const candidate = attempts[i]!;
      const model = candidate.model;
      const adapter = this.adapterFor(model);
      const scope = this.scope(
        call.sink.signal,
        this.deps.attemptTimeoutMs(model.provider)
      );
      const attemptStart = this.now();
      try {
        const result = await adapter.chat(call.request, model, {
          signal: scope.signal,
          requestId: call.requestId,
        });
        scope.complete();
        const latencyMs = this.now() - attemptStart;
        this.attemptSucceeded(plan, candidate, latencyMs, result.usage);
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
            ...this.routeHeaders(call, model, decisionId, i + 1),
            'x-gateway-cost-usd': cost.toFixed(8),
          },
          body
        );
        this.finish(call, plan, decisionId, started, i, {
          model,
          usage: result.usage,
          latencyMs,
        });
        return;
      } catch (err) {
        if (call.sink.signal.aborted)
          return this.clientGone(call, plan, started, model);
        const pe = this.classify(err, model, scope);
        this.attemptFailed(plan, candidate, this.now() - attemptStart, pe);
        lastError = pe;
        if (!pe.retryable) break;
      } finally {
        scope.dispose();
      }
    }
    this.failed(call, plan, decisionId, started, attempts.length, lastError!);
    throw this.finalError(lastError!, attempts.length);
  }

  private async stream(
    call: ChatCall,
    plan: RoutePlan,
    attempts: readonly ScoredCandidate[],
    decisionId: string,
    started: number
  ): Promise<void> {
    const { sink, request } = call;
    const encoder = new ChunkEncoder(
      `chatcmpl-${decisionId}`,
      Math.floor(started / 1000),
      attempts[0]!.model.id
    );
    let committed = false;
    let lastWrite = this.now();
    const commit = (model: ModelConfig, attempt: number): void => {
      if (committed) return;
      committed = true;
      sink.start(200, {
        ...SSE_HEADERS,
        ...this.routeHeaders(call, model, decisionId, attempt),
      });
    };
    let current = attempts[0]!.model;
    let currentAttempt = 1;
    // Keep-alive: SSE comments during long silences (also before the first
    // token: committing 200 early is fine, failover before the first token
    // still works because no content has been sent).
    const keepAlive = setInterval(
      () => {
        if (sink.signal.aborted) return;
        if (this.now() - lastWrite < this.deps.keepAliveMs) return;
        commit(current, currentAttempt);
        lastWrite = this.now();
        void sink.write(SSE_KEEP_ALIVE);
      },
      Math.max(50, Math.floor(this.deps.keepAliveMs / 2))
    );
    keepAlive.unref?.();

    let lastError: ProviderError | undefined;
    try {
      for (let i = 0; i < attempts.length; i++) {
        const candidate = attempts[i]!;
        const model = candidate.model;
        current = model;
        currentAttempt = i + 1;
        encoder.setModel(model.id);
        const adapter = this.adapterFor(model);
        const scope = this.scope(
          sink.signal,
          this.deps.attemptTimeoutMs(model.provider)
        );
        const attemptStart = this.now();
        let firstToken = false;
        let ttftMs: number | undefined;
        let finishReason: FinishReason | undefined;
        let usage: Usage | undefined;
        let sawToolCall = false;
        try {
          for await (const ev of adapter.chatStream(request, model, {
            signal: scope.signal,
            requestId: call.requestId,
          })) {
            let chunk: string;
            switch (ev.type) {
              case 'text':
                if (ev.text.length === 0) continue;
                chunk = encoder.text(ev.text);
                break;
              case 'tool_call':
                sawToolCall = true;
                chunk = encoder.toolCall(
                  ev.index,
                  ev.id,
                  ev.name,
                  ev.argumentsDelta
                );
                break;
              case 'finish':
                finishReason = ev.finishReason;
                continue;
              case 'usage':
                usage = ev.usage;
                continue;
            }
            if (!firstToken) {
              firstToken = true;
              ttftMs = this.now() - attemptStart;
              scope.rearm(this.deps.streamIdleTimeoutMs);
              commit(model, i + 1);
              chunk = encoder.role() + chunk;
            } else {
              scope.rearm(this.deps.streamIdleTimeoutMs);
            }
            lastWrite = this.now();
            const pending = sink.write(chunk);
            if (pending) await pending;
          }
          // Upstream finished cleanly.
          scope.complete();
          commit(model, i + 1);
          const finalUsage = usage ?? {
            promptTokens: 0,
            completionTokens: 0,
            totalTokens: 0,
          };
          let tail = firstToken ? '' : encoder.role();
          tail += encoder.finish(
            finishReason ?? (sawToolCall ? 'tool_calls' : 'stop')
          );
          if (request.includeUsage) tail += encoder.usage(finalUsage);
          tail += SSE_DONE;
          await sink.write(tail);
          sink.end();
          const latencyMs = this.now() - attemptStart;
          this.attemptSucceeded(
            plan,
            candidate,
            ttftMs ?? latencyMs,
            finalUsage
          );
          this.finish(call, plan, decisionId, started, i, {
            model,
            usage: finalUsage,
            latencyMs,
            ttftMs,
          });
          return;
        } catch (err) {
          if (sink.signal.aborted)
            return this.clientGone(call, plan, started, model);
          const pe = this.classify(err, model, scope);
          this.attemptFailed(plan, candidate, this.now() - attemptStart, pe);
          lastError = pe;
          if (firstToken) {
            // Content already reached the client: no failover, no silent cut.
            this.deps.log.warn('stream failed after first token', {
              requestId: call.requestId,
              provider: pe.provider,
              model: model.id,
              kind: pe.kind,
            });
            const gwErr = new GatewayError(
              502,
              'upstream_error',
              'stream_interrupted',
              `provider ${pe.provider} failed mid-stream (${pe.kind}); the response is incomplete`,
              { provider: pe.provider }
            );
            await sink.write(sseError(gwErr.toBody()));
            sink.end();
            this.failed(
              call,
              plan,
              decisionId,
              started,
              i + 1,
              pe,
              'stream_interrupted'
            );
            return;
          }
          if (!pe.retryable) break;
        } finally {
          scope.dispose();
        }
      }
      // Every attempt failed before the first token.
      const gwErr = this.finalError(lastError!, attempts.length);
      this.failed(call, plan, decisionId, started, attempts.length, lastError!);
      if (!committed) throw gwErr;
      await sink.write(sseError(gwErr.toBody()));
      sink.end();
    } finally {
      clearInterval(keepAlive);
    }
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

  private scope(clientSignal: AbortSignal, timeoutMs: number): AttemptScope {
    const controller = new AbortController();
    let timedOut = false;
    let completed = false;
    const onClientAbort = (): void => controller.abort(clientSignal.reason);
    if (clientSignal.aborted) controller.abort(clientSignal.reason);
    else clientSignal.addEventListener('abort', onClientAbort, { once: true });
    const fire = (): void => {
      timedOut = true;
      controller.abort(new DOMException('attempt timed out', 'TimeoutError'));
    };
    let timer = setTimeout(fire, timeoutMs);
    return {
      signal: controller.signal,
      timedOut: () => timedOut,
      rearm: (ms) => {
        clearTimeout(timer);
        timer = setTimeout(fire, ms);
      },
      complete: () => {
        completed = true;
      },
      dispose: () => {
        clearTimeout(timer);
        clientSignal.removeEventListener('abort', onClientAbort);
        // An abandoned attempt may still hold a socket: abort releases it.
        // (Skipped after a normal finish: creating the abort error is costly.)
        if (!completed && !controller.signal.aborted) controller.abort();
      },
    };
  }

  private classify(
    err: unknown,
    model: ModelConfig,
    scope: AttemptScope
  ): ProviderError {
    if (
      scope.timedOut() &&
      (isAbortError(err) || !(err instanceof ProviderError))
    ) {
      return new ProviderTimeoutError(
        model.provider,
        'no answer within the attempt timeout',
        {
          cause: err,
        }
      );
    }
    if (err instanceof ProviderError) return err;
    if (err instanceof GatewayError) throw err;
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

  private attemptSucceeded(
    plan: RoutePlan,
    candidate: ScoredCandidate,
    latencyMs: number,
    usage: Usage
  ): void {
    const model = candidate.model;
    this.deps.latency.observe(model.id, latencyMs);
    this.deps.metrics.attempt({
      provider: model.provider,
      model: model.id,
      outcome: 'ok',
      latencyMs,
    });
    const reference = Math.max(
      ...plan.decision.candidates.map((c) => c.estimatedCostUsd),
      1e-9
    );
    this.deps.bandit.update(
      plan.decision.contextKey,
      model.id,
      computeReward({
        ok: true,
        latencyMs,
        slaMs: plan.context.maxLatencyMs,
        costUsd: costUsd(usage, model.pricing),
        referenceCostUsd: reference,
      })
    );
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

  private finish(
    call: ChatCall,
    plan: RoutePlan,
    decisionId: string,
    started: number,
    fallbacks: number,
    served: Served
  ): void {
    const latencyMs = this.now() - started;
    const cost = costUsd(served.usage, served.model.pricing);
    const chosen = plan.decision.chosen!;
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
    const chosenServed = chosen.model.id === served.model.id;
    this.deps.decisions.record({
      decision_id: decisionId,
      ts: new Date(started).toISOString(),
      tenant: call.tenant.id,
      context: {
        domain: plan.context.domain,
        budget_tier: plan.context.budgetTier,
        tools: plan.context.needsTools,
      },
      candidates: plan.decision.candidates.map((c) => c.model.id),
      chosen: chosen.model.id,
      propensity: plan.decision.propensity,
      latency_ms: latencyMs,
      cost_usd: cost,
      outcome: chosenServed ? 'ok' : 'error',
      reward: chosenServed
        ? computeReward({
            ok: true,
            latencyMs: served.ttftMs ?? served.latencyMs,
            slaMs: plan.context.maxLatencyMs,
            costUsd: cost,
            referenceCostUsd: Math.max(
              ...plan.decision.candidates.map((c) => c.estimatedCostUsd),
              1e-9
            ),
          })
        : 0,
      served_by: served.model.id,
      request_id: call.requestId,
    });
  }

  private failed(
    call: ChatCall,
    plan: RoutePlan,
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
      latency_ms: latencyMs,
      cost_usd: 0,
      outcome: err.kind === 'content_filtered' ? 'filtered' : 'error',
      reward: 0,
      request_id: call.requestId,
    });
  }

  private clientGone(
    call: ChatCall,
    _plan: RoutePlan,
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

  /** The error the client gets after every attempt failed. */
  private finalError(last: ProviderError, attempts: number): GatewayError {
    const gw = toGatewayError(last);
    if (attempts <= 1 || !last.retryable || gw.status === 429) return gw;
    return new GatewayError(
      gw.status === 504 ? 504 : 502,
      gw.type,
      'all_candidates_failed',
      `all ${attempts} candidate models failed; last: ${gw.message}`,
      { provider: gw.provider, headers: gw.headers }
    );
  }
}
