import type { FinishReason, ToolCall, Usage } from '../types';

/** The answer a client received, reassembled from the wire (JSON or SSE). */
export interface CapturedAnswer {
  readonly model: string;
  readonly content: string | null;
  readonly toolCalls: readonly ToolCall[];
  readonly finishReason: FinishReason;
  /** Absent when a stream didn't carry usage (no include_usage). */
  readonly usage?: Usage;
}

interface UsageJson {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  total_tokens?: unknown;
}

const FINISH_REASONS = new Set<string>([
  'stop',
  'length',
  'tool_calls',
  'content_filter',
]);

function toUsage(u: UsageJson | null | undefined): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const p = u.prompt_tokens;
  const c = u.completion_tokens;
  if (typeof p !== 'number' || typeof c !== 'number') return undefined;
  return {
    promptTokens: p,
    completionTokens: c,
    totalTokens: typeof u.total_tokens === 'number' ? u.total_tokens : p + c,
  };
}

/**
 * Reads a `chat.completion` JSON body back into an answer; undefined when
 * it isn't one (an error body, a malformed body).
 */
export function captureJson(body: string): CapturedAnswer | undefined {
  let parsed: {
    object?: unknown;
    model?: unknown;
    usage?: UsageJson;
    choices?: {
      finish_reason?: unknown;
      message?: { content?: unknown; tool_calls?: ToolCall[] };
    }[];
  };
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed?.object !== 'chat.completion') return undefined;
  const choice = parsed.choices?.[0];
  const finish = choice?.finish_reason;
  if (!choice || typeof finish !== 'string' || !FINISH_REASONS.has(finish))
    return undefined;
  const content = choice.message?.content;
  return {
    model: typeof parsed.model === 'string' ? parsed.model : '',
    content: typeof content === 'string' ? content : null,
    toolCalls: Array.isArray(choice.message?.tool_calls)
      ? choice.message.tool_calls
      : [],
    finishReason: finish as FinishReason,
    usage: toUsage(parsed.usage),
  };
}

interface ChunkJson {
  object?: unknown;
  model?: unknown;
  error?: unknown;
  usage?: UsageJson | null;
  choices?: {
    finish_reason?: unknown;
    delta?: {
      content?: unknown;
      tool_calls?: {
        index: number;
        id?: string;
        function?: { name?: string; arguments?: string };
      }[];
    };
  }[];
}

/**
 * Reassembles a streamed answer from the SSE text as it is written, in
 * bounded memory: only the answer (content, tool calls) is kept, never the
 * framing. The result counts only for a clean stream: `[DONE]` seen, no
 * error event, nothing after `[DONE]`, and the answer under `maxBytes`.
 */
export class SseCapture {
  private partial = '';
  private content = '';
  private sawContent = false;
  private readonly calls: { id: string; name: string; args: string }[] = [];
  private finishReason?: FinishReason;
  private usage?: Usage;
  private model = '';
  private bytes = 0;
  private done = false;
  /** The stream can't be cached (error event, malformed, too large). */
  public spoiled = false;

  public constructor(private readonly maxBytes: number) {}

  /** Feeds written text (any split across event boundaries). */
  public push(text: string): void {
    if (this.spoiled) return;
    this.partial += text;
    let at = this.partial.indexOf('\n\n');
    while (at >= 0) {
      this.event(this.partial.slice(0, at));
      this.partial = this.partial.slice(at + 2);
      if (this.spoiled) return;
      at = this.partial.indexOf('\n\n');
    }
  }

  /** The answer of a clean, complete stream; undefined otherwise. */
  public result(): CapturedAnswer | undefined {
    if (this.spoiled || !this.done || this.partial.trim() !== '')
      return undefined;
    if (!this.finishReason) return undefined;
    for (let i = 0; i < this.calls.length; i++)
      if (!this.calls[i]) return undefined;
    return {
      model: this.model,
      content: this.sawContent || this.calls.length === 0 ? this.content : null,
      toolCalls: this.calls.map((c) => ({
        id: c.id,
        type: 'function' as const,
        function: { name: c.name, arguments: c.args },
      })),
      finishReason: this.finishReason,
      usage: this.usage,
    };
  }

  private event(raw: string): void {
    // Comments (keep-alives) and blank lines carry nothing.
    const data = raw
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (data === '') return;
    if (this.done) {
      this.spoiled = true;
      return;
    }
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: ChunkJson;
    try {
      chunk = JSON.parse(data);
    } catch {
      this.spoiled = true;
      return;
    }
    if (chunk.error !== undefined || chunk.object !== 'chat.completion.chunk') {
      this.spoiled = true;
      return;
    }
    if (typeof chunk.model === 'string') this.model = chunk.model;
    const usage = toUsage(chunk.usage);
    if (usage) this.usage = usage;
    for (const choice of chunk.choices ?? []) {
      const delta = choice.delta;
      if (typeof delta?.content === 'string' && delta.content !== '') {
        this.sawContent = true;
        this.content += delta.content;
        this.bytes += delta.content.length;
      }
      for (const tc of delta?.tool_calls ?? []) {
        if (!Number.isInteger(tc.index) || tc.index < 0 || tc.index > 127) {
          this.spoiled = true;
          return;
        }
        let call = this.calls[tc.index];
        if (!call) {
          call = { id: '', name: '', args: '' };
          this.calls[tc.index] = call;
        }
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name += tc.function.name;
        if (tc.function?.arguments) {
          call.args += tc.function.arguments;
          this.bytes += tc.function.arguments.length;
        }
      }
      const finish = choice.finish_reason;
      if (typeof finish === 'string') {
        if (!FINISH_REASONS.has(finish)) this.spoiled = true;
        else this.finishReason = finish as FinishReason;
      }
    }
    if (this.bytes > this.maxBytes) this.spoiled = true;
  }
}
