import type { ChatRequest, ModelConfig } from '../types';

/**
 * Meta/Llama models: every model behind an OpenAI-compatible endpoint (Llama
 * API, vLLM, Ollama) and Bedrock `meta.*` models. They have no provider-side
 * safety settings, so they always get the profile's system prelude and the
 * output filter.
 */
export function isMetaModel(model: ModelConfig): boolean {
  return (
    model.providerType === 'openai-compatible' ||
    /(?:^|[.:/])meta\.|llama/i.test(model.providerModelId)
  );
}

/** The request with the profile's system prelude first, for Meta/Llama models. */
export function withSystemPrelude(
  request: ChatRequest,
  model: ModelConfig
): ChatRequest {
  const prelude = request.guardrail?.systemPrelude;
  if (!prelude || !isMetaModel(model)) return request;
  return {
    ...request,
    messages: [{ role: 'system', content: prelude }, ...request.messages],
  };
}
