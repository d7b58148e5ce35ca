import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { badRequest, GatewayError, toGatewayError } from '../core/api/errors';
import type { Log } from '../core/ports';
import type { AdminRoutes } from './app';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const h = event.headers ?? {};
  for (const k in h) if (k.toLowerCase() === name) return h[k] ?? undefined;
  return undefined;
}

/**
 * Turns the admin routes into a (non-streaming) API Gateway proxy handler:
 * JSON in, JSON out, every failure an OpenAI-shaped error. Admin answers are
 * small, so no response streaming is needed here.
 */
export function createAdminHttpHandler(
  routes: AdminRoutes,
  log: Log,
  maxBodyBytes = 1_048_576
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return async (event) => {
    const incoming = header(event, 'x-request-id');
    const requestId =
      incoming && REQUEST_ID_RE.test(incoming)
        ? incoming
        : (event.requestContext?.requestId ?? randomUUID());
    const headers = {
      'content-type': 'application/json',
      'x-request-id': requestId,
    };
    const body = (): unknown => {
      const text =
        event.body == null
          ? ''
          : event.isBase64Encoded
            ? Buffer.from(event.body, 'base64').toString('utf8')
            : event.body;
      if (Buffer.byteLength(text) > maxBodyBytes) {
        throw new GatewayError(
          413,
          'invalid_request_error',
          'request_too_large',
          `request body exceeds ${maxBodyBytes} bytes`
        );
      }
      if (text.length === 0)
        throw badRequest('the request body is empty', null, 'invalid_json');
      try {
        return JSON.parse(text);
      } catch {
        throw badRequest(
          'the request body is not valid JSON',
          null,
          'invalid_json'
        );
      }
    };
    try {
      if (!event.path.startsWith('/v1/admin/')) {
        throw new GatewayError(
          404,
          'not_found_error',
          'not_found',
          `unknown route ${event.httpMethod} ${event.path}`
        );
      }
      const auth = header(event, 'authorization');
      const bearer = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
      const res = await routes(event, bearer, requestId, body);
      return {
        statusCode: res.status,
        headers,
        body: JSON.stringify(res.body),
      };
    } catch (err) {
      const gw = toGatewayError(err);
      if (gw.status >= 500 && gw.code === 'internal_error') {
        log.error('unhandled admin error', {
          requestId,
          path: event.path,
          error:
            err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
      }
      return {
        statusCode: gw.status,
        headers: { ...headers, ...gw.headers },
        body: JSON.stringify(gw.toBody()),
      };
    }
  };
}
