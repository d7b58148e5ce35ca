import type {
  DynamoTenantDirectory,
  TenantItem,
} from '../../lambdas/core/adapters/aws/dynamo-tenants';
import type { AuditRecord } from '../../lambdas/core/audit/types';
import type {
  BudgetLedger,
  LevelBalance,
} from '../../lambdas/core/budget/types';
import type { ControlPlane } from '../../lambdas/core/control/control-plane';
import type { KillSwitchValue } from '../../lambdas/core/kill-switches/types';
import type {
  DecisionLog,
  DecisionQuery,
  DecisionRecord,
} from '../../lambdas/core/ports';
import type {
  ModelStatus,
  ModelVersion,
  RouteSetDocument,
} from '../../lambdas/core/registry/types';
import { type ApiKeyJson, apiKeyJson } from '../../lambdas/core/tenants/keys';
import type { StageSecretResult } from './secrets';

/** What `ops status` shows. */
export interface OpsStatus {
  readonly killSwitches: Record<string, KillSwitchValue>;
  readonly routeSet?: {
    name: string;
    active?: RouteSetDocument;
    latestVersion?: number;
  };
  readonly models: readonly {
    id: string;
    version: number;
    status: string;
    provider: string;
  }[];
  /** Circuit breaker states, when the backend is a running gateway. */
  readonly circuits?: unknown;
}

/** What an operator sends to set a kill switch: a value with a mandatory reason. */
export type KillSwitchRequest = Omit<
  KillSwitchValue,
  'by' | 'updatedAt' | 'reason'
> & { readonly reason: string };

/** The operator actions the CLI performs, over HTTP or straight on AWS. */
export interface OpsBackend {
  readonly describe: string;
  status(routeSet: string): Promise<OpsStatus>;
  getKillSwitch(scope: string): Promise<KillSwitchValue>;
  setKillSwitch(
    scope: string,
    value: KillSwitchRequest
  ): Promise<KillSwitchValue>;
  activateRouteSet(
    name: string,
    version: number,
    reason: string
  ): Promise<RouteSetDocument>;
  rollbackRouteSet(name: string, reason: string): Promise<RouteSetDocument>;
  setModelStatus(
    id: string,
    status: ModelStatus,
    reason: string
  ): Promise<ModelVersion>;
  resetBandit(reason: string, contextKey?: string): Promise<void>;
  audit(limit: number, target?: string): Promise<readonly AuditRecord[]>;
  /** One page of the decision log (with feedback and reward); `cursor` while more may follow. */
  decisions(
    query: DecisionQuery
  ): Promise<{ records: readonly DecisionRecord[]; cursor?: string }>;
  /** Tenants (AWS mode only: they live in the tenants table). */
  putTenant?(id: string, item: TenantItem): Promise<void>;
  /** Stores a new key's hash for a tenant; returns the hash. */
  addTenantKey?(id: string, key: string): Promise<string>;
  /** Creates a random client key for a tenant; the answer holds the key (shown once). */
  createKey(
    tenant: string,
    reason: string
  ): Promise<ApiKeyJson & { key: string }>;
  /** A tenant's client keys (never a key or a hash). */
  listKeys(tenant: string): Promise<readonly ApiKeyJson[]>;
  /** Revokes a client key; routers refuse it within 5 s. */
  revokeKey(tenant: string, keyId: string, reason: string): Promise<ApiKeyJson>;
  /** Stages a new provider key and starts its rotation (AWS mode only). */
  stageSecret?(secretId: string, value: string): Promise<StageSecretResult>;
  /** Budget ledger levels (of one tenant, or all). */
  budgetBalances?(tenant?: string): Promise<LevelBalance[]>;
}

/** A failure to show the operator (no stack trace). */
export class OpsError extends Error {
  public override readonly name = 'OpsError';
}

/** Talks to a gateway's admin API (`--url`, `--admin-key`). */
export class HttpOpsBackend implements OpsBackend {
  public readonly describe: string;

  public constructor(
    private readonly baseUrl: string,
    private readonly adminKey: string,
    private readonly fetchFn: typeof fetch = fetch
  ) {
    this.describe = `admin API at ${baseUrl}`;
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown
  ): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.adminKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new OpsError(
        `cannot reach ${this.baseUrl}: ${(err as Error).message}`
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new OpsError(
        `${method} ${path}: HTTP ${res.status} with a non-JSON body`
      );
    }
    if (!res.ok) {
      const e = (
        parsed as { error?: { message?: string; code?: string } } | undefined
      )?.error;
      throw new OpsError(
        `${method} ${path}: HTTP ${res.status} ${e?.code ?? ''} ${e?.message ?? ''}`.trim()
      );
    }
    return parsed as T;
  }

  public async status(routeSet: string): Promise<OpsStatus> {
    const [ks, models, rs, stats] = await Promise.all([
      this.call<{ data: Record<string, KillSwitchValue> }>(
        'GET',
        '/v1/admin/kill-switches'
      ),
      this.call<{ data: ModelVersion[] }>('GET', '/v1/admin/models'),
      this.call<{ active?: RouteSetDocument; versions: RouteSetDocument[] }>(
        'GET',
        `/v1/admin/route-sets/${encodeURIComponent(routeSet)}`
      ).catch(() => undefined),
      this.call<{ circuits?: unknown }>('GET', '/v1/admin/stats').catch(
        () => undefined
      ),
    ]);
    return {
      killSwitches: ks.data,
      routeSet: {
        name: routeSet,
        active: rs?.active,
        latestVersion: rs?.versions[0]?.version,
      },
      models: models.data.map((m) => ({
        id: m.modelId,
        version: m.version,
        status: m.config.status,
        provider: m.config.provider,
      })),
      circuits: stats?.circuits,
    };
  }

  public async getKillSwitch(scope: string): Promise<KillSwitchValue> {
    return this.call('GET', `/v1/admin/kill-switches/${scope}`);
  }

  public async setKillSwitch(
    scope: string,
    value: KillSwitchRequest
  ): Promise<KillSwitchValue> {
    return this.call('PUT', `/v1/admin/kill-switches/${scope}`, value);
  }

  public async activateRouteSet(
    name: string,
    version: number,
    reason: string
  ): Promise<RouteSetDocument> {
    return this.call(
      'POST',
      `/v1/admin/route-sets/${encodeURIComponent(name)}/activate`,
      { version, reason }
    );
  }

  public async rollbackRouteSet(
    name: string,
    reason: string
  ): Promise<RouteSetDocument> {
    return this.call(
      'POST',
      `/v1/admin/route-sets/${encodeURIComponent(name)}/rollback`,
      { reason }
    );
  }

  public async setModelStatus(
    id: string,
    status: ModelStatus,
    reason: string
  ): Promise<ModelVersion> {
    return this.call(
      'PUT',
      `/v1/admin/models/${encodeURIComponent(id)}/status`,
      { status, reason }
    );
  }

  public async resetBandit(reason: string, contextKey?: string): Promise<void> {
    await this.call('POST', '/v1/admin/bandit/reset', {
      reason,
      ...(contextKey ? { context_key: contextKey } : {}),
    });
  }

  public createKey(
    tenant: string,
    reason: string
  ): Promise<ApiKeyJson & { key: string }> {
    return this.call(
      'POST',
      `/v1/admin/tenants/${encodeURIComponent(tenant)}/keys`,
      { reason }
    );
  }

  public async listKeys(tenant: string): Promise<readonly ApiKeyJson[]> {
    return (
      await this.call<{ data: ApiKeyJson[] }>(
        'GET',
        `/v1/admin/tenants/${encodeURIComponent(tenant)}/keys`
      )
    ).data;
  }

  public revokeKey(
    tenant: string,
    keyId: string,
    reason: string
  ): Promise<ApiKeyJson> {
    return this.call(
      'DELETE',
      `/v1/admin/tenants/${encodeURIComponent(tenant)}/keys/${encodeURIComponent(keyId)}`,
      { reason }
    );
  }

  public async audit(
    limit: number,
    target?: string
  ): Promise<readonly AuditRecord[]> {
    const q = new URLSearchParams({
      limit: String(limit),
      ...(target ? { target } : {}),
    });
    return (
      await this.call<{ data: AuditRecord[] }>('GET', `/v1/admin/audit?${q}`)
    ).data;
  }

  public async decisions(
    query: DecisionQuery
  ): Promise<{ records: readonly DecisionRecord[]; cursor?: string }> {
    const q = new URLSearchParams({ limit: String(query.limit) });
    if (query.since) q.set('since', query.since);
    if (query.until) q.set('until', query.until);
    if (query.tenant) q.set('tenant', query.tenant);
    if (query.cursor) q.set('cursor', query.cursor);
    const page = await this.call<{
      data: DecisionRecord[];
      next_cursor: string | null;
    }>('GET', `/v1/admin/decisions?${q}`);
    return page.next_cursor
      ? { records: page.data, cursor: page.next_cursor }
      : { records: page.data };
  }

  public async budgetBalances(tenant?: string): Promise<LevelBalance[]> {
    const q = tenant ? `?tenant=${encodeURIComponent(tenant)}` : '';
    return (
      await this.call<{ data: LevelBalance[] }>('GET', `/v1/admin/budgets${q}`)
    ).data;
  }
}

/** Acts straight on the stores (AWS mode: SSM and DynamoDB with the caller's credentials). */
export class ControlPlaneOpsBackend implements OpsBackend {
  public constructor(
    private readonly plane: ControlPlane,
    private readonly who: string,
    public readonly describe: string,
    private readonly tenants?: DynamoTenantDirectory,
    private readonly secrets?: (
      secretId: string,
      value: string
    ) => Promise<StageSecretResult>,
    /** The decisions table, opened on first use (AWS mode). */
    private readonly decisionLog?: () => Promise<Pick<DecisionLog, 'list'>>,
    private readonly budgets?: Pick<BudgetLedger, 'list'>
  ) {}

  public async decisions(
    query: DecisionQuery
  ): Promise<{ records: readonly DecisionRecord[]; cursor?: string }> {
    if (!this.decisionLog)
      throw new OpsError('no decision log in this mode: use --url or --env');
    return (await this.decisionLog()).list(query);
  }

  public async budgetBalances(tenant?: string): Promise<LevelBalance[]> {
    if (!this.budgets) throw new OpsError('no budget ledger in this mode');
    return this.budgets.list(tenant);
  }

  public async putTenant(id: string, item: TenantItem): Promise<void> {
    if (!this.tenants)
      throw new OpsError('tenants can only be managed in AWS mode (--env)');
    await this.tenants.putTenant(id, item);
    await this.plane.recordChange(
      { who: this.who, reason: 'tenant put' },
      'tenant.put',
      `tenant/${id}`,
      null,
      item
    );
  }

  public async stageSecret(
    secretId: string,
    value: string
  ): Promise<StageSecretResult> {
    if (!this.secrets)
      throw new OpsError('secrets can only be staged in AWS mode (--env)');
    const result = await this.secrets(secretId, value);
    // The value is never audited: only that a key was staged, and the version.
    await this.plane.recordChange(
      { who: this.who, reason: 'new provider key staged for rotation' },
      'secret.stage',
      `secret/${secretId}`,
      null,
      { versionId: result.versionId, rotation: result.rotation }
    );
    return result;
  }

  public async addTenantKey(id: string, key: string): Promise<string> {
    if (!this.tenants)
      throw new OpsError('tenants can only be managed in AWS mode (--env)');
    const hash = await this.tenants.addKey(id, key);
    await this.plane.recordChange(
      { who: this.who, reason: 'key added' },
      'tenant.add-key',
      `tenant/${id}`,
      null,
      { keyHashPrefix: hash.slice(0, 12) }
    );
    return hash;
  }

  public async createKey(
    tenant: string,
    reason: string
  ): Promise<ApiKeyJson & { key: string }> {
    const created = await this.plane.createApiKey(tenant, {
      who: this.who,
      reason,
    });
    return { ...apiKeyJson(created), key: created.key };
  }

  public async listKeys(tenant: string): Promise<readonly ApiKeyJson[]> {
    return (await this.plane.listApiKeys(tenant)).map(apiKeyJson);
  }

  public async revokeKey(
    tenant: string,
    keyId: string,
    reason: string
  ): Promise<ApiKeyJson> {
    return apiKeyJson(
      await this.plane.revokeApiKey(tenant, keyId, { who: this.who, reason })
    );
  }

  public async status(routeSet: string): Promise<OpsStatus> {
    const [killSwitches, models, rs] = await Promise.all([
      this.plane.listKillSwitches(),
      this.plane.listModels(),
      this.plane.getRouteSet(routeSet).catch(() => undefined),
    ]);
    return {
      killSwitches,
      routeSet: {
        name: routeSet,
        active: rs?.active,
        latestVersion: rs?.versions[0]?.version,
      },
      models: models.map((m) => ({
        id: m.modelId,
        version: m.version,
        status: m.config.status,
        provider: m.config.provider,
      })),
    };
  }

  public getKillSwitch(scope: string): Promise<KillSwitchValue> {
    return this.plane.getKillSwitch(scope);
  }

  public setKillSwitch(
    scope: string,
    value: KillSwitchRequest
  ): Promise<KillSwitchValue> {
    return this.plane.setKillSwitch(scope, value, {
      who: this.who,
      reason: value.reason,
    });
  }

  public activateRouteSet(
    name: string,
    version: number,
    reason: string
  ): Promise<RouteSetDocument> {
    return this.plane.activateRouteSet(name, version, {
      who: this.who,
      reason,
    });
  }

  public rollbackRouteSet(
    name: string,
    reason: string
  ): Promise<RouteSetDocument> {
    return this.plane.rollbackRouteSet(name, { who: this.who, reason });
  }

  public setModelStatus(
    id: string,
    status: ModelStatus,
    reason: string
  ): Promise<ModelVersion> {
    return this.plane.setModelStatus(id, status, { who: this.who, reason });
  }

  public resetBandit(reason: string, contextKey?: string): Promise<void> {
    return this.plane.resetBandit({ who: this.who, reason }, contextKey);
  }

  public audit(
    limit: number,
    target?: string
  ): Promise<readonly AuditRecord[]> {
    return this.plane.listAudit(limit, target);
  }
}
