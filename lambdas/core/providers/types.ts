import type {
  ChatRequest,
  ChatResult,
  ModelConfig,
  ProviderType,
  StreamEvent,
} from '../types';
import type { EmbedRequest, EmbedResult } from './embeddings';

/** Per-call options the router hands every adapter. */
export interface CallOptions {
  /** Aborted when the call is abandoned (deadline, failover, client gone). */
  readonly signal: AbortSignal;
  /** Gateway request id, forwarded upstream where the protocol allows it. */
  readonly requestId: string;
}

/**
 * One provider instance (e.g. the Bedrock client in eu-central-1, or the
 * Llama API at its base URL). Adapters are stateless apart from their client.
 *
 * Contract:
 * - `chat` resolves with a complete answer or rejects with a `ProviderError`.
 * - `chatStream` yields provider-neutral events; it throws a `ProviderError`
 *   on failure, before or after the first event. It must stop reading the
 *   upstream and release the socket when `signal` aborts or the consumer
 *   stops iterating (`return()`).
 */
export interface ProviderAdapter {
  /** Provider instance id (config key), used in errors and metrics. */
  readonly id: string;
  readonly type: ProviderType;
  chat(
    request: ChatRequest,
    model: ModelConfig,
    options: CallOptions
  ): Promise<ChatResult>;
  chatStream(
    request: ChatRequest,
    model: ModelConfig,
    options: CallOptions
  ): AsyncIterable<StreamEvent>;
  /**
   * Embeds texts (`/v1/embeddings`); absent on families without embedding
   * models. Resolves with one vector per input or rejects with a `ProviderError`.
   */
  embed?(
    request: EmbedRequest,
    model: ModelConfig,
    options: CallOptions
  ): Promise<EmbedResult>;
}

/**
 * Where an adapter gets its credential. Locally an environment variable; on
 * AWS a Secrets Manager secret (cached). `refresh` is called once after the
 * provider answers 401, so a rotated key is picked up without a cold start.
 */
export interface CredentialSource {
  get(): Promise<string | undefined>;
  refresh?(): Promise<string | undefined>;
}

/** A credential source reading a fixed value (tests, env vars). */
export function staticCredential(value: string | undefined): CredentialSource {
  return { get: async () => value };
}
