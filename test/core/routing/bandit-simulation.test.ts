import { MemoryBanditStore } from '../../../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../../../lambdas/core/adapters/local/memory-latency-tracker';
import { seededRng } from '../../../lambdas/core/routing/bandit';
import { decide } from '../../../lambdas/core/routing/decide';
import { DEFAULT_ROUTING_SETTINGS } from '../../../lambdas/core/routing/defaults';
import { computeReward } from '../../../lambdas/core/routing/reward';
import type { RoutingContext } from '../../../lambdas/core/routing/types';
import { makeContext, makeModel } from './fixtures';

// Identical models: equal policy scores, so only the bandit can tell them apart.
const ARMS = ['arm-a', 'arm-b', 'arm-c', 'arm-d'].map((id) => makeModel(id));

interface Environment {
  /** Success probability of each arm, by model id. */
  readonly success: Readonly<Record<string, number>>;
  readonly ctx: RoutingContext;
}

/** Plays `rounds` routed requests in turn over the environments; returns the pulls per environment. */
function play(
  environments: readonly Environment[],
  rounds: number,
  seed: number,
  reward: (ok: boolean) => number = (ok) => (ok ? 1 : 0)
): string[][] {
  const bandit = new MemoryBanditStore();
  const deps = {
    bandit,
    latency: new MemoryLatencyTracker(),
    rng: seededRng(seed),
    settings: DEFAULT_ROUTING_SETTINGS,
  };
  const world = seededRng(seed + 1);
  const pulls: string[][] = environments.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const e = r % environments.length;
    const env = environments[e];
    const decision = decide(ARMS, env.ctx, deps);
    const id = decision.chosen!.model.id;
    const ok = world() < env.success[id];
    bandit.update(decision.contextKey, id, reward(ok));
    pulls[e].push(id);
  }
  return pulls;
}

function share(pulls: readonly string[], id: string): number {
  return pulls.filter((p) => p === id).length / pulls.length;
}

describe('Function: decide (bandit simulation)', () => {
  it('converges on the best of three Bernoulli arms', () => {
    // Prepare
    const env: Environment = {
      success: { 'arm-a': 0.3, 'arm-b': 0.5, 'arm-c': 0.8, 'arm-d': 0 },
      ctx: makeContext(),
    };
    const arms = ARMS.slice(0, 3);
    const bandit = new MemoryBanditStore();
    const rng = seededRng(31);
    const world = seededRng(32);
    const pulls: string[] = [];

    // Act
    for (let r = 0; r < 2000; r++) {
      const d = decide(arms, env.ctx, {
        bandit,
        latency: new MemoryLatencyTracker(),
        rng,
        settings: DEFAULT_ROUTING_SETTINGS,
      });
      const id = d.chosen!.model.id;
      bandit.update(d.contextKey, id, world() < env.success[id] ? 1 : 0);
      pulls.push(id);
    }

    // Assess
    expect(share(pulls.slice(-500), 'arm-c')).toBeGreaterThan(0.8);
    const posterior = bandit.get('general|standard|false', 'arm-c');
    expect(posterior.alpha / (posterior.alpha + posterior.beta)).toBeCloseTo(
      0.8,
      1
    );
  });

  it('converges with graded rewards over four arms', () => {
    // Prepare: successes earn computeReward (< 1), failures 0
    const env: Environment = {
      success: { 'arm-a': 0.3, 'arm-b': 0.5, 'arm-c': 0.6, 'arm-d': 0.85 },
      ctx: makeContext(),
    };
    const graded = (ok: boolean) =>
      computeReward({
        ok,
        latencyMs: 800,
        slaMs: 5000,
        costUsd: 0.001,
        referenceCostUsd: 0.004,
      });

    // Act
    const [pulls] = play([env], 2000, 5, graded);

    // Assess
    expect(share(pulls.slice(-500), 'arm-d')).toBeGreaterThan(0.8);
  });

  it('learns a different best arm per context key', () => {
    // Prepare
    const legal: Environment = {
      success: { 'arm-a': 0.8, 'arm-b': 0.5, 'arm-c': 0.3, 'arm-d': 0.2 },
      ctx: makeContext({
        domain: 'legal',
        budgetTier: 'premium',
        needsTools: true,
      }),
    };
    const code: Environment = {
      success: { 'arm-a': 0.3, 'arm-b': 0.4, 'arm-c': 0.85, 'arm-d': 0.5 },
      ctx: makeContext({ domain: 'code', budgetTier: 'low' }),
    };

    // Act
    const [legalPulls, codePulls] = play([legal, code], 4000, 77);

    // Assess
    expect(share(legalPulls.slice(-500), 'arm-a')).toBeGreaterThan(0.8);
    expect(share(codePulls.slice(-500), 'arm-c')).toBeGreaterThan(0.8);
  });
});
