import { createParser } from 'eventsource-parser';
import type { ChatRequest, StreamEvent } from '../../types';
import {
  ProviderAuthError,
  type ProviderError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../errors';
import {
  type HttpBodyLike,
  type HttpFetch,
  type HttpResponseLike,
  nodeHttpFetch,
} from '../http-client';
import type { CallOptions, CredentialSource, ProviderAdapter } from '../types';
import { openAICompatibleEmbedder } from './embed';
import { errorFromNetwork, errorFromResponse } from './errors';
import { buildChatCompletionBody } from './request';
import { fromChatCompletion } from './response';
import { ChatCompletionStreamMapper } from './stream';
import type { WireChatCompletion } from './wire';

/** Options of {@link createOpenAICompatibleAdapter}. */
export interface OpenAICompatibleAdapterOptions {
  /** Provider instance id (config key), used in errors and metrics. */
  readonly id: string;
  /** API root, e.g. `https://api.llama.com/compat/v1` or `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string;
  /** Bearer key source; a source yielding undefined sends no Authorization (Ollama). */
  readonly credential: CredentialSource;
  /** Extra headers sent upstream (never secrets). */
  readonly headers?: Record<string, string>;
  /**
   * Per-attempt limit in ms: until the full body for `chat`, until the
   * response headers for `chatStream`. @default - no limit beyond the caller's signal
   */
  readonly timeoutMs?: number;
  /** fetch implementation. @default - the global fetch */
  readonly fetch?: HttpFetch;
}

/**
 * Links the caller's signal with a per-attempt timer. Only built when a
 * timeout is configured, so the common path allocates nothing.
 */
class AttemptTimeout {
  public readonly signal: AbortSignal;
  public timedOut = false;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onCallerAbort = (): void =>
    this.controller.abort(this.caller.reason);

  public constructor(
    private readonly caller: AbortSignal,
    timeoutMs: number
  ) {
    this.signal = this.controller.signal;
    if (caller.aborted) {
      this.controller.abort(caller.reason);
      return;
    }
    caller.addEventListener('abort', this.onCallerAbort, { once: true });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(
        new DOMException('upstream attempt timed out', 'TimeoutError')
      );
    }, timeoutMs);
  }

  /** Stops the timer; the caller's abort still propagates. */
  public clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  public dispose(): void {
    this.clearTimer();
    this.caller.removeEventListener('abort', this.onCallerAbort);
  }
}

const noop = (): void => {};

/**
 * After `[DONE]` the body normally ends at once; reading that end lets
 * undici keep the socket alive. Done in the background so a server that
 * lingers cannot hold the caller.
 */
function drainInBackground(
  reader: ReturnType<HttpBodyLike['getReader']>
): void {
  reader.read().then((result) => {
    if (!result.done) reader.cancel().catch(noop);
  }, noop);
}

/**
 * Adapter for any OpenAI Chat Completions endpoint (Meta Llama API compat,
 * vLLM, Ollama...). Speaks the wire format over fetch and eventsource-parser
 * instead of the `openai` SDK, which would add ~400 KB to the router bundle.
 */
export function createOpenAICompatibleAdapter(
  options: OpenAICompatibleAdapterOptions
): ProviderAdapter {
  const { id, credential, timeoutMs } = options;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const jsonHeaders: Record<string, string> = {
    ...options.headers,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  const sseHeaders: Record<string, string> = {
    ...options.headers,
    'content-type': 'application/json',
    accept: 'text/event-stream',
  };

  /** Classifies a failure while talking to upstream; caller aborts pass through. */
  function failure(
    err: unknown,
    caller: AbortSignal,
    attempt: AttemptTimeout | undefined,
    phase: 'connect' | 'read'
  ): unknown {
    if (caller.aborted) return err;
    if (attempt?.timedOut) {
      return new ProviderTimeoutError(
        id,
        `upstream did not answer within ${timeoutMs} ms`,
        { cause: err }
      );
    }
    return errorFromNetwork(id, err, phase);
  }

  /** Asks the credential source for a key; its failures are auth failures. */
  async function keyFrom(refresh: boolean): Promise<string | undefined> {
    try {
      return refresh && credential.refresh
        ? await credential.refresh()
        : await credential.get();
    } catch (err) {
      throw new ProviderAuthError(id, 'credential source failed', {
        cause: err,
      });
    }
  }

  /**
   * POSTs the body; on 401 asks the credential source once for a fresh key
   * and retries. Resolves with the 2xx response.
   */
  async function send(
    body: string,
    baseHeaders: Record<string, string>,
    call: CallOptions,
    attempt: AttemptTimeout | undefined
  ): Promise<HttpResponseLike> {
    const doFetch = options.fetch ?? nodeHttpFetch;
    const signal = attempt ? attempt.signal : call.signal;
    let key = await keyFrom(false);
    for (let retried = false; ; retried = true) {
      // Object.assign, not a spread adding keys: V8's slow path (~1 µs).
      const headers: Record<string, string> = Object.assign({}, baseHeaders);
      headers['x-request-id'] = call.requestId;
      if (key) headers.authorization = `Bearer ${key}`;
      let response: HttpResponseLike;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers,
          body,
          signal,
        });
      } catch (err) {
        throw failure(err, call.signal, attempt, 'connect');
      }
      if (response.ok) return response;
      if (response.status === 401 && !retried && credential.refresh) {
        // Drain rather than cancel so the socket can be reused.
        await response.text().catch(noop);
        key = await keyFrom(true);
        continue;
      }
      const error: ProviderError = await errorFromResponse(id, response, key);
      if (call.signal.aborted) throw call.signal.reason;
      throw error;
    }
  }

  async function* streamEvents(
    body: string,
    request: ChatRequest,
    call: CallOptions
  ): AsyncGenerator<StreamEvent> {
    // Created on first iteration, so an unconsumed stream starts no timer.
    const attempt = timeoutMs
      ? new AttemptTimeout(call.signal, timeoutMs)
      : undefined;
    try {
      const response = await send(body, sseHeaders, call, attempt);
      attempt?.clearTimer();
      if (!response.body) {
        throw new ProviderUnavailableError(id, 'upstream stream has no body');
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const mapper = new ChatCompletionStreamMapper(id, request);
      const events: StreamEvent[] = [];
      let pending: unknown;
      // Errors inside the parser callback are held until the events decoded
      // before them in the same read have been yielded.
      const parser = createParser({
        onEvent: (event) => {
          if (pending !== undefined) return;
          try {
            mapper.push(event.data, events);
          } catch (err) {
            pending = err;
          }
        },
      });
      let released = false;
      try {
        while (!mapper.done) {
          let result: Awaited<ReturnType<typeof reader.read>>;
          try {
            result = await reader.read();
          } catch (err) {
            released = true;
            throw failure(err, call.signal, attempt, 'read');
          }
          if (result.done) {
            released = true;
            parser.feed(decoder.decode());
            if (pending === undefined) {
              try {
                mapper.end(events);
              } catch (err) {
                pending = err;
              }
            }
          } else {
            parser.feed(decoder.decode(result.value, { stream: true }));
          }
          for (let i = 0; i < events.length; i++) yield events[i]!;
          events.length = 0;
          if (pending !== undefined) throw pending;
          if (result.done) return;
        }
        released = true;
        drainInBackground(reader);
      } finally {
        // Consumer stopped early, or the stream failed: free the socket.
        if (!released) reader.cancel().catch(noop);
      }
    } finally {
      attempt?.dispose();
    }
  }

  return {
    id,
    type: 'openai-compatible',
    embed: openAICompatibleEmbedder(options),

    async chat(request, model, call) {
      const body = JSON.stringify(
        buildChatCompletionBody(request, model, false)
      );
      const attempt = timeoutMs
        ? new AttemptTimeout(call.signal, timeoutMs)
        : undefined;
      try {
        const response = await send(body, jsonHeaders, call, attempt);
        let text: string;
        try {
          text = await response.text();
        } catch (err) {
          throw failure(err, call.signal, attempt, 'read');
        }
        let parsed: WireChatCompletion;
        try {
          parsed = JSON.parse(text) as WireChatCompletion;
        } catch (err) {
          throw new ProviderUnavailableError(
            id,
            'upstream answered 2xx with a body that is not JSON',
            { cause: err }
          );
        }
        return fromChatCompletion(id, parsed, request);
      } finally {
        attempt?.dispose();
      }
    },

    chatStream(request, model, call) {
      const body = JSON.stringify(
        buildChatCompletionBody(request, model, true)
      );
      return streamEvents(body, request, call);
    },
  };
}
