import type { AuditLog, AuditRecord } from '../audit/types';
import type {
  KillSwitchScope,
  KillSwitchStore,
  KillSwitchValue,
} from '../kill-switches/types';
import type { BanditStore, Log } from '../ports';
import type {
  ModelRegistryStore,
  ModelStatus,
  ModelVersion,
  RouteSetDocument,
  RouteSetStore,
} from '../registry/types';
import {
  type ApiKeyInfo,
  ApiKeyNotFoundError,
  type ApiKeyStore,
  generateApiKey,
} from '../tenants/keys';
import type { ModelConfig } from '../types';

/** Who is acting and why (every change is audited with it). */
export interface Actor {
  /** IAM principal ARN on AWS, `admin-key` locally, or the CLI user. */
  readonly who: string;
  readonly reason?: string;
  readonly requestId?: string;
}

/** A control-plane failure the admin API maps to a 4xx. */
export class ControlPlaneError extends Error {
  public override readonly name = 'ControlPlaneError';
  public constructor(
    public readonly status: 400 | 404 | 409,
    public readonly code: string,
    message: string,
    public readonly param: string | null = null
  ) {
    super(message);
  }
}

/** Dependencies of the control plane. */
export interface ControlPlaneDeps {
  readonly registry: ModelRegistryStore;
  readonly routeSets: RouteSetStore;
  readonly killSwitches: KillSwitchStore;
  readonly audit: AuditLog;
  readonly bandit: BanditStore;
  /** Turns an admin-supplied model entry into a ModelConfig; throws with field paths. */
  readonly parseModelEntry: (raw: unknown) => {
    config: ModelConfig;
    guardrailProfile?: string;
    tokenLimit?: number;
  };
  /** Validates a kill-switch scope; a problem message or undefined. */
  readonly validateScope: (scope: string) => string | undefined;
  readonly log: Log;
  /** Client API keys (absent: the key routes answer 404). */
  readonly keys?: ApiKeyStore;
  /** Called after every change so local caches can refresh at once. */
  readonly onChange?: (
    what: 'models' | 'route-sets' | 'kill-switches' | 'bandit'
  ) => void;
}

/**
 * The operator actions, shared by the admin API (HTTP) and the ops CLI (AWS
 * mode). Every change writes an audit record with who, what, before, after,
 * when and why; a change without a reason is refused.
 */
export class ControlPlane {
  public constructor(private readonly deps: ControlPlaneDeps) {}

  /** Latest version of every model. */
  public listModels(): Promise<readonly ModelVersion[]> {
    return this.deps.registry.listLatest();
  }

  /** All versions of a model, newest first. */
  public async modelHistory(modelId: string): Promise<readonly ModelVersion[]> {
    const history = await this.deps.registry.history(modelId);
    if (history.length === 0) throw notFound(`model ${modelId}`);
    return history;
  }

  /**
   * Stores a new version of a model from an entry. `expectedLatest` guards
   * against lost updates (409 when someone wrote in between); omitted, the
   * current latest is read and used.
   */
  public async putModel(
    raw: unknown,
    actor: Actor,
    expectedLatest?: number
  ): Promise<ModelVersion> {
    requireReason(actor);
    const entry = this.deps.parseModelEntry(raw);
    const history = await this.deps.registry.history(entry.config.id);
    const latest = history[0];
    const expected = expectedLatest ?? latest?.version ?? 0;
    const written = await this.writeVersion(
      { modelId: entry.config.id, ...entry },
      actor,
      expected
    );
    await this.audit(
      actor,
      'model.put',
      `model/${entry.config.id}`,
      latest ?? null,
      written
    );
    this.deps.onChange?.('models');
    return written;
  }

  /** Writes a new version of a model with only its status changed (promote, deprecate...). */
  public async setModelStatus(
    modelId: string,
    status: ModelStatus,
    actor: Actor
  ): Promise<ModelVersion> {
    requireReason(actor);
    const history = await this.deps.registry.history(modelId);
    const latest = history[0];
    if (!latest) throw notFound(`model ${modelId}`);
    if (latest.config.status === status) return latest;
    const written = await this.writeVersion(
      { ...latest, config: { ...latest.config, status } },
      actor,
      latest.version
    );
    await this.audit(
      actor,
      'model.status',
      `model/${modelId}`,
      { version: latest.version, status: latest.config.status },
      { version: written.version, status }
    );
    this.deps.onChange?.('models');
    return written;
  }

  /** The active document and the stored versions of a route set. */
  public async getRouteSet(name: string): Promise<{
    active?: RouteSetDocument;
    versions: readonly RouteSetDocument[];
  }> {
    const [active, versions] = await Promise.all([
      this.deps.routeSets.active(name),
      this.deps.routeSets.versions(name),
    ]);
    if (!active && versions.length === 0) throw notFound(`route set ${name}`);
    return { active, versions };
  }

  /** Stores a new route-set version (validated); activates it when asked. */
  public async putRouteSet(
    name: string,
    doc: { models: RouteSetDocument['models']; description?: string },
    actor: Actor,
    options: { activate?: boolean; expectedLatest?: number } = {}
  ): Promise<RouteSetDocument> {
    requireReason(actor);
    const versions = await this.deps.routeSets.versions(name);
    const expected = options.expectedLatest ?? versions[0]?.version ?? 0;
    const stored = await this.deps.routeSets.put(
      {
        name,
        models: doc.models,
        description: doc.description,
        updatedBy: actor.who,
        updatedAt: new Date().toISOString(),
      },
      expected
    );
    await this.audit(
      actor,
      'route-set.put',
      `route-set/${name}`,
      versions[0] ?? null,
      stored
    );
    if (options.activate)
      await this.activateRouteSet(name, stored.version, actor);
    this.deps.onChange?.('route-sets');
    return stored;
  }

  /** Makes a stored version the active one. */
  public async activateRouteSet(
    name: string,
    version: number,
    actor: Actor
  ): Promise<RouteSetDocument> {
    requireReason(actor);
    const [before, after] = await this.deps.routeSets.activate(
      name,
      version,
      actor.who
    );
    await this.audit(
      actor,
      'route-set.activate',
      `route-set/${name}`,
      summary(before),
      summary(after)
    );
    this.deps.onChange?.('route-sets');
    return after;
  }

  /** Re-activates the version that was active before the current one. */
  public async rollbackRouteSet(
    name: string,
    actor: Actor
  ): Promise<RouteSetDocument> {
    requireReason(actor);
    const [before, after] = await this.deps.routeSets.rollback(name, actor.who);
    await this.audit(
      actor,
      'route-set.rollback',
      `route-set/${name}`,
      summary(before),
      summary(after)
    );
    this.deps.onChange?.('route-sets');
    return after;
  }

  /** Reads one kill switch straight from the store. */
  public async getKillSwitch(scope: KillSwitchScope): Promise<KillSwitchValue> {
    this.checkScope(scope);
    return (await this.deps.killSwitches.get(scope)) ?? { state: 'off' };
  }

  /** All switches as routers currently see them. */
  public async listKillSwitches(): Promise<Record<string, KillSwitchValue>> {
    const snap = await this.deps.killSwitches.snapshot();
    return Object.fromEntries(snap.switches);
  }

  /** Engages or releases a kill switch. A reason is mandatory. */
  public async setKillSwitch(
    scope: KillSwitchScope,
    value: Omit<KillSwitchValue, 'by' | 'updatedAt'>,
    actor: Actor
  ): Promise<KillSwitchValue> {
    this.checkScope(scope);
    requireReason(actor);
    const stored: KillSwitchValue = {
      ...value,
      reason: value.reason ?? actor.reason,
      by: actor.who,
      updatedAt: new Date().toISOString(),
    };
    const { before, after } = await this.deps.killSwitches.set(scope, stored);
    await this.audit(
      actor,
      'kill-switch.set',
      `kill-switch/${scope}`,
      before ?? null,
      after
    );
    this.deps.onChange?.('kill-switches');
    return after;
  }

  /** Forgets bandit state (all contexts, or one). */
  public async resetBandit(actor: Actor, contextKey?: string): Promise<void> {
    requireReason(actor);
    const before = this.deps.bandit.snapshot();
    const scoped = contextKey
      ? { [contextKey]: before[contextKey] ?? {} }
      : before;
    await this.deps.bandit.reset(contextKey);
    await this.audit(
      actor,
      'bandit.reset',
      contextKey ? `bandit/${contextKey}` : 'bandit',
      { contexts: Object.keys(scoped).length },
      { contexts: 0 }
    );
    this.deps.onChange?.('bandit');
  }

  /** Audit records, newest first. */
  public listAudit(
    limit = 100,
    targetPrefix?: string
  ): Promise<readonly AuditRecord[]> {
    return this.deps.audit.list({ limit, targetPrefix });
  }

  /** Stores the next version of a model, attributed to the actor (conditional on `expected`). */
  private writeVersion(
    source: Pick<
      ModelVersion,
      'modelId' | 'config' | 'guardrailProfile' | 'tokenLimit'
    >,
    actor: Actor,
    expected: number
  ): Promise<ModelVersion> {
    return this.deps.registry.putVersion(
      {
        modelId: source.modelId,
        config: source.config,
        guardrailProfile: source.guardrailProfile,
        tokenLimit: source.tokenLimit,
        createdBy: actor.who,
        createdAt: new Date().toISOString(),
      },
      expected
    );
  }

  private checkScope(scope: string): void {
    const problem = this.deps.validateScope(scope);
    if (problem)
      throw new ControlPlaneError(400, 'invalid_scope', problem, 'scope');
  }

  /**
   * Creates a random client key for a tenant. The clear key is in the
   * answer only: the store keeps its SHA-256, the audit its id and prefix.
   */
  public async createApiKey(
    tenantId: string,
    actor: Actor
  ): Promise<ApiKeyInfo & { key: string }> {
    requireReason(actor);
    const key = generateApiKey();
    const info = await this.keyCall(() =>
      this.keyStore().storeKey(tenantId, key, {
        createdAt: new Date().toISOString(),
        createdBy: actor.who,
      })
    );
    await this.audit(
      actor,
      'api-key.create',
      `tenant/${tenantId}/keys/${info.id}`,
      null,
      info
    );
    return { ...info, key: key.key };
  }

  /** A tenant's keys (ids, prefixes, dates, status; never a key or a hash). */
  public listApiKeys(tenantId: string): Promise<readonly ApiKeyInfo[]> {
    return this.keyCall(() => this.keyStore().listKeys(tenantId));
  }

  /** Revokes a key; every router refuses it within 5 s. */
  public async revokeApiKey(
    tenantId: string,
    keyId: string,
    actor: Actor
  ): Promise<ApiKeyInfo> {
    requireReason(actor);
    const { before, after } = await this.keyCall(() =>
      this.keyStore().revokeKey(tenantId, keyId, new Date().toISOString())
    );
    if (before.status !== after.status)
      await this.audit(
        actor,
        'api-key.revoke',
        `tenant/${tenantId}/keys/${keyId}`,
        before,
        after
      );
    return after;
  }

  private keyStore(): ApiKeyStore {
    if (!this.deps.keys)
      throw new ControlPlaneError(
        404,
        'not_found',
        'client keys are not managed by this gateway'
      );
    return this.deps.keys;
  }

  private async keyCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ApiKeyNotFoundError) throw notFound(err.message);
      throw err;
    }
  }

  /** Audits a change made outside the stores above (e.g. tenants by the ops CLI). */
  public recordChange(
    actor: Actor,
    what: string,
    target: string,
    before: unknown,
    after: unknown
  ): Promise<void> {
    return this.audit(actor, what, target, before, after);
  }

  private async audit(
    actor: Actor,
    what: string,
    target: string,
    before: unknown,
    after: unknown
  ): Promise<void> {
    await this.deps.audit.write({
      who: actor.who,
      what,
      target,
      before,
      after,
      reason: actor.reason,
      requestId: actor.requestId,
    });
    this.deps.log.info('control-plane change', {
      who: actor.who,
      what,
      target,
      reason: actor.reason,
      requestId: actor.requestId,
    });
  }
}

function requireReason(actor: Actor): void {
  if (!actor.reason || actor.reason.trim().length === 0) {
    throw new ControlPlaneError(
      400,
      'reason_required',
      'every change needs a reason (field "reason")',
      'reason'
    );
  }
}

function notFound(what: string): ControlPlaneError {
  return new ControlPlaneError(404, 'not_found', `${what} does not exist`);
}

function summary(doc: RouteSetDocument | undefined): unknown {
  return doc ? { version: doc.version, models: doc.models } : null;
}
