import type { ChatRequest, ModelConfig, ReasoningEffort } from '../types';

/*
 * `reasoning_effort` -> each provider's thinking control. OpenAI's efforts
 * are levels; Claude (extended thinking) and Gemini 2.5 take a token budget,
 * Gemini 3 a level. One table so the providers agree on what "high" costs.
 */

/** Thinking budget (tokens) per effort for budget-based providers. */
export const THINKING_BUDGETS: Readonly<
  Record<Exclude<ReasoningEffort, 'none'>, number>
> = {
  minimal: 1024,
  low: 1024,
  medium: 4096,
  high: 16384,
  xhigh: 24576,
  max: 32768,
};

/**
 * The effort a provider should act on: the request's, when the model has the
 * `reasoning` capability. Routing already refuses named models without it
 * (400), except for `none`, which OpenAI accepts anywhere: it asks for no
 * reasoning, which a model without reasoning trivially gives.
 */
export function effortFor(
  request: ChatRequest,
  model: ModelConfig
): ReasoningEffort | undefined {
  const effort = request.reasoningEffort;
  if (effort === undefined) return undefined;
  return model.capabilities.includes('reasoning') ? effort : undefined;
}

/** The thinking budget of an effort (undefined for `none`). */
export function budgetFor(effort: ReasoningEffort): number | undefined {
  return effort === 'none' ? undefined : THINKING_BUDGETS[effort];
}

/**
 * Rough token count of reasoning text when the provider reports only a
 * total (Bedrock counts thinking in `outputTokens`): 4 characters a token,
 * capped by the completion total it is part of.
 */
export function estimateReasoningTokens(
  reasoningChars: number,
  completionTokens: number
): number {
  if (reasoningChars <= 0) return 0;
  return Math.min(completionTokens, Math.ceil(reasoningChars / 4));
}
