import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  behaviorFor,
  chunkText,
  defaultBehavior,
  type FakeBehavior,
  type FakeChatView,
  type FakeMessage,
  type FakeProviderServer,
  type FakeReply,
  fakeTokenCount,
  type RecordedRequest,
  shouldFail,
  sleep,
} from './common';
import { fakeEmbedding } from './embedding-vectors';

/**
 * Loopback fake of the Gemini REST API, both flavours:
 * - Generative Language: `POST /v1beta/models/{model}:generateContent` and
 *   `:streamGenerateContent?alt=sse`, key in `x-goog-api-key` (or `?key=`);
 * - Vertex AI: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:...`,
 *   `Authorization: Bearer <token>`.
 * `url` is the bare origin, as `@google/genai`'s `httpOptions.baseUrl` and
 * the adapter's `baseUrl` expect. Like the real API it validates the body
 * and answers 400 INVALID_ARGUMENT on keys it does not know, most usefully
 * JSON-Schema-only keys in function parameters; that is what proves the
 * adapter converts schemas.
 */

/** Options of the fake Gemini server. */
export interface FakeGeminiOptions {
  /** When set, requests must carry this API key (api paths) or Bearer token (vertex paths). */
  readonly apiKey?: string;
}

type Json = Record<string, unknown>;

const API_PATH =
  /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;
const EMBED_PATH = /^\/(v1beta|v1)\/models\/([^/:]+):batchEmbedContents$/;

/** One `batchEmbedContents` request item as the fake reads it. */
interface EmbedItem {
  model: string;
  content: { parts: { text: string }[] };
  outputDimensionality?: number;
}

/** What the real API rejects in a batchEmbedContents body (INVALID_ARGUMENT). */
function embedProblem(body: unknown, model: string): string | undefined {
  const items = (body as { requests?: unknown })?.requests;
  if (!Array.isArray(items) || items.length === 0)
    return '* BatchEmbedContentsRequest.requests: must not be empty';
  if (items.length > 100)
    return '* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch';
  for (const [i, r] of (items as EmbedItem[]).entries()) {
    if (r.model !== `models/${model}`)
      return `* BatchEmbedContentsRequest.requests[${i}].model: Model names should start with the batch model models/${model}`;
    if (!Array.isArray(r.content?.parts) || r.content.parts.length === 0)
      return `* BatchEmbedContentsRequest.requests[${i}].content: contents.parts must not be empty`;
    const d = r.outputDimensionality;
    if (d !== undefined && !(Number.isInteger(d) && d >= 1 && d <= 3072))
      return `* BatchEmbedContentsRequest.requests[${i}].output_dimensionality: must be between 1 and 3072`;
  }
  return undefined;
}

const VERTEX_PATH =
  /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const MESSAGES: Readonly<Record<number, string>> = {
  400: 'Request contains an invalid argument.',
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  403: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  429: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
  504: 'The request timed out. Please try again.',
};

const TOP_LEVEL_FIELDS = new Set([
  'contents',
  'systemInstruction',
  'system_instruction',
  'tools',
  'toolConfig',
  'tool_config',
  'generationConfig',
  'generation_config',
  'safetySettings',
  'safety_settings',
  'cachedContent',
  'cached_content',
  'labels',
]);

const PART_FIELDS = new Set([
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'thought',
  'thoughtSignature',
  'executableCode',
  'codeExecutionResult',
  'videoMetadata',
  'partMetadata',
  'mediaResolution',
]);

const GENERATION_FIELDS = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'thinkingConfig',
  'speechConfig',
  'imageConfig',
  'mediaResolution',
  'enableEnhancedCivicAnswers',
]);

/** Keys of Gemini's `Schema` message: anything else is "Cannot find field". */
const SCHEMA_FIELDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

const SCHEMA_TYPES = new Set([
  'TYPE_UNSPECIFIED',
  'STRING',
  'NUMBER',
  'INTEGER',
  'BOOLEAN',
  'ARRAY',
  'OBJECT',
  'NULL',
]);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A 400 the way the API words it; thrown by the validators. */
class InvalidArgument extends Error {}

function unknownField(name: string, at: string): InvalidArgument {
  return new InvalidArgument(
    `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`
  );
}

function validateSchema(schema: unknown, at: string, root: boolean): void {
  if (!isObject(schema))
    throw new InvalidArgument(
      `Invalid value at '${at}' (type.googleapis.com/google.ai.generativelanguage.v1beta.Schema)`
    );
  for (const key of Object.keys(schema)) {
    if (!SCHEMA_FIELDS.has(key)) throw unknownField(key, at);
  }
  const type = schema.type;
  if (Array.isArray(type))
    throw new InvalidArgument(
      `Invalid JSON payload received. Unknown name "type" at '${at}': Proto field is not repeating, cannot start list.`
    );
  const upper = typeof type === 'string' ? type.toUpperCase() : undefined;
  if (type !== undefined && (upper === undefined || !SCHEMA_TYPES.has(upper)))
    throw new InvalidArgument(
      `Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), ${JSON.stringify(type)}`
    );
  if (root && upper !== 'OBJECT')
    throw new InvalidArgument(
      `* GenerateContentRequest.${at}: parameters schema should be of type OBJECT`
    );
  if (schema.enum !== undefined && upper !== 'STRING')
    throw new InvalidArgument(
      `* GenerateContentRequest.${at}.enum: only allowed for STRING type`
    );
  const properties = schema.properties;
  if (properties !== undefined) {
    if (!isObject(properties))
      throw new InvalidArgument(`Invalid value at '${at}.properties'`);
    if (upper === 'OBJECT' && Object.keys(properties).length === 0)
      throw new InvalidArgument(
        `* GenerateContentRequest.${at}.properties: should be non-empty for OBJECT type`
      );
    for (const [name, sub] of Object.entries(properties))
      validateSchema(sub, `${at}.properties[${name}].value`, false);
  }
  if (Array.isArray(schema.required)) {
    schema.required.forEach((name, i) => {
      if (
        !isObject(properties) ||
        typeof name !== 'string' ||
        !(name in properties)
      )
        throw new InvalidArgument(
          `* GenerateContentRequest.${at}.required[${i}]: property is not defined`
        );
    });
  }
  if (schema.items !== undefined)
    validateSchema(schema.items, `${at}.items`, false);
  if (schema.anyOf !== undefined) {
    if (!Array.isArray(schema.anyOf))
      throw new InvalidArgument(`Invalid value at '${at}.any_of'`);
    schema.anyOf.forEach((sub, i) => {
      validateSchema(sub, `${at}.any_of[${i}]`, false);
    });
  }
}

/**
 * The 400 message the fake (like the real API) gives for a function
 * declaration's `parameters`, or undefined when Gemini would accept them.
 */
export function geminiParametersProblem(schema: unknown): string | undefined {
  try {
    validateSchema(schema, 'parameters', true);
    return undefined;
  } catch (err) {
    if (err instanceof InvalidArgument) return err.message;
    throw err;
  }
}

function validatePart(part: unknown, at: string): void {
  if (!isObject(part)) throw new InvalidArgument(`Invalid value at '${at}'`);
  for (const key of Object.keys(part)) {
    if (!PART_FIELDS.has(key)) throw unknownField(key, at);
  }
  if (part.text !== undefined && typeof part.text !== 'string')
    throw new InvalidArgument(`Invalid value at '${at}.text' (TYPE_STRING)`);
  if (
    part.thoughtSignature !== undefined &&
    (typeof part.thoughtSignature !== 'string' ||
      !/^[A-Za-z0-9+/_-]*={0,2}$/.test(part.thoughtSignature))
  )
    throw new InvalidArgument(
      `Invalid value at '${at}.thought_signature' (TYPE_BYTES), Base64 decoding failed`
    );
  const inline = part.inlineData;
  if (inline !== undefined) {
    if (
      !isObject(inline) ||
      typeof inline.mimeType !== 'string' ||
      !/^[a-z]+\/[a-z0-9.+-]+$/.test(inline.mimeType)
    )
      throw new InvalidArgument(
        `Invalid value at '${at}.inline_data.mime_type'`
      );
    if (
      typeof inline.data !== 'string' ||
      inline.data.length === 0 ||
      !/^[A-Za-z0-9+/_-]*={0,2}$/.test(inline.data)
    )
      throw new InvalidArgument(
        `Invalid value at '${at}.inline_data.data' (TYPE_BYTES), Base64 decoding failed`
      );
  }
  const call = part.functionCall;
  if (call !== undefined) {
    if (!isObject(call) || typeof call.name !== 'string')
      throw new InvalidArgument(
        `* GenerateContentRequest.${at}.function_call.name: Name cannot be empty.`
      );
    if (call.args !== undefined && !isObject(call.args))
      throw new InvalidArgument(
        `Invalid value at '${at}.function_call.args' (type.googleapis.com/google.protobuf.Struct)`
      );
  }
  const response = part.functionResponse;
  if (response !== undefined) {
    if (!isObject(response) || typeof response.name !== 'string')
      throw new InvalidArgument(
        `* GenerateContentRequest.${at}.function_response.name: Name cannot be empty.`
      );
    if (!isObject(response.response))
      throw new InvalidArgument(
        `Invalid value at '${at}.function_response.response' (type.googleapis.com/google.protobuf.Struct), ${JSON.stringify(response.response)}`
      );
  }
}

function needsSignatures(model: string): boolean {
  const major = /gemini-(\d+)/.exec(model)?.[1];
  return major !== undefined && Number(major) >= 3;
}

/** Throws InvalidArgument where the real API would answer 400. */
function validateRequest(body: unknown, model: string): void {
  if (!isObject(body))
    throw new InvalidArgument('Invalid JSON payload received.');
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL_FIELDS.has(key)) throw unknownField(key, '');
  }
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0)
    throw new InvalidArgument(
      '* GenerateContentRequest.contents: contents is not specified'
    );
  contents.forEach((content, i) => {
    const at = `contents[${i}]`;
    if (!isObject(content))
      throw new InvalidArgument(`Invalid value at '${at}'`);
    for (const key of Object.keys(content)) {
      if (key !== 'role' && key !== 'parts') throw unknownField(key, at);
    }
    if (
      content.role !== undefined &&
      content.role !== 'user' &&
      content.role !== 'model'
    )
      throw new InvalidArgument('Please use a valid role: user, model.');
    if (!Array.isArray(content.parts) || content.parts.length === 0)
      throw new InvalidArgument(
        `* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`
      );
    content.parts.forEach((part, j) => {
      validatePart(part, `${at}.parts[${j}]`);
    });
    if (content.role === 'model' && needsSignatures(model)) {
      const first = content.parts.find((p) => isObject(p) && p.functionCall);
      if (isObject(first) && !first.thoughtSignature) {
        const name = (first.functionCall as Json).name;
        throw new InvalidArgument(
          `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${String(name)}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`
        );
      }
    }
  });
  const system = body.systemInstruction ?? body.system_instruction;
  if (system !== undefined) {
    if (!isObject(system) || !Array.isArray(system.parts))
      throw new InvalidArgument("Invalid value at 'system_instruction'");
    system.parts.forEach((part, j) => {
      validatePart(part, `system_instruction.parts[${j}]`);
    });
  }
  const tools = body.tools;
  if (tools !== undefined) {
    if (!Array.isArray(tools))
      throw new InvalidArgument("Invalid value at 'tools'");
    tools.forEach((tool, i) => {
      if (!isObject(tool))
        throw new InvalidArgument(`Invalid value at 'tools[${i}]'`);
      const declarations =
        tool.functionDeclarations ?? tool.function_declarations;
      if (declarations === undefined) return;
      if (!Array.isArray(declarations))
        throw new InvalidArgument(
          `Invalid value at 'tools[${i}].function_declarations'`
        );
      declarations.forEach((decl, j) => {
        const at = `tools[${i}].function_declarations[${j}]`;
        if (!isObject(decl))
          throw new InvalidArgument(`Invalid value at '${at}'`);
        for (const key of Object.keys(decl)) {
          if (
            ![
              'name',
              'description',
              'parameters',
              'parametersJsonSchema',
              'response',
              'responseJsonSchema',
              'behavior',
            ].includes(key)
          )
            throw unknownField(key, at);
        }
        if (
          typeof decl.name !== 'string' ||
          !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(decl.name)
        )
          throw new InvalidArgument(
            `* GenerateContentRequest.${at}.name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.`
          );
        if (
          decl.parameters !== undefined &&
          decl.parametersJsonSchema !== undefined
        )
          throw new InvalidArgument(
            `* GenerateContentRequest.${at}: parameters and parameters_json_schema cannot both be set`
          );
        if (decl.parameters !== undefined)
          validateSchema(decl.parameters, `${at}.parameters`, true);
      });
    });
  }
  const toolConfig = body.toolConfig ?? body.tool_config;
  if (isObject(toolConfig) && isObject(toolConfig.functionCallingConfig)) {
    const mode = toolConfig.functionCallingConfig.mode;
    if (
      mode !== undefined &&
      !['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'].includes(
        String(mode)
      )
    )
      throw new InvalidArgument(
        `Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), ${JSON.stringify(mode)}`
      );
  }
  const generation = body.generationConfig ?? body.generation_config;
  if (generation !== undefined) {
    if (!isObject(generation))
      throw new InvalidArgument("Invalid value at 'generation_config'");
    for (const key of Object.keys(generation)) {
      if (!GENERATION_FIELDS.has(key))
        throw unknownField(key, 'generation_config');
    }
    validateStructuredConfig(generation);
  }
}

/** The API's rules on JSON output and thinking settings. */
function validateStructuredConfig(generation: Json): void {
  const hasJsonSchema = generation.responseJsonSchema !== undefined;
  if (hasJsonSchema && generation.responseSchema !== undefined)
    throw new InvalidArgument(
      'response_schema and response_json_schema cannot both be set'
    );
  if (
    (hasJsonSchema || generation.responseSchema !== undefined) &&
    generation.responseMimeType !== 'application/json'
  )
    throw new InvalidArgument(
      'response_mime_type must be application/json when a response schema is set'
    );
  if (hasJsonSchema && !isObject(generation.responseJsonSchema))
    throw new InvalidArgument(
      "Invalid value at 'generation_config.response_json_schema'"
    );
  const thinking = generation.thinkingConfig;
  if (thinking === undefined) return;
  if (!isObject(thinking))
    throw new InvalidArgument(
      "Invalid value at 'generation_config.thinking_config'"
    );
  for (const key of Object.keys(thinking)) {
    if (!['thinkingBudget', 'thinkingLevel', 'includeThoughts'].includes(key))
      throw unknownField(key, 'generation_config.thinking_config');
  }
  if (
    thinking.thinkingBudget !== undefined &&
    thinking.thinkingLevel !== undefined
  )
    throw new InvalidArgument(
      'thinking_budget and thinking_level cannot both be set'
    );
  const budget = thinking.thinkingBudget;
  if (
    budget !== undefined &&
    (typeof budget !== 'number' || budget < -1 || budget > 32768)
  )
    throw new InvalidArgument(
      `The thinking budget ${String(budget)} is invalid. Please choose a value between -1 and 32768.`
    );
  const level = thinking.thinkingLevel;
  if (
    level !== undefined &&
    !['minimal', 'low', 'medium', 'high'].includes(String(level))
  )
    throw new InvalidArgument(
      `Invalid value at 'generation_config.thinking_config.thinking_level', ${JSON.stringify(level)}`
    );
}

function textOf(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  return parts
    .filter(
      (p): p is Json =>
        isObject(p) && typeof p.text === 'string' && p.thought !== true
    )
    .map((p) => p.text as string)
    .join('');
}

function toolResultText(response: Json): string {
  const keys = Object.keys(response);
  if (keys.length === 1 && typeof response.content === 'string')
    return response.content;
  return JSON.stringify(response);
}

/** Reads a (validated) Gemini body the way the model would. */
function toView(body: Json, model: string, stream: boolean): FakeChatView {
  const messages: FakeMessage[] = [];
  for (const content of body.contents as Json[]) {
    const parts = (content.parts as Json[]) ?? [];
    if (content.role === 'model') {
      const calls = parts
        .filter((p) => isObject(p.functionCall))
        .map((p) => p.functionCall as Json)
        .map((c) => ({
          id: typeof c.id === 'string' ? c.id : String(c.name),
          name: String(c.name),
          arguments: c.args ?? {},
        }));
      messages.push({
        role: 'assistant',
        text: textOf(parts),
        ...(calls.length > 0 ? { toolCalls: calls } : {}),
      });
      continue;
    }
    const results = parts
      .filter((p) => isObject(p.functionResponse))
      .map((p) => p.functionResponse as Json)
      .map((r) => ({
        id: typeof r.id === 'string' ? r.id : String(r.name),
        content: toolResultText(r.response as Json),
      }));
    if (results.length > 0)
      messages.push({ role: 'tool', text: '', toolResults: results });
    const text = textOf(parts);
    if (text.length > 0 || results.length === 0)
      messages.push({ role: 'user', text });
  }

  const tools: string[] = [];
  for (const tool of (body.tools as Json[] | undefined) ?? []) {
    const declarations = (tool.functionDeclarations ??
      tool.function_declarations ??
      []) as Json[];
    for (const decl of declarations) tools.push(String(decl.name));
  }

  const config = (body.toolConfig ?? body.tool_config) as Json | undefined;
  const calling = config?.functionCallingConfig as Json | undefined;
  let toolChoice: string | undefined;
  if (calling?.mode === 'AUTO') toolChoice = 'auto';
  else if (calling?.mode === 'NONE') toolChoice = 'none';
  else if (calling?.mode === 'ANY') {
    const allowed = calling.allowedFunctionNames;
    toolChoice =
      Array.isArray(allowed) && allowed.length === 1
        ? String(allowed[0])
        : 'required';
  }

  const system = (body.systemInstruction ?? body.system_instruction) as
    | Json
    | undefined;
  const generation = (body.generationConfig ?? body.generation_config) as
    | Json
    | undefined;
  return {
    model,
    stream,
    ...(system ? { system: textOf(system.parts) } : {}),
    messages,
    tools,
    ...(toolChoice ? { toolChoice } : {}),
    ...(typeof generation?.maxOutputTokens === 'number'
      ? { maxTokens: generation.maxOutputTokens }
      : {}),
    ...generationView(generation),
  };
}

/** Structured output and thinking, as the generation config asks. */
function generationView(generation: Json | undefined): Partial<FakeChatView> {
  const out: {
    responseFormat?: FakeChatView['responseFormat'];
    reasoning?: FakeChatView['reasoning'];
  } = {};
  if (generation?.responseMimeType === 'application/json') {
    const schema = generation.responseJsonSchema ?? generation.responseSchema;
    out.responseFormat =
      schema === undefined
        ? { type: 'json_object' }
        : { type: 'json_schema', schema };
  }
  const thinking = generation?.thinkingConfig;
  if (isObject(thinking)) {
    out.reasoning = {
      ...(typeof thinking.thinkingBudget === 'number'
        ? { budgetTokens: thinking.thinkingBudget }
        : {}),
      ...(typeof thinking.thinkingLevel === 'string'
        ? { level: thinking.thinkingLevel }
        : {}),
    };
  }
  return out;
}

function googleError(
  code: number,
  message: string,
  details?: readonly Json[]
): Json {
  return {
    error: {
      code,
      message,
      status: STATUS_NAMES[code] ?? 'UNKNOWN',
      ...(details ? { details } : {}),
    },
  };
}

function faultBody(status: number, model: string, retryAfter?: number): Json {
  if (status === 404)
    return googleError(
      404,
      `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`
    );
  if (status === 429)
    return googleError(429, MESSAGES[429]!, [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric:
              'generativelanguage.googleapis.com/generate_content_free_tier_requests',
            quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
            quotaDimensions: { location: 'global', model },
            quotaValue: '10',
          },
        ],
      },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [
          {
            description: 'Learn more about Gemini API quotas',
            url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
          },
        ],
      },
      {
        '@type': 'type.googleapis.com/google.rpc.RetryInfo',
        retryDelay: `${retryAfter ?? 17}s`,
      },
    ]);
  return googleError(status, MESSAGES[status] ?? `HTTP ${status}`);
}

const FINISH: Readonly<Record<NonNullable<FakeReply['finishReason']>, string>> =
  {
    stop: 'STOP',
    length: 'MAX_TOKENS',
    tool_calls: 'STOP',
    content_filter: 'SAFETY',
  };

const BLOCKED_RATINGS = [
  {
    category: 'HARM_CATEGORY_HARASSMENT',
    probability: 'HIGH',
    blocked: true,
  },
  { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
];

function promptText(view: FakeChatView): string {
  return [
    view.system ?? '',
    ...view.messages.map(
      (m) =>
        m.text +
        (m.toolResults ?? []).map((r) => r.content).join('') +
        (m.toolCalls ?? []).map((c) => JSON.stringify(c.arguments)).join('')
    ),
  ].join('');
}

interface Answer {
  readonly textPieces: readonly string[];
  readonly callParts: readonly Json[];
  readonly finishReason: string;
  readonly usage: Json;
  readonly promptTokens: number;
  readonly filtered: boolean;
}

function answer(
  view: FakeChatView,
  reply: FakeReply,
  chunkSize: number
): Answer {
  const calls = reply.toolCalls ?? [];
  const callParts: Json[] = calls.map((c, i) => ({
    functionCall: {
      ...(c.id ? { id: c.id } : {}),
      name: c.name,
      args: c.arguments,
    },
    // Thinking models sign the first call of a step; the client must echo it.
    ...(i === 0 && needsSignatures(view.model)
      ? { thoughtSignature: randomBytes(24).toString('base64') }
      : {}),
  }));
  const text = reply.text ?? '';
  const finish =
    reply.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
  const prompt = reply.usage?.input ?? fakeTokenCount(promptText(view));
  const output =
    reply.usage?.output ??
    fakeTokenCount(
      text + calls.map((c) => c.name + JSON.stringify(c.arguments)).join('')
    );
  // Thoughts are billed but not returned (the adapter never sets
  // includeThoughts): only their count shows, as thoughtsTokenCount.
  const thoughts = reply.reasoning ? fakeTokenCount(reply.reasoning) : 0;
  return {
    textPieces: text.length > 0 ? chunkText(text, chunkSize) : [],
    callParts,
    finishReason: FINISH[finish],
    usage: {
      promptTokenCount: prompt,
      candidatesTokenCount: output,
      ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
      totalTokenCount: prompt + output + thoughts,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    },
    promptTokens: prompt,
    filtered: finish === 'content_filter',
  };
}

function responseId(): string {
  return randomBytes(12).toString('base64url');
}

function completeResponse(view: FakeChatView, a: Answer): Json {
  const parts: Json[] = [];
  const text = a.textPieces.join('');
  if (text.length > 0) parts.push({ text });
  parts.push(...a.callParts);
  const candidate: Json = a.filtered
    ? { finishReason: a.finishReason, index: 0, safetyRatings: BLOCKED_RATINGS }
    : {
        content: {
          parts: parts.length > 0 ? parts : [{ text: '' }],
          role: 'model',
        },
        finishReason: a.finishReason,
        index: 0,
      };
  return {
    candidates: [candidate],
    usageMetadata: a.usage,
    modelVersion: view.model,
    responseId: responseId(),
  };
}

function streamChunks(view: FakeChatView, a: Answer): Json[] {
  const id = responseId();
  const bodies: Json[][] = a.textPieces.map((text) => [{ text }]);
  if (a.callParts.length > 0) bodies.push([...a.callParts]);
  if (bodies.length === 0 && !a.filtered) bodies.push([{ text: '' }]);
  const chunks: Json[] = bodies.map((parts) => ({
    candidates: [{ content: { parts, role: 'model' }, index: 0 }],
    // Real chunks report the prompt early and the completion at the end.
    usageMetadata: {
      promptTokenCount: a.promptTokens,
      totalTokenCount: a.promptTokens,
    },
    modelVersion: view.model,
    responseId: id,
  }));
  const finish: Json = {
    finishReason: a.finishReason,
    index: 0,
    ...(a.filtered ? { safetyRatings: BLOCKED_RATINGS } : {}),
  };
  const last = chunks[chunks.length - 1];
  if (last) {
    const candidate = (last.candidates as Json[])[0]!;
    Object.assign(candidate, finish);
    last.usageMetadata = a.usage;
  } else {
    chunks.push({
      candidates: [finish],
      usageMetadata: a.usage,
      modelVersion: view.model,
      responseId: id,
    });
  }
  return chunks;
}

function redactHeaders(
  headers: IncomingMessage['headers']
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = { ...headers };
  if (out['x-goog-api-key'] !== undefined) out['x-goog-api-key'] = '[redacted]';
  if (out.authorization !== undefined) out.authorization = 'Bearer [redacted]';
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes and waits until the data left for the socket. */
function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    res.write(data, () => resolve());
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    vary: 'Origin, X-Origin, Referer',
    ...headers,
  });
  res.end(text);
}

/** The common fake surface plus what only this fake can tell. */
export interface FakeGeminiServer extends FakeProviderServer {
  /** Responses not yet finished or closed: 0 once every client has hung up. */
  openResponses(): number;
}

/** Starts the fake on 127.0.0.1 on an ephemeral port. */
export async function startFakeGemini(
  options: FakeGeminiOptions = {}
): Promise<FakeGeminiServer> {
  let behavior: FakeBehavior = defaultBehavior();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let open = 0;

  function authError(
    vertex: boolean,
    req: IncomingMessage,
    url: URL
  ): { status: number; body: Json } | undefined {
    if (options.apiKey === undefined) return undefined;
    if (vertex) {
      const auth = req.headers.authorization;
      if (auth === `Bearer ${options.apiKey}`) return undefined;
      return {
        status: 401,
        body: googleError(401, MESSAGES[401]!, [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: auth
              ? 'ACCESS_TOKEN_TYPE_UNSUPPORTED'
              : 'CREDENTIALS_MISSING',
            domain: 'googleapis.com',
            metadata: {
              service: 'aiplatform.googleapis.com',
              method:
                'google.cloud.aiplatform.v1.PredictionService.GenerateContent',
            },
          },
        ]),
      };
    }
    const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    if (key === options.apiKey) return undefined;
    if (!key) return { status: 403, body: googleError(403, MESSAGES[403]!) };
    const message = 'API key not valid. Please pass a valid API key.';
    return {
      status: 400,
      body: googleError(400, message, [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
        {
          '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
          locale: 'en-US',
          message,
        },
      ]),
    };
  }

  async function stream(
    res: ServerResponse,
    view: FakeChatView,
    a: Answer,
    sse: boolean,
    active: FakeBehavior
  ): Promise<void> {
    const chunks = streamChunks(view, a);
    if (!sse) {
      // Without alt=sse the API streams one JSON array.
      sendJson(res, 200, chunks);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'x-content-type-options': 'nosniff',
      vary: 'Origin, X-Origin, Referer',
    });
    for (let i = 0; i < chunks.length; i += 1) {
      if (res.destroyed) return;
      if (active.dropAfterChunks !== undefined && i >= active.dropAfterChunks) {
        // The chunks already written were flushed (see write below), so the
        // client reads them before it sees the connection die.
        res.socket?.destroy();
        return;
      }
      if (
        active.streamErrorAfterChunks !== undefined &&
        i >= active.streamErrorAfterChunks
      ) {
        res.end(
          `data: ${JSON.stringify(googleError(500, MESSAGES[500]!))}\r\n\r\n`
        );
        return;
      }
      await write(res, `data: ${JSON.stringify(chunks[i])}\r\n\r\n`);
      if (active.chunkDelayMs > 0 && i < chunks.length - 1)
        await sleep(active.chunkDelayMs);
    }
    res.end();
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Recorded as text; the validator rejects it below.
    }
    const safePath = url.searchParams.has('key')
      ? `${url.pathname}?${[...url.searchParams.keys()]
          .map((k) =>
            k === 'key' ? 'key=[redacted]' : `${k}=${url.searchParams.get(k)}`
          )
          .join('&')}`
      : (req.url ?? '/');
    const active = behaviorFor(behavior);
    requests.push({
      method: req.method ?? 'GET',
      path: safePath,
      headers: redactHeaders(req.headers),
      body,
    });

    if (active.hang) return;
    if (active.latencyMs > 0) await sleep(active.latencyMs);

    const embed = EMBED_PATH.exec(url.pathname);
    if (req.method === 'POST' && embed) {
      const auth = authError(false, req, url);
      if (auth) {
        sendJson(res, auth.status, auth.body);
        return;
      }
      const model = decodeURIComponent(embed[2]!);
      if (shouldFail(active)) {
        const status = active.errorStatus!;
        sendJson(
          res,
          status,
          faultBody(status, model, active.retryAfterSeconds),
          active.retryAfterSeconds !== undefined
            ? { 'retry-after': String(active.retryAfterSeconds) }
            : {}
        );
        return;
      }
      const problem = embedProblem(body, model);
      if (problem) {
        sendJson(res, 400, googleError(400, problem));
        return;
      }
      const items = (body as { requests: EmbedItem[] }).requests;
      sendJson(res, 200, {
        embeddings: items.map((r) => ({
          values: fakeEmbedding(
            r.content.parts.map((p) => p.text).join(''),
            r.outputDimensionality ?? 3072
          ),
        })),
      });
      return;
    }
    const api = API_PATH.exec(url.pathname);
    const vertex = VERTEX_PATH.exec(url.pathname);
    if (req.method !== 'POST' || (!api && !vertex)) {
      sendJson(res, 404, googleError(404, 'Requested entity was not found.'));
      return;
    }
    const model = decodeURIComponent((api ? api[2] : vertex![4])!);
    const method = api ? api[3] : vertex![5];
    const streaming = method === 'streamGenerateContent';

    const auth = authError(Boolean(vertex), req, url);
    if (auth) {
      sendJson(res, auth.status, auth.body);
      return;
    }

    if (shouldFail(active)) {
      const status = active.errorStatus!;
      const headers: Record<string, string> =
        active.retryAfterSeconds !== undefined
          ? { 'retry-after': String(active.retryAfterSeconds) }
          : {};
      sendJson(
        res,
        status,
        faultBody(status, model, active.retryAfterSeconds),
        headers
      );
      return;
    }

    try {
      validateRequest(body, model);
    } catch (err) {
      if (!(err instanceof InvalidArgument)) throw err;
      sendJson(
        res,
        400,
        googleError(400, err.message, [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ description: err.message }],
          },
        ])
      );
      return;
    }

    const view = toView(body as Json, model, streaming);
    const a = answer(view, active.responder(view), active.chunkSize);
    if (streaming) {
      await stream(res, view, a, url.searchParams.get('alt') === 'sse', active);
      return;
    }
    sendJson(res, 200, completeResponse(view, a));
  }

  const server = createServer((req, res) => {
    open += 1;
    res.on('close', () => {
      open -= 1;
    });
    handle(req, res).catch(() => {
      if (!res.headersSent)
        sendJson(res, 500, googleError(500, MESSAGES[500]!));
      else res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    openResponses: () => open,
    setBehavior(patch) {
      behavior = { ...behavior, ...patch };
    },
    reset() {
      behavior = defaultBehavior();
      requests.length = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
}
