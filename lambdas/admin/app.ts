import type { APIGatewayProxyEvent } from 'aws-lambda';
import { badRequest, GatewayError } from '../core/api/errors';
import type { AuditLog } from '../core/audit/types';
import type { BudgetLedger } from '../core/budget/types';
import type { GatewayConfig } from '../core/config/load';
import { ControlPlane } from '../core/control/control-plane';
import { modelEntryParser } from '../core/control/model-entry';
import type { ExperimentService } from '../core/experiments/service';
import type { KillSwitchStore } from '../core/kill-switches/types';
import { validateScope } from '../core/kill-switches/value';
import type {
  BanditStore,
  DecisionLog,
  GatewayMetrics,
  Log,
} from '../core/ports';
import type { ModelRegistryStore, RouteSetStore } from '../core/registry/types';
import type { TenantDirectory } from '../core/tenants/directory';
import type { ApiKeyStore } from '../core/tenants/keys';
import {
  type AdminAuth,
  authenticateAdmin,
  handleAdmin,
} from '../router/admin';

/** A JSON answer of an admin route. */
export interface AdminResult {
  readonly status: number;
  readonly body: unknown;
}

/**
 * Serves one `/v1/admin/*` call: authenticates the caller, then answers
 * (or throws a GatewayError). Hosted by the admin Lambda on AWS and by the
 * local router process (`npm start`), so the contract is the same in both.
 */
export type AdminRoutes = (
  event: APIGatewayProxyEvent,
  bearer: string | undefined,
  requestId: string,
  /** Parses the body (413/400 on bad input), only when a route needs it. */
  body: () => unknown
) => Promise<AdminResult>;

/** What the admin routes run on. */
export interface AdminDeps {
  readonly config: GatewayConfig;
  readonly registry: ModelRegistryStore;
  readonly routeSets: RouteSetStore;
  readonly killSwitches: KillSwitchStore;
  readonly audit: AuditLog;
  /** The shared bandit state (reset acts on every router). */
  readonly bandit: BanditStore;
  readonly decisions: DecisionLog;
  readonly tenants: TenantDirectory;
  readonly auth: AdminAuth;
  readonly log: Log;
  readonly metrics: GatewayMetrics;
  /** `GET /v1/admin/stats` (AWS: the shared state, see sharedStatsJson). */
  readonly stats: () => unknown;
  /** Client API keys (`/v1/admin/tenants/{id}/keys`). @default - those routes answer 404 */
  readonly keys?: ApiKeyStore;
  /** The control plane to act through. @default - one built from these deps */
  readonly control?: ControlPlane;
  /** `GET /v1/admin/budgets?tenant=`: ledger levels. @default - that route answers 404 */
  readonly budgets?: Pick<BudgetLedger, 'list'>;
  /** `/v1/admin/experiments/...`. @default - those routes answer 404 */
  readonly experiments?: ExperimentService;
  /** Called after a change, e.g. to refresh the local catalog at once. */
  readonly onChange?: (
    what: 'models' | 'route-sets' | 'kill-switches' | 'bandit'
  ) => void;
}

/** Largest page of `GET /v1/admin/decisions`. */
export const MAX_DECISION_PAGE = 1000;

function isoParam(
  query: Record<string, string | undefined>,
  name: string
): string | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (Number.isNaN(Date.parse(v)))
    throw badRequest(`${name}: not an ISO date-time`, name, 'invalid_value');
  return v;
}

/**
 * `GET /v1/admin/decisions?since&until&tenant&limit&cursor`: one page of
 * the decision log (the ARCHITECTURE.md record, with feedback and reward);
 * `next_cursor` is set while more may follow.
 */
export async function listDecisions(
  decisions: DecisionLog,
  query: Record<string, string | undefined>
): Promise<AdminResult> {
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DECISION_PAGE) {
    throw badRequest(
      `limit: must be an integer between 1 and ${MAX_DECISION_PAGE}`,
      'limit',
      'invalid_value'
    );
  }
  let page: Awaited<ReturnType<DecisionLog['list']>>;
  try {
    page = await decisions.list({
      since: isoParam(query, 'since'),
      until: isoParam(query, 'until'),
      tenant: query.tenant || undefined,
      limit,
      cursor: query.cursor || undefined,
    });
  } catch (err) {
    if (err instanceof RangeError)
      throw badRequest(err.message, 'cursor', 'invalid_value');
    throw err;
  }
  return {
    status: 200,
    body: {
      object: 'list',
      data: page.records,
      next_cursor: page.cursor ?? null,
    },
  };
}

/**
 * The control plane the admin routes act through (and, locally, the
 * experiment controller): every change audited.
 */
export function createControlPlane(
  deps: Pick<
    AdminDeps,
    | 'config'
    | 'registry'
    | 'routeSets'
    | 'killSwitches'
    | 'audit'
    | 'bandit'
    | 'log'
    | 'metrics'
    | 'onChange'
    | 'keys'
  >
): ControlPlane {
  return new ControlPlane({
    registry: deps.registry,
    routeSets: deps.routeSets,
    killSwitches: deps.killSwitches,
    audit: deps.audit,
    bandit: deps.bandit,
    parseModelEntry: modelEntryParser(deps.config.providers),
    validateScope,
    log: deps.log,
    keys: deps.keys,
    onChange: (what) => {
      if (what === 'kill-switches') deps.metrics.event('KillSwitchChanged');
      deps.onChange?.(what);
    },
  });
}

/**
 * Builds the admin routes: the control plane (registry, route sets, kill
 * switches, bandit reset, audit), stats and the decision export.
 */
export function createAdminRoutes(deps: AdminDeps): AdminRoutes {
  const control = deps.control ?? createControlPlane(deps);
  return async (event, bearer, requestId, body) => {
    const who = await authenticateAdmin(deps.auth, event, bearer, deps.tenants);
    const path = event.path.replace(/\/+$/, '');
    const rest = path.slice('/v1/admin/'.length);
    const query = event.queryStringParameters ?? {};
    if (rest === 'budgets' && deps.budgets) {
      if (event.httpMethod !== 'GET') {
        throw new GatewayError(
          405,
          'invalid_request_error',
          'method_not_allowed',
          `method ${event.httpMethod} not allowed here; use GET`
        );
      }
      return {
        status: 200,
        body: {
          object: 'list',
          data: await deps.budgets.list(query.tenant || undefined),
        },
      };
    }
    if (rest === 'decisions') {
      if (event.httpMethod !== 'GET') {
        throw new GatewayError(
          405,
          'invalid_request_error',
          'method_not_allowed',
          `method ${event.httpMethod} not allowed here; use GET`
        );
      }
      return listDecisions(deps.decisions, query);
    }
    const res = await handleAdmin(
      control,
      event.httpMethod,
      rest,
      body,
      query,
      { who, requestId },
      deps.stats,
      deps.experiments
    );
    // `stats` may be async on AWS (it refreshes the catalog first).
    return { status: res.status, body: await res.body };
  };
}
