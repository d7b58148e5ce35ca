import type { Writable } from 'node:stream';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { sseError } from '../core/api/chat-response';
import { GatewayError } from '../core/api/errors';
import { mergeHeaders, type ResponseSink } from '../core/gateway/sink';
import type { ClientSignal } from '../core/resilience';
import type { RouterApp } from './app';

/** The writable the Lambda runtime hands a streaming handler. */
export type LambdaResponseStream = Writable & {
  setContentType?(contentType: string): void;
};

/** HTTP metadata written before the body (status and headers). */
export interface HttpResponseMetadata {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
}

/** A streaming Lambda handler (`awslambda.streamifyResponse` signature). */
export type StreamingHandler = (
  event: APIGatewayProxyEvent,
  responseStream: LambdaResponseStream,
  context?: Context
) => Promise<void>;

/** The `awslambda` global the Node.js Lambda runtime provides. */
export interface AwsLambdaGlobal {
  streamifyResponse(handler: StreamingHandler): StreamingHandler;
  HttpResponseStream: {
    from(
      stream: LambdaResponseStream,
      metadata: HttpResponseMetadata
    ): LambdaResponseStream;
  };
}

/** The runtime's `awslambda` global (real on AWS, emulated by the local host). */
export function awsLambdaGlobal(): AwsLambdaGlobal {
  const g = (globalThis as unknown as { awslambda?: AwsLambdaGlobal })
    .awslambda;
  // The SDK may have created an empty `awslambda` object: check the API itself.
  if (typeof g?.streamifyResponse !== 'function') {
    throw new Error(
      'awslambda global missing: run inside the Lambda Node.js runtime or install the local emulator first'
    );
  }
  return g;
}

/**
 * A ResponseSink over a Lambda response stream. Every response (JSON too)
 * goes through `HttpResponseStream.from`, the format API Gateway's STREAM
 * transfer mode and the local host both read.
 */
export function lambdaSink(
  responseStream: LambdaResponseStream,
  aws: AwsLambdaGlobal
): ResponseSink & { readonly finished: boolean } {
  return new LambdaSink(responseStream, aws);
}

type Listener = { handleEvent(): void };

/**
 * The client going away, as a {@link ClientSignal} with a plain listener
 * list: an AbortSignal costs ~3 µs to build in Node 20, so it is built only
 * when something reads `signal` (a remote guardrail call, a retry's sleep),
 * aborted at once if the client is already gone.
 */
class HangUp implements ClientSignal {
  public aborted = false;
  public reason: unknown;
  private listeners: Listener[] | undefined;
  private controller: AbortController | undefined;

  public get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  public addEventListener(_type: 'abort', listener: Listener): void {
    if (this.aborted) return;
    const all = this.listeners;
    if (!all) this.listeners = [listener];
    else if (!all.includes(listener)) all.push(listener);
  }

  public removeEventListener(_type: 'abort', listener: Listener): void {
    const all = this.listeners;
    if (!all) return;
    const i = all.indexOf(listener);
    if (i >= 0) all.splice(i, 1);
  }

  public abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const all = this.listeners;
    this.listeners = undefined;
    this.controller?.abort(reason);
    if (all) for (const listener of all) listener.handleEvent();
  }
}

/** One per request: methods on the prototype, no closures per request. */
class LambdaSink implements ResponseSink {
  public readonly client = new HangUp();
  private out: LambdaResponseStream | undefined;
  private ended = false;

  public constructor(
    private readonly responseStream: LambdaResponseStream,
    private readonly aws: AwsLambdaGlobal
  ) {
    const onGone = (): void => {
      if (!this.ended)
        this.client.abort(new Error('client closed the connection'));
    };
    responseStream.once('close', onGone);
    responseStream.once('error', onGone);
  }

  public get signal(): AbortSignal {
    return this.client.signal;
  }

  public get finished(): boolean {
    return this.ended;
  }

  public send(
    status: number,
    headers: Record<string, string>,
    body: string
  ): void {
    if (this.ended) return;
    if (this.out) {
      // Already streaming: an error can only travel in-band now.
      const err = new GatewayError(
        status,
        'server_error',
        'stream_error',
        'the stream failed'
      );
      this.out.write(sseError(err.toBody()));
    } else {
      // A known length lets API Gateway and Node skip chunked encoding.
      const withLength = mergeHeaders(headers);
      withLength['content-length'] = String(Buffer.byteLength(body));
      this.open(status, withLength).write(body);
    }
    this.ended = true;
    this.out!.end();
  }

  public start(status: number, headers: Record<string, string>): void {
    if (this.out || this.ended) return;
    this.open(status, headers);
  }

  public write(chunk: string): undefined | Promise<void> {
    const out = this.out;
    if (!out || this.ended || this.client.aborted) return undefined;
    if (out.write(chunk)) return undefined;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.once('drain', done);
      out.once('close', done);
    });
  }

  public end(): void {
    if (this.ended) return;
    this.ended = true;
    // Nothing was sent (client gone): still release the runtime's stream.
    (this.out ?? this.responseStream).end();
  }

  private open(
    status: number,
    headers: Record<string, string>
  ): LambdaResponseStream {
    this.out = this.aws.HttpResponseStream.from(this.responseStream, {
      statusCode: status,
      headers,
    });
    return this.out;
  }
}

/**
 * Wraps the router app as a streaming Lambda handler. The handler never
 * rejects: a failure that escapes the app is answered with a bare 500.
 */
export function createStreamingHandler(
  app: RouterApp,
  aws: AwsLambdaGlobal,
  /** Runs after the response ended (e.g. flushing the decision log); never delays the client. */
  afterResponse?: () => Promise<void> | undefined
): StreamingHandler {
  return aws.streamifyResponse(async (event, responseStream) => {
    const sink = lambdaSink(responseStream, aws);
    try {
      await app(event, sink);
    } catch {
      const err = new GatewayError(
        500,
        'server_error',
        'internal_error',
        'the gateway failed to handle the request'
      );
      sink.send(
        500,
        { 'content-type': 'application/json' },
        JSON.stringify(err.toBody())
      );
    }
    if (!sink.finished) sink.end();
    try {
      await afterResponse?.();
    } catch {
      // Post-response work must never fail the invocation.
    }
  });
}
