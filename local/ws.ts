import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { GatewayError } from '../lambdas/core/api/errors';
import { wsCredentials } from '../lambdas/core/gateway/ws-auth';
import { badFrame, WS_PROTOCOL } from '../lambdas/core/gateway/ws-frames';
import { WsSession } from '../lambdas/core/gateway/ws-session';
import type { Log } from '../lambdas/core/ports';
import type { TenantDirectory } from '../lambdas/core/tenants/directory';
import type { RouterApp } from '../lambdas/router/app';
import { routerChatRunner } from '../lambdas/router/ws-runner';

/** The path the local gateway upgrades to WebSocket. */
export const LOCAL_WS_PATH = '/v1/ws';

/** Options of {@link createLocalWsEndpoint}. */
export interface LocalWsOptions {
  readonly app: RouterApp;
  /** Checks the key on the upgrade (401 before the handshake completes). */
  readonly tenants: TenantDirectory;
  /** Largest request body (a frame may add a small envelope). */
  readonly maxBodyBytes: number;
  /** Generations in flight per connection. @default 16 */
  readonly maxInFlight?: number;
  /** Ping interval; a client that misses one pong is dropped. @default 30000 */
  readonly pingIntervalMs?: number;
  readonly log?: Log;
}

/** The WebSocket side of the local server. */
export interface LocalWsEndpoint {
  /** The HTTP server's `upgrade` listener. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every connection (their generations are aborted). */
  close(): void;
}

/** Sends above this many buffered bytes wait for the socket (backpressure). */
const HIGH_WATER_BYTES = 1 << 20;

function refuse(socket: Duplex, err: GatewayError): void {
  const body = JSON.stringify(err.toBody());
  const reason =
    err.status === 401
      ? 'Unauthorized'
      : err.status === 404
        ? 'Not Found'
        : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${err.status} ${reason}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body
  );
}

/**
 * `GET /v1/ws` on the gateway's own port: authenticates the key on the
 * upgrade (Authorization header or the `bearer.<key>` subprotocol, never the
 * query string), echoes `gateway.v1`, and runs a {@link WsSession} per
 * connection over the same router app the HTTP path uses. Pings keep idle
 * connections alive through proxies and find dead peers.
 */
export function createLocalWsEndpoint(
  options: LocalWsOptions
): LocalWsEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    // The body limit plus room for the frame's envelope.
    maxPayload: options.maxBodyBytes + 64 * 1024,
    handleProtocols: (protocols) =>
      protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false,
  });
  const pingMs = options.pingIntervalMs ?? 30_000;

  const serve = (
    ws: WebSocket,
    req: IncomingMessage,
    authorization: string
  ): void => {
    const session = new WsSession({
      run: routerChatRunner(options.app, {
        authorization,
        sourceIp: req.socket.remoteAddress,
        userAgent: req.headers['user-agent'],
        stage: 'local',
      }),
      send: (frame) => {
        if (ws.readyState !== WebSocket.OPEN) return undefined;
        const data = JSON.stringify(frame);
        if (ws.bufferedAmount < HIGH_WATER_BYTES) {
          ws.send(data);
          return undefined;
        }
        return new Promise<void>((resolve) => ws.send(data, () => resolve()));
      },
      maxInFlight: options.maxInFlight,
      log: options.log,
    });
    let alive = true;
    const ping = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, pingMs);
    ping.unref();
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('message', (data, isBinary) => {
      alive = true;
      if (isBinary) {
        ws.send(
          JSON.stringify(badFrame(null, 'frames must be JSON text frames'))
        );
        return;
      }
      session.receive(data.toString()).catch((err: unknown) => {
        options.log?.error('websocket frame failed', {
          error: err instanceof Error ? err.name : String(err),
        });
      });
    });
    ws.on('close', () => {
      clearInterval(ping);
      session.close();
    });
    ws.on('error', () => ws.terminate());
  };

  return {
    upgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      const path = new URL(req.url ?? '/', 'http://local').pathname.replace(
        /\/+$/,
        ''
      );
      if (path !== LOCAL_WS_PATH) {
        refuse(
          socket,
          new GatewayError(
            404,
            'not_found_error',
            'not_found',
            `no WebSocket endpoint at ${path}; use ${LOCAL_WS_PATH}`
          )
        );
        return;
      }
      const { key } = wsCredentials({
        authorization: req.headers.authorization,
        'sec-websocket-protocol': req.headers['sec-websocket-protocol'],
      });
      if (!key) {
        refuse(
          socket,
          new GatewayError(
            401,
            'authentication_error',
            'missing_api_key',
            'missing API key: send Authorization: Bearer <key> or the subprotocol bearer.<key> beside gateway.v1 (never in the query string)'
          )
        );
        return;
      }
      options.tenants.authenticate(key).then(
        (tenant) => {
          if (!tenant) {
            refuse(
              socket,
              new GatewayError(
                401,
                'authentication_error',
                'invalid_api_key',
                'invalid API key'
              )
            );
            return;
          }
          wss.handleUpgrade(req, socket, head, (ws) =>
            serve(ws, req, `Bearer ${key}`)
          );
        },
        () => socket.destroy()
      );
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
