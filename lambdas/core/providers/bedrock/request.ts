import type {
  ToolChoice as BedrockToolChoice,
  ContentBlock,
  ConverseCommandInput,
  InferenceConfiguration,
  Message,
  SystemContentBlock,
  Tool,
  ToolConfiguration,
  ToolResultContentBlock,
  ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { withSystemPrelude } from '../../guardrails/prelude';
import { bedrockBlocks } from '../../media/provider-blocks';
import type {
  ChatMessage,
  ChatRequest,
  ModelConfig,
  ToolCall,
  ToolDefinition,
} from '../../types';
import {
  applyStructuredPlan,
  forcesTool,
  structuredPlan,
  thinkingFields,
} from './structured';

/**
 * Text of the turn inserted where Bedrock needs a turn the client did not
 * send: a conversation must start with a user turn, and a turn must not be
 * empty. Kept minimal so it does not steer the model.
 */
export const PLACEHOLDER_TEXT = '.';

/** Bedrock's JSON document type (tool inputs, schemas, JSON results). */
type BedrockDocument = NonNullable<ToolUseBlock['input']>;

/** Bedrock's limits on `toolUseId`: `[a-zA-Z0-9_-]+`, at most 64 characters. */
const TOOL_USE_ID_MAX = 64;

/** Schema used when a tool declares no parameters (Bedrock requires one). */
const EMPTY_OBJECT_SCHEMA = { type: 'object', properties: {} } as const;

/** Extra request fields the adapter (not the pure transform) knows about. */
export interface ConverseInputOptions {
  /** Gateway request id, sent as `requestMetadata` when Bedrock allows it. */
  readonly requestId?: string;
}

/**
 * Maps a gateway chat request to a Bedrock Converse input (the same shape
 * serves ConverseStream). Pure: no I/O, no clock, no randomness.
 */
export function toConverseInput(
  req: ChatRequest,
  model: ModelConfig,
  options: ConverseInputOptions = {}
): ConverseCommandInput {
  req = withSystemPrelude(req, model);
  const system = toSystem(req.messages);
  const messages = toMessages(req.messages, model.providerModelId);
  const plan = structuredPlan(req, model);
  const thinking = thinkingFields(req, model, forcesTool(plan));
  const inferenceConfig = toInferenceConfig(req, model, thinking);
  const toolConfig = toToolConfig(req, messages);
  const requestMetadata = toRequestMetadata(options.requestId);
  return applyStructuredPlan(
    {
      modelId: model.providerModelId,
      messages,
      ...(system.length > 0 ? { system } : {}),
      ...(inferenceConfig ? { inferenceConfig } : {}),
      ...(toolConfig ? { toolConfig } : {}),
      ...(thinking
        ? {
            additionalModelRequestFields: thinking.fields as BedrockDocument,
          }
        : {}),
      ...(requestMetadata ? { requestMetadata } : {}),
    },
    plan,
    req
  );
}

function toSystem(messages: readonly ChatMessage[]): SystemContentBlock[] {
  const out: SystemContentBlock[] = [];
  for (const m of messages) {
    // Bedrock rejects blank text blocks anywhere, the system list included.
    if (m.role === 'system' && m.content.trim().length > 0)
      out.push({ text: m.content });
  }
  return out;
}

/**
 * Builds the alternating user/assistant list Bedrock insists on: tool results
 * become user-role `toolResult` blocks, consecutive same-role turns merge (so
 * parallel tool results land in one user turn, as Bedrock requires), and a
 * placeholder user turn opens a conversation that starts with the assistant.
 */
function toMessages(
  messages: readonly ChatMessage[],
  modelId: string
): Message[] {
  const withStatus = supportsToolResultStatus(modelId);
  const out: Message[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlock[]): void => {
    const last = out[out.length - 1];
    if (last && last.role === role) last.content!.push(...blocks);
    else out.push({ role, content: blocks });
  };

  for (const m of messages) {
    switch (m.role) {
      case 'system':
        break;
      case 'user':
        // An empty user turn still separates two assistant turns.
        push(
          'user',
          m.parts
            ? bedrockBlocks(m.parts)
            : [{ text: nonBlank(m.content) ? m.content : PLACEHOLDER_TEXT }]
        );
        break;
      case 'assistant': {
        const blocks: ContentBlock[] = [];
        if (m.content && nonBlank(m.content)) blocks.push({ text: m.content });
        for (const call of m.toolCalls ?? []) blocks.push(toToolUse(call));
        // An empty assistant turn says nothing; dropping it lets its
        // neighbours merge instead of sending a blank block Bedrock rejects.
        if (blocks.length > 0) push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [
          {
            toolResult: {
              toolUseId: toToolUseId(m.toolCallId),
              content: toToolResultContent(m.content),
              ...(withStatus ? { status: 'success' as const } : {}),
            },
          },
        ]);
        break;
    }
  }

  if (out.length === 0 || out[0]!.role !== 'user')
    out.unshift({ role: 'user', content: [{ text: PLACEHOLDER_TEXT }] });
  return out;
}

function nonBlank(text: string): boolean {
  return text.trim().length > 0;
}

function toToolUse(call: ToolCall): ContentBlock {
  return {
    toolUse: {
      toolUseId: toToolUseId(call.id),
      name: call.function.name,
      input: parseToolArguments(call.function.arguments) as BedrockDocument,
    },
  };
}

/**
 * Parses OpenAI-style JSON arguments into the object Bedrock wants as
 * `toolUse.input`. Models sometimes emit broken JSON; the turn must still be
 * replayable, so anything that is not a JSON object is kept as `{ raw }`.
 */
export function parseToolArguments(args: string): Record<string, unknown> {
  if (args.trim().length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (isPlainObject(parsed)) return parsed;
  } catch {
    // fall through: keep the text so no information is lost
  }
  return { raw: args };
}

/**
 * Makes a tool call id acceptable to Bedrock. Ids minted by other providers
 * (after a failover mid-conversation) may contain other characters; the same
 * mapping is applied to the call and its result, so the pair still matches.
 */
export function toToolUseId(id: string): string {
  const cleaned = id.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, TOOL_USE_ID_MAX);
  return cleaned.length > 0 ? cleaned : '_';
}

function toToolResultContent(content: string): ToolResultContentBlock[] {
  if (content.trim().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(content);
      if (isPlainObject(parsed)) return [{ json: parsed as BedrockDocument }];
    } catch {
      // not JSON after all: send as text
    }
  }
  return [{ text: nonBlank(content) ? content : PLACEHOLDER_TEXT }];
}

/**
 * `toolResult.status` is only accepted by Anthropic Claude and Amazon Nova
 * models; other families (Llama, Mistral) reject the request when it is set.
 */
function supportsToolResultStatus(modelId: string): boolean {
  return /anthropic\.|amazon\.nova/.test(modelId);
}

function toInferenceConfig(
  req: ChatRequest,
  model: ModelConfig,
  thinking?: { readonly maxTokens?: number; readonly dropSampling: boolean }
): InferenceConfiguration | undefined {
  const config: InferenceConfiguration = {};
  // Asking for more than the model can produce is a ValidationException.
  if (req.maxTokens !== undefined)
    config.maxTokens = Math.min(req.maxTokens, model.maxOutputTokens);
  // Thinking needs max_tokens above its budget, stated explicitly.
  if (thinking?.maxTokens !== undefined) config.maxTokens = thinking.maxTokens;
  // Claude rejects temperature/top_p changes while thinking.
  if (req.temperature !== undefined && !thinking?.dropSampling)
    config.temperature = req.temperature;
  if (req.topP !== undefined && !thinking?.dropSampling) config.topP = req.topP;
  if (req.stop && req.stop.length > 0) config.stopSequences = [...req.stop];
  return Object.keys(config).length > 0 ? config : undefined;
}

/**
 * Tool configuration, with Bedrock rules the OpenAI API does not have:
 *
 * - `toolChoice` is only honoured "if supported by model" and some families
 *   reject it. `auto` is Bedrock's default, so it is expressed by leaving
 *   `toolChoice` out, which every tool-capable model accepts; only `any`
 *   (`required`) and a named tool are sent.
 * - Bedrock has no `tool_choice: "none"`. Without tool blocks in the history
 *   the tools are simply not sent, so the model cannot call one. With tool
 *   blocks in the history Bedrock requires a toolConfig, so the tools are kept
 *   with the default (auto): the model may then call a tool despite `none`.
 * - A request whose history holds toolUse/toolResult blocks is rejected when
 *   it has no toolConfig. When the client sent no tools (common on the turn
 *   after the last tool result), the tools are declared from the names used
 *   in the history with an open schema, and `auto` choice.
 */
function toToolConfig(
  req: ChatRequest,
  messages: readonly Message[]
): ToolConfiguration | undefined {
  const historyTools = toolNamesInHistory(messages);
  const offered = req.tools ?? [];
  const choice = req.toolChoice ?? 'auto';

  if (offered.length > 0 && (choice !== 'none' || historyTools.length > 0)) {
    const toolChoice = toToolChoice(choice);
    return {
      tools: offered.map(toToolSpec),
      ...(toolChoice ? { toolChoice } : {}),
    };
  }
  if (historyTools.length > 0) {
    return {
      tools: historyTools.map((name) => ({
        toolSpec: { name, inputSchema: { json: { ...EMPTY_OBJECT_SCHEMA } } },
      })),
    };
  }
  return undefined;
}

function toToolSpec(tool: ToolDefinition): Tool {
  const { name, description, parameters } = tool.function;
  return {
    toolSpec: {
      name,
      ...(description ? { description } : {}),
      inputSchema: {
        json: (parameters ?? { ...EMPTY_OBJECT_SCHEMA }) as BedrockDocument,
      },
    },
  };
}

function toToolChoice(
  choice: NonNullable<ChatRequest['toolChoice']>
): BedrockToolChoice | undefined {
  if (choice === 'auto' || choice === 'none') return undefined;
  if (choice === 'required') return { any: {} };
  return { tool: { name: choice.function.name } };
}

/**
 * Tool names referenced by toolUse blocks, in first-seen order. A history
 * with only toolResult blocks (no matching call) still needs a toolConfig,
 * so it yields a neutral name then.
 */
function toolNamesInHistory(messages: readonly Message[]): string[] {
  const names = new Set<string>();
  let hasResult = false;
  for (const m of messages) {
    for (const block of m.content ?? []) {
      if (block.toolUse?.name) names.add(block.toolUse.name);
      if (block.toolResult) hasResult = true;
    }
  }
  if (names.size === 0 && hasResult) names.add('tool');
  return [...names];
}

/**
 * Bedrock's `requestMetadata` only accepts a restricted character set; an id
 * outside it is not sent rather than failing the call.
 */
function toRequestMetadata(
  requestId: string | undefined
): Record<string, string> | undefined {
  if (!requestId || !/^[a-zA-Z0-9\s:_@$#=/+,.-]{1,256}$/.test(requestId))
    return undefined;
  return { gatewayRequestId: requestId };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
