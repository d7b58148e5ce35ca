import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import {
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import {
  KillSwitchError,
  KillSwitchStoreError,
  KillSwitchValidationError,
} from '../../kill-switches/errors';
import type {
  KillSwitchScope,
  KillSwitchSnapshot,
  KillSwitchStore,
  KillSwitchValue,
} from '../../kill-switches/types';
import {
  checkKillSwitchWrite,
  parseKillSwitchValue,
  serializeKillSwitchValue,
  tryParseKillSwitchValue,
  validateScope,
} from '../../kill-switches/value';
import type { Log } from '../../ports';

/** Upper bound of the staleness a router may have (the 5 s promise). */
export const MAX_KILL_SWITCH_AGE_MS = 5000;

/** Props of {@link SsmKillSwitchStore}. */
export interface SsmKillSwitchStoreProps {
  /**
   * Parameter hierarchy, e.g. `/ai/kill-switches/prod` (no trailing slash;
   * the `KILL_SWITCH_PREFIX` env var). Give this or `env`.
   * @default - `/ai/kill-switches/{env}`
   */
  readonly prefix?: string;
  /** Deployment environment, used when `prefix` is not given. */
  readonly env?: string;
  /**
   * How long one read serves `snapshot()` before SSM is read again; at most
   * 5000 so a change reaches every router within 5 s.
   * @default 5000
   */
  readonly maxAgeMs?: number;
  /** SSM client (tests pass a mocked one). @default - a new SSMClient */
  readonly awsSdkV3Client?: SSMClient;
  /** Clock in ms since epoch. @default Date.now */
  readonly clock?: () => number;
  /** Where refresh failures and odd parameters are logged. @default - no logging */
  readonly log?: Log;
  /** Called with the error of every failed refresh (the router counts it). */
  readonly onError?: (error: unknown) => void;
}

/**
 * SSM parameter names allow only `a-zA-Z0-9_.-` and `/`, but scope ids may
 * hold `:` and `@` (Bedrock model ids such as `…-v1:0`). Those are written
 * as `_XX` (hex); a `_` that would otherwise read as an escape is written as
 * `_5F`. Ids without `:`/`@` map to themselves, so `provider/gemini` is
 * `/ai/kill-switches/{env}/provider/gemini` as CDK and humans write it.
 */
export function scopeToParameterSuffix(scope: KillSwitchScope): string {
  return scope.replace(
    /_(?=[0-9A-Fa-f]{2})|[:@]/g,
    (char) => `_${char.charCodeAt(0).toString(16).toUpperCase()}`
  );
}

/** Inverse of {@link scopeToParameterSuffix}. */
export function parameterSuffixToScope(suffix: string): KillSwitchScope {
  return suffix.replace(/_([0-9A-Fa-f]{2})/g, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16))
  );
}

interface CachedRead {
  readonly snapshot: KillSwitchSnapshot;
  /** When the read that produced it started (success or failure). */
  readonly attemptAt: number;
  /** Write generation it was started under. */
  readonly generation: number;
}

/**
 * Kill switches in SSM Parameter Store under `/ai/kill-switches/{env}`.
 * One recursive GetParametersByPath (Powertools `getMultiple`, paginated)
 * serves `snapshot()` for `maxAgeMs`; concurrent callers share one refresh.
 * When a refresh fails the last known state stays in force (`stale: true`)
 * and the next attempt waits another `maxAgeMs`, so an SSM outage costs one
 * call per window, not one per request.
 */
export class SsmKillSwitchStore implements KillSwitchStore {
  /** The parameter hierarchy read and written. */
  public readonly prefix: string;
  /** Staleness bound in ms. */
  public readonly maxAgeMs: number;
  private readonly client: SSMClient;
  private readonly provider: SSMProvider;
  private readonly clock: () => number;
  private readonly log?: Log;
  private readonly onError?: (error: unknown) => void;
  private cached?: CachedRead;
  private lastGood?: { snapshot: KillSwitchSnapshot; seq: number };
  /** Numbers refreshes, so a slow older read never replaces a newer one. */
  private seq = 0;
  private inflight?: {
    promise: Promise<KillSwitchSnapshot>;
    generation: number;
  };
  /** Bumped by every write: reads started before it can't serve after it. */
  private generation = 0;
  /** Parameters already warned about, so a bad one logs once, not every 5 s. */
  private readonly warned = new Set<string>();

  public constructor(props: SsmKillSwitchStoreProps) {
    const problems: string[] = [];
    const maxAgeMs = props.maxAgeMs ?? MAX_KILL_SWITCH_AGE_MS;
    if (
      !Number.isFinite(maxAgeMs) ||
      maxAgeMs < 0 ||
      maxAgeMs > MAX_KILL_SWITCH_AGE_MS
    ) {
      problems.push(
        `maxAgeMs must be between 0 and ${MAX_KILL_SWITCH_AGE_MS}, got ${maxAgeMs}`
      );
    }
    if (props.prefix !== undefined && props.env !== undefined) {
      problems.push('give prefix or env, not both');
    }
    const prefix =
      props.prefix ??
      (props.env !== undefined ? `/ai/kill-switches/${props.env}` : undefined);
    if (prefix === undefined) {
      problems.push('prefix or env is required');
    } else if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) {
      problems.push(
        `prefix must be an SSM path like /ai/kill-switches/prod (no trailing slash), got ${JSON.stringify(prefix)}`
      );
    }
    if (problems.length > 0) {
      throw new KillSwitchError(
        `invalid SsmKillSwitchStore props: ${problems.join('; ')}`
      );
    }
    this.prefix = prefix!;
    this.maxAgeMs = maxAgeMs;
    this.client = props.awsSdkV3Client ?? new SSMClient({});
    this.provider = new SSMProvider({ awsSdkV3Client: this.client });
    this.clock = props.clock ?? Date.now;
    this.log = props.log;
    this.onError = props.onError;
  }

  /** Current switches, re-read when older than `maxAgeMs`. Never throws. */
  public async snapshot(): Promise<KillSwitchSnapshot> {
    const now = this.clock();
    const cached = this.cached;
    if (
      cached &&
      cached.generation === this.generation &&
      now - cached.attemptAt < this.maxAgeMs
    ) {
      return cached.snapshot;
    }
    if (this.inflight && this.inflight.generation === this.generation) {
      return this.inflight.promise;
    }
    const generation = this.generation;
    const promise = this.refresh(now, generation, ++this.seq).finally(() => {
      if (this.inflight?.promise === promise) this.inflight = undefined;
    });
    this.inflight = { promise, generation };
    return promise;
  }

  /** Reads one switch straight from SSM (no cache). */
  public async get(
    scope: KillSwitchScope
  ): Promise<KillSwitchValue | undefined> {
    const problem = validateScope(scope);
    if (problem) throw new KillSwitchValidationError([problem]);
    const name = this.parameterName(scope);
    try {
      const out = await this.client.send(
        new GetParameterCommand({ Name: name })
      );
      const raw = out.Parameter?.Value;
      return raw === undefined ? undefined : parseKillSwitchValue(raw);
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw new KillSwitchStoreError(`could not read kill switch ${scope}`, {
        cause: error,
      });
    }
  }

  /**
   * Writes one switch (PutParameter, String, overwrite) after validating the
   * scope and value. The value before is read straight from SSM, not from
   * the cache, so the audit record shows what was really replaced.
   */
  public async set(
    scope: KillSwitchScope,
    value: KillSwitchValue
  ): Promise<{ before?: KillSwitchValue; after: KillSwitchValue }> {
    const after = checkKillSwitchWrite(scope, value);
    const before = await this.get(scope);
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: this.parameterName(scope),
          Value: serializeKillSwitchValue(after),
          Type: 'String',
          Overwrite: true,
        })
      );
    } catch (error) {
      throw new KillSwitchStoreError(`could not write kill switch ${scope}`, {
        cause: error,
      });
    } finally {
      // Even a failed put may have landed: never serve a pre-write read again.
      this.generation += 1;
    }
    return { ...(before !== undefined && { before }), after };
  }

  /** Full SSM name of a scope's parameter. */
  public parameterName(scope: KillSwitchScope): string {
    return `${this.prefix}/${scopeToParameterSuffix(scope)}`;
  }

  private async refresh(
    attemptAt: number,
    generation: number,
    seq: number
  ): Promise<KillSwitchSnapshot> {
    let snapshot: KillSwitchSnapshot;
    try {
      // Powertools' own cache is off (maxAge 0): stacked on ours it would
      // double the staleness bound, it rounds maxAge down to whole seconds
      // and it never caches an empty result. This class keeps the only cache.
      const values = await this.provider.getMultiple(this.prefix, {
        maxAge: 0,
        recursive: true,
      });
      snapshot = {
        switches: this.toSwitches(values ?? {}),
        readAt: attemptAt,
        known: true,
      };
      if (!this.lastGood || seq > this.lastGood.seq) {
        this.lastGood = { snapshot, seq };
      }
    } catch (error) {
      snapshot = this.lastGood
        ? { ...this.lastGood.snapshot, stale: true }
        : { switches: new Map(), readAt: 0, known: false };
      const attributes = {
        prefix: this.prefix,
        known: snapshot.known,
        error: error instanceof Error ? error.message : String(error),
      };
      if (snapshot.known) {
        this.log?.warn(
          'kill-switch refresh failed; last known state stays in force',
          attributes
        );
      } else {
        this.log?.error(
          'kill-switch refresh failed and no state was ever read; failing safe',
          attributes
        );
      }
      try {
        this.onError?.(error);
      } catch {
        // A broken metrics callback must not break snapshot().
      }
    }
    if (generation === this.generation) {
      this.cached = { snapshot, attemptAt, generation };
    }
    return snapshot;
  }

  private toSwitches(
    values: Record<string, unknown>
  ): Map<KillSwitchScope, KillSwitchValue> {
    const switches = new Map<KillSwitchScope, KillSwitchValue>();
    for (const [suffix, raw] of Object.entries(values)) {
      const scope = parameterSuffixToScope(suffix);
      const problem = validateScope(scope);
      if (problem) {
        this.warnOnce(
          `scope:${suffix}`,
          'ignoring parameter that is not a kill-switch scope',
          {
            parameter: `${this.prefix}/${suffix}`,
            problem,
          }
        );
        continue;
      }
      const text = typeof raw === 'string' ? raw : String(raw);
      const parsed = tryParseKillSwitchValue(text);
      if (!parsed.ok) {
        this.warnOnce(
          `value:${suffix}:${text}`,
          'unparseable kill-switch value reads as on',
          {
            parameter: `${this.prefix}/${suffix}`,
            problems: parsed.problems,
          }
        );
      }
      switches.set(
        scope,
        parsed.ok ? parsed.value : parseKillSwitchValue(text)
      );
    }
    return switches;
  }

  private warnOnce(
    key: string,
    message: string,
    attributes: Record<string, unknown>
  ): void {
    if (this.warned.has(key)) return;
    // Bounded: a value edited over and over must not grow memory forever.
    if (this.warned.size >= 1000) this.warned.clear();
    this.warned.add(key);
    this.log?.warn(message, attributes);
  }
}
