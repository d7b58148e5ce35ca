import { randomUUID } from 'node:crypto';
import type { CostStats } from '../budget/cost-stats';
import type { BudgetGuard } from '../budget/guard';
import type { OutputGuard } from '../guardrails/output-filter';
import type {
  BanditStore,
  DecisionLog,
  GatewayMetrics,
  LatencyTracker,
  Log,
} from '../ports';
import type { ProviderError } from '../providers/errors';
import type { ProviderAdapter } from '../providers/types';
import {
  attemptSignal,
  type CandidateGate,
  Deadline,
  planNextStep,
  type RetryBudget,
} from '../resilience';
import { bestRetryTarget } from '../resilience/retry-target';
import type { RewardWeights } from '../routing/reward';
import { costUsd } from '../tokens';
import type { ModelConfig } from '../types';
import { AfterFirstTokenError, AttemptRunner } from './attempt-runner';
import type { ChatCall } from './chat-call';
import {
  deadlineError,
  finalError,
  type GateRefusal,
  refusedError,
  withHeaders,
} from './chat-errors';
import { OutcomeRecorder } from './outcome-recorder';
import type { ExperimentCallHooks } from './shadow';
import { clientOf } from './sink';
import { StreamResponder } from './stream-responder';

export type { ChatCall } from './chat-call';

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
  /** Output guardrail (final text; windowed over streams). @default - none */
  readonly outputGuard?: OutputGuard;
  /** Reward weights (α, β, γ) of a domain (learning.reward). @default DEFAULT_REWARD_WEIGHTS */
  readonly rewardWeights?: (domain: string) => RewardWeights;
  /** Experiment outcomes and shadow copies (lambdas/core/gateway/shadow.ts). */
  readonly experimentHooks?: ExperimentCallHooks;
  /** Budgets: reserve before each attempt, settle or release after. @default - no budgets */
  readonly budget?: BudgetGuard;
  /** Cost per tenant and model for `/v1/stats`. @default - not kept */
  readonly costs?: CostStats;
}

/**
 * Serves chat completions over a routing plan: admits each candidate through
 * its circuit breaker and provider limits, calls it under a per-attempt
 * signal (client gone, soft deadline, hard deadline, attempt timeout), and on
 * a retryable failure before the first token fails over to the next candidate
 * (or retries the last one within the retry budget). After the first token a
 * failure ends the stream with an explicit error event: never a silent cut.
 *
 * This file is the attempt loop only: one attempt's call lives in
 * AttemptRunner, the bookkeeping (metrics, bandit, decision log) in
 * OutcomeRecorder, the client-facing errors in chat-errors.
 */
export class ChatService {
  private readonly now: () => number;
  private readonly runner: AttemptRunner;
  private readonly record: OutcomeRecorder;

  public constructor(private readonly deps: ChatServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.runner = new AttemptRunner({
      adapters: deps.adapters,
      log: deps.log,
      streamIdleTimeoutMs: deps.streamIdleTimeoutMs,
      now: this.now,
      outputGuard: deps.outputGuard,
    });
    this.record = new OutcomeRecorder({
      bandit: deps.bandit,
      latency: deps.latency,
      metrics: deps.metrics,
      decisions: deps.decisions,
      log: deps.log,
      now: this.now,
      rewardWeights: deps.rewardWeights,
      experimentHooks: deps.experimentHooks,
      costs: deps.costs,
    });
  }

  /** Handles one chat completion; failures become client responses (GatewayError). */
  public async handle(call: ChatCall): Promise<void> {
    const started = this.now();
    const { plan, request, sink } = call;
    const attempts = [plan.decision.chosen!, ...plan.decision.fallbacks];
    const decisionId = randomUUID();
    const ref = { decisionId, started };
    const deadline = new Deadline(
      this.now,
      plan.context.maxLatencyMs,
      this.deps.hardTimeoutMs
    );
    const budget = this.deps.budget?.begin(call.tenant, request);
    const headers = (model: ModelConfig, attempt: number, cost?: number) => {
      // routeHeaders is a fresh object: filled in place, not copied.
      const h = routeHeaders(call, model, decisionId, attempt);
      if (budget) Object.assign(h, budget.headers(cost));
      else if (cost !== undefined) h['x-gateway-cost-usd'] = cost.toFixed(8);
      return h;
    };
    const stream = request.stream
      ? new StreamResponder(sink, {
          id: `chatcmpl-${decisionId}`,
          created: Math.floor(started / 1000),
          model: attempts[0]!.model.id,
          keepAliveMs: this.deps.keepAliveMs,
          includeUsage: request.includeUsage,
          now: this.now,
          headers,
        })
      : undefined;
    this.deps.retryBudget.recordRequest();
    this.deps.experimentHooks?.started(call);
    let lastError: ProviderError | undefined;
    let refused: GateRefusal | undefined;
    let attemptNo = 0;
    const tried: number[] = [];
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
        // Worst case reserved before the call; a misfit gives way to the next candidate.
        if (budget && !(await budget.reserve(model))) {
          admission.attempt.ignore();
          admission.release();
          if (!budget.cheaperFallback) break;
          i++;
          retries = 0;
          continue;
        }
        attemptNo++;
        tried.push(i);
        const hasNext = i + 1 < attempts.length;
        const scope = attemptSignal(
          clientOf(sink),
          deadline,
          this.deps.attemptTimeoutMs(model.provider),
          {
            soft: hasNext,
          }
        );
        const attemptStart = this.now();
        const attemptCall = budget
          ? { ...call, request: budget.requestFor(model) }
          : call;
        const limit = budget?.streamLimit(model);
        // A whole non-stream answer was read: the adapter holds nothing.
        let settled = false;
        try {
          const served = stream
            ? await this.runner.stream(
                attemptCall,
                model,
                attemptNo,
                scope,
                stream,
                attemptStart,
                limit
              )
            : await this.runner.complete(
                attemptCall,
                model,
                attemptNo,
                scope,
                { decisionId, started, attemptStart },
                headers
              );
          settled = !stream;
          admission.attempt.success();
          const reward = this.record.attemptSucceeded(
            plan,
            candidate,
            served,
            retries
          );
          this.record.finished(call, ref, attemptNo - 1, served, reward);
          await budget?.settle(served.costUsd);
          return;
        } catch (err) {
          const why = scope.reason();
          if (why === 'client' || clientOf(sink).aborted) {
            admission.attempt.ignore();
            this.record.clientGone(call, started, model);
            await budget?.release();
            return;
          }
          const afterFirstToken = err instanceof AfterFirstTokenError;
          // Streamed content was billed: settle its estimate; else nothing was spent.
          const partialCost =
            afterFirstToken && limit
              ? costUsd(limit.usage(), model.pricing)
              : 0;
          if (afterFirstToken && limit) await budget?.settle(partialCost);
          else await budget?.release();
          const pe = this.runner.classify(
            afterFirstToken ? err.providerError : err,
            model,
            why
          );
          // A deadline the client chose says nothing about the provider.
          if (why === 'soft' || why === 'hard') admission.attempt.ignore();
          else admission.attempt.failure(pe);
          this.record.attemptFailed(
            plan,
            candidate,
            this.now() - attemptStart,
            pe
          );
          lastError = pe;
          if (afterFirstToken) {
            await stream!.interrupt(pe);
            this.record.failed(
              call,
              ref,
              attemptNo,
              pe,
              'stream_interrupted',
              partialCost,
              model.id
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
            // Spend the last attempt where it is most likely to succeed:
            // the tried model whose provider has fared best lately.
            const target =
              tried[
                bestRetryTarget(
                  tried.map((t) => attempts[t]!.model),
                  this.deps.gate.breakers.snapshot()
                )
              ]!;
            if (target !== i) {
              attempts.push(attempts[target]!);
              i = attempts.length - 1;
            }
            this.deps.metrics.event('RetrySameCandidate', 1, {
              Provider: attempts[i]!.model.provider,
            });
            if (!(await sleep(step.delayMs, sink.signal))) {
              this.record.clientGone(call, started, model);
              return;
            }
            continue;
          }
          if (step.reason === 'deadline')
            lastError = deadlineError(pe, deadline);
          break;
        } finally {
          scope.dispose(settled);
          admission.release();
        }
      }
      const error = withHeaders(
        lastError
          ? finalError(lastError, attemptNo)
          : refused && !budget?.refused
            ? refusedError(refused)
            : // Only a budget refusal leaves neither an error nor a gate refusal.
              budget!.refusalError(),
        budget?.headers(0)
      );
      if (lastError) this.record.failed(call, ref, attemptNo, lastError);
      else this.record.refused(call, started, error);
      if (stream?.committed) {
        await stream.fail(error);
        return;
      }
      throw error;
    } finally {
      stream?.close();
    }
  }
}

function routeHeaders(
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
