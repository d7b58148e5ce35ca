import type { ZodMiniType } from 'zod/mini';
import * as z from 'zod/mini';
import './zod-locale';
import { parseFile, parseImageUrl } from '../media/parse';
import type {
  ChatMessage,
  ChatRequest,
  ResponseFormat,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  UserContentPart,
} from '../types';
import { badRequest, type GatewayError } from './errors';
import { JsonSchemaEngineNotLoadedError, validatorFor } from './json-schema';

/**
 * Schema of `POST /v1/chat/completions`, as the official `openai` SDK sends
 * it, plus the gateway's `routing` extension. Unknown top-level fields are
 * rejected by name (like OpenAI does) so a typo never silently changes
 * behaviour; parameters we accept but can't honour are rejected too.
 */

const textPart = z.strictObject({
  type: z.literal('text'),
  text: z.string(),
});

/** Content as string or an array of text parts (images are not supported yet). */
const textContent = z.union([
  z.string(),
  z.array(textPart).check(z.minLength(1)),
]);

const imageUrlPart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({
    url: z.string().check(z.minLength(1)),
    detail: z.optional(z.enum(['auto', 'low', 'high'])),
  }),
});

const filePart = z.strictObject({
  type: z.literal('file'),
  file: z.strictObject({
    file_data: z.optional(z.string()),
    file_id: z.optional(z.string()),
    filename: z.optional(z.string().check(z.maxLength(256))),
  }),
});

/** User content: text, or parts with images (`image_url`) and documents (`file`). */
const userContent = z.union([
  z.string(),
  z
    .array(z.discriminatedUnion('type', [textPart, imageUrlPart, filePart]))
    .check(z.minLength(1)),
]);

const toolCallSchema = z.strictObject({
  id: z.string().check(z.minLength(1), z.maxLength(256)),
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string().check(z.minLength(1), z.maxLength(128)),
    arguments: z.string(),
  }),
});

const nameField = z.optional(z.string().check(z.minLength(1), z.maxLength(64)));

const messageSchema = z.discriminatedUnion('role', [
  z.strictObject({
    role: z.literal('system'),
    content: textContent,
    name: nameField,
  }),
  z.strictObject({
    role: z.literal('developer'),
    content: textContent,
    name: nameField,
  }),
  z.strictObject({
    role: z.literal('user'),
    content: userContent,
    name: nameField,
  }),
  z.strictObject({
    role: z.literal('assistant'),
    content: z.optional(
      z.nullable(
        z.union([
          z.string(),
          z.array(
            z.union([
              textPart,
              z.strictObject({
                type: z.literal('refusal'),
                refusal: z.string(),
              }),
            ])
          ),
        ])
      )
    ),
    name: nameField,
    refusal: z.optional(z.nullable(z.string())),
    tool_calls: z.optional(z.array(toolCallSchema)),
  }),
  z.strictObject({
    role: z.literal('tool'),
    content: textContent,
    tool_call_id: z.string().check(z.minLength(1), z.maxLength(256)),
  }),
]);

const functionNameRe = /^[A-Za-z0-9_-]{1,64}$/;

/** Optional and nullable, as the SDK sends unset fields either way. */
const opt = <T extends ZodMiniType>(schema: T) =>
  z.optional(z.nullable(schema));

/** A function or schema name, by OpenAI's rule `^[a-zA-Z0-9_-]{1,64}$`. */
const functionName = z
  .string()
  .check(
    z.regex(functionNameRe, 'must be 1-64 characters of a-z, A-Z, 0-9, _ or -')
  );
const optionalDescription = z.optional(z.string().check(z.maxLength(8192)));

const toolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: functionName,
    description: optionalDescription,
    parameters: z.optional(z.record(z.string(), z.unknown())),
    strict: z.optional(z.nullable(z.boolean())),
  }),
});

const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.strictObject({
    type: z.literal('function'),
    function: z.strictObject({ name: z.string().check(z.minLength(1)) }),
  }),
]);

/**
 * `response_format`, as OpenAI defines it. The schema name follows OpenAI's
 * rule (`^[a-zA-Z0-9_-]{1,64}$`); the schema itself is compiled by ajv after
 * parsing, so a broken one is a 400 naming it.
 */
const responseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: functionName,
      description: optionalDescription,
      schema: z.optional(z.record(z.string(), z.unknown())),
      strict: opt(z.boolean()),
    }),
  }),
]);

/** Every value the openai SDK types for `reasoning_effort`. */
const reasoningEffortSchema = z.enum([
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
]);

const routingSchema = z.strictObject({
  domain: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^[a-z0-9][a-z0-9_-]{0,63}$/,
          'must be lower-case letters, digits, _ or -'
        )
      )
  ),
  budget_tier: z.optional(z.enum(['low', 'standard', 'premium'])),
  max_latency_ms: z.optional(z.int().check(z.gte(1), z.lte(900_000))),
  region: z.optional(z.enum(['eu', 'any'])),
  providers: z.optional(
    z
      .array(z.string().check(z.minLength(1), z.maxLength(64)))
      .check(z.minLength(1), z.maxLength(16))
  ),
});

// Not compiled with `z.compile`: its generated parser saves about 4-7 µs per
// request, but the code generator adds 34 KB to what every cold start loads
// (1.5-8 ms of init CPU measured) and the compile itself takes 10-25 ms on
// one request per container. On Lambda the runtime parser is the better trade.
const chatRequestSchema = z.strictObject({
  model: z.string().check(z.minLength(1), z.maxLength(256)),
  messages: z
    .array(messageSchema)
    .check(
      z.minLength(1, 'must contain at least one message'),
      z.maxLength(2048)
    ),
  max_tokens: opt(z.int().check(z.gte(1), z.lte(1_000_000))),
  max_completion_tokens: opt(z.int().check(z.gte(1), z.lte(1_000_000))),
  temperature: opt(z.number().check(z.gte(0), z.lte(2))),
  top_p: opt(z.number().check(z.gt(0), z.lte(1))),
  stop: opt(
    z.union([
      z.string().check(z.minLength(1)),
      z.array(z.string().check(z.minLength(1))).check(z.maxLength(4)),
    ])
  ),
  user: z.optional(z.string().check(z.maxLength(256))),
  tools: z.optional(z.array(toolSchema).check(z.maxLength(128))),
  tool_choice: z.optional(toolChoiceSchema),
  parallel_tool_calls: z.optional(z.boolean()),
  stream: opt(z.boolean()),
  stream_options: opt(
    z.strictObject({ include_usage: z.optional(z.boolean()) })
  ),
  response_format: opt(responseFormatSchema),
  reasoning_effort: opt(reasoningEffortSchema),
  seed: opt(z.int()),
  n: opt(z.literal(1, 'only n=1 is supported')),
  presence_penalty: opt(z.number().check(z.gte(-2), z.lte(2))),
  frequency_penalty: opt(z.number().check(z.gte(-2), z.lte(2))),
  logprobs: opt(z.literal(false, 'logprobs are not supported')),
  metadata: opt(z.record(z.string(), z.string())),
  store: opt(z.boolean()),
  routing: z.optional(routingSchema),
});

type RawChatRequest = z.infer<typeof chatRequestSchema>;
type RawUserContent = z.infer<typeof userContent>;

/** Formats a zod path as an OpenAI `param` (`messages[0].content`). */
export function formatParam(path: readonly PropertyKey[]): string | null {
  if (path.length === 0) return null;
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Turns the first zod issue into a 400 naming the field. */
export function zodToGatewayError(error: {
  readonly issues: readonly z.core.$ZodIssue[];
}): GatewayError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const param = formatParam([...issue.path, key]);
    return badRequest(
      `unrecognized request argument supplied: ${param}`,
      param,
      'unknown_parameter'
    );
  }
  if (issue.code === 'invalid_union') {
    // Prefer a branch where the type matched but a value was wrong (e.g. a
    // fifth stop sequence): its message is the useful one.
    for (const branch of issue.errors) {
      const inner = branch[0];
      if (inner && inner.code !== 'invalid_type') {
        const p = formatParam([...issue.path, ...inner.path]);
        return badRequest(
          `${p ?? 'body'}: ${inner.message}`,
          p,
          'invalid_value'
        );
      }
    }
  }
  const param = formatParam(issue.path);
  const code =
    issue.code === 'invalid_type' ||
    (issue.code === 'invalid_union' && issue.errors.length > 0)
      ? 'invalid_type'
      : 'invalid_value';
  return badRequest(`${param ?? 'body'}: ${issue.message}`, param, code);
}

function joinText(
  content: string | readonly { type: string; text?: string }[]
): string {
  if (typeof content === 'string') return content;
  let out = '';
  for (const p of content) if (p.type === 'text') out += p.text ?? '';
  return out;
}

function normaliseMessages(raw: RawChatRequest['messages']): ChatMessage[] {
  // The ids of the assistant turn tool messages may answer: OpenAI accepts a
  // tool message only right after the assistant message with `tool_calls`
  // (or after other answers to that turn), and refuses it anywhere else.
  let openCalls: Set<string> | undefined;
  const out: ChatMessage[] = [];
  for (let i = 0; i < raw.length; i++) {
    const m = raw[i]!;
    if (m.role !== 'tool') openCalls = undefined;
    switch (m.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', content: joinText(m.content) });
        break;
      case 'user': {
        const parts = userParts(m.content, i);
        out.push({
          role: 'user',
          content: joinText(m.content),
          ...(m.name ? { name: m.name } : {}),
          ...(parts ? { parts } : {}),
        });
        break;
      }
      case 'assistant': {
        const toolCalls: ToolCall[] | undefined = m.tool_calls?.length
          ? m.tool_calls
          : undefined;
        if (toolCalls) openCalls = new Set(toolCalls.map((c) => c.id));
        const content =
          m.content == null
            ? null
            : joinText(m.content) || (toolCalls ? null : '');
        if (content === null && !toolCalls) {
          throw badRequest(
            `messages[${i}]: an assistant message needs content or tool_calls`,
            `messages[${i}].content`
          );
        }
        out.push(
          toolCalls
            ? { role: 'assistant', content, toolCalls }
            : { role: 'assistant', content }
        );
        break;
      }
      case 'tool':
        if (!openCalls) {
          throw badRequest(
            `messages[${i}]: a message with role "tool" must answer a preceding assistant message with "tool_calls"`,
            `messages[${i}]`,
            'invalid_value'
          );
        }
        if (!openCalls.has(m.tool_call_id)) {
          throw badRequest(
            `messages[${i}].tool_call_id: the preceding assistant message has no tool call with id ${JSON.stringify(m.tool_call_id)}`,
            `messages[${i}].tool_call_id`,
            'invalid_value'
          );
        }
        out.push({
          role: 'tool',
          content: joinText(m.content),
          toolCallId: m.tool_call_id,
        });
        break;
    }
  }
  return out;
}

function checkTools(
  tools: readonly ToolDefinition[] | undefined,
  choice: ToolChoice | undefined
): void {
  if (tools) {
    const names = new Set<string>();
    tools.forEach((t, i) => {
      if (names.has(t.function.name)) {
        throw badRequest(
          `tools[${i}].function.name: duplicate tool name ${t.function.name}`,
          `tools[${i}].function.name`,
          'invalid_value'
        );
      }
      names.add(t.function.name);
    });
    if (typeof choice === 'object' && !names.has(choice.function.name)) {
      throw badRequest(
        `tool_choice: no tool named ${JSON.stringify(choice.function.name)} in tools`,
        'tool_choice.function.name',
        'invalid_value'
      );
    }
  } else if (choice !== undefined && choice !== 'none' && choice !== 'auto') {
    throw badRequest(
      'tool_choice: only allowed when tools are specified',
      'tool_choice',
      'invalid_value'
    );
  }
}

/** Media parts of user messages (lambdas/core/media); text-only gives undefined. */
function userParts(
  content: RawUserContent,
  i: number
): UserContentPart[] | undefined {
  if (typeof content === 'string') return undefined;
  if (content.every((p) => p.type === 'text')) return undefined;
  return content.map((p, j): UserContentPart => {
    const param = `messages[${i}].content[${j}]`;
    switch (p.type) {
      case 'text':
        return { type: 'text', text: p.text };
      case 'image_url':
        return parseImageUrl(p.image_url.url, p.image_url.detail, param);
      default:
        return parseFile(p.file, param);
    }
  });
}

/** Parts we can't take (audio, media outside user turns): say so by name, not as a schema mismatch. */
function rejectNonTextParts(messages: unknown): void {
  if (!Array.isArray(messages)) return;
  messages.forEach((m, i) => {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) return;
    const isUser = (m as { role?: unknown }).role === 'user';
    content.forEach((part, j) => {
      const type = (part as { type?: unknown } | null)?.type;
      if (isUser && (type === 'image_url' || type === 'file')) return;
      if (typeof type === 'string' && type !== 'text' && type !== 'refusal') {
        throw badRequest(
          `messages[${i}].content[${j}].type: content parts of type ${JSON.stringify(type.slice(0, 40))} are not supported; send text`,
          `messages[${i}].content[${j}].type`,
          'unsupported_content_type'
        );
      }
    });
  });
}

/** Permissive schema used when a json_schema format carries none (OpenAI allows it). */
const ANY_OBJECT_SCHEMA: Record<string, unknown> = { type: 'object' };

/** Normalises `response_format`; compiles a json_schema's schema (400 when it can't be). */
function toResponseFormat(
  raw: RawChatRequest['response_format']
): ResponseFormat | undefined {
  if (raw == null) return undefined;
  if (raw.type !== 'json_schema') return { type: raw.type };
  const js = raw.json_schema;
  const schema = js.schema ?? ANY_OBJECT_SCHEMA;
  try {
    validatorFor(schema);
  } catch (err) {
    if (err instanceof JsonSchemaEngineNotLoadedError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw badRequest(
      `response_format.json_schema.schema: not a valid JSON Schema (${why.slice(0, 200)})`,
      'response_format.json_schema.schema',
      'invalid_value'
    );
  }
  return {
    type: 'json_schema',
    jsonSchema: {
      name: js.name,
      ...(js.description !== undefined ? { description: js.description } : {}),
      schema,
      strict: js.strict === true,
    },
  };
}

/**
 * Validates a parsed JSON body and normalises it into a ChatRequest.
 * Throws a GatewayError (400) naming the first bad field.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(
      'the request body must be a JSON object',
      null,
      'invalid_json'
    );
  }
  rejectNonTextParts((body as { messages?: unknown }).messages);
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToGatewayError(parsed.error);
  const r = parsed.data;
  if (r.stream_options && !r.stream) {
    throw badRequest(
      'stream_options: only allowed when stream is true',
      'stream_options',
      'invalid_value'
    );
  }
  const tools = r.tools?.length ? (r.tools as ToolDefinition[]) : undefined;
  checkTools(tools, r.tool_choice);
  const maxTokens = r.max_completion_tokens ?? r.max_tokens ?? undefined;
  const stop =
    r.stop == null ? undefined : typeof r.stop === 'string' ? [r.stop] : r.stop;
  const routing = r.routing ?? {};
  return {
    model: r.model,
    messages: normaliseMessages(r.messages),
    maxTokens,
    temperature: r.temperature ?? undefined,
    topP: r.top_p ?? undefined,
    stop: stop?.length ? stop : undefined,
    user: r.user,
    tools,
    toolChoice: r.tool_choice,
    parallelToolCalls: r.parallel_tool_calls,
    responseFormat: toResponseFormat(r.response_format),
    reasoningEffort: r.reasoning_effort ?? undefined,
    seed: r.seed ?? undefined,
    stream: r.stream === true,
    includeUsage: r.stream === true && r.stream_options?.include_usage === true,
    routing: {
      domain: routing.domain,
      budgetTier: routing.budget_tier,
      maxLatencyMs: routing.max_latency_ms,
      region: routing.region,
      providers: routing.providers,
    },
  };
}
