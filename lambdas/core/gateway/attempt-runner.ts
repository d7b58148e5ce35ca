import { chatCompletionJson } from '../api/chat-response';
import { GatewayError } from '../api/errors';
import type { StreamLimit } from '../budget/guard';
import type { OutputGuard } from '../guardrails/output-filter';
import type { Log } from '../ports';
import {
  isAbortError,
  ProviderError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../providers/errors';
import type { ProviderAdapter } from '../providers/types';
import type { AbortCode, AttemptSignal } from '../resilience';
import { costUsd } from '../tokens';
import type { ModelConfig, StreamEvent } from '../types';
import type { AnswerHeaders, ChatCall, Served } from './chat-call';
import { JSON_HEADERS, mergeHeaders } from './sink';
import type { StreamResponder } from './stream-responder';
import { checkStructuredResult, StreamSchemaCheck } from './structured-output';

/** Dependencies of an AttemptRunner. */
export interface AttemptRunnerDeps {
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly log: Log;
  /** Longest silence tolerated between stream events after the first token, ms. */
  readonly streamIdleTimeoutMs: number;
  readonly now: () => number;
  /** Output guardrail (final text; windowed over streams). @default - none */
  readonly outputGuard?: OutputGuard;
}

/** Thrown inside an attempt when the stream failed after content reached the client. */
export class AfterFirstTokenError extends Error {
  public constructor(public readonly providerError: ProviderError) {
    super('stream failed after the first token');
  }
}

/**
 * Runs one provider attempt (a whole completion, or a stream into the
 * responder) under its attempt signal, and turns whatever went wrong into a
 * ProviderError the failover logic can reason about. It decides nothing
 * about failover: that is the ChatService's loop.
 */
export class AttemptRunner {
  public constructor(private readonly deps: AttemptRunnerDeps) {}

  /** Calls `model` without streaming and sends the JSON answer. */
  public async complete(
    call: ChatCall,
    model: ModelConfig,
    attempt: number,
    scope: AttemptSignal,
    id: { decisionId: string; started: number; attemptStart: number },
    headers: AnswerHeaders
  ): Promise<Served> {
    const raw = await this.adapterFor(model).chat(call.request, model, {
      signal: scope.signal,
      requestId: call.requestId,
    });
    const result = this.deps.outputGuard
      ? await this.deps.outputGuard.complete(raw, call.request, model)
      : raw;
    // Strict json_schema: a non-conforming answer fails this attempt before
    // any byte is sent, so the loop fails over as on a provider error.
    checkStructuredResult(call.request, result, model);
    const latencyMs = this.deps.now() - id.attemptStart;
    const cost = costUsd(result.usage, model.pricing);
    const body = JSON.stringify(
      chatCompletionJson(
        `chatcmpl-${id.decisionId}`,
        Math.floor(id.started / 1000),
        model.id,
        result
      )
    );
    call.sink.send(
      200,
      mergeHeaders(JSON_HEADERS, headers(model, attempt, cost)),
      body
    );
    return { model, usage: result.usage, costUsd: cost, latencyMs };
  }

  /**
   * Streams `model` into the responder; throws AfterFirstTokenError once
   * content went out. With a `limit`, the stream is cut (finish `length` and
   * an error event) before an event that would pass the budget reservation.
   */
  public async stream(
    call: ChatCall,
    model: ModelConfig,
    attempt: number,
    scope: AttemptSignal,
    out: StreamResponder,
    attemptStart: number,
    limit?: StreamLimit
  ): Promise<Served> {
    out.beginAttempt(model, attempt);
    let ttftMs: number | undefined;
    let cut = false;
    const schema = new StreamSchemaCheck(call.request);
    try {
      const raw = this.adapterFor(model).chatStream(call.request, model, {
        signal: scope.signal,
        requestId: call.requestId,
      });
      // The budget counts what the provider generates (what it bills),
      // before the output guardrail holds any of it back; a cut ends the
      // upstream, and the guardrail still checks and releases what it held.
      const upstream = limit
        ? limitStream(raw, limit, () => {
            cut = true;
          })
        : raw;
      for await (const ev of this.deps.outputGuard?.stream(
        upstream,
        call.request,
        model
      ) ?? upstream) {
        if (ev.type === 'text' || ev.type === 'tool_call') {
          if (ttftMs === undefined) {
            ttftMs = this.deps.now() - attemptStart;
            scope.firstToken(this.deps.streamIdleTimeoutMs);
          } else scope.touch();
        }
        schema.observe(ev);
        await out.event(ev);
      }
      // Strict json_schema: checked once the stream is whole; a failure
      // ends the stream with an explicit error event, never a clean close.
      schema.verify(model);
    } catch (err) {
      if (out.contentSent && !(scope.reason() === 'client')) {
        throw new AfterFirstTokenError(
          this.classify(err, model, scope.reason())
        );
      }
      throw err;
    }
    if (cut && limit) {
      const usage = limit.usage();
      await out.cut(limit.error(), usage);
      return {
        model,
        usage,
        costUsd: costUsd(usage, model.pricing),
        latencyMs: this.deps.now() - attemptStart,
        ttftMs,
      };
    }
    const usage = await out.complete();
    return {
      model,
      usage,
      costUsd: costUsd(usage, model.pricing),
      latencyMs: this.deps.now() - attemptStart,
      ttftMs,
    };
  }

  /** Maps an attempt's failure (and why its signal fired) to a ProviderError. */
  public classify(
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
}

/** The text an event adds to the output (what it costs). */
function streamedText(ev: StreamEvent): string {
  if (ev.type === 'text') return ev.text;
  if (ev.type === 'tool_call')
    return (ev.name ?? '') + (ev.argumentsDelta ?? '');
  return '';
}

/**
 * Passes provider events through until the running cost would pass the
 * reservation, then ends the stream (closing the upstream) and reports it.
 */
async function* limitStream(
  source: AsyncIterable<StreamEvent>,
  limit: StreamLimit,
  onCut: () => void
): AsyncGenerator<StreamEvent> {
  for await (const ev of source) {
    if (
      (ev.type === 'text' || ev.type === 'tool_call') &&
      !limit.add(streamedText(ev))
    ) {
      onCut();
      return;
    }
    yield ev;
  }
}
