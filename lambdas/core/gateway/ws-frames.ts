import * as z from 'zod/mini';
import type { OpenAIErrorBody } from '../api/errors';

/**
 * The WebSocket streaming contract (ARCHITECTURE.md "WebSocket streaming"):
 * JSON text frames, one generation per client-chosen id, several ids in
 * flight on one connection, exactly one terminal frame per id.
 */

/** The subprotocol the gateway speaks (echoed on the handshake). */
export const WS_PROTOCOL = 'gateway.v1';

/** Prefix of the browser auth subprotocol (`bearer.<key>`). */
export const WS_BEARER_PREFIX = 'bearer.';

/** Longest client id accepted (ids are echoed in every frame). */
export const WS_MAX_ID_LENGTH = 128;

/** Status of a generation the client cancelled (nginx's "client closed request"). */
export const WS_CANCELLED_STATUS = 499;

/** The `error` member of a `chat.error` frame: the OpenAI error plus the HTTP status. */
export type WsErrorPayload = OpenAIErrorBody['error'] & {
  readonly status: number;
  /** Seconds to wait before retrying (the `Retry-After` of an HTTP answer). */
  readonly retry_after?: number;
};

/** A frame the gateway sends. */
export type WsServerFrame =
  | { readonly type: 'chat.chunk'; readonly id: string; readonly chunk: object }
  | { readonly type: 'chat.done'; readonly id: string }
  | {
      readonly type: 'chat.error';
      /** null when the frame that failed had no readable id. */
      readonly id: string | null;
      readonly error: WsErrorPayload;
    };

/** A frame the client sends. */
export type WsClientFrame =
  | {
      readonly type: 'chat.create';
      readonly id: string;
      readonly request: Record<string, unknown>;
    }
  | { readonly type: 'chat.cancel'; readonly id: string };

const idSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(WS_MAX_ID_LENGTH));

const createSchema = z.object({
  type: z.literal('chat.create'),
  id: idSchema,
  request: z.record(z.string(), z.unknown()),
});

const cancelSchema = z.object({
  type: z.literal('chat.cancel'),
  id: idSchema,
});

/** A client frame that could not be accepted, with the id when it was readable. */
export interface WsFrameProblem {
  readonly id: string | null;
  readonly message: string;
  readonly param: string | null;
}

/**
 * Parses one client text frame. Returns the frame or the problem to answer
 * with (400); the connection stays open either way.
 */
export function parseClientFrame(
  text: string
): { frame: WsClientFrame } | { problem: WsFrameProblem } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      problem: {
        id: null,
        message: 'the frame is not valid JSON',
        param: null,
      },
    };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      problem: { id: null, message: 'the frame is not an object', param: null },
    };
  }
  const obj = raw as Record<string, unknown>;
  const id =
    typeof obj.id === 'string' &&
    obj.id.length > 0 &&
    obj.id.length <= WS_MAX_ID_LENGTH
      ? obj.id
      : null;
  const schema =
    obj.type === 'chat.create'
      ? createSchema
      : obj.type === 'chat.cancel'
        ? cancelSchema
        : undefined;
  if (!schema) {
    return {
      problem: {
        id,
        message: `unknown frame type ${JSON.stringify(obj.type ?? null)}; expected chat.create or chat.cancel`,
        param: 'type',
      },
    };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.length ? issue.path.join('.') : null;
    return {
      problem: {
        id,
        message: `invalid ${obj.type} frame: ${param ?? 'frame'}: ${issue?.message ?? 'invalid'}`,
        param,
      },
    };
  }
  return { frame: parsed.data as WsClientFrame };
}

/** A `chat.error` frame. */
export function errorFrame(
  id: string | null,
  status: number,
  error: OpenAIErrorBody['error'],
  retryAfter?: number
): WsServerFrame {
  return {
    type: 'chat.error',
    id,
    error: {
      ...error,
      status,
      ...(retryAfter !== undefined ? { retry_after: retryAfter } : {}),
    },
  };
}

/** A 400 `chat.error` frame for a frame the gateway could not accept. */
export function badFrame(
  id: string | null,
  message: string,
  code = 'invalid_frame',
  param: string | null = null
): WsServerFrame {
  return errorFrame(id, 400, {
    message,
    type: 'invalid_request_error',
    code,
    param,
  });
}

/** UTF-8 bytes a string takes inside a JSON string literal. */
function jsonBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s)) - 2;
}

/** Splits text on code-point boundaries into pieces of at most `budget` JSON bytes. */
function splitText(text: string, budget: number): string[] {
  const out: string[] = [];
  let piece = '';
  let size = 0;
  for (const cp of text) {
    const b = jsonBytes(cp);
    if (size + b > budget && piece.length > 0) {
      out.push(piece);
      piece = '';
      size = 0;
    }
    piece += cp;
    size += b;
  }
  if (piece.length > 0 || out.length === 0) out.push(piece);
  return out;
}

interface ChunkChoice {
  index?: number;
  delta?: {
    role?: string;
    content?: string | null;
    tool_calls?: {
      index: number;
      id?: string;
      type?: string;
      function?: { name?: string; arguments?: string };
    }[];
    [k: string]: unknown;
  };
  finish_reason?: string | null;
  [k: string]: unknown;
}

/**
 * Splits a `chat.chunk` frame whose JSON exceeds `maxBytes` into several
 * chunks of the same id (API Gateway WebSocket frames are at most 32 KB).
 * The text (content, or the arguments of a single tool-call delta) is cut on
 * code-point boundaries, so concatenating the deltas gives the original; the
 * role stays on the first piece, the finish reason on the last. Other frames
 * and chunks that can't be split are returned unchanged.
 */
export function splitChunkFrame(
  frame: WsServerFrame,
  maxBytes: number
): WsServerFrame[] {
  if (frame.type !== 'chat.chunk') return [frame];
  if (Buffer.byteLength(JSON.stringify(frame)) <= maxBytes) return [frame];
  const chunk = frame.chunk as { choices?: ChunkChoice[] };
  const choice = chunk.choices?.length === 1 ? chunk.choices[0] : undefined;
  const delta = choice?.delta;
  if (!choice || !delta) return [frame];
  const call = delta.tool_calls?.length === 1 ? delta.tool_calls[0] : undefined;
  const text =
    typeof delta.content === 'string' && delta.content.length > 0
      ? delta.content
      : call?.function?.arguments;
  if (!text) return [frame];
  const isContent = text === delta.content;
  const build = (piece: string, first: boolean, last: boolean) => {
    const d: ChunkChoice['delta'] = { ...delta };
    if (!first) delete d.role;
    if (isContent) d.content = piece;
    else {
      d.tool_calls = [
        first
          ? { ...call!, function: { ...call!.function, arguments: piece } }
          : { index: call!.index, function: { arguments: piece } },
      ];
    }
    return {
      type: 'chat.chunk' as const,
      id: frame.id,
      chunk: {
        ...chunk,
        choices: [
          {
            ...choice,
            delta: d,
            finish_reason: last ? choice.finish_reason : null,
          },
        ],
      },
    };
  };
  // The envelope with an empty text is the fixed cost of every piece.
  const overhead = Buffer.byteLength(JSON.stringify(build('', true, true)));
  const budget = maxBytes - overhead;
  if (budget < 16) return [frame];
  const pieces = splitText(text, budget);
  return pieces.map((p, i) => build(p, i === 0, i === pieces.length - 1));
}
