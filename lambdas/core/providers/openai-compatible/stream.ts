import type { ChatRequest, StreamEvent, Usage } from '../../types';
import { ProviderUnavailableError } from '../errors';
import { errorFromPayload } from './errors';
import { estimateUsage, mapFinishReason, toUsage } from './response';
import type {
  WireChatCompletionChunk,
  WireError,
  WireToolCallDelta,
} from './wire';

/**
 * Stateful mapper from `chat.completion.chunk`s to provider-neutral stream
 * events, one instance per stream. Events are appended to a caller-owned
 * array so a chunk costs no intermediate arrays.
 *
 * Termination: `data: [DONE]` (or a body that ends after a finish_reason)
 * emits `finish` if the server never sent one, then exactly one `usage`
 * (upstream's, or estimated when the server ignores `include_usage`). A body
 * that ends with neither is a truncation and throws.
 */
export class ChatCompletionStreamMapper {
  /** True once the stream is complete; later payloads are ignored. */
  public done = false;
  private finished = false;
  private usage: Usage | undefined;
  /** Tool call id per upstream index; a defined entry means "opened". */
  private readonly callIds: (string | undefined)[] = [];
  private openCalls = 0;
  private lastIndex = -1;
  /** Completion text seen, for the usage estimate when upstream sends none. */
  private completionText = '';

  public constructor(
    private readonly provider: string,
    private readonly request: ChatRequest
  ) {}

  /** Handles one SSE `data` payload. Throws a ProviderError on error payloads. */
  public push(data: string, out: StreamEvent[]): void {
    if (this.done) return;
    if (data === '[DONE]') {
      this.complete(out);
      return;
    }
    let chunk: WireChatCompletionChunk;
    try {
      chunk = JSON.parse(data) as WireChatCompletionChunk;
    } catch (err) {
      throw new ProviderUnavailableError(
        this.provider,
        'upstream sent a stream chunk that is not JSON',
        { cause: err }
      );
    }
    this.map(chunk, out);
  }

  /** Maps one parsed chunk. */
  public map(chunk: WireChatCompletionChunk, out: StreamEvent[]): void {
    if (this.done) return;
    if (chunk.error !== undefined && chunk.error !== null) {
      throw errorFromPayload(this.provider, chunk.error);
    }
    if (chunk.object === 'error') {
      throw errorFromPayload(this.provider, chunk as WireError);
    }
    if (chunk.usage) {
      const usage = toUsage(chunk.usage);
      if (usage) this.usage = usage;
    }
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta;
    if (delta) {
      const text = delta.content || delta.refusal;
      if (text) {
        if (!this.usage) this.completionText += text;
        out.push({ type: 'text', text });
      }
      const calls = delta.tool_calls;
      if (calls) {
        for (let i = 0; i < calls.length; i++) this.toolCall(calls[i]!, out);
      }
    }
    if (choice.finish_reason && !this.finished) {
      this.finished = true;
      out.push({
        type: 'finish',
        finishReason: mapFinishReason(choice.finish_reason, this.openCalls > 0),
      });
    }
  }

  /**
   * Call when the body has ended. A stream that ended after its
   * finish_reason is complete even without `[DONE]`; otherwise it was cut.
   */
  public end(out: StreamEvent[]): void {
    if (this.done) return;
    if (!this.finished) {
      throw new ProviderUnavailableError(
        this.provider,
        'upstream stream ended before finish_reason and [DONE]'
      );
    }
    this.complete(out);
  }

  private complete(out: StreamEvent[]): void {
    this.done = true;
    if (!this.finished) {
      this.finished = true;
      out.push({
        type: 'finish',
        finishReason: mapFinishReason(undefined, this.openCalls > 0),
      });
    }
    out.push({
      type: 'usage',
      usage: this.usage ?? estimateUsage(this.request, this.completionText),
    });
  }

  private toolCall(delta: WireToolCallDelta, out: StreamEvent[]): void {
    let index = delta.index;
    if (typeof index !== 'number') {
      // Servers that omit the index: a new id opens the next call, anything
      // else continues the last one.
      index =
        delta.id && delta.id !== this.callIds[this.lastIndex]
          ? this.callIds.length
          : Math.max(this.lastIndex, 0);
    }
    this.lastIndex = index;
    const rawArgs = delta.function?.arguments;
    const args =
      typeof rawArgs === 'string'
        ? rawArgs
        : rawArgs === undefined || rawArgs === null
          ? ''
          : JSON.stringify(rawArgs);
    if (this.callIds[index] === undefined) {
      const id = delta.id || `call_${index}`;
      const name = delta.function?.name ?? '';
      this.callIds[index] = id;
      this.openCalls++;
      if (!this.usage) this.completionText += name + args;
      out.push(
        args
          ? { type: 'tool_call', index, id, name, argumentsDelta: args }
          : { type: 'tool_call', index, id, name }
      );
    } else if (args) {
      if (!this.usage) this.completionText += args;
      out.push({ type: 'tool_call', index, argumentsDelta: args });
    }
  }
}
