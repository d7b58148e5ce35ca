import type { ModelConfig } from '../types';

/** Lifecycle of a model version. */
export type ModelStatus = 'active' | 'canary' | 'shadow' | 'deprecated';

/**
 * One stored version of a model (DynamoDB item `PK = provider#model`,
 * `SK = version`). `config` holds everything routing needs.
 */
export interface ModelVersion {
  /** Gateway model id. */
  readonly modelId: string;
  /** Monotonic per model, starting at 1. */
  readonly version: number;
  readonly config: ModelConfig;
  /** Bedrock guardrail profile (domain) applied to this model. */
  readonly guardrailProfile?: string;
  /** Per-request token ceiling enforced for this model (input + output). */
  readonly tokenLimit?: number;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** A route set: which models (by id) routers may use. Stored with history. */
export interface RouteSetDocument {
  /** Route set name: `active-models` is the default one. */
  readonly name: string;
  /** Monotonic per name, starting at 1. */
  readonly version: number;
  /**
   * Model ids routers may use, each optionally pinned to a registry version.
   * An empty list means every model whose latest version is active/canary.
   */
  readonly models: readonly {
    readonly id: string;
    readonly version?: number;
  }[];
  readonly updatedBy?: string;
  readonly updatedAt?: string;
  readonly description?: string;
}

/** Base of every registry error (habit 12: one base error per module). */
export class RegistryError extends Error {
  public override readonly name: string = 'RegistryError';
}

/** Raised when a conditional write loses a race (optimistic version check). */
export class RegistryConflictError extends RegistryError {
  public override readonly name = 'RegistryConflictError';
}

/** Raised when a document fails validation; `problems` name the bad fields by path. */
export class RegistryValidationError extends RegistryError {
  public override readonly name = 'RegistryValidationError';
  public constructor(public readonly problems: readonly string[]) {
    super(`invalid document:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Raised when a model, version or route set doesn't exist. */
export class RegistryNotFoundError extends RegistryError {
  public override readonly name = 'RegistryNotFoundError';
}

/**
 * Raised when a store can't be read and there is no last good value to fall
 * back to (the cause is the SDK error).
 */
export class RegistryUnavailableError extends RegistryError {
  public override readonly name = 'RegistryUnavailableError';
}

/**
 * What went wrong in a background registry read (the `onError` callback's
 * argument; a metric dimension): `registry-read` and `route-set-read` = the
 * store failed; `route-set-invalid` = a bad active document was found;
 * `route-set-unknown-model` = the route set names a model or pinned version
 * the registry lacks; `empty-view` = a refresh would leave nothing routable.
 */
export type RegistryErrorKind =
  | 'registry-read'
  | 'route-set-read'
  | 'route-set-invalid'
  | 'route-set-unknown-model'
  | 'empty-view';

/** Called once per background failure (emit a metric, page someone). */
export type RegistryErrorHandler = (
  kind: RegistryErrorKind,
  detail: string
) => void;

/**
 * Model versions. Writes are conditional: `putVersion` succeeds only when
 * `expectedLatest` is still the latest stored version (no lost updates).
 */
export interface ModelRegistryStore {
  /** Latest version of every model. */
  listLatest(): Promise<readonly ModelVersion[]>;
  /** Every version of one model, newest first. */
  history(modelId: string): Promise<readonly ModelVersion[]>;
  /** Writes version `expectedLatest + 1` (0 for a new model); RegistryConflictError otherwise. */
  putVersion(
    version: Omit<ModelVersion, 'version'>,
    expectedLatest: number
  ): Promise<ModelVersion>;
}

/**
 * Route sets with history, and which version is active (what routers read:
 * SSM `/ai/routing/{env}/<name>` on AWS). `activate` copies a stored version
 * into the active slot; `rollback` activates the version active before it.
 */
export interface RouteSetStore {
  /** The active document of a route set (routers' view, cached ≤ maxAge). */
  active(name: string): Promise<RouteSetDocument | undefined>;
  /** Stored versions, newest first. */
  versions(name: string): Promise<readonly RouteSetDocument[]>;
  /** Stores a new version (validated; conditional on `expectedLatest`); does not activate it. */
  put(
    doc: Omit<RouteSetDocument, 'version'>,
    expectedLatest: number
  ): Promise<RouteSetDocument>;
  /** Makes a stored version the active one; returns [before, after]. */
  activate(
    name: string,
    version: number,
    by: string
  ): Promise<readonly [RouteSetDocument | undefined, RouteSetDocument]>;
  /** Re-activates the version active before the current one; returns [before, after]. */
  rollback(
    name: string,
    by: string
  ): Promise<readonly [RouteSetDocument | undefined, RouteSetDocument]>;
}
