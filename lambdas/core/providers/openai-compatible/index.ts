/** OpenAI-compatible provider (Meta Llama API, vLLM, Ollama...). */
export {
  createOpenAICompatibleAdapter,
  type OpenAICompatibleAdapterOptions,
} from './adapter';
