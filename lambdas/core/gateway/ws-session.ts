import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { OpenAIErrorBody } from '../api/errors';
import type { Log } from '../ports';
import type { ResponseSink } from './sink';
import {
  badFrame,
  errorFrame,
  parseClientFrame,
  WS_CANCELLED_STATUS,
  type WsServerFrame,
} from './ws-frames';

/**
 * Runs one chat completion request (the JSON body, `stream: true`) through
 * the router and writes its HTTP answer to the sink. The host builds it over
 * the router app, so WebSocket requests get the same auth, routing,
 * failover, limits, budgets, guardrails and stream-integrity rules as SSE.
 */
export type WsChatRunner = (body: string, sink: ResponseSink) => Promise<void>;

/**
 * Per-connection flight registry shared by every process serving the
 * connection (on AWS each frame is its own Lambda invocation, so a cancel
 * reaches another invocation than the generation it stops).
 */
export interface WsFlightStore {
  /** Registers `id` as in flight: `duplicate` when it already is, `full` at `max` flights. */
  begin(id: string, max: number): Promise<'ok' | 'duplicate' | 'full'>;
  /** Unregisters `id`; `cancelled`: also forget the cancel that stopped it. */
  end(id: string, cancelled: boolean): Promise<void>;
  /**
   * Records a cancel of `id`, whether or not its generation is registered
   * yet: on AWS the cancel's invocation may run before the create's.
   */
  requestCancel(id: string): Promise<void>;
  /** When a cancel of `id` was recorded (epoch ms), if one was. */
  cancelRequestedAt(id: string): Promise<number | undefined>;
}

/**
 * A cancel recorded up to this long before its generation started still
 * stops it (the cancel's invocation overtook the create's); an older one is
 * a leftover of an earlier use of the id.
 */
export const WS_EARLY_CANCEL_MS = 30_000;

/** Options of a {@link WsSession}. */
export interface WsSessionOptions {
  readonly run: WsChatRunner;
  /**
   * Sends one frame to the client, in order. Returns a promise when the
   * client is slower than the upstream (backpressure).
   */
  readonly send: (frame: WsServerFrame) => undefined | Promise<void>;
  /** Generations in flight per connection (429 beyond). @default 16 */
  readonly maxInFlight?: number;
  /** Cross-process registry (AWS); absent: the session alone knows its flights. */
  readonly store?: WsFlightStore;
  /** Least interval between two cancel checks in the store, ms. @default 250 */
  readonly cancelPollMs?: number;
  readonly now?: () => number;
  readonly log?: Log;
}

/** Default of {@link WsSessionOptions.maxInFlight}. */
export const WS_DEFAULT_MAX_IN_FLIGHT = 16;
/** Default of {@link WsSessionOptions.cancelPollMs}. */
export const WS_DEFAULT_CANCEL_POLL_MS = 250;

/** HTTP status of an in-band SSE error event, from its OpenAI error type. */
const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  timeout_error: 504,
  service_unavailable: 503,
  server_error: 500,
  upstream_error: 502,
};

type ErrorFields = OpenAIErrorBody['error'];

function isErrorFields(v: unknown): v is ErrorFields {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { message?: unknown }).message === 'string'
  );
}

function retryAfterSeconds(
  headers: Record<string, string>
): number | undefined {
  for (const k in headers) {
    if (k.toLowerCase() !== 'retry-after') continue;
    const n = Number(headers[k]);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }
  return undefined;
}

/**
 * One generation: a ResponseSink that reads the router's SSE answer and
 * turns it into frames (`data:` chunk → `chat.chunk`, `[DONE]` →
 * `chat.done`, error event or non-200 JSON → `chat.error`). It guarantees
 * exactly one terminal frame: whatever comes after it is dropped, and a
 * stream that ends without one becomes an explicit `chat.error`.
 */
class Flight implements ResponseSink {
  private readonly controller = new AbortController();
  public readonly signal = this.controller.signal;
  public terminated = false;
  private parser?: EventSourceParser;
  private pending: Promise<void>[] = [];

  public constructor(
    public readonly id: string,
    private readonly out: (frame: WsServerFrame) => undefined | Promise<void>,
    private readonly onTerminal: (flight: Flight) => void,
    private readonly onWrite: () => void
  ) {}

  /** Sends a frame unless the id already ended; the terminal one ends it. */
  public emit(frame: WsServerFrame): void {
    if (this.terminated) return;
    if (frame.type !== 'chat.chunk') {
      this.terminated = true;
      this.onTerminal(this);
    }
    const p = this.out(frame);
    if (p) this.pending.push(p);
  }

  public fail(status: number, error: ErrorFields, retryAfter?: number): void {
    this.emit(errorFrame(this.id, status, error, retryAfter));
  }

  /** The client cancelled: answer `cancelled` now, then stop the upstream call. */
  public cancel(): boolean {
    if (this.terminated) return false;
    this.fail(WS_CANCELLED_STATUS, {
      message: 'the client cancelled the request',
      type: 'invalid_request_error',
      code: 'cancelled',
      param: null,
    });
    this.controller.abort(new Error('cancelled by the client'));
    return true;
  }

  /** The connection is gone: stop silently (nobody is listening). */
  public gone(): void {
    this.terminated = true;
    this.controller.abort(new Error('client closed the connection'));
  }

  public send(
    status: number,
    headers: Record<string, string>,
    body: string
  ): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const err = (parsed as { error?: unknown } | undefined)?.error;
    if (status !== 200 || isErrorFields(err)) {
      const s = status === 200 ? 500 : status;
      this.fail(
        s,
        isErrorFields(err)
          ? err
          : {
              message: `the gateway answered ${s}`,
              type: 'server_error',
              code: 'upstream_error',
              param: null,
            },
        retryAfterSeconds(headers)
      );
      return;
    }
    // A complete (non-streamed) answer, e.g. served from a cache: one chunk.
    const chunk = completionAsChunk(parsed);
    if (chunk) {
      this.emit({ type: 'chat.chunk', id: this.id, chunk });
      this.emit({ type: 'chat.done', id: this.id });
      return;
    }
    this.fail(502, {
      message: 'the gateway produced an answer that is not a chat completion',
      type: 'server_error',
      code: 'unexpected_response',
      param: null,
    });
  }

  public start(): void {
    this.parser ??= createParser({ onEvent: (ev) => this.data(ev.data) });
  }

  public write(chunk: string): undefined | Promise<void> {
    if (this.terminated) return undefined;
    this.start();
    this.parser!.feed(chunk);
    this.onWrite();
    return this.drain();
  }

  public end(): void {
    if (this.terminated) return;
    this.fail(502, {
      message:
        'the stream ended without a final event; the response is incomplete',
      type: 'upstream_error',
      code: 'stream_interrupted',
      param: null,
    });
  }

  /** Resolves when every send so far went out (undefined when none is pending). */
  public drain(): undefined | Promise<void> {
    if (this.pending.length === 0) return undefined;
    const all = this.pending;
    this.pending = [];
    return Promise.all(all).then(() => undefined);
  }

  private data(data: string): void {
    if (data === '[DONE]') {
      this.emit({ type: 'chat.done', id: this.id });
      return;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(data);
    } catch {
      obj = undefined;
    }
    if (typeof obj !== 'object' || obj === null) {
      this.fail(502, {
        message: 'the stream carried an unreadable event',
        type: 'upstream_error',
        code: 'stream_interrupted',
        param: null,
      });
      return;
    }
    const err = (obj as { error?: unknown }).error;
    if (isErrorFields(err)) {
      this.fail(STATUS_BY_TYPE[err.type] ?? 502, err);
      return;
    }
    this.emit({ type: 'chat.chunk', id: this.id, chunk: obj });
  }
}

/** A chat.completion as the single chunk SSE would have carried. */
function completionAsChunk(v: unknown): object | undefined {
  const c = v as {
    object?: string;
    choices?: {
      index: number;
      message?: Record<string, unknown>;
      finish_reason?: string;
    }[];
  };
  if (c?.object !== 'chat.completion' || !Array.isArray(c.choices))
    return undefined;
  return {
    ...c,
    object: 'chat.completion.chunk',
    choices: c.choices.map((ch) => ({
      index: ch.index,
      delta: ch.message ?? {},
      logprobs: null,
      finish_reason: ch.finish_reason ?? null,
    })),
  };
}

/**
 * The WebSocket session core, host-neutral: parses client frames, runs each
 * `chat.create` through the router as a streamed chat completion, and sends
 * frames back through `send`. Several ids run concurrently; each gets
 * exactly one terminal frame; a bad frame is answered with `chat.error` 400
 * and the connection stays open.
 */
export class WsSession {
  private readonly flights = new Map<string, Flight>();
  private readonly maxInFlight: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  private closed = false;

  public constructor(private readonly options: WsSessionOptions) {
    this.maxInFlight = options.maxInFlight ?? WS_DEFAULT_MAX_IN_FLIGHT;
    this.pollMs = options.cancelPollMs ?? WS_DEFAULT_CANCEL_POLL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Ids in flight on this session now. */
  public get inFlight(): number {
    return this.flights.size;
  }

  /**
   * Handles one client text frame. Resolves when that frame's work is done
   * (for `chat.create`: when the generation ended and its frames went out).
   */
  public async receive(text: string): Promise<void> {
    if (this.closed) return;
    const parsed = parseClientFrame(text);
    if ('problem' in parsed) {
      const p = parsed.problem;
      await this.options.send(
        badFrame(p.id, p.message, 'invalid_frame', p.param)
      );
      return;
    }
    const { frame } = parsed;
    if (frame.type === 'chat.cancel') {
      const local = this.flights.get(frame.id);
      if (local) {
        local.cancel();
        await local.drain();
      } else if (this.options.store) {
        // Another process owns (or is about to own) the generation; it
        // answers when it sees this.
        await this.options.store.requestCancel(frame.id);
      }
      // An id that is not in flight already had its terminal frame: nothing to say.
      return;
    }
    await this.create(frame.id, frame.request);
  }

  /** The connection closed: abort every generation (and its upstream call). */
  public close(): void {
    this.closed = true;
    for (const f of this.flights.values()) f.gone();
    this.flights.clear();
  }

  private async create(
    id: string,
    request: Record<string, unknown>
  ): Promise<void> {
    if (this.flights.has(id)) {
      await this.options.send(
        badFrame(
          id,
          `id ${JSON.stringify(id)} is already in flight`,
          'duplicate_id',
          'id'
        )
      );
      return;
    }
    if (this.flights.size >= this.maxInFlight) {
      await this.options.send(this.tooMany(id));
      return;
    }
    const startedAt = this.now();
    let lastCheck = Number.NEGATIVE_INFINITY;
    let checking = false;
    let cancelSeen = false;
    const store = this.options.store;
    const check = (): void => {
      if (!store || checking || this.now() - lastCheck < this.pollMs) return;
      checking = true;
      lastCheck = this.now();
      store.cancelRequestedAt(id).then(
        (at) => {
          checking = false;
          if (at !== undefined && at >= startedAt - WS_EARLY_CANCEL_MS) {
            cancelSeen = true;
            flight.cancel();
          }
        },
        (err: unknown) => {
          checking = false;
          this.options.log?.warn('websocket cancel check failed', {
            error: err instanceof Error ? err.name : String(err),
          });
        }
      );
    };
    const flight: Flight = new Flight(
      id,
      this.options.send,
      (f) => {
        if (this.flights.get(f.id) === f) this.flights.delete(f.id);
      },
      check
    );
    // Registered before any await, so a second create of the id is refused.
    this.flights.set(id, flight);
    if (store) {
      let claim: 'ok' | 'duplicate' | 'full';
      try {
        claim = await store.begin(id, this.maxInFlight);
      } catch (err) {
        this.flights.delete(id);
        this.options.log?.error('websocket flight registry failed', {
          error: err instanceof Error ? err.name : String(err),
        });
        await this.options.send(
          errorFrame(id, 503, {
            message: 'the connection registry is unavailable; retry',
            type: 'service_unavailable',
            code: 'registry_unavailable',
            param: null,
          })
        );
        return;
      }
      if (claim !== 'ok') {
        this.flights.delete(id);
        await this.options.send(
          claim === 'full'
            ? this.tooMany(id)
            : badFrame(
                id,
                `id ${JSON.stringify(id)} is already in flight`,
                'duplicate_id',
                'id'
              )
        );
        return;
      }
    }
    // Between chunks the check runs on writes; a silent upstream (before the
    // first token) is covered by this timer. Both share one throttle.
    const timer = store ? setInterval(check, this.pollMs) : undefined;
    timer?.unref?.();
    // At once too: a cancel may have overtaken this create.
    check();
    try {
      await this.options.run(
        JSON.stringify({ ...request, stream: true }),
        flight
      );
    } catch (err) {
      this.options.log?.error('websocket generation failed', {
        error:
          err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      flight.fail(500, {
        message: 'the gateway failed to handle the request',
        type: 'server_error',
        code: 'internal_error',
        param: null,
      });
    } finally {
      clearInterval(timer);
    }
    // The router always answers; this guards the "never silence" rule anyway.
    flight.end();
    await flight.drain();
    if (this.flights.get(id) === flight) this.flights.delete(id);
    if (store) {
      try {
        await store.end(id, cancelSeen);
      } catch (err) {
        // The item expires by TTL; the slot is lost until then at worst.
        this.options.log?.warn('websocket flight release failed', {
          error: err instanceof Error ? err.name : String(err),
        });
      }
    }
  }

  private tooMany(id: string): WsServerFrame {
    return errorFrame(id, 429, {
      message: `at most ${this.maxInFlight} requests may be in flight on one connection`,
      type: 'rate_limit_error',
      code: 'too_many_in_flight',
      param: null,
    });
  }
}
