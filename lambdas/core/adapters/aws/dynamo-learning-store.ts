import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type DecayedBanditOptions,
  DecayedBanditStore,
} from '../../learning/bandit-state';
import {
  DEFAULT_LEARNING_SETTINGS,
  type LearningSettings,
} from '../../learning/config';
import {
  DecayedSums,
  ERA_HALF_LIVES,
  eraOf,
} from '../../learning/decayed-sums';
import {
  LATENCY_KEY,
  ShrunkLatencyTracker,
} from '../../learning/latency-state';
import { SharedSums } from '../../learning/shared-sums';
import type { BanditStore, LatencyTracker, Log } from '../../ports';

/** Props of {@link DynamoLearningStore}. */
export interface DynamoLearningStoreProps {
  /** The decisions table (`DECISIONS_TABLE`; keys `pk`, `sk`, TTL `expiresAt`). */
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  /** @default DEFAULT_LEARNING_SETTINGS */
  readonly settings?: LearningSettings;
  /** Clock, ms. @default Date.now */
  readonly now?: () => number;
  readonly log?: Log;
  /** Contexts read at most (domains are client input). @default 500 */
  readonly maxContexts?: number;
}

/** Partition key of the item listing contexts and reset generations. */
export const LEARNING_META_PK = 'LEARNING#META';
/** Partition key prefix of a context's bandit items. */
export const BANDIT_PK_PREFIX = 'BANDIT#';
/** Partition key of the fleet's latency items. */
export const LATENCY_PK = 'LATENCY#fleet';

const META_KEY = { pk: LEARNING_META_PK, sk: 'META' } as const;
const CONTEXTS_ATTR = 'ctxs';
const GEN_ATTR = 'gen';
const CONTEXT_GEN_PREFIX = 'cg|';
/** Stored sums are attributes with a `|` (pk, sk, expiresAt have none). */
const isSumAttr = (name: string): boolean => name.includes('|');

/** The decayed bandit over the shared sums; a reset acts on the fleet. */
class SharedBanditStore extends DecayedBanditStore {
  public constructor(
    sums: SharedSums,
    options: DecayedBanditOptions,
    private readonly resetFleet: (contextKey?: string) => Promise<void>
  ) {
    super(sums, options);
  }

  public override reset(contextKey?: string): Promise<void> {
    return this.resetFleet(contextKey);
  }
}

interface Generations {
  readonly global: number;
  readonly contexts: ReadonlyMap<string, number>;
}

/**
 * Bandit posteriors and latency statistics shared by every router container
 * through the decisions table, with atomic `ADD` only (no read-modify-write,
 * no conditional retries), so concurrent containers never lose an update.
 *
 * Items (forward-decayed sums, see learning/decayed-sums.ts; one item per
 * era of 16 half-lives, expired by TTL two eras later):
 * - `pk = BANDIT#<context>`, `sk = G<gen>.<context gen>#E<era>`:
 *   `a|<model>` (Σ w·reward), `b|<model>` (Σ w·(1 − reward));
 * - `pk = LATENCY#fleet`, `sk = E<era>`: `w|<model>` (Σ w),
 *   `s|<model>` (Σ w·ln ms), `n|<model>` (Σ observations);
 * - `pk = LEARNING#META`, `sk = META`: `ctxs` (string set of contexts),
 *   `gen` (global reset generation), `cg|<context>` (per-context).
 *
 * Reads stay synchronous and local (`bandit`, `latency`): each router keeps
 * the fleet's sums from its last `refresh` plus its own deltas, which
 * `flush` writes as one UpdateItem per touched item. `sync` (awaited by the
 * handler after the response) flushes every `flushMs` and re-reads every
 * `refreshMs`: one GetItem and BatchGetItem calls, no Query or Scan. A reset
 * bumps a generation in one atomic ADD, so every router drops the old state
 * at its next refresh, and deltas recorded before it are never written.
 */
export class DynamoLearningStore {
  /** The fleet-shared bandit (BanditStore port). */
  public readonly bandit: BanditStore;
  /** The fleet-shared latency estimates (LatencyTracker port). */
  public readonly latency: LatencyTracker;
  /** Resolved settings. */
  public readonly settings: LearningSettings;
  private readonly banditSums: SharedSums;
  private readonly latencySums: SharedSums;
  private readonly client: DynamoDBDocumentClient;
  private readonly now: () => number;
  private readonly maxContexts: number;
  private gens: Generations = { global: 0, contexts: new Map() };
  private readonly registered = new Set<string>();
  private lastFlush = Number.NEGATIVE_INFINITY;
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private refreshing?: Promise<void>;
  private flushing?: Promise<void>;

  public constructor(private readonly props: DynamoLearningStoreProps) {
    this.settings = props.settings ?? DEFAULT_LEARNING_SETTINGS;
    this.client =
      props.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
    this.now = props.now ?? Date.now;
    this.maxContexts = props.maxContexts ?? 500;
    const { success, latency } = this.settings;
    this.banditSums = new SharedSums(success.halfLifeMs);
    this.latencySums = new SharedSums(latency.halfLifeMs);
    this.bandit = new SharedBanditStore(
      this.banditSums,
      {
        prior: { alpha: success.priorAlpha, beta: success.priorBeta },
        now: this.now,
      },
      (contextKey) => this.reset(contextKey)
    );
    this.latency = new ShrunkLatencyTracker(this.latencySums, {
      ...latency,
      now: this.now,
    });
  }

  /**
   * Resolves after the first read of the fleet's state or after
   * `timeoutMs`, whichever is first; never rejects. A new container awaits
   * it before its first decision, so it starts from what the fleet knows.
   */
  public warmUp(timeoutMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    return Promise.race([this.refresh(), timeout]).finally(() =>
      clearTimeout(timer)
    );
  }

  /**
   * After-response hook: writes deltas when `flushMs` has passed and
   * re-reads the fleet when `refreshMs` has. Never throws.
   */
  public async sync(): Promise<void> {
    const now = this.now();
    const { flushMs, refreshMs } = this.settings.shared;
    if (now - this.lastFlush >= flushMs) await this.flush();
    if (now - this.lastRefresh >= refreshMs) await this.refresh();
  }

  /** Writes the accumulated deltas as ADDs (one UpdateItem per touched item). Never throws. */
  public flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Re-reads the fleet's state (one GetItem, then BatchGetItem). Never throws. */
  public refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * Forgets the bandit posteriors of one context, or of all, for the whole
   * fleet: one atomic ADD on the generation; every router drops the old
   * state at its next refresh. Throws when the write fails (the admin call
   * must not report a reset that did not happen).
   */
  public async reset(contextKey?: string): Promise<void> {
    const attr =
      contextKey === undefined ? GEN_ATTR : CONTEXT_GEN_PREFIX + contextKey;
    await this.client.send(
      new UpdateCommand({
        TableName: this.props.tableName,
        Key: META_KEY,
        UpdateExpression: 'ADD #g :one',
        ExpressionAttributeNames: { '#g': attr },
        ExpressionAttributeValues: { ':one': 1 },
      })
    );
    // Local deltas of the old generation, written or not, no longer count;
    // any still being written land under the old generation's keys.
    this.banditSums.clear(contextKey);
    await this.refresh();
  }

  private sortKey(
    contextKey: string,
    era: number,
    gens: Generations = this.gens
  ): string {
    const cg = gens.contexts.get(contextKey) ?? 0;
    return `G${gens.global}.${cg}#E${era}`;
  }

  private expiresAt(era: number, halfLifeMs: number): number {
    // Readers use the current and the previous era: keep two more.
    return Math.ceil(((era + 3) * ERA_HALF_LIVES * halfLifeMs) / 1000);
  }

  private async doFlush(): Promise<void> {
    this.lastFlush = this.now();
    const writes: {
      sums: SharedSums;
      taken: DecayedSums;
      pk: (key: string) => string;
      sk: (key: string, era: number) => string;
    }[] = [
      {
        sums: this.banditSums,
        taken: this.banditSums.takePending(),
        pk: (key) => BANDIT_PK_PREFIX + key,
        sk: (key, era) => this.sortKey(key, era),
      },
      {
        sums: this.latencySums,
        taken: this.latencySums.takePending(),
        pk: () => LATENCY_PK,
        sk: (_key, era) => `E${era}`,
      },
    ];
    const fresh = new Set<string>();
    for (const w of writes.slice(0, 1)) {
      for (const key of w.taken.keys())
        if (!this.registered.has(key)) fresh.add(key);
    }
    if (fresh.size > 0) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.props.tableName,
            Key: META_KEY,
            UpdateExpression: 'ADD #c :set',
            ExpressionAttributeNames: { '#c': CONTEXTS_ATTR },
            ExpressionAttributeValues: { ':set': fresh },
          })
        );
        for (const k of fresh) this.registered.add(k);
      } catch (err) {
        this.warn('learning: context registration failed', err);
      }
    }
    for (const w of writes) {
      const failed = new DecayedSums(w.taken.halfLifeMs);
      for (const { key, era, values } of w.taken.entries()) {
        const names: Record<string, string> = { '#t': 'expiresAt' };
        const vals: Record<string, number> = {
          ':t': this.expiresAt(era, w.taken.halfLifeMs),
        };
        const adds: string[] = [];
        let i = 0;
        for (const [attr, v] of values) {
          names[`#a${i}`] = attr;
          vals[`:v${i}`] = v;
          adds.push(`#a${i} :v${i}`);
          i++;
        }
        if (adds.length === 0) continue;
        try {
          await this.client.send(
            new UpdateCommand({
              TableName: this.props.tableName,
              Key: { pk: w.pk(key), sk: w.sk(key, era) },
              UpdateExpression: `ADD ${adds.join(', ')} SET #t = :t`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: vals,
            })
          );
        } catch (err) {
          for (const [attr, v] of values) failed.addScaled(key, era, attr, v);
          this.warn('learning: delta write failed', err);
        }
      }
      w.sums.written(w.taken, failed);
    }
  }

  private async doRefresh(): Promise<void> {
    this.lastRefresh = this.now();
    const banditStarted = this.banditSums.readStarted();
    const latencyStarted = this.latencySums.readStarted();
    try {
      const meta = await this.client.send(
        new GetCommand({ TableName: this.props.tableName, Key: META_KEY })
      );
      const item = meta.Item ?? {};
      const contexts = [
        ...((item[CONTEXTS_ATTR] as Set<string> | undefined) ?? []),
      ].sort();
      if (contexts.length > this.maxContexts) {
        this.props.log?.warn('learning: too many contexts, reading a subset', {
          contexts: contexts.length,
          read: this.maxContexts,
        });
        contexts.length = this.maxContexts;
      }
      const gens = readGenerations(item);

      const now = this.now();
      const banditEra = eraOf(now, this.banditSums.halfLifeMs);
      const latencyEra = eraOf(now, this.latencySums.halfLifeMs);
      const keys: { pk: string; sk: string }[] = [];
      for (const c of contexts) {
        for (const era of [banditEra - 1, banditEra]) {
          keys.push({
            pk: BANDIT_PK_PREFIX + c,
            sk: this.sortKey(c, era, gens),
          });
        }
      }
      for (const era of [latencyEra - 1, latencyEra]) {
        keys.push({ pk: LATENCY_PK, sk: `E${era}` });
      }
      const items = await this.batchGet(keys);
      const bandit = new DecayedSums(this.banditSums.halfLifeMs);
      const latency = new DecayedSums(this.latencySums.halfLifeMs);
      for (const it of items) {
        const pk = String(it.pk);
        const era = Number(/#?E(-?\d+)$/.exec(String(it.sk))?.[1]);
        if (!Number.isFinite(era)) continue;
        const [target, key] =
          pk === LATENCY_PK
            ? [latency, LATENCY_KEY]
            : [bandit, pk.slice(BANDIT_PK_PREFIX.length)];
        for (const [attr, v] of Object.entries(it)) {
          if (isSumAttr(attr) && typeof v === 'number') {
            target.addScaled(key, era, attr, v);
          }
        }
      }
      // Applied only once the whole read succeeded, so a failed read never
      // leaves new generations over old sums.
      const regenerated = this.changedContexts(gens);
      this.gens = gens;
      for (const c of contexts) this.registered.add(c);
      // A reset elsewhere: local deltas of the old generation are void.
      if (regenerated === 'all') this.banditSums.clear();
      else for (const c of regenerated) this.banditSums.clear(c);
      this.banditSums.replaceFleet(bandit, banditStarted);
      this.latencySums.replaceFleet(latency, latencyStarted);
    } catch (err) {
      this.warn('learning: fleet read failed', err);
    }
  }

  /** Contexts whose generation changed since the last read ('all' on a global reset). */
  private changedContexts(next: Generations): 'all' | string[] {
    if (next.global !== this.gens.global) return 'all';
    const changed: string[] = [];
    for (const [c, g] of next.contexts) {
      if ((this.gens.contexts.get(c) ?? 0) !== g) changed.push(c);
    }
    return changed;
  }

  private async batchGet(
    keys: readonly { pk: string; sk: string }[]
  ): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, unknown>[] | undefined = keys.slice(
        i,
        i + 100
      );
      // Unprocessed keys (throttling) are retried a few times, then skipped:
      // a partial read only delays what a router learns from the fleet.
      for (
        let attempt = 0;
        request && request.length > 0 && attempt < 3;
        attempt++
      ) {
        const res: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.props.tableName]: { Keys: request } },
          })
        );
        out.push(...(res.Responses?.[this.props.tableName] ?? []));
        request = res.UnprocessedKeys?.[this.props.tableName]?.Keys;
      }
    }
    return out;
  }

  private warn(message: string, err: unknown): void {
    this.props.log?.warn(message, {
      error: err instanceof Error ? err.name : String(err),
    });
  }
}

function readGenerations(item: Record<string, unknown>): Generations {
  const contexts = new Map<string, number>();
  for (const [attr, v] of Object.entries(item)) {
    if (attr.startsWith(CONTEXT_GEN_PREFIX) && typeof v === 'number') {
      contexts.set(attr.slice(CONTEXT_GEN_PREFIX.length), v);
    }
  }
  const g = item[GEN_ATTR];
  return { global: typeof g === 'number' ? g : 0, contexts };
}
