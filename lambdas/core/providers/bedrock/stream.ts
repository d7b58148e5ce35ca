import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import type { StreamEvent, Usage } from '../../types';
import { streamExceptionToProviderError } from './errors';
import { toFinishReason, toUsage, withReasoning } from './response';

/** Exception members a ConverseStream event may carry instead of data. */
const EXCEPTION_MEMBERS = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
] as const;

/** State of one tool-use content block while its input streams in. */
interface OpenToolCall {
  readonly index: number;
  sentArguments: boolean;
}

/**
 * Maps ConverseStream events to provider-neutral stream events. Stateful per
 * stream (tool-call numbering, what has been seen) but otherwise pure: no
 * I/O, so it is tested against recorded event sequences.
 *
 * Tool calls are numbered 0, 1, ... in the order they start, independent of
 * Bedrock's `contentBlockIndex` (which also counts text blocks), because
 * OpenAI clients index `tool_calls` by that running count.
 */
export class ConverseStreamMapper {
  /** True once `messageStop` arrived (a stream ending earlier was cut). */
  public finished = false;
  /** Usage reported by the `metadata` event, if any. */
  public usage: Usage | undefined;
  /** Generated text and tool arguments, for a usage estimate when needed. */
  public readonly output: string[] = [];
  /** Characters of thinking text seen (never forwarded), for reasoning tokens. */
  public reasoningChars = 0;

  private readonly toolCalls = new Map<number, OpenToolCall>();
  private toolCallCount = 0;

  public constructor(private readonly provider: string) {}

  /** Events for one Bedrock event; throws a ProviderError on exception members. */
  public map(event: ConverseStreamOutput): StreamEvent[] {
    for (const member of EXCEPTION_MEMBERS) {
      const value = (event as unknown as Record<string, unknown>)[member];
      if (value !== undefined)
        throw streamExceptionToProviderError(this.provider, member, value);
    }

    if (event.contentBlockStart) {
      const { start, contentBlockIndex } = event.contentBlockStart;
      if (!start?.toolUse) return [];
      const index = this.toolCallCount++;
      this.toolCalls.set(contentBlockIndex ?? -1, {
        index,
        sentArguments: false,
      });
      return [
        {
          type: 'tool_call',
          index,
          id: start.toolUse.toolUseId ?? '',
          name: start.toolUse.name ?? '',
        },
      ];
    }

    if (event.contentBlockDelta) {
      const { delta, contentBlockIndex } = event.contentBlockDelta;
      if (typeof delta?.text === 'string') {
        if (delta.text.length === 0) return [];
        this.output.push(delta.text);
        return [{ type: 'text', text: delta.text }];
      }
      if (delta?.toolUse) {
        const call = this.toolCalls.get(contentBlockIndex ?? -1);
        const input = delta.toolUse.input ?? '';
        if (!call || input.length === 0) return [];
        call.sentArguments = true;
        this.output.push(input);
        return [
          { type: 'tool_call', index: call.index, argumentsDelta: input },
        ];
      }
      // reasoningContent, citations...: not part of the OpenAI answer.
      this.reasoningChars += delta?.reasoningContent?.text?.length ?? 0;
      return [];
    }

    if (event.contentBlockStop) {
      const call = this.toolCalls.get(
        event.contentBlockStop.contentBlockIndex ?? -1
      );
      // A tool without parameters streams no input at all; '{}' keeps the
      // concatenated arguments valid JSON for the client.
      if (call && !call.sentArguments) {
        call.sentArguments = true;
        return [{ type: 'tool_call', index: call.index, argumentsDelta: '{}' }];
      }
      return [];
    }

    if (event.messageStop) {
      this.finished = true;
      return [
        {
          type: 'finish',
          finishReason: toFinishReason(
            event.messageStop.stopReason,
            this.toolCallCount > 0
          ),
        },
      ];
    }

    if (event.metadata) {
      const reported = toUsage(event.metadata.usage);
      if (!reported) return [];
      const usage = withReasoning(reported, this.reasoningChars);
      this.usage = usage;
      return [{ type: 'usage', usage }];
    }

    // messageStart and members this SDK version does not know.
    return [];
  }
}
