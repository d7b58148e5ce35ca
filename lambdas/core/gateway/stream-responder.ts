import {
  ChunkEncoder,
  SSE_DONE,
  SSE_KEEP_ALIVE,
  sseError,
} from '../api/chat-response';
import { GatewayError } from '../api/errors';
import type { ProviderError } from '../providers/errors';
import type { FinishReason, ModelConfig, StreamEvent, Usage } from '../types';
import { clientOf, mergeHeaders, type ResponseSink, SSE_HEADERS } from './sink';

/** Options of a StreamResponder. */
export interface StreamResponderOptions {
  readonly id: string;
  readonly created: number;
  /** Model named in chunks until an attempt starts. */
  readonly model: string;
  readonly keepAliveMs: number;
  readonly includeUsage: boolean;
  readonly now: () => number;
  /** Routing headers for the model serving the stream and the attempt number. */
  readonly headers: (
    model: ModelConfig,
    attempt: number
  ) => Record<string, string>;
}

const NO_USAGE: Usage = {
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
};

/**
 * Writes one streamed chat completion as OpenAI SSE across provider
 * attempts: headers are committed with the first token (so they name the
 * model that answers) or by a keep-alive during a long silence; the role
 * chunk precedes the first delta; finish, usage and `[DONE]` close a clean
 * stream; an explicit error event closes a broken one.
 */
export class StreamResponder {
  private readonly encoder: ChunkEncoder;
  private readonly keepAlive: NodeJS.Timeout;
  private lastWrite: number;
  private model?: ModelConfig;
  private attempt = 0;
  private finishReason?: FinishReason;
  private usage?: Usage;
  private sawToolCall = false;
  private roleSent = false;
  private ended = false;
  /** Headers went out (status 200 is final). */
  public committed = false;
  /** Content (text or tool-call deltas) reached the client: no failover from here. */
  public contentSent = false;

  public constructor(
    private readonly sink: ResponseSink,
    private readonly options: StreamResponderOptions
  ) {
    this.encoder = new ChunkEncoder(options.id, options.created, options.model);
    this.lastWrite = options.now();
    // Keep-alive comments during long silences, before the first token too:
    // committing 200 early is fine, failover before content still works.
    this.keepAlive = setInterval(
      () => {
        if (this.ended || clientOf(sink).aborted) return;
        if (options.now() - this.lastWrite < options.keepAliveMs) return;
        this.commit();
        this.lastWrite = options.now();
        void sink.write(SSE_KEEP_ALIVE);
      },
      Math.max(50, Math.floor(options.keepAliveMs / 2))
    );
    this.keepAlive.unref?.();
  }

  /** A new provider attempt starts (only before any content was sent). */
  public beginAttempt(model: ModelConfig, attempt: number): void {
    this.model = model;
    this.attempt = attempt;
    this.encoder.setModel(model.id);
    this.finishReason = undefined;
    this.usage = undefined;
    this.sawToolCall = false;
  }

  /** Writes one provider event (finish and usage are held for the close). */
  public async event(ev: StreamEvent): Promise<void> {
    let chunk: string;
    switch (ev.type) {
      case 'text':
        if (ev.text.length === 0) return;
        chunk = this.encoder.text(ev.text);
        break;
      case 'tool_call':
        this.sawToolCall = true;
        chunk = this.encoder.toolCall(
          ev.index,
          ev.id,
          ev.name,
          ev.argumentsDelta
        );
        break;
      case 'finish':
        this.finishReason = ev.finishReason;
        return;
      case 'usage':
        this.usage = ev.usage;
        return;
    }
    if (!this.contentSent) {
      this.contentSent = true;
      this.commit();
      if (!this.roleSent) {
        this.roleSent = true;
        chunk = this.encoder.role() + chunk;
      }
    }
    await this.write(chunk);
  }

  /** Closes a clean stream: finish chunk, usage chunk when asked, [DONE]. */
  public async complete(): Promise<Usage> {
    this.commit();
    const usage = this.usage ?? NO_USAGE;
    let tail = '';
    if (!this.roleSent) {
      this.roleSent = true;
      tail += this.encoder.role();
    }
    tail += this.encoder.finish(
      this.finishReason ?? (this.sawToolCall ? 'tool_calls' : 'stop')
    );
    if (this.options.includeUsage) tail += this.encoder.usage(usage);
    tail += SSE_DONE;
    await this.write(tail);
    this.end();
    return usage;
  }

  /**
   * Ends a stream the gateway cut (its budget reservation would be passed):
   * the finish chunk says `length`, the usage chunk follows when asked, then
   * an error event explains the cut (no [DONE], like any error event).
   */
  public async cut(err: GatewayError, usage: Usage): Promise<void> {
    this.commit();
    let tail = '';
    if (!this.roleSent) {
      this.roleSent = true;
      tail += this.encoder.role();
    }
    tail += this.encoder.finish('length');
    if (this.options.includeUsage) tail += this.encoder.usage(usage);
    tail += sseError(err.toBody());
    await this.write(tail);
    this.end();
  }

  /** Ends a stream that broke after content was sent: explicit error, no [DONE]. */
  public async interrupt(err: ProviderError): Promise<void> {
    const gw =
      err.kind === 'invalid_output'
        ? new GatewayError(
            502,
            'upstream_error',
            'structured_output_invalid',
            `${err.message}; discard the streamed content`,
            { provider: err.provider, param: 'response_format' }
          )
        : new GatewayError(
            502,
            'upstream_error',
            'stream_interrupted',
            `provider ${err.provider} failed mid-stream (${err.kind}); the response is incomplete`,
            { provider: err.provider }
          );
    await this.fail(gw);
  }

  /** Ends a committed stream with an error event (no [DONE]). */
  public async fail(err: GatewayError): Promise<void> {
    this.commit();
    await this.write(sseError(err.toBody()));
    this.end();
  }

  /** Stops the keep-alive timer (always call once the request is over). */
  public close(): void {
    clearInterval(this.keepAlive);
  }

  private commit(): void {
    if (this.committed) return;
    this.committed = true;
    const headers = this.model
      ? this.options.headers(this.model, this.attempt)
      : {};
    this.sink.start(200, mergeHeaders(SSE_HEADERS, headers));
  }

  private async write(chunk: string): Promise<void> {
    this.lastWrite = this.options.now();
    const pending = this.sink.write(chunk);
    if (pending) await pending;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.close();
    this.sink.end();
  }
}
