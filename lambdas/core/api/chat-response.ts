import type { ChatResult, FinishReason, Usage } from '../types';

/** OpenAI `usage` object. */
export function usageJson(usage: Usage): {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { reasoning_tokens: number };
} {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    // Reasoning tokens are part of completion_tokens (billed as output), as
    // in OpenAI's usage; the details appear when the provider reported them.
    ...(usage.reasoningTokens !== undefined
      ? {
          completion_tokens_details: {
            reasoning_tokens: usage.reasoningTokens,
          },
        }
      : {}),
  };
}

/** OpenAI `chat.completion` object for a non-streamed result. */
export function chatCompletionJson(
  id: string,
  created: number,
  model: string,
  result: ChatResult
): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: result.content,
    refusal: null,
  };
  if (result.toolCalls.length > 0) message.tool_calls = result.toolCalls;
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: usageJson(result.usage),
    system_fingerprint: null,
  };
}

/**
 * Encodes `chat.completion.chunk` SSE frames exactly as the OpenAI SDK parses
 * them. The constant head of every chunk is rendered once per stream; only
 * the delta is serialised per token (hot path).
 */
export class ChunkEncoder {
  private head: string;
  private model: string;

  public constructor(
    private readonly id: string,
    private readonly created: number,
    model: string
  ) {
    this.model = model;
    this.head = this.renderHead();
  }

  /** Switches the model named in later chunks (after a failover). */
  public setModel(model: string): void {
    if (model === this.model) return;
    this.model = model;
    this.head = this.renderHead();
  }

  /** The first chunk: role only. */
  public role(): string {
    return this.choice('{"role":"assistant","content":""}', 'null');
  }

  /** A content delta. */
  public text(text: string): string {
    return this.choice(`{"content":${JSON.stringify(text)}}`, 'null');
  }

  /** A tool-call delta (opening a call carries id, type and name). */
  public toolCall(
    index: number,
    id: string | undefined,
    name: string | undefined,
    argumentsDelta: string | undefined
  ): string {
    const fn: Record<string, string> = {};
    if (name !== undefined) fn.name = name;
    fn.arguments = argumentsDelta ?? '';
    const call: Record<string, unknown> = { index };
    if (id !== undefined) {
      call.id = id;
      call.type = 'function';
    }
    call.function = fn;
    return this.choice(`{"tool_calls":[${JSON.stringify(call)}]}`, 'null');
  }

  /** The final choice chunk with its finish_reason. */
  public finish(reason: FinishReason): string {
    return this.choice('{}', `"${reason}"`);
  }

  /** The usage chunk (empty choices), sent when include_usage was asked. */
  public usage(usage: Usage): string {
    return `data: ${this.head}],"usage":${JSON.stringify(usageJson(usage))}}\n\n`;
  }

  private choice(delta: string, finishReason: string): string {
    return `data: ${this.head}{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finishReason}}]}\n\n`;
  }

  private renderHead(): string {
    return `{"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.model)},"system_fingerprint":null,"choices":[`;
  }
}

/** The stream terminator. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** An SSE comment line; proxies keep the connection open, SDKs ignore it. */
export const SSE_KEEP_ALIVE = ': keep-alive\n\n';

/** An in-band error event: the OpenAI SDK throws an APIError on it. */
export function sseError(body: unknown): string {
  return `data: ${JSON.stringify(body)}\n\n`;
}
