/**
 * Shared shape of the loopback fake provider servers (Bedrock, Gemini,
 * OpenAI-compatible). Each fake parses its own wire protocol into a
 * `FakeChatView`, asks a responder what to say, and answers in its real wire
 * format. Fault switches model what real providers do: latency, error
 * statuses with their real bodies, 429 + Retry-After, hangs, mid-stream drops.
 */

/** A provider-neutral view of one incoming chat request. */
export interface FakeChatView {
  readonly model: string;
  readonly stream: boolean;
  readonly system?: string;
  readonly messages: readonly FakeMessage[];
  /** Names of the tools offered. */
  readonly tools: readonly string[];
  /** auto | none | required | <tool name>, when the protocol says. */
  readonly toolChoice?: string;
  readonly maxTokens?: number;
  /** The structured output the request asked for, in the protocol's terms. */
  readonly responseFormat?: {
    readonly type: 'json_schema' | 'json_object';
    readonly name?: string;
    readonly schema?: unknown;
  };
  /** The reasoning control the request carried (effort, budget or level). */
  readonly reasoning?: {
    readonly effort?: string;
    readonly budgetTokens?: number;
    readonly level?: string;
  };
}

/** One message as the fake understood it. */
export interface FakeMessage {
  readonly role: 'user' | 'assistant' | 'tool';
  readonly text: string;
  readonly toolCalls?: readonly {
    id: string;
    name: string;
    arguments: unknown;
  }[];
  readonly toolResults?: readonly { id: string; content: string }[];
}

/** What the fake should answer. */
export interface FakeReply {
  readonly text?: string;
  readonly toolCalls?: readonly {
    id?: string;
    name: string;
    arguments: Record<string, unknown>;
  }[];
  /** Defaults: tool calls -> tool_calls, otherwise stop. */
  readonly finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  readonly usage?: { readonly input: number; readonly output: number };
  /** Thinking text the model "produced" (sent the provider's way, never as content). */
  readonly reasoning?: string;
}

/** Decides the reply for a request. */
export type FakeResponder = (view: FakeChatView) => FakeReply;

/** Fault and timing switches; all optional, all resettable. */
export interface FakeBehavior {
  /** Delay before the response headers, ms. */
  latencyMs: number;
  /** Delay between stream chunks, ms. */
  chunkDelayMs: number;
  /** Answer every request with this HTTP status and the provider's real error body. */
  errorStatus?: number;
  /** With errorStatus 429/503: the Retry-After header value in seconds. */
  retryAfterSeconds?: number;
  /** Fail only this many requests, then behave normally (undefined = all). */
  errorCount?: number;
  /** Accept the request and never answer (until the client gives up). */
  hang: boolean;
  /** In streams: destroy the connection after this many content chunks. */
  dropAfterChunks?: number;
  /** In streams: send an in-band error event after this many chunks (provider's real error event). */
  streamErrorAfterChunks?: number;
  /** Split text into chunks of this many characters when streaming. */
  chunkSize: number;
  responder: FakeResponder;
  /**
   * Per-request fault injection: called as each request arrives; what it
   * returns overrides the behaviour for that request only (e.g. a random
   * 30% of 500/503/429/hang/drop for load tests).
   */
  faultPlan?: () => Partial<FakeBehavior> | undefined;
}

/** A request as the fake recorded it (for assertions). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

/** Control surface every fake server exposes. */
export interface FakeProviderServer {
  /** Base URL to configure the gateway/SDK with (protocol specific; see each fake). */
  readonly url: string;
  readonly port: number;
  /** Requests received since start/reset, in order. */
  readonly requests: RecordedRequest[];
  /** Changes behaviour for subsequent requests (merged into the current one). */
  setBehavior(patch: Partial<FakeBehavior>): void;
  /** Restores the default behaviour and clears recorded requests. */
  reset(): void;
  /** Closes the server and every open connection. */
  close(): Promise<void>;
}

/**
 * Default responder: deterministic and tool-aware, good for round trips.
 * - tools offered, tool_choice not `none`, and the last message is from the
 *   user: call the chosen tool (or the first) with `{ "query": <user text> }`.
 * - last message carries tool results: answer `tool said: <results>`.
 * - otherwise: `echo: <last user text>`.
 */
export const defaultResponder: FakeResponder = (view) => {
  const last = view.messages[view.messages.length - 1];
  if (last?.toolResults?.length) {
    return {
      text: `tool said: ${last.toolResults.map((r) => r.content).join(' | ')}`,
    };
  }
  if (
    view.tools.length > 0 &&
    view.toolChoice !== 'none' &&
    last?.role === 'user'
  ) {
    const forced =
      view.toolChoice && !['auto', 'required', 'any'].includes(view.toolChoice)
        ? view.toolChoice
        : undefined;
    const name = forced ?? view.tools[0]!;
    return { toolCalls: [{ name, arguments: { query: last.text } }] };
  }
  return { text: `echo: ${last?.text ?? ''}` };
};

/**
 * A responder answering `value` as JSON the way the request asks for it: as
 * text under a response format, as the forced tool's input when a tool is
 * forced by name (Bedrock's forced-tool structured path), else as text.
 */
export function jsonResponder(
  value: unknown,
  extra: Partial<FakeReply> = {}
): FakeResponder {
  return (view) => {
    const forced =
      view.toolChoice &&
      !['auto', 'required', 'any', 'none'].includes(view.toolChoice)
        ? view.toolChoice
        : undefined;
    if (!view.responseFormat && forced)
      return {
        ...extra,
        toolCalls: [
          { name: forced, arguments: value as Record<string, unknown> },
        ],
      };
    return { ...extra, text: JSON.stringify(value) };
  };
}

/** The default behaviour every fake starts with. */
export function defaultBehavior(): FakeBehavior {
  return {
    latencyMs: 0,
    chunkDelayMs: 0,
    hang: false,
    chunkSize: 8,
    responder: defaultResponder,
  };
}

/** Splits text into chunks of `size` characters (at least one chunk). */
export function chunkText(text: string, size: number): string[] {
  if (text.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Rough token count the fakes report as usage (4 chars/token). */
export function fakeTokenCount(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Resolves after ms (0 = next macrotask). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The behaviour governing one request (the fault plan applied, if any). */
export function behaviorFor(behavior: FakeBehavior): FakeBehavior {
  const patch = behavior.faultPlan?.();
  return patch ? { ...behavior, ...patch, faultPlan: undefined } : behavior;
}

/**
 * Tracks error budget: returns true when this request should fail, honouring
 * `errorCount` (fail N times then recover).
 */
export function shouldFail(behavior: FakeBehavior): boolean {
  if (behavior.errorStatus === undefined) return false;
  if (behavior.errorCount === undefined) return true;
  if (behavior.errorCount <= 0) return false;
  behavior.errorCount -= 1;
  return true;
}
