import type {
  ConverseCommandInput,
  OutputConfig,
  Tool,
  ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import type {
  ChatRequest,
  ChatResult,
  ModelConfig,
  StreamEvent,
} from '../../types';
import { budgetFor, effortFor } from '../reasoning';

/*
 * Structured outputs and reasoning on Bedrock Converse.
 *
 * - `native` models: `outputConfig.textFormat` (type json_schema, the schema
 *   as a JSON string): Bedrock constrains decoding, the answer is text.
 * - `tool` models (the default): one extra tool whose input schema is the
 *   client's schema, forced with `toolChoice`; its input becomes the message
 *   content and the finish reason `stop`. `json_object` always takes this
 *   path with an open object schema: Converse has no JSON mode, and native
 *   structured output wants closed object schemas.
 * - `reasoning_effort` on Claude: extended thinking through
 *   `additionalModelRequestFields.thinking`; Nova 2: `reasoningConfig`.
 */

type BedrockDocument = NonNullable<ToolUseBlock['input']>;

/** Open schema of the json_object tool: any JSON object. */
const ANY_OBJECT: Record<string, unknown> = {
  type: 'object',
  additionalProperties: true,
};

/** Smallest thinking budget Claude accepts. */
export const MIN_THINKING_BUDGET = 1024;

/** Completion room kept beside the thinking budget (max_tokens must exceed it). */
const ANSWER_ROOM = 1024;

/** The forced tool of a request served by the tool path, if any. */
export interface StructuredTool {
  readonly name: string;
  readonly spec: Tool;
}

/** How a request's response_format is served on this model. */
export type StructuredPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'native'; readonly outputConfig: OutputConfig }
  | { readonly kind: 'tool'; readonly tool: StructuredTool };

/** Decides the native or tool path for a request on a Bedrock model. */
export function structuredPlan(
  req: ChatRequest,
  model: ModelConfig
): StructuredPlan {
  const format = req.responseFormat;
  if (!format || format.type === 'text') return { kind: 'none' };
  if (format.type === 'json_schema' && model.structuredOutput === 'native') {
    const js = format.jsonSchema;
    return {
      kind: 'native',
      outputConfig: {
        textFormat: {
          type: 'json_schema',
          structure: {
            jsonSchema: {
              schema: JSON.stringify(js.schema),
              name: js.name,
              ...(js.description ? { description: js.description } : {}),
            },
          },
        },
      },
    };
  }
  const taken = new Set((req.tools ?? []).map((t) => t.function.name));
  const base =
    format.type === 'json_schema' ? format.jsonSchema.name : 'json_object';
  // The client's own tools keep their names; ours yields on a clash.
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base.slice(0, 58)}_resp${i}`;
  const schema =
    format.type === 'json_schema' ? format.jsonSchema.schema : ANY_OBJECT;
  const description =
    format.type === 'json_schema' && format.jsonSchema.description
      ? format.jsonSchema.description
      : 'Give your final answer by calling this tool; its input is the answer.';
  return {
    kind: 'tool',
    tool: {
      name,
      spec: {
        toolSpec: {
          name,
          description,
          inputSchema: { json: schema as BedrockDocument },
        },
      },
    },
  };
}

/**
 * Applies the structured-output plan to a Converse input: the native output
 * config, or the extra tool forced by name (or by `any` when the client
 * offered tools of its own, so the model may still call one of them).
 */
export function applyStructuredPlan(
  input: ConverseCommandInput,
  plan: StructuredPlan,
  req: ChatRequest
): ConverseCommandInput {
  if (plan.kind === 'none') return input;
  if (plan.kind === 'native')
    return { ...input, outputConfig: plan.outputConfig };
  // Tools already declared (the client's, or history names) stay declared:
  // Bedrock needs them for toolUse blocks in the history.
  const clientTools = input.toolConfig?.tools ?? [];
  const offersOwn = (req.tools?.length ?? 0) > 0 && req.toolChoice !== 'none';
  return {
    ...input,
    toolConfig: {
      tools: [...clientTools, plan.tool.spec],
      toolChoice: offersOwn ? { any: {} } : { tool: { name: plan.tool.name } },
    },
  };
}

/**
 * Thinking parameters of a request on a reasoning-capable model, with the
 * inference changes they require (Claude refuses temperature/top_p changes
 * with thinking, and `max_tokens` must exceed the budget). Undefined when
 * no thinking is sent:
 * - the effort is `none`, or the model lacks the `reasoning` capability;
 * - the tool choice is forced (the forced-tool structured path, or
 *   `tool_choice` required/named): Claude rejects thinking with forced tools;
 * - the conversation ends in tool results: Claude wants the earlier turn's
 *   thinking blocks replayed, which OpenAI-shaped clients cannot carry;
 * - `max_tokens` leaves less than Claude's 1024-token minimum budget.
 */
export function thinkingFields(
  req: ChatRequest,
  model: ModelConfig,
  forcedTool: boolean
):
  | {
      readonly fields: Record<string, unknown>;
      readonly maxTokens?: number;
      readonly dropSampling: boolean;
    }
  | undefined {
  const effort = effortFor(req, model);
  if (effort === undefined) return undefined;
  const id = model.providerModelId;
  if (/amazon\.nova-2/.test(id)) {
    if (effort === 'none') return undefined;
    const level =
      effort === 'minimal' || effort === 'low'
        ? 'low'
        : effort === 'medium'
          ? 'medium'
          : 'high';
    return {
      fields: {
        reasoningConfig: { type: 'enabled', maxReasoningEffort: level },
      },
      dropSampling: level === 'high',
    };
  }
  if (!/anthropic\./.test(id)) return undefined;
  const budget = budgetFor(effort);
  if (budget === undefined || forcedTool) return undefined;
  if (req.toolChoice === 'required' || typeof req.toolChoice === 'object')
    return undefined;
  if (req.messages[req.messages.length - 1]?.role === 'tool') return undefined;
  // OpenAI counts reasoning inside max_completion_tokens: the thinking
  // budget is carved out of the client's limit (or the model's maximum).
  const maxTokens = Math.min(
    req.maxTokens ?? model.maxOutputTokens,
    model.maxOutputTokens
  );
  const fitted = Math.min(budget, maxTokens - ANSWER_ROOM);
  if (fitted < MIN_THINKING_BUDGET) return undefined;
  return {
    fields: { thinking: { type: 'enabled', budget_tokens: fitted } },
    maxTokens,
    dropSampling: true,
  };
}

/** Whether a Converse input forces a tool (Claude's thinking forbids it). */
export function forcesTool(plan: StructuredPlan): boolean {
  return plan.kind === 'tool';
}

/**
 * Turns the forced tool's call of a complete answer into the message
 * content: the tool input is the JSON answer; finish is `stop` unless the
 * model also called one of the client's tools. Preamble text is dropped:
 * the content must be the JSON document alone.
 */
export function toolAnswerToContent(
  result: ChatResult,
  toolName: string
): ChatResult {
  const answer = result.toolCalls.find((c) => c.function.name === toolName);
  const others = result.toolCalls.filter((c) => c.function.name !== toolName);
  if (!answer) return result;
  return {
    ...result,
    content: answer.function.arguments,
    toolCalls: others,
    finishReason:
      others.length > 0
        ? 'tool_calls'
        : result.finishReason === 'tool_calls'
          ? 'stop'
          : result.finishReason,
  };
}

/**
 * Streams the forced tool's input as content deltas: its argument deltas
 * become `text` events, other tool calls are renumbered without it, text
 * outside it is dropped (forced tool use emits none in practice), and the
 * finish reason becomes `stop` unless a client tool was called.
 */
export class ToolAnswerStream {
  private answerIndex: number | undefined;
  private readonly renumber = new Map<number, number>();
  private clientCalls = 0;

  public constructor(private readonly toolName: string) {}

  /** Events to emit for one mapped Bedrock event. */
  public map(ev: StreamEvent): StreamEvent[] {
    switch (ev.type) {
      case 'text':
        return [];
      case 'tool_call': {
        if (ev.name !== undefined) {
          if (ev.name === this.toolName && this.answerIndex === undefined) {
            this.answerIndex = ev.index;
          } else {
            this.renumber.set(ev.index, this.clientCalls++);
          }
        }
        if (ev.index === this.answerIndex) {
          return ev.argumentsDelta
            ? [{ type: 'text', text: ev.argumentsDelta }]
            : [];
        }
        const index = this.renumber.get(ev.index);
        return index === undefined ? [] : [{ ...ev, index }];
      }
      case 'finish':
        return [
          {
            type: 'finish',
            finishReason:
              this.clientCalls > 0
                ? 'tool_calls'
                : ev.finishReason === 'tool_calls'
                  ? 'stop'
                  : ev.finishReason,
          },
        ];
      default:
        return [ev];
    }
  }
}
