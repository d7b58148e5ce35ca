import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { LRUCache } from 'lru-cache';
import type {
  DynamoWsConnectionStore,
  WsConnectionRecord,
} from '../core/adapters/aws/dynamo-ws-connections';
import { PostToConnectionSender } from '../core/adapters/aws/ws-post-sender';
import { hashApiKey } from '../core/config/load';
import { wsCredentials } from '../core/gateway/ws-auth';
import {
  badFrame,
  errorFrame,
  parseClientFrame,
} from '../core/gateway/ws-frames';
import { WsSession } from '../core/gateway/ws-session';
import type { Log } from '../core/ports';
import type { TenantDirectory } from '../core/tenants/directory';
import { keyHashToken } from '../core/tenants/key-hash-directory';
import type { RouterApp } from './app';
import { routerChatRunner } from './ws-runner';

/** The API Gateway WebSocket event fields the handler reads ($connect carries headers). */
export interface WsLambdaEvent {
  readonly requestContext: {
    readonly routeKey: string;
    readonly connectionId: string;
    readonly domainName: string;
    readonly stage: string;
    readonly requestId?: string;
    readonly identity?: { readonly sourceIp?: string };
  };
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** What the handler returns to API Gateway. */
export interface WsLambdaResult {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Everything the WebSocket handler needs; built once per container. */
export interface WsHandlerDeps {
  /** The router app, authenticating by key hash (`sha256:<hex>` tokens). */
  readonly app: RouterApp;
  /** The clear-key directory, for `$connect`. */
  readonly tenants: TenantDirectory;
  readonly connections: Pick<
    DynamoWsConnectionStore,
    'connect' | 'get' | 'disconnect' | 'flights'
  >;
  /** The Management API client for an endpoint (`https://<domain>/<stage>`); cache it. */
  readonly managementClient: (
    endpoint: string
  ) => ApiGatewayManagementApiClient;
  /** Overrides the callback endpoint (custom domains). @default - from the event */
  readonly managementEndpoint?: string;
  readonly maxInFlight?: number;
  readonly cancelPollMs?: number;
  readonly maxFrameBytes?: number;
  /** Runs after each frame's work (e.g. flushing the decision log). */
  readonly afterMessage?: () => Promise<void> | undefined;
  readonly log: Log;
}

/** The WebSocket Lambda handler. */
export type WsLambdaHandler = (event: WsLambdaEvent) => Promise<WsLambdaResult>;

function lower(
  headers: WsLambdaEvent['headers']
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k in headers ?? {}) out[k.toLowerCase()] = headers![k];
  return out;
}

function refusal(
  status: number,
  code: string,
  message: string
): WsLambdaResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      error: { message, type: 'authentication_error', code, param: null },
    }),
  };
}

/**
 * The API Gateway WebSocket API's one function: `$connect` authenticates
 * the key (Authorization header or the `bearer.<key>` subprotocol, never the
 * query string), stores its hash with the connection and echoes
 * `gateway.v1`; `$disconnect` forgets the connection; `$default` runs the
 * frame through a {@link WsSession} over the router app, posting frames back
 * with PostToConnection. Cancels travel through the connection's item (a
 * cancel is a different invocation than the generation it stops).
 */
export function createWsHandler(deps: WsHandlerDeps): WsLambdaHandler {
  // A connection's record never changes: keep it for the container's life
  // (bounded), so a frame costs no read beyond the flight bookkeeping.
  const records = new LRUCache<string, WsConnectionRecord>({
    max: 5000,
    ttl: 10 * 60_000,
  });

  const connect = async (event: WsLambdaEvent): Promise<WsLambdaResult> => {
    const { key, protocol } = wsCredentials(lower(event.headers));
    if (!key) {
      return refusal(
        401,
        'missing_api_key',
        'missing API key: send Authorization: Bearer <key> or the subprotocol bearer.<key> beside gateway.v1 (never in the query string)'
      );
    }
    const tenant = await deps.tenants.authenticate(key);
    if (!tenant) return refusal(401, 'invalid_api_key', 'invalid API key');
    await deps.connections.connect(event.requestContext.connectionId, {
      keyHash: hashApiKey(key),
      tenantId: tenant.id,
    });
    return {
      statusCode: 200,
      ...(protocol ? { headers: { 'Sec-WebSocket-Protocol': protocol } } : {}),
    };
  };

  const message = async (event: WsLambdaEvent): Promise<WsLambdaResult> => {
    const ctx = event.requestContext;
    const endpoint =
      deps.managementEndpoint ?? `https://${ctx.domainName}/${ctx.stage}`;
    let session: WsSession | undefined;
    const sender = new PostToConnectionSender({
      client: deps.managementClient(endpoint),
      connectionId: ctx.connectionId,
      maxFrameBytes: deps.maxFrameBytes,
      onGone: () => session?.close(),
      log: deps.log,
    });
    const body = event.body ?? '';
    if (event.isBase64Encoded) {
      sender.send(badFrame(null, 'frames must be JSON text frames'));
      await sender.drain();
      return { statusCode: 200 };
    }
    let record = records.get(ctx.connectionId);
    if (!record) {
      record = await deps.connections.get(ctx.connectionId);
      if (record) records.set(ctx.connectionId, record);
    }
    if (!record) {
      const parsed = parseClientFrame(body);
      sender.send(
        errorFrame('frame' in parsed ? parsed.frame.id : null, 401, {
          message: 'the connection is not authenticated (expired); reconnect',
          type: 'authentication_error',
          code: 'connection_unknown',
          param: null,
        })
      );
      await sender.drain();
      return { statusCode: 200 };
    }
    session = new WsSession({
      run: routerChatRunner(deps.app, {
        authorization: `Bearer ${keyHashToken(record.keyHash)}`,
        sourceIp: ctx.identity?.sourceIp,
        stage: ctx.stage,
      }),
      send: sender.send,
      store: deps.connections.flights(ctx.connectionId),
      maxInFlight: deps.maxInFlight,
      cancelPollMs: deps.cancelPollMs,
      log: deps.log,
    });
    await session.receive(body);
    await sender.drain();
    try {
      await deps.afterMessage?.();
    } catch {
      // Post-response work must never fail the invocation.
    }
    return { statusCode: 200 };
  };

  return async (event) => {
    const route = event.requestContext.routeKey;
    try {
      if (route === '$connect') return await connect(event);
      if (route === '$disconnect') {
        records.delete(event.requestContext.connectionId);
        await deps.connections.disconnect(event.requestContext.connectionId);
        return { statusCode: 200 };
      }
      return await message(event);
    } catch (err) {
      deps.log.error('websocket invocation failed', {
        route,
        error:
          err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      return { statusCode: 500 };
    }
  };
}
