import { mediaItems, mediaTokens } from './media/summary';
import type {
  ChatRequest,
  Pricing,
  ProviderType,
  ToolDefinition,
  Usage,
} from './types';

/**
 * Characters per token by provider family. Estimates only: used for routing
 * (context-window filter, cost score) and the budget's worst-case reservation
 * before the provider reports real usage. Slightly pessimistic on purpose so
 * the estimate errs towards "too big" rather than overspending.
 */
const CHARS_PER_TOKEN: Record<ProviderType, number> = {
  bedrock: 3.5,
  gemini: 4,
  'openai-compatible': 3.8,
  echo: 4,
};

/** Fixed per-message framing overhead (role markers, separators). */
const TOKENS_PER_MESSAGE = 4;

/** Estimates tokens in a text for a provider family. */
export function estimateTextTokens(
  text: string,
  providerType: ProviderType = 'openai-compatible'
): number {
  if (text.length === 0) return 0;
  return Math.ceil(text.length / CHARS_PER_TOKEN[providerType]);
}

/** Estimates tokens in `chars` characters of text for a provider family (streams count as they go). */
export function estimateCharsTokens(
  chars: number,
  providerType: ProviderType = 'openai-compatible'
): number {
  return chars <= 0 ? 0 : Math.ceil(chars / CHARS_PER_TOKEN[providerType]);
}

function toolsLength(tools: readonly ToolDefinition[] | undefined): number {
  if (!tools || tools.length === 0) return 0;
  let n = 0;
  for (const t of tools) {
    n += t.function.name.length + (t.function.description?.length ?? 0);
    if (t.function.parameters)
      n += JSON.stringify(t.function.parameters).length;
  }
  return n;
}

/** Total characters of prompt content (messages, tool calls, tool schemas). */
export function promptChars(request: ChatRequest): number {
  let chars = toolsLength(request.tools);
  for (const m of request.messages) {
    if (m.content) chars += m.content.length;
    if (m.role === 'assistant' && m.toolCalls) {
      for (const c of m.toolCalls)
        chars += c.function.name.length + c.function.arguments.length;
    }
  }
  return chars;
}

/**
 * Estimates prompt tokens of a request for a provider family: text by
 * characters, images and documents by each family's formula
 * (media/summary.ts), so budget reservations cover attachments.
 */
export function estimatePromptTokens(
  request: ChatRequest,
  providerType: ProviderType = 'openai-compatible',
  chars: number = promptChars(request)
): number {
  return (
    Math.ceil(chars / CHARS_PER_TOKEN[providerType]) +
    TOKENS_PER_MESSAGE * request.messages.length +
    mediaTokens(mediaItems(request), providerType)
  );
}

/** Cost in USD of a usage at the given prices. */
export function costUsd(
  usage: Pick<Usage, 'promptTokens' | 'completionTokens'>,
  pricing: Pricing
): number {
  return (
    (usage.promptTokens * pricing.inputPer1M +
      usage.completionTokens * pricing.outputPer1M) /
    1_000_000
  );
}

/** Builds a Usage with a consistent total. */
export function makeUsage(
  promptTokens: number,
  completionTokens: number
): Usage {
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
  };
}
