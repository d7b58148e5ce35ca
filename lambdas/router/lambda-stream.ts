import type { Writable } from 'node:stream';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { sseError } from '../core/api/chat-response';
import { GatewayError } from '../core/api/errors';
import type { ResponseSink } from '../core/gateway/sink';
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
  const controller = new AbortController();
  let out: LambdaResponseStream | undefined;
  let ended = false;
  const onGone = (): void => {
    if (!ended) controller.abort(new Error('client closed the connection'));
  };
  responseStream.once('close', onGone);
  responseStream.once('error', onGone);
  const open = (
    status: number,
    headers: Record<string, string>
  ): LambdaResponseStream => {
    out = aws.HttpResponseStream.from(responseStream, {
      statusCode: status,
      headers,
    });
    return out;
  };
  return {
    signal: controller.signal,
    get finished() {
      return ended;
    },
    send(status, headers, body) {
      if (ended) return;
      if (out) {
        // Already streaming: an error can only travel in-band now.
        const err = new GatewayError(
          status,
          'server_error',
          'stream_error',
          'the stream failed'
        );
        out.write(sseError(err.toBody()));
      } else {
        // A known length lets API Gateway and Node skip chunked encoding.
        const withLength = {
          ...headers,
          'content-length': String(Buffer.byteLength(body)),
        };
        open(status, withLength).write(body);
      }
      ended = true;
      out!.end();
    },
    start(status, headers) {
      if (out || ended) return;
      open(status, headers);
    },
    write(chunk) {
      if (!out || ended || controller.signal.aborted) return undefined;
      if (out.write(chunk)) return undefined;
      const stream = out;
      return new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('close', done);
          resolve();
        };
        stream.once('drain', done);
        stream.once('close', done);
      });
    },
    end() {
      if (ended) return;
      ended = true;
      // Nothing was sent (client gone): still release the runtime's stream.
      (out ?? responseStream).end();
    },
  };
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
