import {
  KillSwitchError,
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
  validateScope,
} from '../../kill-switches/value';

/** Largest staleness allowed, as for the SSM store. */
const MAX_AGE_MS = 5000;

/** Where the switches live; share one between stores to model several routers. */
export type KillSwitchBacking = Map<KillSwitchScope, KillSwitchValue>;

/** Props of {@link MemoryKillSwitchStore}. */
export interface MemoryKillSwitchStoreProps {
  /**
   * Initial switches by scope: a value object or its stored text (`on`,
   * `off`, JSON). Ignored when `backing` is given.
   * @default - no switches
   */
  readonly initial?: Readonly<
    Record<KillSwitchScope, KillSwitchValue | string>
  >;
  /**
   * Shared storage, so one store can write and another (a second "router")
   * read with its own cache.
   * @default - a private map seeded from `initial`
   */
  readonly backing?: KillSwitchBacking;
  /**
   * How long one read serves `snapshot()`, at most 5000 as on AWS; 0 reads
   * the backing every time.
   * @default 5000
   */
  readonly maxAgeMs?: number;
  /** Clock in ms since epoch. @default Date.now */
  readonly clock?: () => number;
}

/** Builds a backing map from stored texts or values, validating each scope. */
export function createKillSwitchBacking(
  initial: Readonly<Record<KillSwitchScope, KillSwitchValue | string>> = {}
): KillSwitchBacking {
  const backing: KillSwitchBacking = new Map();
  const problems: string[] = [];
  for (const [scope, value] of Object.entries(initial)) {
    const problem = validateScope(scope);
    if (problem) {
      problems.push(problem);
      continue;
    }
    backing.set(
      scope,
      typeof value === 'string'
        ? parseKillSwitchValue(value)
        : checkKillSwitchWrite(scope, value)
    );
  }
  if (problems.length > 0) throw new KillSwitchValidationError(problems);
  return backing;
}

/**
 * Kill switches in memory (`npm start`, tests) with the SSM store's
 * semantics: `snapshot()` serves a cached copy for `maxAgeMs`, a write
 * invalidates the writer's own cache, and values are validated the same way.
 * The backing can't fail, so snapshots are always `known`.
 */
export class MemoryKillSwitchStore implements KillSwitchStore {
  /** The switches as stored (shared when passed in). */
  public readonly backing: KillSwitchBacking;
  /** Staleness bound in ms. */
  public readonly maxAgeMs: number;
  private readonly clock: () => number;
  private cached?: KillSwitchSnapshot;

  public constructor(props: MemoryKillSwitchStoreProps = {}) {
    const maxAgeMs = props.maxAgeMs ?? MAX_AGE_MS;
    if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0 || maxAgeMs > MAX_AGE_MS) {
      throw new KillSwitchError(
        `maxAgeMs must be between 0 and ${MAX_AGE_MS}, got ${maxAgeMs}`
      );
    }
    this.maxAgeMs = maxAgeMs;
    this.clock = props.clock ?? Date.now;
    this.backing = props.backing ?? createKillSwitchBacking(props.initial);
  }

  /** Current switches, re-read from the backing when older than `maxAgeMs`. */
  public async snapshot(): Promise<KillSwitchSnapshot> {
    const now = this.clock();
    if (this.cached && now - this.cached.readAt < this.maxAgeMs) {
      return this.cached;
    }
    this.cached = { switches: new Map(this.backing), readAt: now, known: true };
    return this.cached;
  }

  /** Reads one switch from the backing (no cache). */
  public async get(
    scope: KillSwitchScope
  ): Promise<KillSwitchValue | undefined> {
    const problem = validateScope(scope);
    if (problem) throw new KillSwitchValidationError([problem]);
    return this.backing.get(scope);
  }

  /** Validates and writes one switch; the writer's next snapshot sees it. */
  public async set(
    scope: KillSwitchScope,
    value: KillSwitchValue
  ): Promise<{ before?: KillSwitchValue; after: KillSwitchValue }> {
    const after = checkKillSwitchWrite(scope, value);
    const before = this.backing.get(scope);
    this.backing.set(scope, after);
    this.cached = undefined;
    return { ...(before !== undefined && { before }), after };
  }
}
