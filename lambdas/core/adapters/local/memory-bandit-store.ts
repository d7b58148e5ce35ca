import type { BanditStore, BetaPosterior } from '../../ports';

/** Options of the in-memory bandit store. */
export interface MemoryBanditStoreOptions {
  /** Prior of never-updated arms. @default Beta(1, 1), uniform */
  readonly prior?: BetaPosterior;
}

const UNIFORM_PRIOR: BetaPosterior = Object.freeze({ alpha: 1, beta: 1 });

/**
 * Bandit posteriors in memory: context key -> model id -> Beta. Used locally
 * and as the hot-path replica of the AWS store. Posteriors are replaced, not
 * mutated, so a value a caller holds never changes under it.
 */
export class MemoryBanditStore implements BanditStore {
  private readonly arms = new Map<string, Map<string, BetaPosterior>>();
  private readonly prior: BetaPosterior;

  public constructor(options: MemoryBanditStoreOptions = {}) {
    const prior = options.prior ?? UNIFORM_PRIOR;
    if (
      !(Number.isFinite(prior.alpha) && prior.alpha > 0) ||
      !(Number.isFinite(prior.beta) && prior.beta > 0)
    ) {
      throw new RangeError(
        `prior alpha and beta must be finite and > 0, got alpha=${prior.alpha} beta=${prior.beta}`
      );
    }
    this.prior = Object.freeze({ alpha: prior.alpha, beta: prior.beta });
  }

  /** Posterior of an arm; the prior when never updated. */
  public get(contextKey: string, modelId: string): BetaPosterior {
    return this.arms.get(contextKey)?.get(modelId) ?? this.prior;
  }

  /** Adds a reward (clamped to [0, 1]; NaN ignored so one bad outcome can't poison the arm). */
  public update(contextKey: string, modelId: string, reward: number): void {
    if (Number.isNaN(reward)) return;
    const r = reward < 0 ? 0 : Math.min(reward, 1);
    let models = this.arms.get(contextKey);
    if (!models) {
      models = new Map();
      this.arms.set(contextKey, models);
    }
    const current = models.get(modelId) ?? this.prior;
    models.set(
      modelId,
      Object.freeze({ alpha: current.alpha + r, beta: current.beta + 1 - r })
    );
  }

  /** Forgets every context, or one. */
  public reset(contextKey?: string): void {
    if (contextKey === undefined) this.arms.clear();
    else this.arms.delete(contextKey);
  }

  /** Plain-object copy of every updated arm, for /v1/stats. */
  public snapshot(): Record<string, Record<string, BetaPosterior>> {
    const out: Record<string, Record<string, BetaPosterior>> = {};
    for (const [contextKey, models] of this.arms) {
      const entry: Record<string, BetaPosterior> = {};
      for (const [modelId, p] of models) {
        entry[modelId] = { alpha: p.alpha, beta: p.beta };
      }
      out[contextKey] = entry;
    }
    return out;
  }
}
