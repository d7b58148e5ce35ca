import { WS_BEARER_PREFIX, WS_PROTOCOL } from './ws-frames';

/** What a WebSocket handshake presented, as both hosts read it. */
export interface WsHandshakeCredentials {
  /** The API key, from `Authorization: Bearer` or the `bearer.<key>` subprotocol. */
  readonly key?: string;
  /** The subprotocol to echo (`gateway.v1` when the client offered it). */
  readonly protocol?: string;
}

/** The subprotocols a client offered (`Sec-WebSocket-Protocol`, comma-separated). */
export function offeredProtocols(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/**
 * Reads the key from the handshake headers (lower-cased names). The
 * Authorization header wins; browsers, which can't set headers on a
 * WebSocket, send the key as the subprotocol `bearer.<key>` beside
 * `gateway.v1`. A key in the query string is never read: URLs end up in
 * access logs and browser history.
 */
export function wsCredentials(
  headers: Readonly<Record<string, string | undefined>>
): WsHandshakeCredentials {
  const protocols = offeredProtocols(headers['sec-websocket-protocol']);
  const protocol = protocols.includes(WS_PROTOCOL) ? WS_PROTOCOL : undefined;
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return { key: m?.[1], protocol };
  }
  const bearer = protocols.find((p) => p.startsWith(WS_BEARER_PREFIX));
  const key = bearer?.slice(WS_BEARER_PREFIX.length);
  return { key: key || undefined, protocol };
}
