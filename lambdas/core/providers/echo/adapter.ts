import {
  estimatePromptTokens,
  estimateTextTokens,
  makeUsage,
} from '../../tokens';
import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  StreamEvent,
  ToolCall,
} from '../../types';
import type { ProviderAdapter } from '../types';

/** Options of {@link createEchoAdapter}. */
export interface EchoAdapterOptions {
  /** Provider instance id (config key). */
  readonly id: string;
  /** Artificial latency before each reply, ms. @default 0 */
  readonly latencyMs?: number;
}

/** The reply the echo model decided on, before it is sent or streamed. */
interface EchoReply {
  readonly text: string;
  readonly toolCall?: ToolCall;
}

const NO_TOOL_CALLS: readonly ToolCall[] = Object.freeze([]);

function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'user') return m.content;
  }
  return '';
}

// Ids count the calls already in the conversation, so they are deterministic
// and still unique across the turns of a tool round trip.
function priorToolCalls(messages: readonly ChatMessage[]): number {
  let n = 0;
  for (const m of messages) {
    if (m.role === 'assistant' && m.toolCalls) n += m.toolCalls.length;
  }
  return n;
}

/** Decides the deterministic echo reply for a request. */
export function echoReply(request: ChatRequest): EchoReply {
  const messages = request.messages;
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') return { text: `tool result: ${last.content}` };
  const tools = request.tools;
  if (
    tools &&
    tools.length > 0 &&
    request.toolChoice !== 'none' &&
    last?.role === 'user'
  ) {
    const choice = request.toolChoice;
    const name =
      typeof choice === 'object'
        ? choice.function.name
        : tools[0]!.function.name;
    return {
      text: '',
      toolCall: {
        id: `call_echo_${priorToolCalls(messages)}`,
        type: 'function',
        function: { name, arguments: JSON.stringify({ input: last.content }) },
      },
    };
  }
  // json_object: the echo is wrapped so the answer is a JSON object.
  if (request.responseFormat?.type === 'json_object')
    return { text: JSON.stringify({ echo: lastUserText(messages) }) };
  return { text: `echo: ${lastUserText(messages)}` };
}

function abortError(signal: AbortSignal): unknown {
  return (
    signal.reason ??
    new DOMException('This operation was aborted', 'AbortError')
  );
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Splits text into words, each carrying the whitespace before it. */
export function splitWords(text: string): string[] {
  return text.length === 0 ? [] : text.split(/(?<=\S)(?=\s)/);
}

function usageOf(request: ChatRequest, reply: EchoReply) {
  const completion = reply.toolCall
    ? reply.toolCall.function.name + reply.toolCall.function.arguments
    : reply.text;
  return makeUsage(
    estimatePromptTokens(request, 'echo'),
    estimateTextTokens(completion, 'echo')
  );
}

/**
 * Local smoke-test model: answers deterministically without any network,
 * so `npm start` works with no provider account. Never deployed to AWS.
 */
export function createEchoAdapter(
  options: EchoAdapterOptions
): ProviderAdapter {
  const latencyMs = options.latencyMs ?? 0;

  async function* stream(
    request: ChatRequest,
    signal: AbortSignal
  ): AsyncGenerator<StreamEvent> {
    await delay(latencyMs, signal);
    const reply = echoReply(request);
    if (reply.toolCall) {
      const call = reply.toolCall;
      yield {
        type: 'tool_call',
        index: 0,
        id: call.id,
        name: call.function.name,
      };
      signal.throwIfAborted();
      yield {
        type: 'tool_call',
        index: 0,
        argumentsDelta: call.function.arguments,
      };
    } else {
      for (const word of splitWords(reply.text)) {
        signal.throwIfAborted();
        yield { type: 'text', text: word };
      }
    }
    signal.throwIfAborted();
    yield {
      type: 'finish',
      finishReason: reply.toolCall ? 'tool_calls' : 'stop',
    };
    yield { type: 'usage', usage: usageOf(request, reply) };
  }

  return {
    id: options.id,
    type: 'echo',

    async chat(request, _model, call): Promise<ChatResult> {
      await delay(latencyMs, call.signal);
      const reply = echoReply(request);
      return {
        content: reply.toolCall ? null : reply.text,
        toolCalls: reply.toolCall ? [reply.toolCall] : NO_TOOL_CALLS,
        finishReason: reply.toolCall ? 'tool_calls' : 'stop',
        usage: usageOf(request, reply),
      };
    },

    chatStream(request, _model, call) {
      return stream(request, call.signal);
    },
  };
}
