/**
 * Simulation of the learning loop (issue 10): cumulative regret of the
 * contextual bandit (the real `decide` with the memory stores, exploration
 * and rewards the router uses) against uniform random and the best fixed
 * arm, with arm quality shifting halfway; and the requests it takes to
 * recover after one cold outlier. Pure and seeded: the same figures on every
 * run, in well under 5 s.
 */
import { MemoryBanditStore } from '../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../lambdas/core/adapters/local/memory-latency-tracker';
import {
  DEFAULT_LEARNING_SETTINGS,
  type ExplorationSettings,
  type LatencyLearning,
} from '../lambdas/core/learning/config';
import { seededRng } from '../lambdas/core/routing/bandit';
import { decide } from '../lambdas/core/routing/decide';
import { DEFAULT_ROUTING_SETTINGS } from '../lambdas/core/routing/defaults';
import {
  computeReward,
  DEFAULT_REWARD_WEIGHTS,
} from '../lambdas/core/routing/reward';
import type { Rng, RoutingContext } from '../lambdas/core/routing/types';
import type { ModelConfig } from '../lambdas/core/types';

function model(id: string, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    id,
    provider: 'sim',
    providerType: 'openai-compatible',
    providerModelId: id,
    aliases: [],
    region: 'eu',
    capabilities: ['tools', 'streaming'],
    contextWindow: 128_000,
    maxOutputTokens: 4096,
    pricing: { inputPer1M: 1, outputPer1M: 4 },
    domains: [],
    quality: 0.7,
    status: 'active',
    ...overrides,
  };
}

function context(overrides: Partial<RoutingContext>): RoutingContext {
  return {
    model: { kind: 'auto' },
    domain: 'general',
    budgetTier: 'standard',
    needsTools: false,
    needsStreaming: false,
    region: 'any',
    maxLatencyMs: 5000,
    promptChars: 400,
    messageCount: 2,
    ...overrides,
  };
}

/** Standard normal by Box–Muller (simulation noise only). */
function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

const LATENCY_SIGMA = 0.2;

/** One simulated context: its routing context and, per phase, the arms' truth. */
interface World {
  readonly ctx: RoutingContext;
  /** Success probability per arm, before and after the shift. */
  readonly success: readonly [
    Readonly<Record<string, number>>,
    Readonly<Record<string, number>>,
  ];
}

/*
 * Four arms the policy cannot tell apart (same price, quality, domains), so
 * only learning separates them; their median latencies differ by ±5%.
 * Halfway, each context's best arm degrades and another becomes best.
 */
const ARMS = ['arm-a', 'arm-b', 'arm-c', 'arm-d'].map((id) => model(id));
const MEDIAN_LATENCY_MS: Readonly<Record<string, number>> = {
  'arm-a': 400,
  'arm-b': 380,
  'arm-c': 420,
  'arm-d': 400,
};
const WORLDS: readonly World[] = [
  {
    ctx: context({
      domain: 'legal',
      budgetTier: 'premium',
      maxLatencyMs: 2500,
    }),
    success: [
      { 'arm-a': 0.92, 'arm-b': 0.75, 'arm-c': 0.65, 'arm-d': 0.55 },
      { 'arm-a': 0.5, 'arm-b': 0.75, 'arm-c': 0.93, 'arm-d': 0.55 },
    ],
  },
  {
    ctx: context({ domain: 'general', budgetTier: 'standard' }),
    success: [
      { 'arm-a': 0.55, 'arm-b': 0.65, 'arm-c': 0.9, 'arm-d': 0.7 },
      { 'arm-a': 0.55, 'arm-b': 0.92, 'arm-c': 0.5, 'arm-d': 0.7 },
    ],
  },
];

/** Expected reward of an arm: success probability times the success reward at its mean latency. */
function expectedReward(world: World, phase: 0 | 1, arm: string): number {
  const meanLatency =
    MEDIAN_LATENCY_MS[arm] * Math.exp((LATENCY_SIGMA * LATENCY_SIGMA) / 2);
  const onSuccess = computeReward({
    ok: true,
    latencyMs: meanLatency,
    slaMs: world.ctx.maxLatencyMs,
    costUsd: 1,
    referenceCostUsd: 1,
  });
  return world.success[phase][arm] * onSuccess;
}

/** Options of the regret simulation. */
export interface RegretOptions {
  /** Routed requests, alternating between the contexts. @default 10000 */
  readonly requests?: number;
  readonly seed?: number;
  /** Simulated time between requests, ms (drives the decay). @default 1000 */
  readonly msPerRequest?: number;
  /** @default DEFAULT_LEARNING_SETTINGS.exploration */
  readonly exploration?: ExplorationSettings;
}

/** Cumulative (pseudo-)regret: Σ best expected reward − chosen expected reward. */
export interface RegretFigures {
  readonly requests: number;
  readonly shiftAt: number;
  readonly bandit: number;
  readonly banditFirstHalf: number;
  readonly banditSecondHalf: number;
  readonly uniform: number;
  readonly bestFixed: number;
  /** Share of decisions exploration picked. */
  readonly exploredShare: number;
}

/**
 * Plays the contextual bandit over `requests` requests (two contexts, four
 * arms, quality shifting halfway) and returns its cumulative regret next to
 * the expected regret of uniform random choice and of the best fixed arm per
 * context in hindsight.
 */
export function simulateRegret(options: RegretOptions = {}): RegretFigures {
  const requests = options.requests ?? 10_000;
  const seed = options.seed ?? 1;
  const step = options.msPerRequest ?? 1000;
  const shiftAt = Math.floor(requests / 2);
  let t = 0;
  const now = () => t;
  const bandit = new MemoryBanditStore({
    now,
    halfLifeMs: DEFAULT_LEARNING_SETTINGS.success.halfLifeMs,
  });
  const latency = new MemoryLatencyTracker({ now });
  const deps = {
    bandit,
    latency,
    rng: seededRng(seed),
    settings: DEFAULT_ROUTING_SETTINGS,
    exploration: options.exploration ?? DEFAULT_LEARNING_SETTINGS.exploration,
  };
  const world = seededRng(seed + 7919);
  let regret = 0;
  let firstHalf = 0;
  let uniform = 0;
  let explored = 0;
  // Per context: Σ over its requests of each arm's expected reward, and of the best.
  const armTotals = WORLDS.map(() => new Map<string, number>());
  const bestTotals = WORLDS.map(() => 0);
  for (let r = 0; r < requests; r++) {
    t += step;
    const w = r % WORLDS.length;
    const env = WORLDS[w];
    const phase: 0 | 1 = r < shiftAt ? 0 : 1;
    let best = 0;
    let sum = 0;
    for (const arm of ARMS) {
      const mu = expectedReward(env, phase, arm.id);
      armTotals[w].set(arm.id, (armTotals[w].get(arm.id) ?? 0) + mu);
      if (mu > best) best = mu;
      sum += mu;
    }
    bestTotals[w] += best;
    uniform += best - sum / ARMS.length;

    const d = decide(ARMS, env.ctx, deps);
    const id = d.chosen!.model.id;
    if (d.explored) explored++;
    regret += best - expectedReward(env, phase, id);
    if (r + 1 === shiftAt) firstHalf = regret;
    const ms = MEDIAN_LATENCY_MS[id] * Math.exp(LATENCY_SIGMA * normal(world));
    const ok = world() < env.success[phase][id];
    latency.observe(id, ms);
    bandit.update(
      d.contextKey,
      id,
      computeReward({
        ok,
        latencyMs: ms,
        slaMs: env.ctx.maxLatencyMs,
        costUsd: 1,
        referenceCostUsd: 1,
      })
    );
  }
  let bestFixed = 0;
  for (let w = 0; w < WORLDS.length; w++) {
    bestFixed += bestTotals[w] - Math.max(...armTotals[w].values());
  }
  return {
    requests,
    shiftAt,
    bandit: regret,
    banditFirstHalf: firstHalf,
    banditSecondHalf: regret - firstHalf,
    uniform,
    bestFixed,
    exploredShare: explored / requests,
  };
}

/** Options of the cold-outlier scenario. */
export interface ColdOutlierOptions {
  readonly seed?: number;
  /** Legal requests routed. @default 300 */
  readonly requests?: number;
  /** Latency of Claude's first call, ms; 0 for a control run without the outlier. @default 1500 */
  readonly slowFirstCallMs?: number;
  /** Latency of every other call of every model, ms. @default 300 */
  readonly fastMs?: number;
  /** @default DEFAULT_LEARNING_SETTINGS.exploration */
  readonly exploration?: ExplorationSettings;
  /** Latency estimator overrides, e.g. `{ coldWeight: 1 }` to measure without the cold discount. */
  readonly latency?: Partial<LatencyLearning>;
}

/** What the cold-outlier scenario measured. */
export interface ColdOutlierFigures {
  /** Requests Claude served among the last 100. */
  readonly claudeLast100: number;
  /** Index of the request that got the slow call (undefined: Claude never chosen). */
  readonly outlierAt?: number;
  /**
   * Requests from the outlier until Claude again serves >= 80% of a window of
   * 50 requests; null when it never does.
   */
  readonly recoveryRequests: number | null;
}

/** Claude as the issue had it: the legal specialist, best once latencies are equal. */
export const COLD_OUTLIER_MODELS: readonly ModelConfig[] = [
  model('claude-sonnet', {
    pricing: { inputPer1M: 3, outputPer1M: 15 },
    domains: ['legal', 'medical', 'code'],
    quality: 0.9,
  }),
  model('nova-lite', {
    pricing: { inputPer1M: 0.06, outputPer1M: 0.24 },
    quality: 0.6,
  }),
  model('gemini-flash', {
    pricing: { inputPer1M: 0.3, outputPer1M: 2.5 },
    domains: ['code'],
    quality: 0.75,
  }),
  model('llama-maverick', {
    pricing: { inputPer1M: 0.2, outputPer1M: 0.6 },
    quality: 0.7,
  }),
];

const WINDOW = 50;

/**
 * The scenario: legal premium requests, Claude the best candidate,
 * Claude's first call slow (connection setup), every other call of every
 * model equally fast. Rewards and latencies are recorded exactly as the chat
 * service does (computeReward, latency.observe).
 */
export function simulateColdOutlier(
  options: ColdOutlierOptions = {}
): ColdOutlierFigures {
  const requests = options.requests ?? 300;
  const slow = options.slowFirstCallMs ?? 1500;
  const fast = options.fastMs ?? 300;
  let t = 0;
  const now = () => t;
  const bandit = new MemoryBanditStore({ now });
  const latency = new MemoryLatencyTracker({ ...options.latency, now });
  const rng = seededRng(options.seed ?? 1);
  const ctx = context({ domain: 'legal', budgetTier: 'premium' });
  const exploration =
    options.exploration ?? DEFAULT_LEARNING_SETTINGS.exploration;
  const pulls: string[] = [];
  let outlierAt: number | undefined;
  for (let i = 0; i < requests; i++) {
    t += 1000;
    const d = decide(COLD_OUTLIER_MODELS, ctx, {
      bandit,
      latency,
      rng,
      settings: DEFAULT_ROUTING_SETTINGS,
      exploration,
    });
    const chosen = d.chosen!;
    const id = chosen.model.id;
    let ms = fast;
    if (id === 'claude-sonnet' && outlierAt === undefined) {
      outlierAt = i;
      if (slow > 0) ms = slow;
    }
    latency.observe(id, ms);
    let reference = 0;
    for (const c of d.candidates)
      reference = Math.max(reference, c.estimatedCostUsd);
    bandit.update(
      d.contextKey,
      id,
      computeReward(
        {
          ok: true,
          latencyMs: ms,
          slaMs: ctx.maxLatencyMs,
          costUsd: chosen.estimatedCostUsd,
          referenceCostUsd: reference,
        },
        DEFAULT_REWARD_WEIGHTS
      )
    );
    pulls.push(id);
  }
  let recoveryRequests: number | null = null;
  if (outlierAt !== undefined) {
    for (let w = outlierAt + 1; w + WINDOW <= pulls.length; w++) {
      let hits = 0;
      for (let k = w; k < w + WINDOW; k++)
        if (pulls[k] === 'claude-sonnet') hits++;
      if (hits >= 0.8 * WINDOW) {
        recoveryRequests = w - outlierAt;
        break;
      }
    }
  }
  return {
    claudeLast100: pulls.slice(-100).filter((p) => p === 'claude-sonnet')
      .length,
    outlierAt,
    recoveryRequests,
  };
}

/** Figures of `npm run bench`: regret over seeds, and cold-outlier recovery. */
export interface BanditSimFigures {
  readonly requests: number;
  readonly seeds: number;
  readonly regret: {
    readonly bandit: number;
    readonly banditFirstHalf: number;
    readonly banditSecondHalf: number;
    readonly uniform: number;
    readonly bestFixed: number;
  };
  readonly exploredShare: number;
  readonly coldOutlier: {
    /** Claude's share of the last 100 of 300 legal requests, mean over seeds. */
    readonly claudeLast100: number;
    /** Recovery in requests, worst seed (null: some seed never recovered). */
    readonly worstRecoveryRequests: number | null;
    readonly medianRecoveryRequests: number | null;
    /** The same without the cold discount: exploration and shrinkage alone. */
    readonly withoutColdDiscount: {
      readonly claudeLast100: number;
      readonly worstRecoveryRequests: number | null;
      readonly medianRecoveryRequests: number | null;
    };
  };
  readonly elapsedMs: number;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Runs both simulations over a few seeds (means), for bench/run.ts. */
export async function benchBanditSimulation(
  options: { requests?: number; seeds?: number } = {}
): Promise<BanditSimFigures> {
  const started = performance.now();
  const requests = options.requests ?? 10_000;
  const seeds = options.seeds ?? 3;
  const runs = Array.from({ length: seeds }, (_, i) =>
    simulateRegret({ requests, seed: i + 1 })
  );
  const round = (x: number) => Math.round(x * 10) / 10;
  const coldFigures = (latency?: Partial<LatencyLearning>) => {
    const cold = Array.from({ length: 10 }, (_, i) =>
      simulateColdOutlier({ seed: i + 1, latency })
    );
    const recoveries = cold.map((c) => c.recoveryRequests);
    const known = recoveries
      .filter((r): r is number => r !== null)
      .sort((a, b) => a - b);
    return {
      claudeLast100: round(mean(cold.map((c) => c.claudeLast100))),
      worstRecoveryRequests:
        known.length === recoveries.length ? known[known.length - 1] : null,
      medianRecoveryRequests:
        known.length > 0 ? known[Math.floor(known.length / 2)] : null,
    };
  };
  return {
    requests,
    seeds,
    regret: {
      bandit: round(mean(runs.map((r) => r.bandit))),
      banditFirstHalf: round(mean(runs.map((r) => r.banditFirstHalf))),
      banditSecondHalf: round(mean(runs.map((r) => r.banditSecondHalf))),
      uniform: round(mean(runs.map((r) => r.uniform))),
      bestFixed: round(mean(runs.map((r) => r.bestFixed))),
    },
    exploredShare:
      Math.round(mean(runs.map((r) => r.exploredShare)) * 1000) / 1000,
    coldOutlier: {
      ...coldFigures(),
      withoutColdDiscount: coldFigures({ coldWeight: 1 }),
    },
    elapsedMs: Math.round(performance.now() - started),
  };
}

if (require.main === module) {
  void benchBanditSimulation().then((f) =>
    process.stdout.write(`${JSON.stringify(f, null, 2)}\n`)
  );
}
