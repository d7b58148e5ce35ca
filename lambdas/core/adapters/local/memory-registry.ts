import {
  type ActivationRecord,
  checkModelVersion,
  checkRouteSet,
  rollbackTarget,
} from '../../registry/rules';
import {
  type ModelRegistryStore,
  type ModelVersion,
  RegistryConflictError,
  RegistryNotFoundError,
  RegistryValidationError,
  type RouteSetDocument,
  type RouteSetStore,
} from '../../registry/types';
import type { ModelConfig } from '../../types';

/**
 * In-memory registry stores for `npm start` and tests, with the semantics of
 * the DynamoDB/SSM ones: conditional writes on the latest version, stored
 * route set history, an activation log for rollback. Values handed out are
 * frozen copies, so callers can't change stored state behind the store's back.
 */

function frozen<T>(value: T): T {
  const copy = structuredClone(value);
  deepFreeze(copy);
  return copy;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/** Options of the in-memory model registry. */
export interface MemoryModelRegistryOptions {
  /** Models stored as version 1 at start (the resolved config's models). */
  readonly seed?: readonly ModelConfig[];
  /** Who the seed versions are attributed to. @default 'config' */
  readonly seededBy?: string;
  /** Clock for seed timestamps. @default () => new Date() */
  readonly now?: () => Date;
}

/** ModelRegistryStore in memory. */
export class MemoryModelRegistry implements ModelRegistryStore {
  /** model id -> versions, oldest first. */
  private readonly models = new Map<string, ModelVersion[]>();

  public constructor(options: MemoryModelRegistryOptions = {}) {
    const now = options.now ?? (() => new Date());
    for (const config of options.seed ?? []) {
      const version = checkModelVersion(
        {
          modelId: config.id,
          config,
          createdBy: options.seededBy ?? 'config',
          createdAt: now().toISOString(),
        },
        1
      );
      if (this.models.has(config.id))
        throw new RegistryValidationError([
          `seed: duplicate model id ${JSON.stringify(config.id)}`,
        ]);
      this.models.set(config.id, [frozen(version)]);
    }
  }

  /** Latest version of every model, ordered by model id. */
  public async listLatest(): Promise<readonly ModelVersion[]> {
    return [...this.models.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, versions]) => versions.at(-1)!);
  }

  /** Every version of one model, newest first ([] for an unknown model). */
  public async history(modelId: string): Promise<readonly ModelVersion[]> {
    return [...(this.models.get(modelId) ?? [])].reverse();
  }

  /** Writes `expectedLatest + 1`; RegistryConflictError when another write won. */
  public async putVersion(
    version: Omit<ModelVersion, 'version'>,
    expectedLatest: number
  ): Promise<ModelVersion> {
    // A bad version is refused before the version check (as on AWS).
    const stored = frozen(checkModelVersion(version, expectedLatest + 1));
    const versions = this.models.get(version.modelId) ?? [];
    const latest = versions.at(-1)?.version ?? 0;
    if (latest !== expectedLatest)
      throw new RegistryConflictError(
        `model ${version.modelId} is at version ${latest}, not ${expectedLatest}`
      );
    this.models.set(version.modelId, [...versions, stored]);
    return stored;
  }
}

interface RouteSetState {
  /** Oldest first. */
  readonly versions: RouteSetDocument[];
  /** Oldest first. */
  readonly activations: ActivationRecord[];
  active?: number;
}

/** Options of the in-memory route set store. */
export interface MemoryRouteSetStoreOptions {
  /** Documents stored as version 1 and activated at start. */
  readonly seed?: readonly Omit<RouteSetDocument, 'version'>[];
  /** Clock for `updatedAt` and activation times. @default () => new Date() */
  readonly now?: () => Date;
}

/** RouteSetStore in memory (the active slot is just a version number). */
export class MemoryRouteSetStore implements RouteSetStore {
  private readonly sets = new Map<string, RouteSetState>();
  private readonly now: () => Date;

  public constructor(options: MemoryRouteSetStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    for (const doc of options.seed ?? []) {
      const state = this.state(doc.name);
      if (state.versions.length > 0)
        throw new RegistryValidationError([
          `seed: duplicate route set ${JSON.stringify(doc.name)}`,
        ]);
      state.versions.push(frozen(checkRouteSet(doc, 1, this.now())));
      this.record(state, 1, doc.updatedBy ?? 'config', 'activate');
    }
  }

  /** The active document, undefined when none was ever activated. */
  public async active(name: string): Promise<RouteSetDocument | undefined> {
    const state = this.sets.get(name);
    return state?.active === undefined
      ? undefined
      : state.versions[state.active - 1];
  }

  /** Stored versions, newest first ([] for an unknown route set). */
  public async versions(name: string): Promise<readonly RouteSetDocument[]> {
    return [...(this.sets.get(name)?.versions ?? [])].reverse();
  }

  /** Stores `expectedLatest + 1` (validated); RegistryConflictError when another write won. */
  public async put(
    doc: Omit<RouteSetDocument, 'version'>,
    expectedLatest: number
  ): Promise<RouteSetDocument> {
    // A bad document is refused before the version check (as on AWS).
    const stored = frozen(checkRouteSet(doc, expectedLatest + 1, this.now()));
    const latest = this.sets.get(stored.name)?.versions.length ?? 0;
    if (latest !== expectedLatest)
      throw new RegistryConflictError(
        `route set ${stored.name} is at version ${latest}, not ${expectedLatest}`
      );
    this.state(stored.name).versions.push(stored);
    return stored;
  }

  /** Makes a stored version active; returns [before, after]. */
  public async activate(
    name: string,
    version: number,
    by: string
  ): Promise<readonly [RouteSetDocument | undefined, RouteSetDocument]> {
    return this.switchTo(name, version, by, 'activate');
  }

  /** Re-activates the version active before the current one (see rules.rollbackTarget). */
  public async rollback(
    name: string,
    by: string
  ): Promise<readonly [RouteSetDocument | undefined, RouteSetDocument]> {
    const state = this.sets.get(name);
    if (state?.active === undefined)
      throw new RegistryNotFoundError(`route set ${name} is not active`);
    const target = rollbackTarget(state.activations);
    if (target === undefined)
      throw new RegistryNotFoundError(
        `route set ${name} has no earlier activation to roll back to`
      );
    return this.switchTo(name, target, by, 'rollback');
  }

  private async switchTo(
    name: string,
    version: number,
    by: string,
    action: ActivationRecord['action']
  ): Promise<readonly [RouteSetDocument | undefined, RouteSetDocument]> {
    const state = this.sets.get(name);
    const after = state?.versions[version - 1];
    if (!state || !after)
      throw new RegistryNotFoundError(
        `route set ${name} has no version ${version}`
      );
    const before = await this.active(name);
    this.record(state, version, by, action);
    return [before, after];
  }

  private state(name: string): RouteSetState {
    let state = this.sets.get(name);
    if (!state) {
      state = { versions: [], activations: [] };
      this.sets.set(name, state);
    }
    return state;
  }

  private record(
    state: RouteSetState,
    version: number,
    by: string,
    action: ActivationRecord['action']
  ): void {
    state.active = version;
    state.activations.push({
      version,
      action,
      by,
      at: this.now().toISOString(),
    });
  }
}
