import type { OpenAIUserPart } from '../../media/provider-blocks';
/**
 * The subset of the OpenAI Chat Completions wire format the adapter reads and
 * writes. Every field a server may omit is optional: vLLM, Ollama and the
 * Llama API each leave out different ones.
 */

/** A tool call as OpenAI serialises it in requests and responses. */
export interface WireToolCall {
  readonly id?: string;
  readonly type?: 'function';
  readonly function?: {
    readonly name?: string;
    /** A JSON string per the spec; a few servers send an object instead. */
    readonly arguments?: string | Record<string, unknown>;
  };
}

/** A request message. */
export type WireMessage =
  | { readonly role: 'system'; readonly content: string }
  | {
      readonly role: 'user';
      /** A string, or OpenAI content parts when the message carries media. */
      readonly content: string | readonly OpenAIUserPart[];
      readonly name?: string;
    }
  | {
      readonly role: 'assistant';
      readonly content: string | null;
      readonly tool_calls?: readonly WireToolCall[];
    }
  | {
      readonly role: 'tool';
      readonly content: string;
      readonly tool_call_id: string;
    };

/** The `POST /chat/completions` body the adapter sends. */
export interface WireChatRequest {
  readonly model: string;
  readonly messages: readonly WireMessage[];
  readonly max_tokens?: number;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly stop?: readonly string[];
  readonly user?: string;
  readonly tools?: readonly unknown[];
  readonly tool_choice?: unknown;
  readonly parallel_tool_calls?: boolean;
  readonly response_format?: WireResponseFormat;
  readonly reasoning_effort?: string;
  readonly seed?: number;
  readonly stream?: true;
  readonly stream_options?: { readonly include_usage: true };
}

/** `response_format` as OpenAI (and vLLM, the Llama API) accept it. */
export type WireResponseFormat =
  | { readonly type: 'json_object' }
  | {
      readonly type: 'json_schema';
      readonly json_schema: {
        readonly name: string;
        readonly description?: string;
        readonly schema: Record<string, unknown>;
        readonly strict?: boolean;
      };
    };

/** Token usage as OpenAI reports it. */
export interface WireUsage {
  readonly prompt_tokens?: number;
  readonly completion_tokens?: number;
  readonly total_tokens?: number;
  readonly completion_tokens_details?: {
    readonly reasoning_tokens?: number;
  } | null;
}

/** An OpenAI error object (`{"error": {...}}`). */
export interface WireError {
  readonly message?: string;
  readonly type?: string;
  readonly param?: string | null;
  /** A string per the spec; vLLM puts the HTTP status number here. */
  readonly code?: string | number | null;
}

/** A `chat.completion` response. */
export interface WireChatCompletion {
  readonly choices?: readonly {
    readonly message?: {
      readonly content?: string | null;
      readonly refusal?: string | null;
      readonly tool_calls?: readonly WireToolCall[] | null;
    };
    readonly finish_reason?: string | null;
  }[];
  readonly usage?: WireUsage | null;
  readonly error?: WireError | string;
}

/** One tool call fragment inside a streamed delta. */
export interface WireToolCallDelta extends WireToolCall {
  readonly index?: number;
}

/** A `chat.completion.chunk`. */
export interface WireChatCompletionChunk {
  readonly choices?: readonly {
    readonly delta?: {
      readonly content?: string | null;
      readonly refusal?: string | null;
      readonly tool_calls?: readonly WireToolCallDelta[] | null;
    };
    readonly finish_reason?: string | null;
  }[];
  readonly usage?: WireUsage | null;
  readonly error?: WireError | string;
  /** vLLM's older top-level error shape: `{"object":"error","message":...}`. */
  readonly object?: string;
  readonly message?: string;
  readonly type?: string;
  readonly code?: string | number | null;
}
