import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
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
} from './common';
import { fakeEmbedding } from './embedding-vectors';

/**
 * Loopback fake of the OpenAI Chat Completions API (what the Meta Llama API
 * compat endpoint, vLLM and Ollama also speak). Answers `POST
 * /v1/chat/completions` (JSON or SSE, byte-compatible with the official SDK)
 * and `GET /v1/models`. Built to be hammered by the benchmark: no logging and
 * no work per request beyond parsing and serialising JSON.
 */

/** Options of {@link startFakeOpenAI}. */
export interface FakeOpenAIOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** Record requests in `requests`. Turn off for load tests. @default true */
  readonly record?: boolean;
  /** Ids `GET /v1/models` lists. @default ['fake-model'] */
  readonly models?: readonly string[];
}

/** OpenAI-specific switches on top of the shared fault set. */
export interface FakeOpenAIBehavior extends FakeBehavior {
  /**
   * In streams: end the response cleanly (HTTP-wise) after this many content
   * chunks, with no finish_reason and no `[DONE]`, as a cutting proxy does.
   */
  truncateAfterChunks?: number;
  /**
   * With errorStatus: the OpenAI error `code` to send, e.g.
   * `context_length_exceeded` or `content_policy_violation`.
   */
  errorCode?: string;
}

/** Connection counters, to assert that clients release sockets. */
export interface FakeConnectionStats {
  /** TCP connections accepted since start/reset. */
  connections: number;
  /** TCP connections open now. */
  open: number;
  /** Responses the client closed before the fake finished them. */
  clientAborts: number;
}

/** The OpenAI fake's control surface. */
export interface FakeOpenAIServer extends FakeProviderServer {
  setBehavior(patch: Partial<FakeOpenAIBehavior>): void;
  readonly stats: FakeConnectionStats;
}

interface WireMessageIn {
  role?: string;
  content?: unknown;
  name?: string;
  tool_calls?: {
    id?: string;
    function?: { name?: string; arguments?: string };
  }[];
  tool_call_id?: string;
}

interface WireRequestIn {
  model?: string;
  messages?: WireMessageIn[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: { function?: { name?: string } }[];
  tool_choice?: string | { function?: { name?: string } };
  max_tokens?: number;
  max_completion_tokens?: number;
  response_format?: {
    type?: string;
    json_schema?: { name?: string; schema?: unknown; strict?: boolean };
  };
  reasoning_effort?: string;
}

interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Resolves after ms without keeping the process alive. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let out = '';
    for (const part of content) {
      if (part && typeof part.text === 'string') out += part.text;
    }
    return out;
  }
  return '';
}

function parseArguments(args: string | undefined): unknown {
  if (args === undefined) return {};
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

/** Parses an OpenAI request into the provider-neutral view the responders use. */
function toView(body: WireRequestIn): FakeChatView {
  let system: string | undefined;
  const messages: FakeMessage[] = [];
  for (const m of body.messages ?? []) {
    const text = textOf(m.content);
    if (m.role === 'system' || m.role === 'developer') {
      system = system === undefined ? text : `${system}\n${text}`;
    } else if (m.role === 'assistant') {
      messages.push({
        role: 'assistant',
        text,
        toolCalls: m.tool_calls?.map((c) => ({
          id: c.id ?? '',
          name: c.function?.name ?? '',
          arguments: parseArguments(c.function?.arguments),
        })),
      });
    } else if (m.role === 'tool') {
      const result = { id: m.tool_call_id ?? '', content: text };
      const prev = messages[messages.length - 1];
      // Parallel results arrive as consecutive tool messages: one turn.
      if (prev?.role === 'tool' && prev.toolResults) {
        messages[messages.length - 1] = {
          role: 'tool',
          text: `${prev.text}\n${text}`,
          toolResults: [...prev.toolResults, result],
        };
      } else {
        messages.push({ role: 'tool', text, toolResults: [result] });
      }
    } else {
      messages.push({ role: 'user', text });
    }
  }
  const choice = body.tool_choice;
  return {
    model: body.model ?? '',
    stream: body.stream === true,
    system,
    messages,
    tools: (body.tools ?? []).map((t) => t.function?.name ?? ''),
    toolChoice:
      typeof choice === 'string'
        ? choice
        : (choice?.function?.name ?? undefined),
    maxTokens: body.max_tokens ?? body.max_completion_tokens,
    ...(body.response_format?.type === 'json_object'
      ? { responseFormat: { type: 'json_object' as const } }
      : {}),
    ...(body.response_format?.type === 'json_schema'
      ? {
          responseFormat: {
            type: 'json_schema' as const,
            name: body.response_format.json_schema?.name,
            schema: body.response_format.json_schema?.schema,
          },
        }
      : {}),
    ...(body.reasoning_effort !== undefined
      ? { reasoning: { effort: body.reasoning_effort } }
      : {}),
  };
}

/** OpenAI's checks on response_format (its wording), or undefined. */
function responseFormatProblem(body: WireRequestIn): ErrorBody | undefined {
  const rf = body.response_format;
  if (rf === undefined) return undefined;
  if (!['text', 'json_object', 'json_schema'].includes(String(rf.type)))
    return {
      message: `Invalid value: '${String(rf.type)}'. Supported values are: 'json_object', 'json_schema', and 'text'.`,
      type: 'invalid_request_error',
      param: 'response_format.type',
      code: 'invalid_value',
    };
  if (rf.type === 'json_schema' && typeof rf.json_schema?.name !== 'string')
    return {
      message:
        "Missing required parameter: 'response_format.json_schema.name'.",
      type: 'invalid_request_error',
      param: 'response_format.json_schema.name',
      code: 'missing_required_parameter',
    };
  return undefined;
}

function promptText(view: FakeChatView): string {
  let out = view.system ?? '';
  for (const m of view.messages) out += m.text;
  return out;
}

/** OpenAI's error body for a status, with its real `type` and `code`. */
function errorFor(status: number, model: string, code?: string): ErrorBody {
  if (code === 'context_length_exceeded') {
    return {
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
      type: 'invalid_request_error',
      param: 'messages',
      code,
    };
  }
  if (code === 'content_filter' || code === 'content_policy_violation') {
    return {
      message:
        'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
      type: 'invalid_request_error',
      param: null,
      code,
    };
  }
  switch (status) {
    case 400:
      return {
        message: "Invalid value for 'messages': expected a non-empty array.",
        type: 'invalid_request_error',
        param: 'messages',
        code: code ?? 'invalid_value',
      };
    case 403:
      return {
        message: 'Country, region, or territory not supported',
        type: 'request_forbidden',
        param: null,
        code: code ?? 'unsupported_country_region_territory',
      };
    case 404:
      return {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: code ?? 'model_not_found',
      };
    case 429:
      return {
        message: `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in 1s.`,
        type: 'requests',
        param: null,
        code: code ?? 'rate_limit_exceeded',
      };
    case 503:
      return {
        message: 'The engine is currently overloaded, please try again later.',
        type: 'server_error',
        param: null,
        code: code ?? null,
      };
    default:
      return status >= 500
        ? {
            message:
              'The server had an error while processing your request. Sorry about that!',
            type: 'server_error',
            param: null,
            code: code ?? null,
          }
        : {
            message: 'The request could not be processed.',
            type: 'invalid_request_error',
            param: null,
            code: code ?? null,
          };
  }
}

/** Writes and resolves once the data was handed to the kernel. */
function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    res.write(data, () => resolve());
  });
}

function sendError(
  res: ServerResponse,
  status: number,
  error: ErrorBody,
  headers: Record<string, string> = JSON_HEADERS
): void {
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error }));
}

/** OpenAI's 401 quotes a masked key; the adapter must not pass it on. */
function unauthorized(
  res: ServerResponse,
  presented: string | undefined
): void {
  const masked =
    presented && presented.length > 8
      ? `${presented.slice(0, 3)}${'*'.repeat(presented.length - 7)}${presented.slice(-4)}`
      : presented;
  sendError(
    res,
    401,
    presented
      ? {
          message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        }
      : {
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          type: 'invalid_request_error',
          param: null,
          code: null,
        }
  );
}

function bearer(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  return value?.startsWith('Bearer ') ? value.slice(7) : undefined;
}

function redacted(req: IncomingMessage): RecordedRequest['headers'] {
  if (req.headers.authorization === undefined) return { ...req.headers };
  return { ...req.headers, authorization: 'Bearer [redacted]' };
}

/** Starts the fake on an ephemeral loopback port. */
export async function startFakeOpenAI(
  options: FakeOpenAIOptions = {}
): Promise<FakeOpenAIServer> {
  const record = options.record ?? true;
  const models = options.models ?? ['fake-model'];
  const requests: RecordedRequest[] = [];
  const stats: FakeConnectionStats = {
    connections: 0,
    open: 0,
    clientAborts: 0,
  };
  let behavior: FakeOpenAIBehavior = defaultBehavior();
  let sequence = 0;
  let closed = false;

  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    if (options.apiKey === undefined) return true;
    const presented = bearer(req);
    if (presented === options.apiKey) return true;
    unauthorized(res, presented);
    return false;
  }

  function replyToChat(
    body: WireRequestIn,
    res: ServerResponse,
    current: FakeOpenAIBehavior
  ): void {
    const view = toView(body);
    const reply: FakeReply = current.responder(view);
    const n = ++sequence;
    const id = `chatcmpl-fake${n}`;
    const created = Math.floor(Date.now() / 1000);
    const model = view.model;
    const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_fake${n}_${i}`,
      type: 'function' as const,
      function: { name: c.name, arguments: JSON.stringify(c.arguments) },
    }));
    const finishReason =
      reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
    let completionText = reply.text ?? '';
    for (const c of toolCalls) completionText += c.function.arguments;
    const promptTokens = reply.usage?.input ?? fakeTokenCount(promptText(view));
    const reasoningTokens = reply.reasoning
      ? fakeTokenCount(reply.reasoning)
      : undefined;
    const completionTokens =
      (reply.usage?.output ?? fakeTokenCount(completionText)) +
      (reasoningTokens ?? 0);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      // Reasoning models report their thinking here (never its text).
      ...(reasoningTokens !== undefined
        ? {
            completion_tokens_details: { reasoning_tokens: reasoningTokens },
          }
        : {}),
    };
    const requestId = `req_fake${n}`;

    if (!view.stream) {
      res.writeHead(200, { ...JSON_HEADERS, 'x-request-id': requestId });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: reply.text ?? null,
                refusal: null,
                ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
              },
              logprobs: null,
              finish_reason: finishReason,
            },
          ],
          usage,
          system_fingerprint: 'fp_fake',
        })
      );
      return;
    }

    const includeUsage = body.stream_options?.include_usage === true;
    // With include_usage OpenAI adds `"usage": null` to every chunk.
    const frame = (choices: unknown[], chunkUsage: unknown = null): string =>
      `data: ${JSON.stringify(
        includeUsage
          ? {
              id,
              object: 'chat.completion.chunk',
              created,
              model,
              system_fingerprint: 'fp_fake',
              choices,
              usage: chunkUsage,
            }
          : {
              id,
              object: 'chat.completion.chunk',
              created,
              model,
              system_fingerprint: 'fp_fake',
              choices,
            }
      )}\n\n`;
    const delta = (d: unknown, finish: string | null = null) => [
      { index: 0, delta: d, logprobs: null, finish_reason: finish },
    ];

    const head = frame(
      delta({ role: 'assistant', content: '', refusal: null })
    );
    const chunks: string[] = [];
    if (reply.text !== undefined || toolCalls.length === 0) {
      for (const piece of chunkText(reply.text ?? '', current.chunkSize)) {
        chunks.push(frame(delta({ content: piece })));
      }
    }
    toolCalls.forEach((c, index) => {
      chunks.push(
        frame(
          delta({
            tool_calls: [
              {
                index,
                id: c.id,
                type: 'function',
                function: { name: c.function.name, arguments: '' },
              },
            ],
          })
        )
      );
      for (const piece of chunkText(c.function.arguments, current.chunkSize)) {
        chunks.push(
          frame(
            delta({ tool_calls: [{ index, function: { arguments: piece } }] })
          )
        );
      }
    });
    const tail = frame(delta({}, finishReason));
    const usageFrame = includeUsage ? frame([], usage) : '';
    const done = 'data: [DONE]\n\n';

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': requestId,
    });
    const faulty =
      current.dropAfterChunks !== undefined ||
      current.streamErrorAfterChunks !== undefined ||
      current.truncateAfterChunks !== undefined;
    if (!faulty && current.chunkDelayMs <= 0) {
      res.end(head + chunks.join('') + tail + usageFrame + done);
      return;
    }
    void writeSlowly(res, current, head, chunks, tail + usageFrame + done);
  }

  async function writeSlowly(
    res: ServerResponse,
    current: FakeOpenAIBehavior,
    head: string,
    chunks: string[],
    end: string
  ): Promise<void> {
    let flushed = write(res, head);
    for (let i = 0; i <= chunks.length; i++) {
      if (current.chunkDelayMs > 0) await pause(current.chunkDelayMs);
      if (closed || res.destroyed) return;
      if (i === current.dropAfterChunks) {
        // Cut the TCP connection once what was written has left.
        await flushed;
        res.socket?.destroy();
        return;
      }
      if (i === current.streamErrorAfterChunks) {
        res.end(
          `data: ${JSON.stringify({
            error: {
              message:
                'The server had an error while processing your request. Sorry about that!',
              type: 'server_error',
              param: null,
              code: null,
            },
          })}\n\n`
        );
        return;
      }
      if (i === current.truncateAfterChunks) {
        res.end();
        return;
      }
      if (i < chunks.length) flushed = write(res, chunks[i]!);
    }
    res.end(end);
  }

  /** `/v1/embeddings`: deterministic vectors in OpenAI's list shape (float or base64). */
  async function replyToEmbeddings(
    body: unknown,
    res: ServerResponse
  ): Promise<void> {
    const current = behaviorFor(behavior) as FakeOpenAIBehavior;
    if (current.hang) return;
    if (current.latencyMs > 0) await pause(current.latencyMs);
    const b = (body ?? {}) as {
      model?: string;
      input?: unknown;
      dimensions?: number;
      encoding_format?: string;
    };
    if (shouldFail(current)) {
      const status = current.errorStatus!;
      sendError(
        res,
        status,
        errorFor(status, b.model ?? '', current.errorCode),
        {
          ...JSON_HEADERS,
          ...(status === 429 ? { 'retry-after': '1' } : {}),
        }
      );
      return;
    }
    const inputs = typeof b.input === 'string' ? [b.input] : b.input;
    if (
      !Array.isArray(inputs) ||
      inputs.length === 0 ||
      inputs.some((t) => typeof t !== 'string' || t.length === 0)
    ) {
      sendError(res, 400, {
        message: "'$.input' is invalid. Please check the API reference.",
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
      return;
    }
    const texts = inputs as string[];
    const dims = b.dimensions ?? 1536;
    let tokens = 0;
    res.writeHead(200, JSON_HEADERS);
    res.end(
      JSON.stringify({
        object: 'list',
        data: texts.map((t, index) => {
          tokens += fakeTokenCount(t);
          const v = fakeEmbedding(t, dims);
          return {
            object: 'embedding',
            index,
            embedding:
              b.encoding_format === 'base64'
                ? Buffer.from(new Float32Array(v).buffer).toString('base64')
                : v,
          };
        }),
        model: b.model ?? '',
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      })
    );
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string
  ): Promise<void> {
    const path = req.url ?? '/';
    const queryAt = path.indexOf('?');
    const route = queryAt === -1 ? path : path.slice(0, queryAt);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    if (record) {
      requests.push({
        method: req.method ?? '',
        path,
        headers: redacted(req),
        body,
      });
    }
    res.on('close', () => {
      if (!res.writableFinished) stats.clientAborts++;
    });

    if (req.method === 'GET' && route === '/v1/models') {
      if (!authorized(req, res)) return;
      res.writeHead(200, JSON_HEADERS);
      res.end(
        JSON.stringify({
          object: 'list',
          data: models.map((id) => ({
            id,
            object: 'model',
            created: 1700000000,
            owned_by: 'fake',
          })),
        })
      );
      return;
    }
    if (req.method === 'POST' && route === '/v1/embeddings') {
      if (!authorized(req, res)) return;
      await replyToEmbeddings(body, res);
      return;
    }
    if (req.method !== 'POST' || route !== '/v1/chat/completions') {
      sendError(res, 404, {
        message: `Invalid URL (${req.method} ${route})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
      return;
    }
    if (!authorized(req, res)) return;
    if (typeof body !== 'object' || body === null) {
      sendError(res, 400, {
        message:
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
      return;
    }
    const current = behaviorFor(behavior) as FakeOpenAIBehavior;
    if (current.hang) return;
    if (current.latencyMs > 0) {
      await pause(current.latencyMs);
      if (closed || res.destroyed) return;
    }
    const request = body as WireRequestIn;
    const formatProblem = responseFormatProblem(request);
    if (formatProblem) {
      sendError(res, 400, formatProblem);
      return;
    }
    if (shouldFail(current)) {
      const status = current.errorStatus!;
      const headers: Record<string, string> = { ...JSON_HEADERS };
      const retryAfter =
        current.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
      if (retryAfter !== undefined && (status === 429 || status === 503)) {
        headers['retry-after'] = String(retryAfter);
      }
      sendError(
        res,
        status,
        errorFor(status, request.model ?? '', current.errorCode),
        headers
      );
      return;
    }
    replyToChat(request, res, current);
  }

  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw =
        chunks.length === 1
          ? chunks[0]!.toString('utf8')
          : Buffer.concat(chunks).toString('utf8');
      void handle(req, res, raw);
    });
  });
  server.on('connection', (socket) => {
    stats.connections++;
    stats.open++;
    socket.on('close', () => {
      stats.open--;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    stats,
    setBehavior(patch) {
      behavior = { ...behavior, ...patch };
    },
    reset() {
      behavior = defaultBehavior();
      requests.length = 0;
      stats.connections = 0;
      stats.clientAborts = 0;
    },
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
