import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { WsChatRunner } from '../core/gateway/ws-session';
import type { RouterApp } from './app';

/** Where a WebSocket request came from (for the synthetic event's context). */
export interface WsRequestOrigin {
  /** The connection's `Authorization` header value (`Bearer <token>`). */
  readonly authorization: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** Stage name in the event (`local` or the API Gateway stage). */
  readonly stage?: string;
}

/**
 * The API Gateway REST proxy event of `POST /v1/chat/completions` with this
 * body, as if the client had sent it over HTTP with the connection's
 * Authorization header.
 */
export function chatCompletionEvent(
  body: string,
  origin: WsRequestOrigin,
  requestId: string = randomUUID()
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    authorization: origin.authorization,
    'content-type': 'application/json',
    'x-request-id': requestId,
  };
  if (origin.userAgent) headers['user-agent'] = origin.userAgent;
  const path = '/v1/chat/completions';
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'websocket',
      apiId: 'websocket',
      authorizer: undefined,
      protocol: 'websocket',
      httpMethod: 'POST',
      path,
      stage: origin.stage ?? 'websocket',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'websocket',
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
        sourceIp: origin.sourceIp ?? '127.0.0.1',
        user: null,
        userAgent: origin.userAgent ?? null,
        userArn: null,
      },
    },
  };
}

/**
 * Runs WebSocket chat requests through the router app: the same stages
 * (auth, limits, budgets, guardrails, routing, failover, stream integrity)
 * as an SSE request, because it is one.
 */
export function routerChatRunner(
  app: RouterApp,
  origin: WsRequestOrigin
): WsChatRunner {
  return (body, sink) => app(chatCompletionEvent(body, origin), sink);
}
