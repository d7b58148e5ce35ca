import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AdminRoutes } from '../admin/app';
import { parseChatRequest } from '../core/api/chat-request';
import { badRequest, GatewayError, toGatewayError } from '../core/api/errors';
import { jsonSchemaEngineFor } from '../core/api/json-schema';
import type { EmbeddingCache } from '../core/cache/embedding-cache';
import type { ResolvedProvider, ResolvedTenant } from '../core/config/load';
import type { ExperimentService } from '../core/experiments/service';
import {
  type CacheStage,
  serveWithCache,
  tagCacheStatus,
} from '../core/gateway/cache-stage';
import {
  ChatService,
  type ChatServiceDeps,
} from '../core/gateway/chat-service';
import {
  healthJson,
  listModelsJson,
  routeDecisionJson,
  statsJson,
} from '../core/gateway/endpoints';
import { guardInput } from '../core/gateway/input-guard';
import type { LimitStage } from '../core/gateway/limit-stage';
import { noCandidateError } from '../core/gateway/plan';
import {
  killSwitchError,
  type PlannerDeps,
  RequestPlanner,
} from '../core/gateway/planner';
import {
  clientOf,
  JSON_HEADERS,
  mergeHeaders,
  type ResponseSink,
} from '../core/gateway/sink';
import type { GuardrailService } from '../core/guardrails/service';
import { type MediaResolver, resolveMedia } from '../core/media/resolve';
import type { TenantDirectory } from '../core/tenants/directory';

/** Everything the router needs; built once per container (AWS) or process (local). */
export interface RouterDeps extends ChatServiceDeps, PlannerDeps {
  readonly tenants: TenantDirectory;
  readonly providers: readonly ResolvedProvider[];
  /** Largest accepted body in bytes (413 beyond). */
  readonly maxBodyBytes: number;
  readonly startedAt: number;
  /** Response cache in front of the chat service (absent: every answer is a bypass). */
  readonly responseCache?: CacheStage;
  /** Guardrail profiles per domain (input stage before routing). @default - none */
  readonly guardrails?: GuardrailService;
  /** Experiments (the admin routes of the local host use it). @default - none */
  readonly experimentService?: ExperimentService;
  /** `/v1/admin/*` in this process (local host; absent: 404, the admin Lambda serves them on AWS). */
  readonly admin?: AdminRoutes;
  /** Re-read delays of `POST /v1/feedback` for a not-yet-written decision. @default [150, 500] */
  readonly feedbackRetryDelaysMs?: readonly number[];
  /** Tenant rate and token limits (absent: none enforced). */
  readonly limits?: LimitStage;
  /** Embedding answer cache (`/v1/embeddings`; absent: every answer is a bypass). */
  readonly embeddingCache?: EmbeddingCache;
  /** Fetches http(s) image URLs under the SSRF policy (absent: they are refused). */
  readonly media?: MediaResolver;
}

/** Routes one API Gateway proxy event to the core and writes the answer to the sink. */
export type RouterApp = (
  event: APIGatewayProxyEvent,
  sink: ResponseSink
) => Promise<void>;

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Lower-cased single-value headers (API Gateway keeps the client's casing). */
function lowerHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const out: Record<string, string> = {};
  const h = event.headers;
  if (h)
    for (const k in h) {
      const v = h[k];
      if (v !== undefined) out[k.toLowerCase()] = v;
    }
  return out;
}

function bodyText(event: APIGatewayProxyEvent): string {
  if (event.body == null) return '';
  return event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').toString('utf8')
    : event.body;
}

function bearer(headers: Record<string, string>): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  return headers['x-api-key'] || undefined;
}

/**
 * Builds the router: the one code path both hosts (Lambda and the local
 * server) run. Every failure becomes an OpenAI-shaped JSON error; nothing
 * below here writes to the host directly.
 */
export function createRouterApp(deps: RouterDeps): RouterApp {
  const chat = new ChatService(deps);
  const planner = new RequestPlanner(deps);
  const now = deps.now ?? Date.now;

  const sendJson = (
    sink: ResponseSink,
    status: number,
    body: unknown,
    headers: Record<string, string>
  ): void => {
    sink.send(
      status,
      mergeHeaders(JSON_HEADERS, headers),
      JSON.stringify(body)
    );
  };

  const authenticate = async (
    headers: Record<string, string>
  ): Promise<ResolvedTenant> => {
    const key = bearer(headers);
    if (!key) {
      throw new GatewayError(
        401,
        'authentication_error',
        'missing_api_key',
        'missing API key: send Authorization: Bearer <key>'
      );
    }
    const tenant = await deps.tenants.authenticate(key);
    if (!tenant) {
      throw new GatewayError(
        401,
        'authentication_error',
        'invalid_api_key',
        'invalid API key'
      );
    }
    return tenant;
  };

  const readJson = (event: APIGatewayProxyEvent): unknown => {
    const text = bodyText(event);
    if (Buffer.byteLength(text) > deps.maxBodyBytes) {
      throw new GatewayError(
        413,
        'invalid_request_error',
        'request_too_large',
        `request body exceeds ${deps.maxBodyBytes} bytes`
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

  return async (event, rawSink) => {
    let sink = rawSink;
    const headers = lowerHeaders(event);
    const incomingId = headers['x-request-id'];
    const requestId =
      incomingId && REQUEST_ID_RE.test(incomingId)
        ? incomingId
        : (event.requestContext?.requestId ?? randomUUID());
    // Every answer says what the cache did (ARCHITECTURE.md "Refusals"):
    // only chat completions are cached, so everything else is a bypass (the
    // chat route's tagged sink stamps its own hit | miss | bypass).
    const idHeader = { 'x-request-id': requestId, 'x-gateway-cache': 'bypass' };
    const method = event.httpMethod;
    const path =
      event.path.length > 1 ? event.path.replace(/\/+$/, '') : event.path;
    try {
      switch (path) {
        case '/v1/chat/completions': {
          requireMethod(method, 'POST');
          // Every chat answer, errors included, says hit | miss | bypass.
          sink = tagCacheStatus(rawSink);
          const tenant = await authenticate(headers);
          const body = readJson(event);
          const engine = jsonSchemaEngineFor(body);
          if (engine) await engine;
          const parsed = parseChatRequest(body);
          // Limits first: a refused request costs no guardrail call.
          const limited = await deps.limits?.admit(parsed, tenant);
          try {
            // Remote images are fetched only for admitted requests (the
            // limit stage counted them at their worst-case size).
            const request = await guardInput(
              await resolveMedia(deps.media, limited?.request ?? parsed),
              deps,
              sink
            );
            const { plan, blocked } = await planner.plan(request, tenant);
            if (blocked) throw killSwitchError(blocked);
            if (!plan.decision.chosen) throw noCandidateError(plan.decision);
            const directive = headers['x-gateway-cache'];
            const out = limited?.wrap(sink) ?? sink;
            const call = { request, tenant, requestId, plan, directive };
            await serveWithCache(
              deps.responseCache,
              { ...call, sink: out },
              (s) =>
                chat.handle({
                  request,
                  tenant,
                  requestId,
                  sink: s,
                  plan,
                  onServed: limited?.served,
                })
            );
          } finally {
            await limited?.settle();
          }
          return;
        }
        case '/v1/embeddings': {
          requireMethod(method, 'POST');
          const tenant = await authenticate(headers);
          const body = readJson(event);
          // The embeddings route is a lazy chunk: chat-only containers never load it.
          const { serveEmbeddings } = await import('../core/lazy-parts.js');
          await serveEmbeddings(deps, planner, {
            body,
            tenant,
            requestId,
            directive: headers['x-gateway-cache'],
            sink,
          });
          return;
        }
        case '/v1/route': {
          requireMethod(method, 'POST');
          const tenant = await authenticate(headers);
          const body = readJson(event);
          const engine = jsonSchemaEngineFor(body);
          if (engine) await engine;
          const request = parseChatRequest(body);
          const { plan, blocked } = await planner.plan(request, tenant);
          sendJson(sink, 200, routeDecisionJson(plan, blocked), idHeader);
          return;
        }
        case '/v1/feedback': {
          requireMethod(method, 'POST');
          const tenant = await authenticate(headers);
          const body = readJson(event);
          // Feedback is a lazy chunk too: most containers never see one.
          const { recordFeedback } = await import('../core/lazy-parts.js');
          sendJson(
            sink,
            200,
            await recordFeedback(deps, tenant.id, body),
            idHeader
          );
          return;
        }
        case '/v1/models': {
          requireMethod(method, 'GET');
          const tenant = await authenticate(headers);
          sendJson(
            sink,
            200,
            listModelsJson(deps.catalog.list(), tenant),
            idHeader
          );
          return;
        }
        case '/v1/stats': {
          requireMethod(method, 'GET');
          const tenant = await authenticate(headers);
          sendJson(
            sink,
            200,
            statsJson(
              deps.catalog.list(),
              deps.latency,
              deps.bandit,
              deps.gate,
              deps.responseCache,
              deps.costs && { stats: deps.costs, tenant: tenant.id }
            ),
            idHeader
          );
          return;
        }
        case '/health': {
          requireMethod(method, 'GET');
          sendJson(
            sink,
            200,
            healthJson(deps.providers, deps.startedAt, now()),
            idHeader
          );
          return;
        }
        case '/metrics': {
          requireMethod(method, 'GET');
          if (!deps.metrics.render) {
            throw new GatewayError(
              404,
              'not_found_error',
              'not_found',
              'metrics are published to CloudWatch on AWS, not served here'
            );
          }
          const { contentType, body } = await deps.metrics.render();
          sink.send(200, { 'content-type': contentType }, body);
          return;
        }
        default:
          if (path.startsWith('/v1/admin/') && deps.admin) {
            const res = await deps.admin(
              event,
              bearer(headers),
              requestId,
              () => readJson(event)
            );
            sendJson(sink, res.status, res.body, idHeader);
            return;
          }
          throw new GatewayError(
            404,
            'not_found_error',
            'not_found',
            `unknown route ${method} ${path}`
          );
      }
    } catch (err) {
      const gw = toGatewayError(err);
      if (gw.status >= 500 && gw.code === 'internal_error') {
        deps.log.error('unhandled error', {
          requestId,
          path,
          error:
            err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          stack: err instanceof Error ? err.stack : undefined,
        });
      }
      if (clientOf(sink).aborted) return;
      sendJson(sink, gw.status, gw.toBody(), { ...gw.headers, ...idHeader });
    }
  };
}

function requireMethod(actual: string, expected: string): void {
  if (actual !== expected) {
    throw new GatewayError(
      405,
      'invalid_request_error',
      'method_not_allowed',
      `method ${actual} not allowed here; use ${expected}`
    );
  }
}
