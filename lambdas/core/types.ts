/**
 * Provider-neutral types shared by the API layer, the routing core and the
 * provider adapters. The wire format clients speak is OpenAI Chat Completions;
 * these are the parsed, normalised shapes every layer below the API works on.
 */

/** Provider protocol families the gateway speaks. `echo` exists only locally. */
export type ProviderType = 'bedrock' | 'gemini' | 'openai-compatible' | 'echo';

/** Budget tiers; each has its own policy weights and latency SLA. */
export type BudgetTier = 'low' | 'standard' | 'premium';

/** Model capabilities a request may need. */
export type Capability =
  | 'tools'
  | 'streaming'
  | 'vision'
  /** Accepts `file` parts (PDF and text documents). */
  | 'documents'
  | 'json_mode'
  | 'structured_output'
  | 'reasoning'
  /** An embedding model: serves `/v1/embeddings` only, never chat. */
  | 'embeddings';

/**
 * How a Bedrock model honours `response_format`: Converse's native
 * `outputConfig.textFormat`, or a forced tool call whose input is the answer
 * (for models without native structured output).
 */
export type StructuredOutputMode = 'native' | 'tool';

/** OpenAI `reasoning_effort` values (as the openai SDK types them). */
export type ReasoningEffort =
  | 'none'
  | 'minimal'
  | 'low'
  | 'medium'
  | 'high'
  | 'xhigh'
  | 'max';

/** A JSON Schema response format (`response_format.json_schema`). */
export interface JsonSchemaFormat {
  readonly name: string;
  readonly description?: string;
  /** The JSON Schema the answer must follow (already compiled once by ajv). */
  readonly schema: Record<string, unknown>;
  readonly strict: boolean;
}

/** The normalised `response_format`. */
export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly jsonSchema: JsonSchemaFormat };

/** Why a model stopped generating, in OpenAI terms. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** Per-1M-token prices in USD. */
export interface Pricing {
  readonly inputPer1M: number;
  readonly outputPer1M: number;
}

/** One routable model, as the registry/config describes it. */
export interface ModelConfig {
  /** Gateway-wide model id (what clients may send as `model`). */
  readonly id: string;
  /** Provider instance id (a key of the config's `providers`). */
  readonly provider: string;
  /** Protocol family of that provider instance (resolved from config). */
  readonly providerType: ProviderType;
  /** The id the provider itself expects (Bedrock model id/inference profile, Gemini model name...). */
  readonly providerModelId: string;
  readonly aliases: readonly string[];
  /** Data residency of the model endpoint: `eu`, `us`, `global`, ... */
  readonly region: string;
  readonly capabilities: readonly Capability[];
  readonly contextWindow: number;
  /** Largest completion the model can produce. */
  readonly maxOutputTokens: number;
  readonly pricing: Pricing;
  /** Domains this model is preferred for (legal, medical, code, ...). */
  readonly domains: readonly string[];
  /** Prior quality estimate in [0, 1]; seeds the policy's quality term. */
  readonly quality: number;
  /**
   * Expected latency of a typical reply, ms: the prior of the latency
   * estimate. Unset: the fleet median of observed models is the prior.
   */
  readonly expectedLatencyMs?: number;
  /** Lifecycle status; only `active` and `canary` are routable by default. */
  readonly status: 'active' | 'canary' | 'shadow' | 'deprecated';
  /** Whether `model: "auto"` may pick it (false: by name only; default true). */
  readonly autoRoute?: boolean;
  /** Bedrock: how `response_format` is served (default `tool`). */
  readonly structuredOutput?: StructuredOutputMode;
}

/** A function tool the model may call. */
export interface ToolDefinition {
  readonly type: 'function';
  readonly function: {
    readonly name: string;
    readonly description?: string;
    /** JSON Schema of the arguments object. */
    readonly parameters?: Record<string, unknown>;
    readonly strict?: boolean;
  };
}

/** A tool call the assistant made. `arguments` is a JSON string, as in OpenAI. */
export interface ToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

/** How the model may use tools. */
export type ToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { readonly type: 'function'; readonly function: { readonly name: string } };

/** Image formats the gateway accepts (the union of the providers'). */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/** Document formats the gateway accepts (`file` parts). */
export type DocumentFormat = 'pdf' | 'txt' | 'md' | 'csv' | 'html';

/**
 * An image of a user message, decoded and checked (lambdas/core/media).
 * `data` is the base64 the client sent; `sha256` keys the response cache.
 */
export interface ImagePart {
  readonly type: 'image';
  readonly format: ImageFormat;
  readonly mimeType: string;
  readonly data: string;
  readonly bytes: number;
  readonly sha256: string;
  /** Pixel size read from the header (absent when it can't be read cheaply). */
  readonly width?: number;
  readonly height?: number;
  readonly detail?: 'auto' | 'low' | 'high';
}

/** A document (`file` part) of a user message, decoded and checked. */
export interface DocumentPart {
  readonly type: 'document';
  readonly format: DocumentFormat;
  readonly mimeType: string;
  readonly data: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly filename?: string;
  /** PDF page count estimate (from the page objects). */
  readonly pages?: number;
}

/** An http(s) image not fetched yet (lambdas/core/media/resolve.ts fetches it). */
export interface RemoteImagePart {
  readonly type: 'remote_image';
  readonly url: string;
  readonly detail?: 'auto' | 'low' | 'high';
}

/** One ordered part of a user message that carries media. */
export type UserContentPart =
  | { readonly type: 'text'; readonly text: string }
  | ImagePart
  | DocumentPart
  | RemoteImagePart;

/** A normalised chat message (text parts already joined). */
export type ChatMessage =
  | { readonly role: 'system'; readonly content: string }
  | {
      readonly role: 'user';
      /** The text parts joined: what guardrails, logs and token counts see. */
      readonly content: string;
      readonly name?: string;
      /**
       * Present only when the message carries images or documents: every
       * part in order (text included). Adapters that know media read it;
       * text-only messages never have it, so they are unchanged.
       */
      readonly parts?: readonly UserContentPart[];
    }
  | {
      readonly role: 'assistant';
      readonly content: string | null;
      readonly toolCalls?: readonly ToolCall[];
    }
  | {
      readonly role: 'tool';
      readonly content: string;
      readonly toolCallId: string;
    };

/** The gateway's routing extension of the OpenAI request. */
export interface RoutingHints {
  readonly domain?: string;
  readonly budgetTier?: BudgetTier;
  readonly maxLatencyMs?: number;
  readonly region?: 'eu' | 'any';
  readonly providers?: readonly string[];
}

/** A validated, normalised chat completion request. */
export interface ChatRequest {
  /** `auto`, an alias or a model id, as the client sent it. */
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stop?: readonly string[];
  readonly user?: string;
  readonly tools?: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  readonly parallelToolCalls?: boolean;
  readonly responseFormat?: ResponseFormat;
  /** OpenAI `reasoning_effort`; mapped to each provider's thinking control. */
  readonly reasoningEffort?: ReasoningEffort;
  readonly seed?: number;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly routing: RoutingHints;
  /** `embeddings`: a `/v1/embeddings` request planned as a chat-shaped shim (embeddings-service.ts). */
  readonly endpoint?: 'embeddings';
  /** Set by the input guardrail stage: the profile's provider-side settings. */
  readonly guardrail?: RequestGuardrail;
}

/** What the input guardrail stage hands the providers and the output filter. */
export interface RequestGuardrail {
  /** Request domain (selects the guardrail profile). */
  readonly domain: string;
  /** Gemini safetySettings (HARM_CATEGORY_* -> threshold). */
  readonly safetySettings?: Readonly<Record<string, string>>;
  /** System prelude for Meta/Llama models. */
  readonly systemPrelude?: string;
}

/** Token usage of one completion. */
export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  /**
   * Of `completionTokens`, those spent reasoning (thinking); reported as
   * `completion_tokens_details.reasoning_tokens`. Undefined when unknown.
   */
  readonly reasoningTokens?: number;
}

/** A complete (non-streamed) provider answer. */
export interface ChatResult {
  readonly content: string | null;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  readonly usage: Usage;
}

/**
 * Provider-neutral stream events. The SSE writer turns them into OpenAI
 * `chat.completion.chunk`s. A `tool_call` event that opens a call carries `id`
 * and `name`; later events for the same `index` carry only argument deltas.
 */
export type StreamEvent =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool_call';
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      readonly argumentsDelta?: string;
    }
  | { readonly type: 'finish'; readonly finishReason: FinishReason }
  | { readonly type: 'usage'; readonly usage: Usage };
