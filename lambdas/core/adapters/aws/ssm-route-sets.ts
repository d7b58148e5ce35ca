import { ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Log } from '../../ports';
import { type ActivationRecord, rollbackTarget } from '../../registry/rules';
import {
  ROUTE_SET_NAME_PATTERN,
  toRouteSetDocument,
  validateRouteSet,
} from '../../registry/schema';
import {
  RegistryError,
  type RegistryErrorHandler,
  type RegistryErrorKind,
  RegistryNotFoundError,
  RegistryUnavailableError,
  RegistryValidationError,
  type RouteSetDocument,
  type RouteSetStore,
} from '../../registry/types';
import { DynamoRouteSetHistory } from './dynamo-registry';

/** Upper bound of a router's view of the active route set, ms. */
export const MAX_ROUTE_SET_AGE_MS = 5000;

/** Largest value an SSM parameter holds (advanced tier; intelligent tiering picks it). */
export const MAX_ROUTE_SET_BYTES = 8192;

/** Props of {@link SsmRouteSetStore}. */
export interface SsmRouteSetStoreProps {
  /**
   * Parameter hierarchy of the active documents, e.g. `/ai/routing/prod`
   * (no trailing slash). Give this or `env`.
   * @default - `/ai/routing/{env}`
   */
  readonly prefix?: string;
  /** Deployment environment, used when `prefix` is not given. */
  readonly env?: string;
  /** Registry table holding the versions and activation log. */
  readonly tableName: string;
  /** Document client for the table. @default - the shared client */
  readonly client?: DynamoDBDocumentClient;
  /** SSM client (tests pass a mocked one). @default - a new SSMClient */
  readonly awsSdkV3Client?: SSMClient;
  /**
   * How long a read of the active document serves (Powertools `maxAge`, whole
   * seconds); at most 5000.
   * @default 5000
   */
  readonly maxAgeMs?: number;
  /** Items per DynamoDB Query page. @default - DynamoDB's 1 MB pages */
  readonly pageSize?: number;
  /** Where bad documents and failed reads are logged. */
  readonly log: Log;
  /** Called once per bad document or failed read (emit an error metric). */
  readonly onError?: RegistryErrorHandler;
  /** Clock in ms since epoch. @default Date.now */
  readonly clock?: () => number;
}

interface ActiveState {
  /** The last good document and the raw value it came from. */
  good?: { readonly raw: string; readonly doc: RouteSetDocument };
  /** A missing parameter is remembered for maxAge (Powertools caches only hits). */
  missingUntil?: number;
  /** The bad value last reported, and when: one bad value logs once per 5 s, not per read. */
  badRaw?: string;
  badReportedAt?: number;
}

/**
 * Route sets on AWS: the active document of route set `<name>` is the SSM
 * parameter `{prefix}/<name>` (routers read it through Powertools Parameters
 * with maxAge ≤ 5 s); stored versions and the activation log live in the
 * registry table. `activate` validates the version, records the activation
 * (conditional: concurrent activations can't interleave), then overwrites the
 * parameter. A bad document found in SSM never reaches the router: the last
 * good one stays in force, and the problem is logged and reported.
 */
export class SsmRouteSetStore implements RouteSetStore {
  /** The parameter hierarchy read and written. */
  public readonly prefix: string;
  /** Staleness bound in ms. */
  public readonly maxAgeMs: number;
  private readonly ssm: SSMClient;
  private readonly provider: SSMProvider;
  private readonly history: DynamoRouteSetHistory;
  private readonly log: Log;
  private readonly onError?: RegistryErrorHandler;
  private readonly clock: () => number;
  private readonly states = new Map<string, ActiveState>();

  public constructor(props: SsmRouteSetStoreProps) {
    const problems: string[] = [];
    const maxAgeMs = props.maxAgeMs ?? MAX_ROUTE_SET_AGE_MS;
    if (
      !Number.isFinite(maxAgeMs) ||
      maxAgeMs < 0 ||
      maxAgeMs > MAX_ROUTE_SET_AGE_MS
    )
      problems.push(
        `maxAgeMs must be between 0 and ${MAX_ROUTE_SET_AGE_MS}, got ${maxAgeMs}`
      );
    if (props.prefix !== undefined && props.env !== undefined)
      problems.push('give prefix or env, not both');
    const prefix =
      props.prefix ??
      (props.env !== undefined ? `/ai/routing/${props.env}` : undefined);
    if (prefix === undefined) problems.push('prefix or env is required');
    else if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix))
      problems.push(
        `prefix must be an SSM path like /ai/routing/prod (no trailing slash), got ${JSON.stringify(prefix)}`
      );
    if (!props.tableName) problems.push('tableName is required');
    if (problems.length > 0)
      throw new RegistryError(
        `invalid SsmRouteSetStore props: ${problems.join('; ')}`
      );
    this.prefix = prefix!;
    this.maxAgeMs = maxAgeMs;
    this.ssm = props.awsSdkV3Client ?? new SSMClient({});
    this.provider = new SSMProvider({ awsSdkV3Client: this.ssm });
    this.history = new DynamoRouteSetHistory({
      tableName: props.tableName,
      client: props.client,
      pageSize: props.pageSize,
    });
    this.log = props.log;
    this.onError = props.onError;
    this.clock = props.clock ?? Date.now;
  }

  /** The SSM parameter holding a route set's active document. */
  public parameterName(name: string): string {
    return `${this.prefix}/${name}`;
  }

  /**
   * The active document (undefined when the parameter doesn't exist). A bad
   * document or a failed read serves the last good document; only when there
   * is none does it throw (the catalog then keeps its own last good view).
   */
  public async active(name: string): Promise<RouteSetDocument | undefined> {
    checkName(name);
    const state = this.state(name);
    const now = this.clock();
    if (state.missingUntil !== undefined && now < state.missingUntil)
      return undefined;
    let raw: string;
    try {
      raw = (await this.provider.get(this.parameterName(name), {
        maxAge: Math.floor(this.maxAgeMs / 1000),
        throwOnMissing: true,
      })) as string;
    } catch (err) {
      if (err instanceof ParameterNotFoundError) {
        state.missingUntil = now + this.maxAgeMs;
        state.good = undefined;
        return undefined;
      }
      const message = `route set ${name}: reading ${this.parameterName(name)} failed`;
      this.report('route-set-read', message, err);
      if (state.good) return state.good.doc;
      throw new RegistryUnavailableError(message, { cause: err });
    }
    state.missingUntil = undefined;
    if (raw === state.good?.raw) return state.good.doc;
    const parsed = parseActive(raw, name);
    if (parsed.ok) {
      state.good = { raw, doc: parsed.doc };
      return parsed.doc;
    }
    if (
      raw !== state.badRaw ||
      now - (state.badReportedAt ?? 0) >= MAX_ROUTE_SET_AGE_MS
    ) {
      state.badRaw = raw;
      state.badReportedAt = now;
      this.report(
        'route-set-invalid',
        `route set ${name}: ${this.parameterName(name)} holds an invalid document; ${state.good ? `version ${state.good.doc.version} stays in force` : 'no earlier good document'}`,
        undefined,
        parsed.problems
      );
    }
    if (state.good) return state.good.doc;
    throw new RegistryValidationError(parsed.problems);
  }

  /** Stored versions, newest first. */
  public async versions(name: string): Promise<readonly RouteSetDocument[]> {
    checkName(name);
    return this.history.versions(name);
  }

  /** Stores a new version (validated, conditional); does not activate it. */
  public async put(
    doc: Omit<RouteSetDocument, 'version'>,
    expectedLatest: number
  ): Promise<RouteSetDocument> {
    return this.history.put(doc, expectedLatest, new Date(this.clock()));
  }

  /** Makes a stored version the active one; returns [before, after]. */
  public async activate(
    name: string,
    version: number,
    by: string
  ): Promise<readonly [RouteSetDocument | undefined, RouteSetDocument]> {
    checkName(name);
    return this.switchTo(name, version, by, 'activate');
  }

  /** Re-activates the version active before the current one (see rules.rollbackTarget). */
  public async rollback(
    name: string,
    by: string
  ): Promise<readonly [RouteSetDocument | undefined, RouteSetDocument]> {
    checkName(name);
    const state = await this.history.state(name);
    if (state.activeVersion === undefined)
      throw new RegistryNotFoundError(`route set ${name} is not active`);
    const target = rollbackTarget(await this.history.activations(name));
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
    const after = await this.history.require(name, version);
    const value = JSON.stringify(after);
    // Stored versions were validated on put; check again, the table is editable.
    const parsed = parseActive(value, name);
    if (!parsed.ok) throw new RegistryValidationError(parsed.problems);
    const bytes = Buffer.byteLength(value);
    if (bytes > MAX_ROUTE_SET_BYTES)
      throw new RegistryValidationError([
        `<root>: document is ${bytes} bytes; an SSM parameter holds at most ${MAX_ROUTE_SET_BYTES}`,
      ]);
    const state = await this.history.state(name);
    const before =
      state.activeVersion === undefined
        ? undefined
        : await this.history.get(name, state.activeVersion);
    // Recorded first: the conditional write decides between racing
    // activations before either reaches the routers.
    await this.history.recordActivation(
      name,
      version,
      by,
      new Date(this.clock()),
      state.activations,
      action
    );
    try {
      await this.ssm.send(
        new PutParameterCommand({
          Name: this.parameterName(name),
          Value: value,
          Type: 'String',
          Overwrite: true,
          Tier: 'Intelligent-Tiering',
        })
      );
    } catch (err) {
      throw new RegistryUnavailableError(
        `route set ${name} v${version}: activation recorded but writing ${this.parameterName(name)} failed; run activate again`,
        { cause: err }
      );
    }
    this.provider.clearCache();
    const s = this.state(name);
    s.good = { raw: value, doc: after };
    s.missingUntil = undefined;
    return [before, after];
  }

  private state(name: string): ActiveState {
    let state = this.states.get(name);
    if (!state) {
      state = {};
      this.states.set(name, state);
    }
    return state;
  }

  private report(
    kind: RegistryErrorKind,
    message: string,
    cause: unknown,
    problems?: readonly string[]
  ): void {
    this.log.error(message, {
      kind,
      ...(problems ? { problems } : {}),
      ...(cause === undefined
        ? {}
        : { error: cause instanceof Error ? cause.message : String(cause) }),
    });
    try {
      this.onError?.(kind, message);
    } catch {
      // A broken metrics hook must not break routing.
    }
  }
}

function checkName(name: string): void {
  if (!ROUTE_SET_NAME_PATTERN.test(name))
    throw new RegistryValidationError([
      `name: must match [a-z0-9-]{1,64}, got ${JSON.stringify(name)}`,
    ]);
}

function parseActive(
  raw: string,
  name: string
):
  | { readonly ok: true; readonly doc: RouteSetDocument }
  | { readonly ok: false; readonly problems: readonly string[] } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return {
      ok: false,
      problems: [`<root>: not valid JSON (${(err as Error).message})`],
    };
  }
  const result = validateRouteSet(json, { requireVersion: true, name });
  return result.ok
    ? { ok: true, doc: toRouteSetDocument(result.value, result.value.version!) }
    : result;
}
