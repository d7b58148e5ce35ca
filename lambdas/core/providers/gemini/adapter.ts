import { createParser } from 'eventsource-parser';
import type {
  ChatRequest,
  ChatResult,
  ModelConfig,
  StreamEvent,
} from '../../types';
import {
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderError,
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
import { geminiEmbedder } from './embed';
import { geminiErrorFromHttp, geminiNetworkError } from './errors';
import { checkGeminiOptions } from './options';
import { GeminiRequestError, toGeminiRequest } from './request';
import { fromGeminiResponse, type GeminiResponseContext } from './response';
import { GeminiStreamMapper } from './stream';
import type { GeminiRequest, GeminiResponse } from './wire';

/** Settings of one Gemini provider instance. */
export interface GeminiAdapterOptions {
  /** Provider instance id (config key), used in errors and metrics. */
  readonly id: string;
  /**
   * `api`: Generative Language API with an API key. `vertex`: Vertex AI
   * with an OAuth access token.
   * @default 'api'
   */
  readonly mode?: 'api' | 'vertex';
  /**
   * Scheme, host and optional path prefix, without the API version.
   * @default - https://generativelanguage.googleapis.com (api) or
   * https://{location}-aiplatform.googleapis.com (vertex)
   */
  readonly baseUrl?: string;
  /** API key (api mode) or access token (vertex mode). */
  readonly credential: CredentialSource;
  /** Google Cloud project; required in vertex mode. */
  readonly project?: string;
  /** Vertex AI location (`global` uses the global endpoint). @default 'us-central1' */
  readonly location?: string;
  /**
   * Per-attempt budget in ms: until the whole answer for `chat`, until the
   * response headers for `chatStream` (a long stream is not a hung one).
   * @default - none; the caller's signal bounds the call
   */
  readonly timeoutMs?: number;
  /** fetch implementation (tests, instrumentation). @default nodeHttpFetch (node:http, keep-alive) */
  readonly fetch?: HttpFetch;
}

export { GeminiConfigError } from './options';

type Method = 'generateContent' | 'streamGenerateContent';

/** Links the caller's signal with the adapter's own timer. */
interface CallSignal {
  readonly signal: AbortSignal;
  /** True once the adapter's timer (not the caller) aborted the call. */
  timedOut(): boolean;
  /** Stops the timer; the caller's signal stays linked. */
  stopTimer(): void;
  /** Unlinks everything. */
  dispose(): void;
}

function linkSignal(caller: AbortSignal, timeoutMs?: number): CallSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort(caller.reason);
  if (caller.aborted) controller.abort(caller.reason);
  else caller.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(
            new DOMException('gemini call timed out', 'TimeoutError')
          );
        }, timeoutMs);
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    stopTimer: () => clearTimeout(timer),
    dispose: () => {
      clearTimeout(timer);
      caller.removeEventListener('abort', onAbort);
    },
  };
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** Gemini over REST (no SDK: it would triple the Lambda bundle). */
class GeminiAdapter implements ProviderAdapter {
  public readonly type = 'gemini' as const;
  public readonly id: string;
  private readonly mode: 'api' | 'vertex';
  private readonly base: string;
  private readonly credential: CredentialSource;
  private readonly project?: string;
  private readonly location: string;
  private readonly timeoutMs?: number;
  private readonly fetchFn: HttpFetch;

  public constructor(options: GeminiAdapterOptions) {
    this.id = options.id;
    this.mode = options.mode ?? 'api';
    this.credential = options.credential;
    this.project = options.project;
    this.location = options.location ?? 'us-central1';
    this.timeoutMs = options.timeoutMs;
    this.fetchFn = options.fetch ?? nodeHttpFetch;

    checkGeminiOptions(options);

    const defaultBase =
      this.mode === 'api'
        ? 'https://generativelanguage.googleapis.com'
        : this.location === 'global'
          ? 'https://aiplatform.googleapis.com'
          : `https://${this.location}-aiplatform.googleapis.com`;
    this.base = (options.baseUrl ?? defaultBase).replace(/\/+$/, '');
  }

  public async chat(
    request: ChatRequest,
    model: ModelConfig,
    options: CallOptions
  ): Promise<ChatResult> {
    const body = this.buildBody(request, model);
    const call = linkSignal(options.signal, this.timeoutMs);
    try {
      const response = await this.send(model, 'generateContent', body, call);
      const text = await response.text();
      let json: GeminiResponse;
      try {
        json = JSON.parse(text) as GeminiResponse;
      } catch (err) {
        throw new ProviderUnavailableError(
          this.id,
          'gemini sent a response that is not JSON',
          { cause: err, status: response.status }
        );
      }
      return fromGeminiResponse(json, this.context(request));
    } catch (err) {
      throw this.translate(err, options.signal, call);
    } finally {
      call.dispose();
    }
  }

  public async *chatStream(
    request: ChatRequest,
    model: ModelConfig,
    options: CallOptions
  ): AsyncGenerator<StreamEvent> {
    const body = this.buildBody(request, model);
    const call = linkSignal(options.signal, this.timeoutMs);
    let reader: ReturnType<HttpBodyLike['getReader']> | undefined;
    try {
      const response = await this.send(
        model,
        'streamGenerateContent',
        body,
        call
      );
      call.stopTimer();
      if (!response.body)
        throw new ProviderUnavailableError(
          this.id,
          'gemini stream has no body'
        );
      reader = response.body.getReader();
      const mapper = new GeminiStreamMapper(this.context(request));
      const decoder = new TextDecoder();
      const payloads: string[] = [];
      const parser = createParser({
        onEvent: (event) => payloads.push(event.data),
      });
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          parser.feed(decoder.decode());
          parser.reset({ consume: true });
        } else {
          parser.feed(decoder.decode(value, { stream: true }));
        }
        while (payloads.length > 0) {
          yield* mapper.push(payloads.shift()!);
        }
        if (done) break;
      }
      yield* mapper.end();
    } catch (err) {
      throw this.translate(err, options.signal, call);
    } finally {
      call.dispose();
      // Runs on normal end, on error and when the consumer stops iterating
      // (`return()`): cancelling the body releases the socket at once.
      reader?.cancel().catch(() => undefined);
    }
  }

  private context(request: ChatRequest): GeminiResponseContext {
    return { provider: this.id, request };
  }

  private buildBody(request: ChatRequest, model: ModelConfig): GeminiRequest {
    try {
      return toGeminiRequest(request, model);
    } catch (err) {
      if (err instanceof GeminiRequestError)
        throw new ProviderBadRequestError(this.id, err.message, { cause: err });
      throw err;
    }
  }

  private url(model: ModelConfig, method: Method): string {
    const modelId = model.providerModelId.replace(/^\/+/, '');
    const suffix = `:${method}${method === 'streamGenerateContent' ? '?alt=sse' : ''}`;
    if (this.mode === 'api') {
      // Tuned models are `tunedModels/x`; bare names live under `models/`.
      const path = modelId.includes('/') ? modelId : `models/${modelId}`;
      return `${this.base}/v1beta/${encodePath(path)}${suffix}`;
    }
    const path = modelId.startsWith('projects/')
      ? modelId
      : `projects/${this.project}/locations/${this.location}/publishers/google/models/${modelId}`;
    return `${this.base}/v1/${encodePath(path)}${suffix}`;
  }

  private headers(credential: string): Record<string, string> {
    // The key goes in a header, never the query string: URLs end up in logs.
    return this.mode === 'api'
      ? { 'content-type': 'application/json', 'x-goog-api-key': credential }
      : {
          'content-type': 'application/json',
          authorization: `Bearer ${credential}`,
        };
  }

  private async readCredential(
    read: () => Promise<string | undefined>
  ): Promise<string | undefined> {
    try {
      return await read();
    } catch (err) {
      throw new ProviderAuthError(
        this.id,
        'could not read the gemini credential',
        {
          cause: err,
        }
      );
    }
  }

  /**
   * POSTs the body and returns a 2xx response. A rejected credential is
   * refreshed once (a rotated key or an expired token) and the call retried
   * once; any other non-2xx becomes a typed provider error.
   */
  private async send(
    model: ModelConfig,
    method: Method,
    body: GeminiRequest,
    call: CallSignal
  ): Promise<HttpResponseLike> {
    let credential = await this.readCredential(() => this.credential.get());
    if (!credential)
      throw new ProviderAuthError(
        this.id,
        'no gemini credential is configured'
      );
    const url = this.url(model, method);
    const payload = JSON.stringify(body);
    for (let attempt = 0; ; attempt += 1) {
      const response = await this.fetchFn(url, {
        method: 'POST',
        headers: this.headers(credential),
        body: payload,
        signal: call.signal,
      });
      if (response.ok) return response;
      const text = await response.text();
      const error = geminiErrorFromHttp(
        this.id,
        response.status,
        text,
        response.headers,
        [credential]
      );
      const refresh = this.credential.refresh?.bind(this.credential);
      if (attempt === 0 && error instanceof ProviderAuthError && refresh) {
        const fresh = await this.readCredential(refresh);
        if (fresh && fresh !== credential) {
          credential = fresh;
          continue;
        }
      }
      throw error;
    }
  }

  /** Everything that escapes a call becomes a ProviderError, except caller aborts. */
  private translate(
    err: unknown,
    callerSignal: AbortSignal,
    call: CallSignal
  ): unknown {
    if (err instanceof ProviderError) return err;
    // The caller gave up (deadline, failover, client gone): not a provider
    // fault, and the router needs to see its own abort to know that.
    if (callerSignal.aborted) return err;
    if (call.timedOut())
      return new ProviderTimeoutError(
        this.id,
        `gemini call exceeded ${this.timeoutMs} ms`,
        { cause: err }
      );
    return geminiNetworkError(this.id, err);
  }
}

/**
 * Creates a Gemini adapter speaking the REST API with `fetch` and SSE.
 * Throws `GeminiConfigError` when the settings cannot work (vertex mode
 * without a project, a malformed location or base URL).
 */
export function createGeminiAdapter(
  options: GeminiAdapterOptions
): ProviderAdapter {
  return Object.assign(new GeminiAdapter(options), {
    embed: geminiEmbedder(options),
  });
}
