import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type {
  AwsLambdaGlobal,
  HttpResponseMetadata,
  LambdaResponseStream,
  StreamingHandler,
} from '../lambdas/router/lambda-stream';

/**
 * A faithful local stand-in for the Lambda Node.js runtime's response
 * streaming: `awslambda.streamifyResponse` and `HttpResponseStream.from`
 * behave as in aws-lambda-nodejs-runtime-interface-client (a JSON metadata
 * prelude, then 8 NUL bytes, then the body), and LocalResponseStream decodes
 * that wire format back into an HTTP response, as API Gateway does.
 */

const PRELUDE_CONTENT_TYPE =
  'application/vnd.awslambda.http-integration-response';
const DELIMITER_LEN = 8;

type RawWrite = (chunk: string | Uint8Array) => void;

/** The runtime-side stream a streaming handler writes to, bound to a Node response. */
export class LocalResponseStream extends Writable {
  /** Set by HttpResponseStream.from, called before the first body byte (as the runtime does). */
  public _onBeforeFirstWrite?: (write: RawWrite) => void;
  private contentType = 'application/octet-stream';
  private started = false;
  private headersSent = false;
  private prelude: Buffer[] = [];
  /** Set by the emulated HttpResponseStream.from: the head, without its bytes. */
  private metadata: HttpResponseMetadata | undefined;

  public constructor(private readonly res: ServerResponse) {
    super({ decodeStrings: false });
    res.on('close', () => {
      if (!res.writableFinished) this.destroy();
    });
  }

  /** Runtime API: declares the payload's content type. */
  public setContentType(contentType: string): void {
    this.contentType = contentType;
  }

  /**
   * The emulated HttpResponseStream.from hands its metadata over in process:
   * the response head is written from it directly, sparing the JSON prelude
   * a round trip through bytes (what API Gateway decodes from the wire is
   * the same head). Prelude bytes written by other code are still decoded.
   */
  public setMetadata(metadata: HttpResponseMetadata): void {
    this.contentType = PRELUDE_CONTENT_TYPE;
    this.metadata = metadata;
  }

  public override _write(
    chunk: string | Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void
  ): void {
    if (!this.started) this.begin();
    if (this.ingest(chunk)) callback();
    else this.res.once('drain', () => callback());
  }

  public override _final(callback: (error?: Error | null) => void): void {
    if (!this.started) this.begin();
    if (!this.headersSent) this.flushHead(Buffer.concat(this.prelude));
    this.res.end();
    callback();
  }

  /** Before the first body byte, as the runtime does: the head goes out. */
  private begin(): void {
    this.started = true;
    if (this.metadata) this.writeHead(this.metadata);
    else this._onBeforeFirstWrite?.((c) => this.ingest(c));
  }

  /** Returns false when the socket buffer is full. */
  private ingest(chunk: string | Uint8Array): boolean {
    if (this.headersSent) return this.res.write(chunk);
    if (this.contentType !== PRELUDE_CONTENT_TYPE) {
      this.flushHead(Buffer.alloc(0), {
        statusCode: 200,
        headers: { 'content-type': this.contentType },
      });
      return this.res.write(chunk);
    }
    this.prelude.push(
      typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk)
    );
    const all = Buffer.concat(this.prelude);
    const at = findDelimiter(all);
    if (at < 0) return true;
    this.flushHead(all.subarray(0, at));
    const rest = all.subarray(at + DELIMITER_LEN);
    return rest.length > 0 ? this.res.write(rest) : true;
  }

  private flushHead(
    preludeBytes: Buffer,
    fallback?: HttpResponseMetadata
  ): void {
    let meta: HttpResponseMetadata = fallback ?? { statusCode: 200 };
    if (!fallback && preludeBytes.length > 0) {
      meta = JSON.parse(preludeBytes.toString('utf8')) as HttpResponseMetadata;
    }
    this.writeHead(meta);
  }

  private writeHead(meta: HttpResponseMetadata): void {
    this.headersSent = true;
    this.prelude = [];
    // writeHead reads the object and keeps no reference: the handler's own
    // headers go as they are, copied only to add cookies.
    const headers: Record<string, string | string[]> = meta.cookies?.length
      ? Object.assign({}, meta.headers, { 'set-cookie': meta.cookies })
      : (meta.headers ?? {});
    this.res.writeHead(meta.statusCode, headers);
  }
}

function findDelimiter(buf: Buffer): number {
  let run = 0;
  for (let i = 0; i < buf.length; i++) {
    run = buf[i] === 0 ? run + 1 : 0;
    if (run === DELIMITER_LEN) return i - DELIMITER_LEN + 1;
  }
  return -1;
}

/** The emulated `awslambda` global. */
export const localAwsLambda: AwsLambdaGlobal = {
  streamifyResponse(handler: StreamingHandler): StreamingHandler {
    return handler;
  },
  HttpResponseStream: {
    from(
      stream: LambdaResponseStream,
      metadata: HttpResponseMetadata
    ): LambdaResponseStream {
      if (stream instanceof LocalResponseStream) {
        stream.setMetadata(metadata);
        return stream;
      }
      const s = stream as LocalResponseStream;
      s.setContentType(PRELUDE_CONTENT_TYPE);
      // JSON.stringify never emits NUL, so the delimiter is unambiguous.
      const prelude = JSON.stringify(metadata);
      s._onBeforeFirstWrite = (write) => {
        write(prelude);
        write(new Uint8Array(DELIMITER_LEN));
      };
      return s;
    },
  },
};

/**
 * Installs the emulated streaming API on the `awslambda` global unless a real
 * runtime provides it. The object may already exist: the AWS SDK's
 * lambda-invoke-store creates `globalThis.awslambda = {}` on import.
 */
export function installAwsLambdaEmulator(): AwsLambdaGlobal {
  const g = globalThis as unknown as { awslambda?: Partial<AwsLambdaGlobal> };
  g.awslambda ??= {};
  const target = g.awslambda;
  if (typeof target.streamifyResponse !== 'function') {
    target.streamifyResponse = localAwsLambda.streamifyResponse;
    target.HttpResponseStream = localAwsLambda.HttpResponseStream;
  }
  return target as AwsLambdaGlobal;
}
