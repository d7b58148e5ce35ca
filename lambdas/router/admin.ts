import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import '../core/api/zod-locale';
import { zodToGatewayError } from '../core/api/chat-request';
import { badRequest, GatewayError } from '../core/api/errors';
import {
  type Actor,
  type ControlPlane,
  ControlPlaneError,
} from '../core/control/control-plane';
import type { ExperimentService } from '../core/experiments/service';
import {
  RegistryConflictError,
  RegistryNotFoundError,
  RegistryValidationError,
} from '../core/registry/types';
import type { TenantDirectory } from '../core/tenants/directory';
import { apiKeyJson } from '../core/tenants/keys';
import { handleExperimentsAdmin } from './admin-experiments';

/** How admin callers are authenticated. */
export type AdminAuth =
  /** Local: `Authorization: Bearer <GATEWAY_ADMIN_KEY>`; undefined key = admin API off. */
  | { readonly mode: 'key'; readonly key?: string }
  /** AWS: API Gateway enforced AWS_IAM; the caller's ARN comes from the event. */
  | { readonly mode: 'iam' };

/** A JSON answer of the admin API. */
export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
}

const reason = z.string().check(z.minLength(1), z.maxLength(1024));

const killSwitchBody = z.strictObject({
  state: z.enum(['on', 'off']),
  reason,
  percent: z.optional(z.number().check(z.gte(0), z.lte(100))),
  until: z.optional(z.iso.datetime({ offset: true })),
});

const statusBody = z.strictObject({
  status: z.enum(['active', 'canary', 'shadow', 'deprecated']),
  reason,
});

const putModelBody = z.strictObject({
  model: z.record(z.string(), z.unknown()),
  reason,
  expected_version: z.optional(z.int().check(z.gte(0))),
});

const routeSetBody = z.strictObject({
  models: z.array(
    z.union([
      z.string().check(z.minLength(1)),
      z.strictObject({
        id: z.string().check(z.minLength(1)),
        version: z.optional(z.int().check(z.gte(1))),
      }),
    ])
  ),
  description: z.optional(z.string().check(z.maxLength(1024))),
  reason,
  activate: z.optional(z.boolean()),
  expected_version: z.optional(z.int().check(z.gte(0))),
});

const activateBody = z.strictObject({
  version: z.int().check(z.gte(1)),
  reason,
});
const reasonBody = z.strictObject({ reason });
const banditResetBody = z.strictObject({
  reason,
  context_key: z.optional(z.string().check(z.minLength(1))),
});

function parse<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw zodToGatewayError(r.error);
  return r.data;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Authenticates an admin call. Keys are compared as SHA-256 digests with
 * timingSafeEqual (constant time, equal lengths). A client API key on an
 * admin route is refused with 403, never treated as an admin.
 */
export async function authenticateAdmin(
  auth: AdminAuth,
  event: APIGatewayProxyEvent,
  bearer: string | undefined,
  tenants: TenantDirectory
): Promise<string> {
  if (auth.mode === 'iam') {
    const arn =
      event.requestContext?.identity?.userArn ??
      event.requestContext?.identity?.caller;
    if (!arn) {
      throw new GatewayError(
        403,
        'permission_error',
        'iam_required',
        'admin routes require IAM (SigV4) authentication'
      );
    }
    return arn;
  }
  if (!auth.key) {
    throw new GatewayError(
      403,
      'permission_error',
      'admin_disabled',
      'the admin API is disabled: set GATEWAY_ADMIN_KEY to enable it'
    );
  }
  if (!bearer) {
    throw new GatewayError(
      401,
      'authentication_error',
      'missing_api_key',
      'missing admin key: send Authorization: Bearer <admin key>'
    );
  }
  if (timingSafeEqual(digest(bearer), digest(auth.key))) return 'admin-key';
  if (await tenants.authenticate(bearer)) {
    throw new GatewayError(
      403,
      'permission_error',
      'admin_only',
      'client API keys may not use admin routes'
    );
  }
  throw new GatewayError(
    401,
    'authentication_error',
    'invalid_api_key',
    'invalid admin key'
  );
}

function method(actual: string, ...allowed: string[]): void {
  if (!allowed.includes(actual)) {
    throw new GatewayError(
      405,
      'invalid_request_error',
      'method_not_allowed',
      `method ${actual} not allowed here; use ${allowed.join(' or ')}`
    );
  }
}

/** Maps control-plane/registry failures to client errors. */
export function adminError(err: unknown): unknown {
  if (err instanceof ControlPlaneError) {
    const type =
      err.status === 404 ? 'not_found_error' : 'invalid_request_error';
    return new GatewayError(err.status, type, err.code, err.message, {
      param: err.param,
    });
  }
  if (err instanceof RegistryConflictError) {
    return new GatewayError(
      409,
      'invalid_request_error',
      'version_conflict',
      err.message
    );
  }
  if (err instanceof RegistryNotFoundError) {
    return new GatewayError(404, 'not_found_error', 'not_found', err.message);
  }
  if (err instanceof RegistryValidationError) {
    return new GatewayError(
      400,
      'invalid_request_error',
      'invalid_document',
      err.message,
      {
        param: err.problems[0]?.split(':')[0] ?? null,
      }
    );
  }
  return err;
}

/**
 * Dispatches `/v1/admin/...`. `rest` is the path after `/v1/admin/`;
 * kill-switch scopes keep their slash (`provider/gemini`).
 */
export async function handleAdmin(
  plane: ControlPlane,
  httpMethod: string,
  rest: string,
  body: () => unknown,
  query: Record<string, string | undefined>,
  actor: Omit<Actor, 'reason'>,
  /** Live router state (circuits, limits, latency, bandit) for `GET /v1/admin/stats`. */
  stats?: () => unknown,
  /** `/v1/admin/experiments/...` (lambdas/router/admin-experiments.ts). */
  experiments?: ExperimentService
): Promise<AdminResponse> {
  const parts = rest.split('/');
  const [resource, ...tail] = parts;
  try {
    switch (resource) {
      case 'models': {
        if (tail.length === 0) {
          method(httpMethod, 'GET', 'POST');
          if (httpMethod === 'GET') {
            return {
              status: 200,
              body: { object: 'list', data: await plane.listModels() },
            };
          }
          const b = parse(putModelBody, body());
          const v = await plane.putModel(
            b.model,
            { ...actor, reason: b.reason },
            b.expected_version
          );
          return { status: 201, body: v };
        }
        const id = decodeURIComponent(tail[0]!);
        if (tail.length === 1) {
          method(httpMethod, 'GET');
          return {
            status: 200,
            body: { object: 'list', data: await plane.modelHistory(id) },
          };
        }
        if (tail.length === 2 && tail[1] === 'status') {
          method(httpMethod, 'PUT', 'POST');
          const b = parse(statusBody, body());
          return {
            status: 200,
            body: await plane.setModelStatus(id, b.status, {
              ...actor,
              reason: b.reason,
            }),
          };
        }
        break;
      }
      case 'route-sets': {
        const name = tail[0];
        if (!name) break;
        if (tail.length === 1) {
          method(httpMethod, 'GET', 'PUT');
          if (httpMethod === 'GET')
            return { status: 200, body: await plane.getRouteSet(name) };
          const b = parse(routeSetBody, body());
          const models = b.models.map((m) =>
            typeof m === 'string' ? { id: m } : m
          );
          const doc = await plane.putRouteSet(
            name,
            { models, description: b.description },
            { ...actor, reason: b.reason },
            { activate: b.activate, expectedLatest: b.expected_version }
          );
          return { status: 201, body: doc };
        }
        if (tail.length === 2 && tail[1] === 'activate') {
          method(httpMethod, 'POST');
          const b = parse(activateBody, body());
          return {
            status: 200,
            body: await plane.activateRouteSet(name, b.version, {
              ...actor,
              reason: b.reason,
            }),
          };
        }
        if (tail.length === 2 && tail[1] === 'rollback') {
          method(httpMethod, 'POST');
          const b = parse(reasonBody, body());
          return {
            status: 200,
            body: await plane.rollbackRouteSet(name, {
              ...actor,
              reason: b.reason,
            }),
          };
        }
        break;
      }
      case 'kill-switches': {
        if (tail.length === 0) {
          method(httpMethod, 'GET');
          return {
            status: 200,
            body: {
              object: 'kill_switches',
              data: await plane.listKillSwitches(),
            },
          };
        }
        const scope = tail.map(decodeURIComponent).join('/');
        method(httpMethod, 'GET', 'PUT');
        if (httpMethod === 'GET')
          return {
            status: 200,
            body: { scope, ...(await plane.getKillSwitch(scope)) },
          };
        const b = parse(killSwitchBody, body());
        const after = await plane.setKillSwitch(
          scope,
          {
            state: b.state,
            reason: b.reason,
            percent: b.percent,
            until: b.until,
          },
          { ...actor, reason: b.reason }
        );
        return { status: 200, body: { scope, ...after } };
      }
      case 'bandit': {
        if (tail.length === 1 && tail[0] === 'reset') {
          method(httpMethod, 'POST');
          const b = parse(banditResetBody, body());
          await plane.resetBandit(
            { ...actor, reason: b.reason },
            b.context_key
          );
          return { status: 200, body: { reset: b.context_key ?? 'all' } };
        }
        break;
      }
      case 'experiments': {
        if (!experiments) break;
        const res = await handleExperimentsAdmin(
          experiments,
          httpMethod,
          tail,
          body,
          actor
        );
        if (res) return res;
        break;
      }
      case 'tenants': {
        const [tenantId, sub, keyId, ...more] = tail;
        if (!tenantId || sub !== 'keys' || more.length > 0) break;
        const id = decodeURIComponent(tenantId);
        if (keyId === undefined) {
          method(httpMethod, 'GET', 'POST');
          if (httpMethod === 'GET') {
            const keys = await plane.listApiKeys(id);
            return {
              status: 200,
              body: { object: 'list', data: keys.map(apiKeyJson) },
            };
          }
          const b = parse(reasonBody, body());
          const created = await plane.createApiKey(id, {
            ...actor,
            reason: b.reason,
          });
          return {
            status: 201,
            body: { ...apiKeyJson(created), key: created.key },
          };
        }
        method(httpMethod, 'DELETE');
        // DELETE bodies are unusual: the reason may come as ?reason= instead.
        const why = query.reason ?? parse(reasonBody, body()).reason;
        const revoked = await plane.revokeApiKey(
          id,
          decodeURIComponent(keyId),
          { ...actor, reason: why }
        );
        return { status: 200, body: apiKeyJson(revoked) };
      }
      case 'stats': {
        method(httpMethod, 'GET');
        if (!stats) break;
        return { status: 200, body: stats() };
      }
      case 'audit': {
        method(httpMethod, 'GET');
        const limit = query.limit === undefined ? 100 : Number(query.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          throw badRequest(
            'limit: must be an integer between 1 and 1000',
            'limit',
            'invalid_value'
          );
        }
        return {
          status: 200,
          body: {
            object: 'list',
            data: await plane.listAudit(limit, query.target),
          },
        };
      }
    }
  } catch (err) {
    throw adminError(err);
  }
  throw new GatewayError(
    404,
    'not_found_error',
    'not_found',
    `unknown admin route ${httpMethod} /v1/admin/${rest}`
  );
}
