/**
 * Gemini provider (Generative Language API and Vertex AI) over REST.
 */
export {
  createGeminiAdapter,
  type GeminiAdapterOptions,
  GeminiConfigError,
} from './adapter';
export {
  geminiError,
  geminiErrorFromHttp,
  geminiNetworkError,
  parseRetryDelay,
} from './errors';
export {
  GeminiRequestError,
  SKIP_THOUGHT_SIGNATURE,
  toGeminiRequest,
} from './request';
export { fromGeminiResponse, mapFinishReason } from './response';
export { toGeminiParameters, toGeminiSchema } from './schema';
export { GeminiStreamMapper } from './stream';
