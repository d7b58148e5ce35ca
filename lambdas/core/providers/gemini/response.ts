import { randomBytes } from 'node:crypto';
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
import {
  ProviderContentFilteredError,
  type ProviderError,
  ProviderUnavailableError,
} from '../errors';
import { GENERATED_ID_PREFIX } from './request';
import type {
  GeminiCandidate,
  GeminiPart,
  GeminiResponse,
  GeminiUsageMetadata,
} from './wire';

/** What the pure response mappers need besides the body. */
export interface GeminiResponseContext {
  /** Provider instance id, for errors. */
  readonly provider: string;
  /** The request, to estimate usage when Gemini reports none. */
  readonly request: ChatRequest;
  /** Id source for function calls Gemini sent without one. @default generateToolCallId */
  readonly newToolCallId?: () => string;
}

/** A fresh OpenAI-style tool call id (`call_` + 24 hex chars). */
export function generateToolCallId(): string {
  return `${GENERATED_ID_PREFIX}${randomBytes(12).toString('hex')}`;
}

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
]);

// The model tried to call a tool and produced something unusable: arguments
// that do not parse, a tool that was not offered, too many calls. There is
// no answer to hand the client, but sampling again (or another model) often
// succeeds, so these are a retryable "unavailable" rather than an empty
// `stop` (a silent wrong answer) or a 400 (the request was fine).
const BAD_TOOL_CALL = new Set([
  'MALFORMED_FUNCTION_CALL',
  'UNEXPECTED_TOOL_CALL',
  'TOO_MANY_TOOL_CALLS',
]);

/**
 * Gemini `finishReason` -> OpenAI finish reason. STOP with function calls is
 * `tool_calls`; safety-type stops are `content_filter`; OTHER, LANGUAGE and
 * unknown future reasons end the answer normally. Throws a retryable
 * `ProviderUnavailableError` for unusable tool calls.
 */
export function mapFinishReason(
  provider: string,
  reason: string,
  hasToolCalls: boolean
): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  if (BAD_TOOL_CALL.has(reason)) {
    throw new ProviderUnavailableError(
      provider,
      `gemini finished with ${reason}: the model produced an unusable function call`
    );
  }
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/**
 * `usageMetadata` -> Usage. Thinking tokens are billed as output, so they
 * count as completion tokens; the total is Google's own (it also covers
 * tool-use prompt tokens). Undefined when Gemini reported nothing useful.
 */
export function usageFromMetadata(
  meta: GeminiUsageMetadata | undefined
): Usage | undefined {
  if (!meta || meta.promptTokenCount === undefined) return undefined;
  const prompt = meta.promptTokenCount;
  const completion =
    (meta.candidatesTokenCount ?? 0) + (meta.thoughtsTokenCount ?? 0);
  return {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: meta.totalTokenCount ?? prompt + completion,
    ...(meta.thoughtsTokenCount !== undefined
      ? { reasoningTokens: meta.thoughtsTokenCount }
      : {}),
  };
}

/** Estimated usage for when Gemini sent no `usageMetadata`. */
export function estimateUsage(
  request: ChatRequest,
  content: string,
  toolCalls: readonly ToolCall[]
): Usage {
  let outputChars = content;
  for (const call of toolCalls)
    outputChars += call.function.name + call.function.arguments;
  return makeUsage(
    estimatePromptTokens(request, 'gemini'),
    estimateTextTokens(outputChars, 'gemini')
  );
}

/** Visible text of parts: thought summaries are the model's notes, not the answer. */
export function visibleText(parts: readonly GeminiPart[]): string {
  let text = '';
  for (const part of parts) {
    if (part.thought !== true && typeof part.text === 'string')
      text += part.text;
  }
  return text;
}

/** Function-call parts -> OpenAI tool calls (arguments as a JSON string). */
export function toolCallsOf(
  parts: readonly GeminiPart[],
  newId: () => string = generateToolCallId
): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const part of parts) {
    if (!part.functionCall) continue;
    calls.push({
      id: part.functionCall.id || newId(),
      type: 'function',
      function: {
        name: part.functionCall.name,
        arguments: JSON.stringify(part.functionCall.args ?? {}),
      },
    });
  }
  return calls;
}

/** Error for a response that carries no candidate at all. */
export function noCandidateError(
  provider: string,
  body: GeminiResponse
): ProviderError {
  const block = body.promptFeedback?.blockReason;
  if (block) {
    return new ProviderContentFilteredError(
      provider,
      `gemini blocked the prompt: ${block}`
    );
  }
  return new ProviderUnavailableError(
    provider,
    'gemini returned no candidates'
  );
}

/** Maps a `generateContent` response to the gateway's ChatResult. */
export function fromGeminiResponse(
  body: GeminiResponse,
  context: GeminiResponseContext
): ChatResult {
  const candidate: GeminiCandidate | undefined = body.candidates?.[0];
  if (!candidate) throw noCandidateError(context.provider, body);

  const parts = candidate.content?.parts ?? [];
  const text = visibleText(parts);
  const toolCalls = toolCallsOf(parts, context.newToolCallId);
  const finishReason = mapFinishReason(
    context.provider,
    candidate.finishReason ?? 'STOP',
    toolCalls.length > 0
  );
  return {
    content: text.length > 0 ? text : null,
    toolCalls,
    finishReason,
    usage:
      usageFromMetadata(body.usageMetadata) ??
      estimateUsage(context.request, text, toolCalls),
  };
}
