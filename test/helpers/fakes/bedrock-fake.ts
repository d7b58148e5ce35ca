import { randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import {
  EventStreamCodec,
  type MessageHeaders,
} from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
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
 * Loopback fake of Bedrock Runtime Converse / ConverseStream. It speaks the
 * real wire protocol (HTTP/2 cleartext, awsRestJson1 errors, binary
 * `application/vnd.amazon.eventstream` frames) so the unmodified
 * BedrockRuntimeClient works against it with dummy credentials and
 * `endpoint: fake.url`. It also enforces the Converse rules that bite
 * adapters (role alternation, toolConfig with tool blocks, paired tool ids),
 * so a passing contract test means the request would not be rejected.
 */

/** Exception members ConverseStream can send in-band. */
export type BedrockStreamExceptionType =
  | 'modelStreamErrorException'
  | 'throttlingException'
  | 'internalServerException'
  | 'serviceUnavailableException'
  | 'validationException';

/** The shared switches plus Bedrock-only ones. */
export interface BedrockFakeBehavior extends FakeBehavior {
  /** Which exception `streamErrorAfterChunks` sends (default modelStreamErrorException). */
  streamExceptionType?: BedrockStreamExceptionType;
  /** Overrides the `message` of error answers (e.g. a context-length text). */
  errorMessage?: string;
}

/** Control surface of the Bedrock fake. */
export interface FakeBedrockServer extends FakeProviderServer {
  setBehavior(patch: Partial<BedrockFakeBehavior>): void;
  /** HTTP/2 streams currently open (a leak shows as a non-zero count). */
  readonly openStreams: number;
  /** HTTP/2 sessions (connections) currently open. */
  readonly openSessions: number;
}

/** Exception name and default message per error status, as Bedrock answers. */
const ERRORS: Readonly<Record<number, { name: string; message: string }>> = {
  400: {
    name: 'ValidationException',
    message:
      'Malformed input request, please reformat your input and try again.',
  },
  401: {
    name: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid.',
  },
  403: {
    name: 'AccessDeniedException',
    message: "You don't have access to the model with the specified model ID.",
  },
  404: {
    name: 'ResourceNotFoundException',
    message: 'The requested resource could not be found.',
  },
  408: {
    name: 'ModelTimeoutException',
    message:
      'Model has timed out in processing the request. Try your request again.',
  },
  424: {
    name: 'ModelErrorException',
    message: 'The model encountered an error processing the request.',
  },
  429: {
    name: 'ThrottlingException',
    message: 'Too many requests, please wait before trying again.',
  },
  500: {
    name: 'InternalServerException',
    message:
      'The server encountered an internal error while processing the request.',
  },
  503: {
    name: 'ServiceUnavailableException',
    message: 'Bedrock is unable to process your request.',
  },
};

const ERROR_TYPE_SUFFIX =
  ':http://internal.amazon.com/coral/com.amazon.bedrock/';
const PATH = /^\/model\/([^/]+)\/(converse|converse-stream)$/;
const INVOKE_PATH = /^\/model\/([^/]+)\/invoke$/;
const TOOL_USE_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const STOP_REASONS: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'guardrail_intervened',
};

/** Pause before a drop, so frames already written reach the client. */
const DROP_GRACE_MS = 25;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** The subset of the Converse request JSON the fake reads. */
interface WireBlock {
  text?: string;
  toolUse?: { toolUseId?: string; name?: string; input?: unknown };
  toolResult?: {
    toolUseId?: string;
    content?: { text?: string; json?: unknown }[];
    status?: string;
  };
  image?: { format?: string; source?: { bytes?: unknown } };
  document?: { format?: string; name?: string; source?: { bytes?: unknown } };
}
interface WireMessage {
  role?: string;
  content?: WireBlock[];
}
interface WireRequest {
  messages?: WireMessage[];
  system?: { text?: string }[];
  inferenceConfig?: { maxTokens?: number; temperature?: number };
  toolConfig?: {
    tools?: { toolSpec?: { name?: string } }[];
    toolChoice?: { auto?: object; any?: object; tool?: { name?: string } };
  };
  outputConfig?: {
    textFormat?: {
      type?: string;
      structure?: {
        jsonSchema?: { schema?: unknown; name?: string; description?: string };
      };
    };
  };
  additionalModelRequestFields?: {
    thinking?: { type?: string; budget_tokens?: unknown };
    reasoningConfig?: { type?: string; maxReasoningEffort?: string };
  };
}

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeBedrock(): Promise<FakeBedrockServer> {
  let behavior: BedrockFakeBehavior = defaultBehavior();
  const requests: RecordedRequest[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const streams = new Set<http2.ServerHttp2Stream>();
  let toolUseSeq = 0;

  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    // A session destroyed on purpose (drop) may report errors; not a failure.
    session.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => {
    streams.add(stream);
    stream.on('close', () => streams.delete(stream));
    stream.on('error', () => undefined);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      void handle(stream, headers, Buffer.concat(chunks).toString('utf8'));
    });
  });

  /** InvokeModel of the embedding models: Titan v2 (one text) and Cohere Embed (texts). */
  async function handleInvoke(
    stream: http2.ServerHttp2Stream,
    modelId: string,
    body: unknown
  ): Promise<void> {
    const b = behaviorFor(behavior) as BedrockFakeBehavior;
    if (shouldFail(b)) {
      const known = ERRORS[b.errorStatus!] ?? ERRORS[500]!;
      sendError(
        stream,
        b.errorStatus!,
        known.name,
        b.errorMessage ?? known.message,
        b.retryAfterSeconds === undefined
          ? undefined
          : String(b.retryAfterSeconds)
      );
      return;
    }
    if (b.hang) return;
    if (b.latencyMs > 0) await sleep(b.latencyMs);
    if (!writable(stream)) return;
    const req = (body ?? {}) as Record<string, unknown>;
    let answer: object;
    if (modelId.includes('titan-embed')) {
      const dims = req.dimensions ?? 1024;
      if (
        typeof req.inputText !== 'string' ||
        req.inputText.length === 0 ||
        ![256, 512, 1024].includes(dims as number)
      ) {
        sendError(stream, 400, 'ValidationException', ERRORS[400]!.message);
        return;
      }
      answer = {
        embedding: fakeEmbedding(req.inputText, dims as number),
        inputTextTokenCount: fakeTokenCount(req.inputText),
      };
    } else if (modelId.includes('cohere.embed')) {
      const texts = req.texts;
      if (
        !Array.isArray(texts) ||
        texts.length === 0 ||
        texts.length > 96 ||
        typeof req.input_type !== 'string'
      ) {
        sendError(stream, 400, 'ValidationException', ERRORS[400]!.message);
        return;
      }
      const vectors = texts.map((t) => fakeEmbedding(String(t), 1024));
      answer = {
        id: randomUUID(),
        texts,
        response_type: Array.isArray(req.embedding_types)
          ? 'embeddings_by_type'
          : 'embeddings_floats',
        embeddings: Array.isArray(req.embedding_types)
          ? { float: vectors }
          : vectors,
      };
    } else {
      sendError(
        stream,
        400,
        'ValidationException',
        'The provided model identifier is invalid.'
      );
      return;
    }
    stream.respond({
      ':status': 200,
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
    });
    stream.end(JSON.stringify(answer));
  }

  async function handle(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    raw: string
  ): Promise<void> {
    const method = String(headers[':method'] ?? '');
    const path = String(headers[':path'] ?? '');
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : {};
    } catch {
      body = raw;
    }
    requests.push({ method, path, headers: { ...headers }, body });

    const invoke = INVOKE_PATH.exec(path.split('?')[0]!);
    if (method === 'POST' && invoke) {
      await handleInvoke(stream, decodeURIComponent(invoke[1]!), body);
      return;
    }
    const match = PATH.exec(path.split('?')[0]!);
    if (method !== 'POST' || !match) {
      sendError(stream, 404, 'UnknownOperationException', 'Unknown operation');
      return;
    }
    if (typeof body !== 'object' || body === null) {
      sendError(stream, 400, 'SerializationException', 'Malformed JSON body');
      return;
    }
    // The current behaviour at arrival time governs the whole answer.
    const b = behaviorFor(behavior) as BedrockFakeBehavior;
    if (shouldFail(b)) {
      const status = b.errorStatus!;
      const known = ERRORS[status] ?? ERRORS[500]!;
      const retryAfter =
        b.retryAfterSeconds !== undefined
          ? String(b.retryAfterSeconds)
          : undefined;
      sendError(
        stream,
        status,
        known.name,
        b.errorMessage ?? known.message,
        retryAfter
      );
      return;
    }
    if (b.hang) return; // keep the stream open until the client gives up
    if (b.latencyMs > 0) await sleep(b.latencyMs);
    if (!writable(stream)) return;

    const request = body as WireRequest;
    const invalid = validate(request);
    if (invalid) {
      sendError(stream, 400, 'ValidationException', invalid);
      return;
    }
    const view = toView(
      decodeURIComponent(match[1]!),
      match[2] === 'converse-stream',
      request
    );
    const reply = b.responder(view);
    const calls = (reply.toolCalls ?? []).map((c) => ({
      id:
        c.id ??
        `tooluse_${String(++toolUseSeq).padStart(4, '0')}${randomUUID().slice(0, 8)}`,
      name: c.name,
      input: c.arguments,
    }));
    const usage = replyUsage(view, reply);
    const stopReason =
      STOP_REASONS[
        reply.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop')
      ]!;

    if (!view.stream) {
      const content: object[] = [];
      if (reply.reasoning)
        content.push({
          reasoningContent: {
            reasoningText: { text: reply.reasoning, signature: 'c2lnbmF0dXJl' },
          },
        });
      if (reply.text || calls.length === 0)
        content.push({ text: reply.text ?? '' });
      for (const c of calls)
        content.push({
          toolUse: { toolUseId: c.id, name: c.name, input: c.input },
        });
      stream.respond({
        ':status': 200,
        'content-type': 'application/json',
        'x-amzn-requestid': randomUUID(),
      });
      stream.end(
        JSON.stringify({
          output: { message: { role: 'assistant', content } },
          stopReason,
          usage: {
            inputTokens: usage.input,
            outputTokens: usage.output,
            totalTokens: usage.input + usage.output,
          },
          metrics: { latencyMs: b.latencyMs },
        })
      );
      return;
    }

    stream.respond({
      ':status': 200,
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': randomUUID(),
    });
    let sent = 0;
    /** Sends a content frame unless a fault switch fires first; false = stop. */
    const content = async (
      event: string,
      payload: object
    ): Promise<boolean> => {
      if (b.dropAfterChunks !== undefined && sent >= b.dropAfterChunks) {
        // Like a connection reset: no closing frame, the socket just goes.
        // The pause lets the client consume what was sent first; destroying
        // at once would discard frames still buffered on its side.
        await sleep(DROP_GRACE_MS);
        stream.session?.destroy();
        return false;
      }
      if (
        b.streamErrorAfterChunks !== undefined &&
        sent >= b.streamErrorAfterChunks
      ) {
        const type = b.streamExceptionType ?? 'modelStreamErrorException';
        stream.end(
          frame(
            {
              ':message-type': { type: 'string', value: 'exception' },
              ':exception-type': { type: 'string', value: type },
              ':content-type': { type: 'string', value: 'application/json' },
            },
            { message: b.errorMessage ?? 'The model stream failed.' }
          )
        );
        return false;
      }
      if (sent > 0 && b.chunkDelayMs > 0) await sleep(b.chunkDelayMs);
      if (!writable(stream)) return false;
      sent += 1;
      // Wait for the flush so a drop right after still delivers this frame.
      await new Promise<void>((resolve) =>
        stream.write(eventFrame(event, payload), () => resolve())
      );
      return true;
    };
    const event = (name: string, payload: object): boolean => {
      if (!writable(stream)) return false;
      stream.write(eventFrame(name, payload));
      return true;
    };

    if (!event('messageStart', { role: 'assistant' })) return;
    let blockIndex = 0;
    if (reply.reasoning) {
      for (const piece of chunkText(reply.reasoning, b.chunkSize)) {
        const ok = await content('contentBlockDelta', {
          contentBlockIndex: blockIndex,
          delta: { reasoningContent: { text: piece } },
        });
        if (!ok) return;
      }
      if (
        !event('contentBlockDelta', {
          contentBlockIndex: blockIndex,
          delta: { reasoningContent: { signature: 'c2lnbmF0dXJl' } },
        })
      )
        return;
      if (!event('contentBlockStop', { contentBlockIndex: blockIndex })) return;
      blockIndex += 1;
    }
    if (reply.text || calls.length === 0) {
      for (const piece of chunkText(reply.text ?? '', b.chunkSize)) {
        const ok = await content('contentBlockDelta', {
          contentBlockIndex: blockIndex,
          delta: { text: piece },
        });
        if (!ok) return;
      }
      if (!event('contentBlockStop', { contentBlockIndex: blockIndex })) return;
      blockIndex += 1;
    }
    for (const c of calls) {
      if (
        !event('contentBlockStart', {
          contentBlockIndex: blockIndex,
          start: { toolUse: { toolUseId: c.id, name: c.name } },
        })
      )
        return;
      for (const piece of chunkText(JSON.stringify(c.input), b.chunkSize)) {
        const ok = await content('contentBlockDelta', {
          contentBlockIndex: blockIndex,
          delta: { toolUse: { input: piece } },
        });
        if (!ok) return;
      }
      if (!event('contentBlockStop', { contentBlockIndex: blockIndex })) return;
      blockIndex += 1;
    }
    if (!event('messageStop', { stopReason })) return;
    if (!writable(stream)) return;
    stream.end(
      eventFrame('metadata', {
        usage: {
          inputTokens: usage.input,
          outputTokens: usage.output,
          totalTokens: usage.input + usage.output,
        },
        metrics: { latencyMs: b.latencyMs + b.chunkDelayMs * sent },
      })
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get openStreams() {
      return streams.size;
    },
    get openSessions() {
      return sessions.size;
    },
    setBehavior(patch) {
      behavior = { ...behavior, ...patch };
    },
    reset() {
      behavior = defaultBehavior();
      requests.length = 0;
    },
    close() {
      for (const session of sessions) session.destroy();
      return new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve()))
      );
    },
  };
}

function writable(stream: http2.ServerHttp2Stream): boolean {
  return !stream.destroyed && !stream.closed && !stream.writableEnded;
}

function sendError(
  stream: http2.ServerHttp2Stream,
  status: number,
  name: string,
  message: string,
  retryAfter?: string
): void {
  if (!writable(stream)) return;
  stream.respond({
    ':status': status,
    'content-type': 'application/json',
    // HTTP/2 header names are lower case on the wire (x-amzn-ErrorType).
    'x-amzn-errortype': `${name}${ERROR_TYPE_SUFFIX}`,
    'x-amzn-requestid': randomUUID(),
    ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}),
  });
  stream.end(JSON.stringify({ message }));
}

function frame(headers: MessageHeaders, payload: object): Uint8Array {
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

function eventFrame(event: string, payload: object): Uint8Array {
  return frame(
    {
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: event },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    payload
  );
}

/**
 * The Converse rules an adapter must satisfy, with Bedrock's own wording.
 * Returns the ValidationException message, or undefined when valid. Exported
 * so property tests can check transforms without a server round trip.
 */
export function validateConverseRequest(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'Malformed JSON body';
  return validate(body as WireRequest);
}

function validate(req: WireRequest): string | undefined {
  const messages = req.messages;
  if (
    !Array.isArray(messages) ||
    messages.length === 0 ||
    messages[0]?.role !== 'user'
  )
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';

  const structured = validateOutputConfig(req);
  if (structured) return structured;
  const thinking = validateThinking(req);
  if (thinking) return thinking;

  const toolNames = (req.toolConfig?.tools ?? []).map((t) => t.toolSpec?.name);
  if (req.toolConfig) {
    if (toolNames.length === 0)
      return 'The value at toolConfig.tools must contain at least one tool.';
    const forced = req.toolConfig.toolChoice?.tool?.name;
    if (forced !== undefined && !toolNames.includes(forced))
      return `The tool ${forced} in toolConfig.toolChoice is not defined in toolConfig.tools.`;
  }

  let usesTools = false;
  for (let i = 0; i < messages.length; i += 1) {
    const m = messages[i]!;
    if (m.role !== 'user' && m.role !== 'assistant')
      return `Invalid role at messages.${i}.`;
    if (i > 0 && messages[i - 1]!.role === m.role)
      return 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';
    if (!Array.isArray(m.content) || m.content.length === 0)
      return `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`;
    for (let j = 0; j < m.content.length; j += 1) {
      const block = m.content[j]!;
      if (typeof block.text === 'string' && block.text.trim().length === 0)
        return `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`;
      const media = validateMediaBlock(block, i, j, m.role);
      if (media) return media;
      if (block.toolUse) {
        usesTools = true;
        if (m.role !== 'assistant')
          return `toolUse is only allowed in assistant messages (messages.${i}).`;
        if (!TOOL_USE_ID.test(block.toolUse.toolUseId ?? ''))
          return `Value at messages.${i}.content.${j}.toolUse.toolUseId failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+`;
        const input = block.toolUse.input;
        if (typeof input !== 'object' || input === null || Array.isArray(input))
          return `The toolUse input at messages.${i}.content.${j} must be a JSON object.`;
      }
      if (block.toolResult) {
        usesTools = true;
        if (m.role !== 'user')
          return `toolResult is only allowed in user messages (messages.${i}).`;
        if (!Array.isArray(block.toolResult.content))
          return `The toolResult at messages.${i}.content.${j} has no content.`;
      }
    }
    // Every toolUse must be answered in the very next user turn, by id.
    if (m.role === 'user' && i > 0) {
      const asked = ids(messages[i - 1]!, 'toolUse');
      const answered = ids(m, 'toolResult');
      if (asked.length > 0 || answered.length > 0) {
        const same =
          asked.length === answered.length &&
          asked.every((id) => answered.includes(id));
        if (!same)
          return `Expected toolResult blocks at messages.${i}.content for the following Ids: ${asked.join(', ')}, but found: ${answered.join(', ')}`;
      }
    }
  }
  if (messages[0]!.content!.some((b) => b.toolResult))
    return 'The first message cannot contain toolResult blocks without a preceding toolUse.';
  if (usesTools && !req.toolConfig)
    return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  return undefined;
}

const IMAGE_FORMATS = ['png', 'jpeg', 'gif', 'webp'];
const DOCUMENT_FORMATS = [
  'pdf',
  'csv',
  'doc',
  'docx',
  'xls',
  'xlsx',
  'html',
  'txt',
  'md',
];
const DOCUMENT_NAME = /^(?!.*\s\s)[A-Za-z0-9\s\-()[\]]+$/;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Converse image/document blocks: bytes arrive base64 in the JSON body. */
function validateMediaBlock(
  block: WireBlock,
  i: number,
  j: number,
  role: string | undefined
): string | undefined {
  const at = `messages.${i}.content.${j}`;
  for (const kind of ['image', 'document'] as const) {
    const b = block[kind];
    if (!b) continue;
    if (role !== 'user')
      return `${kind} blocks are only allowed in user messages (${at}).`;
    const formats = kind === 'image' ? IMAGE_FORMATS : DOCUMENT_FORMATS;
    if (!formats.includes(b.format ?? ''))
      return `1 validation error detected: Value '${String(b.format)}' at '${at}.${kind}.format' failed to satisfy constraint: Member must satisfy enum value set: [${formats.join(', ')}]`;
    const bytes = b.source?.bytes;
    if (typeof bytes !== 'string' || bytes.length === 0 || !B64.test(bytes))
      return `${at}.${kind}.source.bytes must be base64 data`;
    if (kind === 'document') {
      const name = (b as { name?: string }).name ?? '';
      if (!DOCUMENT_NAME.test(name))
        return `The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character. (${at})`;
    }
  }
  return undefined;
}

/** `outputConfig.textFormat`: json_schema with the schema as a JSON string. */
function validateOutputConfig(req: WireRequest): string | undefined {
  const format = req.outputConfig?.textFormat;
  if (!req.outputConfig) return undefined;
  if (!format) return 'outputConfig.textFormat must be set';
  if (format.type !== 'json_schema')
    return `1 validation error detected: Value '${String(format.type)}' at 'outputConfig.textFormat.type' failed to satisfy constraint: Member must satisfy enum value set: [json_schema]`;
  const schema = format.structure?.jsonSchema?.schema;
  if (typeof schema !== 'string')
    return 'outputConfig.textFormat.structure.jsonSchema.schema must be a string';
  try {
    const parsed: unknown = JSON.parse(schema);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return 'The provided JSON schema is invalid: the schema must be a JSON object.';
  } catch {
    return 'The provided JSON schema is invalid: it is not valid JSON.';
  }
  return undefined;
}

/** Claude's extended-thinking rules, with Anthropic's wording. */
function validateThinking(req: WireRequest): string | undefined {
  const thinking = req.additionalModelRequestFields?.thinking;
  if (thinking?.type !== 'enabled') return undefined;
  const budget = thinking.budget_tokens;
  if (typeof budget !== 'number' || budget < 1024)
    return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
  const max = req.inferenceConfig?.maxTokens;
  if (max === undefined || max <= budget)
    return '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size';
  const choice = req.toolConfig?.toolChoice;
  if (choice?.any || choice?.tool)
    return 'Thinking may not be enabled when tool_choice forces tool use.';
  const temperature = req.inferenceConfig?.temperature;
  if (temperature !== undefined && temperature !== 1)
    return '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility';
  return undefined;
}

function ids(message: WireMessage, kind: 'toolUse' | 'toolResult'): string[] {
  const out: string[] = [];
  for (const block of message.content ?? []) {
    const id = block[kind]?.toolUseId;
    if (id !== undefined) out.push(id);
  }
  return out;
}

function toView(
  model: string,
  stream: boolean,
  req: WireRequest
): FakeChatView {
  const system = (req.system ?? [])
    .map((s) => s.text)
    .filter((t): t is string => typeof t === 'string');
  const messages: FakeMessage[] = (req.messages ?? []).map((m) => {
    const text = (m.content ?? [])
      .map((b) => b.text)
      .filter((t): t is string => typeof t === 'string')
      .join('');
    const toolCalls = (m.content ?? [])
      .filter((b) => b.toolUse)
      .map((b) => ({
        id: b.toolUse!.toolUseId ?? '',
        name: b.toolUse!.name ?? '',
        arguments: b.toolUse!.input,
      }));
    const toolResults = (m.content ?? [])
      .filter((b) => b.toolResult)
      .map((b) => ({
        id: b.toolResult!.toolUseId ?? '',
        content: (b.toolResult!.content ?? [])
          .map((c) =>
            typeof c.text === 'string' ? c.text : JSON.stringify(c.json)
          )
          .join(''),
      }));
    const onlyResults = toolResults.length > 0 && text.length === 0;
    return {
      role:
        m.role === 'assistant' ? 'assistant' : onlyResults ? 'tool' : 'user',
      text,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(toolResults.length > 0 ? { toolResults } : {}),
    };
  });
  const choice = req.toolConfig?.toolChoice;
  const toolChoice =
    choice?.tool?.name ??
    (choice?.any ? 'any' : choice?.auto ? 'auto' : undefined);
  return {
    model,
    stream,
    ...(system.length > 0 ? { system: system.join('\n') } : {}),
    messages,
    tools: (req.toolConfig?.tools ?? [])
      .map((t) => t.toolSpec?.name)
      .filter((n): n is string => typeof n === 'string'),
    ...(toolChoice !== undefined ? { toolChoice } : {}),
    ...(req.inferenceConfig?.maxTokens !== undefined
      ? { maxTokens: req.inferenceConfig.maxTokens }
      : {}),
    ...responseFormatView(req),
    ...reasoningView(req),
  };
}

function responseFormatView(req: WireRequest): Partial<FakeChatView> {
  const js = req.outputConfig?.textFormat?.structure?.jsonSchema;
  if (!js || typeof js.schema !== 'string') return {};
  return {
    responseFormat: {
      type: 'json_schema',
      ...(js.name !== undefined ? { name: js.name } : {}),
      schema: JSON.parse(js.schema) as unknown,
    },
  };
}

function reasoningView(req: WireRequest): Partial<FakeChatView> {
  const fields = req.additionalModelRequestFields;
  if (fields?.thinking?.type === 'enabled')
    return {
      reasoning: { budgetTokens: fields.thinking.budget_tokens as number },
    };
  if (fields?.reasoningConfig?.type === 'enabled')
    return {
      reasoning: { effort: fields.reasoningConfig.maxReasoningEffort },
    };
  return {};
}

function replyUsage(
  view: FakeChatView,
  reply: FakeReply
): { input: number; output: number } {
  if (reply.usage) return reply.usage;
  const prompt = [
    view.system ?? '',
    ...view.messages.map(
      (m) => m.text + (m.toolResults ?? []).map((r) => r.content).join('')
    ),
  ].join('');
  const output =
    (reply.reasoning ?? '') +
    (reply.text ?? '') +
    (reply.toolCalls ?? []).map((c) => JSON.stringify(c.arguments)).join('');
  return { input: fakeTokenCount(prompt), output: fakeTokenCount(output) };
}
