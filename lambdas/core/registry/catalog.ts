import type { ModelCatalog } from '../gateway/plan';
import type { Log } from '../ports';
import type { ModelConfig } from '../types';
import { DEFAULT_ROUTE_SET } from './schema';
import type {
  ModelRegistryStore,
  ModelVersion,
  RegistryErrorHandler,
  RegistryErrorKind,
  RouteSetDocument,
  RouteSetStore,
} from './types';

/** Options of a RegistryCatalog. */
export interface RegistryCatalogOptions {
  readonly registry: ModelRegistryStore;
  readonly routeSets: RouteSetStore;
  /** Route set routers follow. @default 'active-models' */
  readonly routeSetName?: string;
  /** The view before the first successful refresh (the config's models). */
  readonly seed: readonly ModelConfig[];
  /** How long a read stays fresh, ms. @default 5000 */
  readonly maxAgeMs?: number;
  readonly log: Log;
  /** Called once per failed refresh (emit an error metric). */
  readonly onError?: RegistryErrorHandler;
  /**
   * Whether `list()` starts a background refresh when the view is stale, so
   * a router that never calls `refresh()` still follows the registry.
   * @default true
   */
  readonly refreshOnList?: boolean;
  /** Clock, ms since epoch. @default Date.now */
  readonly now?: () => number;
}

const ROUTABLE_BY_DEFAULT = new Set(['active', 'canary']);

/**
 * The routable models, registry-backed: the latest model versions combined
 * with the active route set (its ids, pinned versions honoured; an empty or
 * absent route set = every model whose latest status is active/canary;
 * deprecated models are always dropped). `list()` is synchronous and serves
 * the last good view; `refresh()` re-reads when the view is older than
 * `maxAgeMs`, shares one read among concurrent callers, and never rejects:
 * on failure the last good view stays and `onError` says why.
 */
export class RegistryCatalog implements ModelCatalog {
  private models: readonly ModelConfig[];
  private byId: ReadonlyMap<string, ModelVersion> = new Map();
  private routeSet: RouteSetDocument | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private fingerprint = '';
  /** Versions are immutable once written, so pinned ones are cached for good. */
  private readonly pinned = new Map<string, ModelVersion>();
  private readonly maxAgeMs: number;
  private readonly routeSetName: string;
  private readonly now: () => number;

  public constructor(private readonly options: RegistryCatalogOptions) {
    this.models = options.seed;
    this.maxAgeMs = options.maxAgeMs ?? 5000;
    this.routeSetName = options.routeSetName ?? DEFAULT_ROUTE_SET;
    this.now = options.now ?? Date.now;
  }

  /** The last good view (starts a background refresh when stale, unless disabled). */
  public list(): readonly ModelConfig[] {
    if ((this.options.refreshOnList ?? true) && this.isStale())
      void this.refresh();
    return this.models;
  }

  /** The registry version behind a routable model (guardrail profile, token limit). */
  public version(modelId: string): ModelVersion | undefined {
    return this.byId.get(modelId);
  }

  /** The route set the current view was built from (undefined: none active, or seed). */
  public activeRouteSet(): RouteSetDocument | undefined {
    return this.routeSet;
  }

  /** Whether the last read (successful or not) is older than maxAgeMs. */
  public isStale(): boolean {
    return this.now() - this.fetchedAt >= this.maxAgeMs;
  }

  /** Re-reads the registry when stale (or when forced); never rejects. */
  public refresh(options: { readonly force?: boolean } = {}): Promise<void> {
    if (this.inflight) return this.inflight;
    if (!options.force && !this.isStale()) return Promise.resolve();
    this.inflight = this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    const [latest, active] = await Promise.allSettled([
      this.options.registry.listLatest(),
      this.options.routeSets.active(this.routeSetName),
    ]);
    // A failed read is retried after maxAgeMs, not on every request.
    this.fetchedAt = this.now();
    if (latest.status === 'rejected')
      return this.fail(
        'registry-read',
        'model registry read failed',
        latest.reason
      );
    if (active.status === 'rejected')
      return this.fail(
        'route-set-read',
        `route set ${this.routeSetName} read failed`,
        active.reason
      );
    let chosen: ModelVersion[];
    try {
      chosen = await this.select(latest.value, active.value);
    } catch (err) {
      return this.fail(
        'registry-read',
        'pinned model version read failed',
        err
      );
    }
    if (chosen.length === 0)
      return this.fail(
        'empty-view',
        'registry refresh left no routable model',
        undefined
      );
    this.apply(chosen, active.value);
  }

  private async select(
    latest: readonly ModelVersion[],
    routeSet: RouteSetDocument | undefined
  ): Promise<ModelVersion[]> {
    if (!routeSet || routeSet.models.length === 0)
      return latest.filter((v) => ROUTABLE_BY_DEFAULT.has(v.config.status));
    const latestById = new Map(latest.map((v) => [v.modelId, v]));
    const chosen: ModelVersion[] = [];
    for (const entry of routeSet.models) {
      const found =
        entry.version === undefined ||
        latestById.get(entry.id)?.version === entry.version
          ? latestById.get(entry.id)
          : await this.pinnedVersion(entry.id, entry.version);
      if (!found) {
        const what =
          entry.version === undefined
            ? `model ${entry.id}`
            : `model ${entry.id} version ${entry.version}`;
        this.report(
          'route-set-unknown-model',
          `route set ${routeSet.name} v${routeSet.version} names ${what}, which the registry lacks; skipped`,
          undefined
        );
        continue;
      }
      if (found.config.status === 'deprecated') continue;
      chosen.push(found);
    }
    return chosen;
  }

  private async pinnedVersion(
    modelId: string,
    version: number
  ): Promise<ModelVersion | undefined> {
    const key = `${modelId}@${version}`;
    const cached = this.pinned.get(key);
    if (cached) return cached;
    const history = await this.options.registry.history(modelId);
    for (const v of history) this.pinned.set(`${v.modelId}@${v.version}`, v);
    return this.pinned.get(key);
  }

  private apply(
    chosen: readonly ModelVersion[],
    routeSet: RouteSetDocument | undefined
  ): void {
    this.models = chosen.map((v) => v.config);
    this.byId = new Map(chosen.map((v) => [v.modelId, v]));
    this.routeSet = routeSet;
    const fingerprint = JSON.stringify([
      routeSet?.version,
      chosen.map((v) => `${v.modelId}@${v.version}`),
    ]);
    if (fingerprint !== this.fingerprint) {
      this.fingerprint = fingerprint;
      this.options.log.info('model catalog updated', {
        routeSet: this.routeSetName,
        routeSetVersion: routeSet?.version,
        models: chosen.map((v) => `${v.modelId}@${v.version}`),
      });
    }
  }

  private fail(kind: RegistryErrorKind, message: string, cause: unknown): void {
    this.report(kind, `${message}; keeping the last good view`, cause);
  }

  private report(
    kind: RegistryErrorKind,
    message: string,
    cause: unknown
  ): void {
    this.options.log.error(message, {
      kind,
      routeSet: this.routeSetName,
      ...(cause === undefined
        ? {}
        : { error: cause instanceof Error ? cause.message : String(cause) }),
    });
    try {
      this.options.onError?.(kind, message);
    } catch {
      // A broken metrics hook must not break routing.
    }
  }
}
