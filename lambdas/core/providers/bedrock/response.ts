import type {
  ConverseCommandOutput,
  StopReason,
  TokenUsage,
} from '@aws-sdk/client-bedrock-runtime';
import type { ChatResult, FinishReason, ToolCall, Usage } from '../../types';
import { estimateReasoningTokens } from '../reasoning';

/**
 * Maps a Bedrock stop reason to the OpenAI finish reason. `hasToolCalls`
 * lifts a plain stop to `tool_calls`: some model families end a tool-calling
 * turn with `end_turn`, and OpenAI clients loop on `tool_calls` only.
 */
export function toFinishReason(
  stopReason: StopReason | string | undefined,
  hasToolCalls = false
): FinishReason {
  let reason: FinishReason;
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      reason = 'length';
      break;
    case 'tool_use':
      reason = 'tool_calls';
      break;
    case 'guardrail_intervened':
    case 'content_filtered':
      reason = 'content_filter';
      break;
    default:
      // end_turn, stop_sequence, and the malformed_* reasons (the model
      // produced output Bedrock could not parse): OpenAI has no closer match.
      reason = 'stop';
  }
  return reason === 'stop' && hasToolCalls ? 'tool_calls' : reason;
}

/** Maps Bedrock token usage; undefined when Bedrock reported none. */
export function toUsage(usage: TokenUsage | undefined): Usage | undefined {
  if (
    !usage ||
    typeof usage.inputTokens !== 'number' ||
    typeof usage.outputTokens !== 'number'
  )
    return undefined;
  return {
    promptTokens: usage.inputTokens,
    completionTokens: usage.outputTokens,
    totalTokens: usage.totalTokens ?? usage.inputTokens + usage.outputTokens,
  };
}

/**
 * Adds the reasoning share of the output tokens. Bedrock counts thinking in
 * `outputTokens` without a breakdown, so it is estimated from the thinking
 * text's length (redacted thinking is not counted).
 */
export function withReasoning(usage: Usage, reasoningChars: number): Usage {
  if (reasoningChars <= 0) return usage;
  return {
    ...usage,
    reasoningTokens: estimateReasoningTokens(
      reasoningChars,
      usage.completionTokens
    ),
  };
}

/**
 * Maps a Converse output to a gateway result. `fallbackUsage` is used when
 * Bedrock reports no usage (the adapter passes an estimate).
 */
export function fromConverseOutput(
  output: ConverseCommandOutput,
  fallbackUsage: Usage = {
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
  }
): ChatResult {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  let reasoningChars = 0;
  for (const block of output.output?.message?.content ?? []) {
    if (typeof block.text === 'string') texts.push(block.text);
    else if (block.toolUse) {
      toolCalls.push({
        id: block.toolUse.toolUseId ?? '',
        type: 'function',
        function: {
          name: block.toolUse.name ?? '',
          arguments: JSON.stringify(block.toolUse.input ?? {}),
        },
      });
    } else if (block.reasoningContent) {
      // Thinking is not part of the answer (OpenAI never returns reasoning
      // text in chat completions); only its size is kept, for usage.
      reasoningChars += block.reasoningContent.reasoningText?.text?.length ?? 0;
    }
  }
  const text = texts.join('');
  return {
    content: text.length > 0 || toolCalls.length === 0 ? text : null,
    toolCalls,
    finishReason: toFinishReason(output.stopReason, toolCalls.length > 0),
    usage: withReasoning(
      toUsage(output.usage) ?? fallbackUsage,
      reasoningChars
    ),
  };
}
