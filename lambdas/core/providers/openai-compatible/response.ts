import {
  estimatePromptTokens,
  estimateTextTokens,
  makeUsage,
} from '../../tokens';
import type {
  ChatRequest,
  ChatResult,
  FinishReason,
  ToolCall,
  Usage,
} from '../../types';
import { ProviderUnavailableError } from '../errors';
import { errorFromPayload } from './errors';
import type { WireChatCompletion, WireToolCall, WireUsage } from './wire';

const NO_TOOL_CALLS: readonly ToolCall[] = Object.freeze([]);

/**
 * Maps a finish reason to OpenAI's set. Servers that say `stop` after tool
 * calls (some Ollama versions) are corrected so clients run the tools.
 */
export function mapFinishReason(
  reason: string | null | undefined,
  hasToolCalls: boolean
): FinishReason {
  switch (reason) {
    case 'length':
    case 'max_tokens':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'tool_calls':
    case 'function_call':
    case 'tool_use':
      return 'tool_calls';
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}

/** Arguments as a JSON string, whatever the server sent. */
export function argumentsToString(
  args: string | Record<string, unknown> | undefined
): string {
  if (typeof args === 'string') return args;
  return args === undefined ? '{}' : JSON.stringify(args);
}

/** Normalises one tool call; servers that omit the id get a stable one. */
export function toToolCall(wire: WireToolCall, index: number): ToolCall {
  return {
    id: wire.id || `call_${index}`,
    type: 'function',
    function: {
      name: wire.function?.name ?? '',
      arguments: argumentsToString(wire.function?.arguments),
    },
  };
}

/** Upstream usage when complete enough, otherwise undefined. */
export function toUsage(
  usage: WireUsage | null | undefined
): Usage | undefined {
  if (
    !usage ||
    typeof usage.prompt_tokens !== 'number' ||
    typeof usage.completion_tokens !== 'number'
  ) {
    return undefined;
  }
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    totalTokens:
      typeof usage.total_tokens === 'number'
        ? usage.total_tokens
        : usage.prompt_tokens + usage.completion_tokens,
    ...(typeof usage.completion_tokens_details?.reasoning_tokens === 'number'
      ? { reasoningTokens: usage.completion_tokens_details.reasoning_tokens }
      : {}),
  };
}

/** Usage estimated locally for servers that report none (Ollama, some vLLM). */
export function estimateUsage(
  request: ChatRequest,
  completionText: string
): Usage {
  return makeUsage(
    estimatePromptTokens(request, 'openai-compatible'),
    estimateTextTokens(completionText, 'openai-compatible')
  );
}

/**
 * Maps a `chat.completion` body to a ChatResult. A 200 that carries an error
 * object or no choice is a provider failure, not an empty answer.
 */
export function fromChatCompletion(
  provider: string,
  body: WireChatCompletion,
  request: ChatRequest
): ChatResult {
  if (body.error) throw errorFromPayload(provider, body.error);
  const choice = body.choices?.[0];
  if (!choice) {
    throw new ProviderUnavailableError(
      provider,
      'upstream answer has no choices'
    );
  }
  const message = choice.message;
  const content = message?.content ?? message?.refusal ?? null;
  const wireCalls = message?.tool_calls;
  let toolCalls = NO_TOOL_CALLS;
  if (wireCalls && wireCalls.length > 0) {
    const calls = new Array<ToolCall>(wireCalls.length);
    for (let i = 0; i < wireCalls.length; i++) {
      calls[i] = toToolCall(wireCalls[i]!, i);
    }
    toolCalls = calls;
  }
  let usage = toUsage(body.usage);
  if (!usage) {
    let text = content ?? '';
    for (const call of toolCalls) {
      text += call.function.name + call.function.arguments;
    }
    usage = estimateUsage(request, text);
  }
  return {
    content,
    toolCalls,
    finishReason: mapFinishReason(choice.finish_reason, toolCalls.length > 0),
    usage,
  };
}
