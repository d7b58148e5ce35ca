import type { FinishReason, StreamEvent, ToolCall } from '../../types';
import { ProviderUnavailableError } from '../errors';
import { geminiError, readGoogleError } from './errors';
import {
  estimateUsage,
  type GeminiResponseContext,
  mapFinishReason,
  noCandidateError,
  toolCallsOf,
  usageFromMetadata,
  visibleText,
} from './response';
import type { GeminiResponse, GeminiUsageMetadata } from './wire';

/**
 * Maps the `data:` payloads of a `streamGenerateContent?alt=sse` stream to
 * provider-neutral stream events. Each payload is a whole
 * GenerateContentResponse; Gemini sends a function call complete in one
 * chunk, so each call becomes a single `tool_call` event carrying id, name
 * and all of its arguments. Pure apart from its own state: feed it the
 * payloads in order with `push`, then call `end` once the stream closes.
 */
export class GeminiStreamMapper {
  private text = '';
  private readonly calls: ToolCall[] = [];
  private finishReason: FinishReason | undefined;
  private usage: GeminiUsageMetadata | undefined;

  public constructor(private readonly context: GeminiResponseContext) {}

  /** Whether a finish reason has been seen (the stream is complete). */
  public get finished(): boolean {
    return this.finishReason !== undefined;
  }

  /**
   * Maps one SSE `data` payload. Throws a `ProviderError` for an in-stream
   * error object, a blocked prompt or an unusable tool call.
   */
  public push(data: string): StreamEvent[] {
    const { provider } = this.context;
    let chunk: GeminiResponse;
    try {
      chunk = JSON.parse(data) as GeminiResponse;
    } catch (err) {
      throw new ProviderUnavailableError(
        provider,
        'gemini sent a stream chunk that is not JSON',
        { cause: err }
      );
    }
    const error = readGoogleError(chunk);
    if (error) throw geminiError(provider, error);
    if (chunk.usageMetadata) this.usage = chunk.usageMetadata;

    const candidate = chunk.candidates?.[0];
    if (!candidate) {
      // Usage-only chunks exist; a chunk that says why nothing came does not.
      if (chunk.promptFeedback?.blockReason)
        throw noCandidateError(provider, chunk);
      return [];
    }
    if (this.finished) return [];

    const events: StreamEvent[] = [];
    const parts = candidate.content?.parts ?? [];
    const text = visibleText(parts);
    if (text.length > 0) {
      this.text += text;
      events.push({ type: 'text', text });
    }
    for (const call of toolCallsOf(parts, this.context.newToolCallId)) {
      events.push({
        type: 'tool_call',
        index: this.calls.length,
        id: call.id,
        name: call.function.name,
        argumentsDelta: call.function.arguments,
      });
      this.calls.push(call);
    }
    if (candidate.finishReason) {
      this.finishReason = mapFinishReason(
        provider,
        candidate.finishReason,
        this.calls.length > 0
      );
      events.push({ type: 'finish', finishReason: this.finishReason });
    }
    return events;
  }

  /**
   * Closes the stream: emits the usage event (Google's last report, or an
   * estimate). A stream that closed without a finish reason was cut short,
   * which is an error, never a silently truncated answer.
   */
  public end(): StreamEvent[] {
    if (!this.finished) {
      throw new ProviderUnavailableError(
        this.context.provider,
        'gemini stream ended before a finish reason'
      );
    }
    return [
      {
        type: 'usage',
        usage:
          usageFromMetadata(this.usage) ??
          estimateUsage(this.context.request, this.text, this.calls),
      },
    ];
  }
}
