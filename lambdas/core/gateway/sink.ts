import type { ClientSignal } from '../resilience';
/**
 * The HTTP response as the core sees it. The router handler implements it
 * over the Lambda response stream (real on AWS, emulated locally), so the
 * core never touches a host API.
 */
export interface ResponseSink {
  /** Sends a complete response (status, headers and body at once). */
  send(status: number, headers: Record<string, string>, body: string): void;
  /** Starts a streamed response; headers are final from here on. */
  start(status: number, headers: Record<string, string>): void;
  /**
   * Writes to a started stream. Returns a promise when the client is slower
   * than the upstream (backpressure): await it before pulling more.
   */
  write(chunk: string): undefined | Promise<void>;
  /** Ends a started stream. */
  end(): void;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  /**
   * The same event without an AbortSignal, when the sink has a cheaper one
   * (the Lambda sink builds its AbortSignal only once something reads it):
   * what the gateway's own listeners use. @default - use `signal`
   */
  readonly client?: ClientSignal;
}

/** The sink's client signal: its cheap one when it has it. */
export function clientOf(sink: ResponseSink): ClientSignal {
  return sink.client ?? sink.signal;
}

/**
 * `{ ...a, ...b }` for header records, copied by Object.assign: V8 copies a
 * spread that adds keys to the copy on a slow path (1-8 µs for a dozen
 * headers), Object.assign the same own keys in the same order in ~0.25 µs.
 * Header names are ours (never `__proto__`), so assigning equals defining.
 */
export function mergeHeaders(
  a: Readonly<Record<string, string>> | undefined,
  b?: Readonly<Record<string, string>>
): Record<string, string> {
  return Object.assign({}, a, b);
}

/** Standard JSON response headers. */
export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
};

/** Standard SSE response headers (proxies must not buffer). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};
