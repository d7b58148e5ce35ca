import { withSystemPrelude } from '../../guardrails/prelude';
import { openAIParts } from '../../media/provider-blocks';
import type {
  ChatMessage,
  ChatRequest,
  ModelConfig,
  ResponseFormat,
} from '../../types';
import type { WireChatRequest, WireMessage, WireResponseFormat } from './wire';

const INCLUDE_USAGE = { include_usage: true } as const;
const JSON_OBJECT = { type: 'json_object' } as const;

function toWireMessage(message: ChatMessage): WireMessage {
  switch (message.role) {
    case 'assistant':
      // An empty tool_calls array is rejected by some servers (vLLM's
      // validation), so the key is only present when there are calls.
      if (message.toolCalls && message.toolCalls.length > 0) {
        return {
          role: 'assistant',
          content: message.content,
          tool_calls: message.toolCalls,
        };
      }
      return { role: 'assistant', content: message.content };
    case 'tool':
      return {
        role: 'tool',
        content: message.content,
        tool_call_id: message.toolCallId,
      };
    case 'user':
      if (message.parts) {
        return {
          role: 'user',
          content: openAIParts(message.parts),
          ...(message.name ? { name: message.name } : {}),
        };
      }
      return message;
    default:
      // System and user messages already have OpenAI's shape: reuse them
      // rather than copy them on the hot path.
      return message;
  }
}

/**
 * `response_format` back in OpenAI's shape: servers speaking it (vLLM's
 * guided decoding, the Llama API) enforce the schema themselves. `text` is
 * every server's default; sending it only risks a 400 on servers that do
 * not know the field.
 */
function toWireResponseFormat(
  format: ResponseFormat | undefined
): WireResponseFormat | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return JSON_OBJECT;
  const js = format.jsonSchema;
  return {
    type: 'json_schema',
    json_schema: {
      name: js.name,
      ...(js.description !== undefined ? { description: js.description } : {}),
      schema: js.schema,
      strict: js.strict,
    },
  };
}

/**
 * Builds the OpenAI `chat/completions` body for a normalised request. Unset
 * options stay `undefined` so the single `JSON.stringify` drops them.
 */
export function buildChatCompletionBody(
  request: ChatRequest,
  model: ModelConfig,
  stream: boolean
): WireChatRequest {
  const source = withSystemPrelude(request, model).messages;
  const messages = new Array<WireMessage>(source.length);
  for (let i = 0; i < source.length; i++)
    messages[i] = toWireMessage(source[i]!);
  const hasTools = request.tools !== undefined && request.tools.length > 0;
  return {
    model: model.providerModelId,
    messages,
    // `max_tokens` rather than `max_completion_tokens`: vLLM, Ollama and the
    // Llama compat API all accept it.
    // Clamped to the model's output limit, as the Bedrock and Gemini
    // transforms do, so a large max_tokens is never an upstream 400.
    max_tokens:
      request.maxTokens !== undefined && model.maxOutputTokens > 0
        ? Math.min(request.maxTokens, model.maxOutputTokens)
        : request.maxTokens,
    temperature: request.temperature,
    top_p: request.topP,
    stop: request.stop && request.stop.length > 0 ? request.stop : undefined,
    user: request.user,
    tools: hasTools ? request.tools : undefined,
    // OpenAI answers 400 to tool_choice / parallel_tool_calls without tools.
    tool_choice: hasTools ? request.toolChoice : undefined,
    parallel_tool_calls: hasTools ? request.parallelToolCalls : undefined,
    response_format: toWireResponseFormat(request.responseFormat),
    reasoning_effort: request.reasoningEffort,
    seed: request.seed,
    stream: stream ? true : undefined,
    // Always ask for usage: budgets settle on it, whatever the client asked.
    stream_options: stream ? INCLUDE_USAGE : undefined,
  };
}
