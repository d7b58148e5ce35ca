import type { BanditStore, BetaPosterior } from '../ports';
import type { LearningSums } from './decayed-sums';

/** Options of a decayed Beta bandit. */
export interface DecayedBanditOptions {
  /** Prior of arms without (recent) evidence. @default Beta(1, 1), uniform */
  readonly prior?: BetaPosterior;
  /** Clock, ms. @default Date.now */
  readonly now?: () => number;
}

const UNIFORM_PRIOR: BetaPosterior = Object.freeze({ alpha: 1, beta: 1 });

/** Attribute names of one arm's decayed reward sums, and its last posterior. */
interface ArmAttrs {
  readonly success: string;
  readonly failure: string;
}

interface Memo {
  posterior: BetaPosterior;
  version: number;
  tick: number;
}

/**
 * Reads are memoised per (sums version, clock tick). A tick is a
 * ten-thousandth of the half-life (180 ms at 30 min), over which decay
 * moves a posterior by less than 0.01%: the same instant for the bandit.
 */
export function clockTick(now: number, halfLifeMs: number): number {
  const q = Math.max(1, Math.floor(halfLifeMs / 10_000));
  return Math.floor(now / q) * q;
}

/** Prefixes of the success and failure sums; the model id follows. */
export const SUCCESS_ATTR = 'a|';
/** Prefix of the failure sum attribute. */
export const FAILURE_ATTR = 'b|';

/**
 * Beta posteriors per (context, model) over decayed reward sums:
 * alpha = prior.alpha + Σ w·r, beta = prior.beta + Σ w·(1 − r), with w
 * halving every half-life of the sums. Old evidence fades, so an arm whose
 * quality changed is re-learned within a few half-lives and an arm nobody
 * chose drifts back to the prior (and so gets explored again) instead of
 * staying condemned by one bad streak.
 */
export class DecayedBanditStore implements BanditStore {
  /** The prior of arms without evidence. */
  public readonly prior: BetaPosterior;
  protected readonly now: () => number;
  private readonly attrCache = new Map<string, ArmAttrs>();
  private readonly memo = new Map<string, Map<string, Memo>>();
  private readonly halfLifeMs: number;

  public constructor(
    protected readonly sums: LearningSums & { readonly halfLifeMs?: number },
    options: DecayedBanditOptions = {}
  ) {
    this.halfLifeMs = sums.halfLifeMs ?? 1;
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
    this.now = options.now ?? Date.now;
  }

  /** Posterior of an arm; the prior when it has no evidence. Never mutated once returned. */
  public get(contextKey: string, modelId: string): BetaPosterior {
    const tick = clockTick(this.now(), this.halfLifeMs);
    const version = this.sums.version;
    let byModel = this.memo.get(contextKey);
    const hit = byModel?.get(modelId);
    if (hit && hit.version === version && hit.tick === tick) {
      return hit.posterior;
    }
    const a = this.attrsOf(modelId);
    const posterior = Object.freeze({
      alpha: this.prior.alpha + this.sums.value(contextKey, a.success, tick),
      beta: this.prior.beta + this.sums.value(contextKey, a.failure, tick),
    });
    if (hit) {
      hit.posterior = posterior;
      hit.version = version;
      hit.tick = tick;
    } else {
      if (!byModel) {
        if (this.memo.size > 10_000) this.memo.clear();
        byModel = new Map();
        this.memo.set(contextKey, byModel);
      }
      byModel.set(modelId, { posterior, version, tick });
    }
    return posterior;
  }

  /** Adds a reward (clamped to [0, 1]; NaN ignored so one bad outcome can't poison the arm). */
  public update(contextKey: string, modelId: string, reward: number): void {
    if (Number.isNaN(reward)) return;
    const r = reward < 0 ? 0 : Math.min(reward, 1);
    const a = this.attrsOf(modelId);
    const now = this.now();
    this.sums.add(contextKey, a.success, r, now);
    this.sums.add(contextKey, a.failure, 1 - r, now);
  }

  /** Forgets every context, or one (subclasses sharing state override this). */
  public reset(contextKey?: string): void | Promise<void> {
    const sums = this.sums as LearningSums & { clear?(key?: string): void };
    sums.clear?.(contextKey);
  }

  /** Plain-object copy of every arm with evidence, for /v1/stats. */
  public snapshot(): Record<string, Record<string, BetaPosterior>> {
    const out: Record<string, Record<string, BetaPosterior>> = {};
    for (const contextKey of this.sums.keys()) {
      const entry: Record<string, BetaPosterior> = {};
      for (const attr of this.sums.attrs(contextKey)) {
        const prefix = attr.startsWith(SUCCESS_ATTR)
          ? SUCCESS_ATTR
          : attr.startsWith(FAILURE_ATTR)
            ? FAILURE_ATTR
            : undefined;
        if (prefix === undefined) continue;
        const modelId = attr.slice(prefix.length);
        entry[modelId] ??= { ...this.get(contextKey, modelId) };
      }
      if (Object.keys(entry).length > 0) out[contextKey] = entry;
    }
    return out;
  }

  private attrsOf(modelId: string): ArmAttrs {
    let a = this.attrCache.get(modelId);
    if (!a) {
      // Cached: get() runs per candidate per decision, on the hot path.
      a = { success: SUCCESS_ATTR + modelId, failure: FAILURE_ATTR + modelId };
      if (this.attrCache.size > 10_000) this.attrCache.clear();
      this.attrCache.set(modelId, a);
    }
    return a;
  }
}
