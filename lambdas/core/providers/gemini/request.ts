import { geminiParts } from '../../media/provider-blocks';
import type { ChatRequest, ModelConfig, ToolChoice } from '../../types';
import { budgetFor, effortFor } from '../reasoning';
import { toGeminiParameters } from './schema';
import type {
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiPart,
  GeminiRequest,
} from './wire';

/**
 * The request cannot be expressed in Gemini's format (a tool result whose
 * call is not in the history). The adapter turns it into a bad-request
 * provider error; it is a plain Error here so the transform stays pure.
 */
export class GeminiRequestError extends Error {
  public override readonly name = 'GeminiRequestError';
}

/**
 * Google's documented placeholder for a `thoughtSignature` the client does
 * not have. Gemini 3 rejects replayed function calls without a signature
 * (400 "missing a thought_signature"), and OpenAI-shaped clients cannot carry
 * one: their tool calls are just id, name and arguments.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

/**
 * Ids the adapter invents when Gemini sends none. They mean nothing to
 * Gemini, so they are not echoed back to it.
 */
export const GENERATED_ID_PREFIX = 'call_';

function needsThoughtSignature(providerModelId: string): boolean {
  const major = /gemini-(\d+)/.exec(providerModelId)?.[1];
  return major !== undefined && Number(major) >= 3;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseArgs(json: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json);
    return isJsonObject(parsed) ? parsed : {};
  } catch {
    // Models occasionally emit broken argument JSON and clients echo it
    // back verbatim; an empty object keeps the turn valid.
    return {};
  }
}

/** A tool result must be a JSON object (proto Struct); text is wrapped. */
function toFunctionResponse(content: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(content);
    if (isJsonObject(parsed)) return parsed;
  } catch {
    // Not JSON: plain text result.
  }
  return { content };
}

function passThroughId(id: string): string | undefined {
  return id && !id.startsWith(GENERATED_ID_PREFIX) ? id : undefined;
}

/** Consecutive turns of one role become one turn, as Gemini expects. */
function mergeTurns(turns: readonly GeminiContent[]): GeminiContent[] {
  const out: GeminiContent[] = [];
  for (const turn of turns) {
    if (turn.parts.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.role === turn.role) last.parts.push(...turn.parts);
    else out.push({ role: turn.role, parts: [...turn.parts] });
  }
  return out;
}

function toContents(request: ChatRequest, model: ModelConfig): GeminiContent[] {
  const signatures = needsThoughtSignature(model.providerModelId);
  const toolNames = new Map<string, string>();
  const turns: GeminiContent[] = [];
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
        break;
      case 'user':
        turns.push({
          role: 'user',
          parts: message.parts
            ? geminiParts(message.parts)
            : message.content
              ? [{ text: message.content }]
              : [],
        });
        break;
      case 'assistant': {
        const parts: GeminiPart[] = [];
        if (message.content) parts.push({ text: message.content });
        message.toolCalls?.forEach((call, i) => {
          toolNames.set(call.id, call.function.name);
          const part: GeminiPart = {
            functionCall: {
              name: call.function.name,
              args: parseArgs(call.function.arguments),
            },
          };
          const id = passThroughId(call.id);
          if (id && part.functionCall) part.functionCall.id = id;
          // Only the first call of a step carries a signature (parallel
          // calls share it), so only the first gets the placeholder.
          if (signatures && i === 0)
            part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
          parts.push(part);
        });
        turns.push({ role: 'model', parts });
        break;
      }
      case 'tool': {
        const name = toolNames.get(message.toolCallId);
        if (name === undefined) {
          throw new GeminiRequestError(
            'a tool message answers a tool call that is not in the conversation'
          );
        }
        const id = passThroughId(message.toolCallId);
        turns.push({
          role: 'user',
          parts: [
            {
              functionResponse: {
                ...(id ? { id } : {}),
                name,
                response: toFunctionResponse(message.content),
              },
            },
          ],
        });
        break;
      }
    }
  }
  return mergeTurns(turns);
}

function toToolConfig(
  choice: ToolChoice | undefined
): GeminiRequest['toolConfig'] {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  return {
    functionCallingConfig: {
      mode: 'ANY',
      allowedFunctionNames: [choice.function.name],
    },
  };
}

function toDeclarations(request: ChatRequest): GeminiFunctionDeclaration[] {
  return (request.tools ?? []).map((tool) => {
    const declaration: GeminiFunctionDeclaration = { name: tool.function.name };
    if (tool.function.description)
      declaration.description = tool.function.description;
    const parameters = toGeminiParameters(tool.function.parameters);
    if (parameters) declaration.parameters = parameters;
    return declaration;
  });
}

/**
 * `reasoning_effort` -> `thinkingConfig`. Gemini 3 takes a level (Pro knows
 * `low` and `high` only); Gemini 2.5 a token budget. `none` turns thinking
 * off where Gemini allows it (2.5 Flash: budget 0); 2.5 Pro cannot stop
 * thinking, so it keeps its default there.
 */
function toThinkingConfig(
  request: ChatRequest,
  model: ModelConfig
): NonNullable<GeminiRequest['generationConfig']>['thinkingConfig'] {
  const effort = effortFor(request, model);
  if (effort === undefined) return undefined;
  const id = model.providerModelId;
  const major = Number(/gemini-(\d+)/.exec(id)?.[1] ?? '0');
  if (major >= 3) {
    const high =
      effort === 'medium' ||
      effort === 'high' ||
      effort === 'xhigh' ||
      effort === 'max';
    return { thinkingLevel: high ? 'high' : 'low' };
  }
  const budget = budgetFor(effort);
  if (budget === undefined)
    return /flash/.test(id) ? { thinkingBudget: 0 } : undefined;
  // 2.5 Flash accepts at most 24576, Pro 32768.
  return { thinkingBudget: Math.min(budget, /pro/.test(id) ? 32768 : 24576) };
}

/**
 * Builds the `generateContent` body for a chat request. System messages go
 * to `systemInstruction`; assistant turns become `model` turns with
 * `functionCall` parts; tool results become `functionResponse` parts in a
 * `user` turn, named after the call they answer.
 */
export function toGeminiRequest(
  request: ChatRequest,
  model: ModelConfig
): GeminiRequest {
  const body: GeminiRequest = { contents: toContents(request, model) };

  const system = request.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .filter((text) => text.length > 0);
  if (system.length > 0)
    body.systemInstruction = { parts: [{ text: system.join('\n\n') }] };

  const safety = request.guardrail?.safetySettings;
  if (safety && Object.keys(safety).length > 0) {
    body.safetySettings = Object.entries(safety).map(
      ([category, threshold]) => ({ category, threshold })
    );
  }

  const declarations = toDeclarations(request);
  if (declarations.length > 0) {
    body.tools = [{ functionDeclarations: declarations }];
    const toolConfig = toToolConfig(request.toolChoice);
    if (toolConfig) body.toolConfig = toolConfig;
  }

  const generationConfig: NonNullable<GeminiRequest['generationConfig']> = {
    candidateCount: 1,
  };
  if (request.maxTokens !== undefined) {
    generationConfig.maxOutputTokens =
      model.maxOutputTokens > 0
        ? Math.min(request.maxTokens, model.maxOutputTokens)
        : request.maxTokens;
  }
  if (request.temperature !== undefined)
    generationConfig.temperature = request.temperature;
  if (request.topP !== undefined) generationConfig.topP = request.topP;
  if (request.stop && request.stop.length > 0)
    generationConfig.stopSequences = [...request.stop];
  if (request.seed !== undefined) generationConfig.seed = request.seed;
  const format = request.responseFormat;
  if (format?.type === 'json_object' || format?.type === 'json_schema')
    generationConfig.responseMimeType = 'application/json';
  // responseJsonSchema takes the client's JSON Schema as is ($defs, anyOf,
  // additionalProperties...); responseSchema would need the OpenAPI subset.
  if (format?.type === 'json_schema')
    generationConfig.responseJsonSchema = format.jsonSchema.schema;
  const thinkingConfig = toThinkingConfig(request, model);
  if (thinkingConfig) generationConfig.thinkingConfig = thinkingConfig;
  body.generationConfig = generationConfig;

  return body;
}
