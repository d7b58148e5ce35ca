import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { GatewayError } from '../lambdas/core/api/errors';
import type { StreamingHandler } from '../lambdas/router/lambda-stream';
import { LocalResponseStream } from './awslambda-emulator';

/** Options of the local host. */
export interface LocalServerOptions {
  readonly handler: StreamingHandler;
  /** Defaults to 127.0.0.1: the local gateway is never exposed by default. */
  readonly host?: string;
  /** 0 = ephemeral. */
  readonly port?: number;
  /** Bodies above this are refused with 413 before they are buffered. */
  readonly maxBodyBytes: number;
  /** Host-only routes answered before the router (e.g. the dashboard); true = handled. */
  readonly localRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Serves HTTP upgrades (`GET /v1/ws`); absent: upgrades are refused. */
  readonly websocket?: {
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
    close(): void;
  };
  /**
   * A refused body is read and discarded up to this many bytes so the client
   * can read the 413; beyond it the socket is dropped.
   * @default DEFAULT_MAX_DRAIN_BYTES (64 MiB)
   */
  readonly maxDrainBytes?: number;
}

/** A running local gateway. */
export interface LocalServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** Segments of unreserved characters, none starting with a dot. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;

/**
 * Builds the API Gateway REST proxy event (`{proxy+}` resource) that the
 * router Lambda receives for this request.
 */
export function toApiGatewayEvent(
  req: IncomingMessage,
  body: string | null,
  requestId: string
): APIGatewayProxyEvent {
  const raw = req.url ?? '/';
  // A plain path (no query, no dot segments, nothing to escape) is its own
  // pathname: the common case skips the URL parser.
  const url = PLAIN_PATH.test(raw) ? undefined : new URL(raw, 'http://local');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const incoming = req.headers;
  for (const k in incoming) {
    const v = incoming[k];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    headers[k] = values[values.length - 1]!;
    multiValueHeaders[k] = values;
  }
  let query: Record<string, string> | null = null;
  let multiQuery: Record<string, string[]> | null = null;
  for (const [k, v] of url?.searchParams ?? []) {
    query ??= {};
    multiQuery ??= {};
    query[k] = v;
    const list = multiQuery[k] ?? [];
    list.push(v);
    multiQuery[k] = list;
  }
  const method = req.method ?? 'GET';
  const path = url ? url.pathname : raw;
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      path: `/local${path}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

/**
 * The Lambda context of one local invocation. A class: the methods live on
 * the prototype instead of four closures built per request.
 */
class LocalContext implements Context {
  public readonly callbackWaitsForEmptyEventLoop = false;
  public readonly functionName = 'ai-gateway-router-local';
  public readonly functionVersion = '$LATEST';
  public readonly invokedFunctionArn =
    'arn:aws:lambda:local:000000000000:function:ai-gateway-router-local';
  public readonly memoryLimitInMB = '1024';
  public readonly logGroupName = 'local';
  public readonly logStreamName = 'local';

  public constructor(
    public readonly awsRequestId: string,
    private readonly deadline: number
  ) {}

  public getRemainingTimeInMillis(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  public done(): void {}

  public fail(): void {}

  public succeed(): void {}
}

function refuse(res: ServerResponse, err: GatewayError): void {
  const body = JSON.stringify(err.toBody());
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/** Most of a refused body the host reads (and discards) before it drops the socket. */
export const DEFAULT_MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Longest the host waits for a refused body to finish arriving, ms. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Answers a too-large request at once but keeps the socket open while the
 * client is still sending. Closing it early (what `res.end` with
 * `Connection: close` does) resets the connection under a client that is
 * still writing, and fetch-based clients (the openai SDK) then report a
 * connection error instead of the 413. The whole answer (with its
 * content-length) is written now; the socket ends once the body has been
 * read and discarded, or is dropped past `maxDrainBytes` or a timeout.
 */
function refuseAndDrain(
  req: IncomingMessage,
  res: ServerResponse,
  err: GatewayError,
  alreadyRead: number,
  maxDrainBytes: number
): void {
  const body = JSON.stringify(err.toBody());
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.write(body);
  let drained = alreadyRead;
  const timer = setTimeout(() => res.destroy(), DRAIN_TIMEOUT_MS);
  timer.unref();
  req.on('data', (c: Buffer) => {
    drained += c.length;
    if (drained > maxDrainBytes) {
      clearTimeout(timer);
      res.destroy();
    }
  });
  req.on('end', () => {
    clearTimeout(timer);
    res.end();
  });
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * Starts the local host: a Node HTTP server that turns each request into the
 * API Gateway event and feeds the same streaming handler the Lambda runs.
 */
export async function startLocalServer(
  options: LocalServerOptions
): Promise<LocalServer> {
  const { handler, maxBodyBytes } = options;
  const maxDrainBytes = options.maxDrainBytes ?? DEFAULT_MAX_DRAIN_BYTES;
  // Same answer the router gives for an oversized body, before it is buffered.
  const tooLarge = new GatewayError(
    413,
    'invalid_request_error',
    'request_too_large',
    `request body exceeds ${maxBodyBytes} bytes`
  );
  const server = createServer((req, res) => {
    if (options.localRoutes?.(req, res)) return;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      refuseAndDrain(req, res, tooLarge, 0, maxDrainBytes);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > maxBodyBytes) {
        refused = true;
        chunks.length = 0;
        refuseAndDrain(req, res, tooLarge, size, maxDrainBytes);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (refused) return;
      const body =
        chunks.length === 0
          ? null
          : chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8');
      const requestId = randomUUID();
      const stream = new LocalResponseStream(res);
      const event = toApiGatewayEvent(req, body, requestId);
      handler(
        event,
        stream,
        new LocalContext(requestId, Date.now() + 900_000)
      ).then(
        () => {
          if (!stream.writableEnded && !stream.destroyed) stream.end();
        },
        () => {
          if (!res.headersSent) {
            refuse(
              res,
              new GatewayError(
                500,
                'server_error',
                'internal_error',
                'the gateway failed to handle the request'
              )
            );
          } else res.destroy();
        }
      );
    });
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 65_000;
  const ws = options.websocket;
  if (ws)
    server.on('upgrade', (req, socket, head) => ws.upgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () =>
      resolve()
    );
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        ws?.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
