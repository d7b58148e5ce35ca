/**
 * Canary simulation: how many requests it takes, with nobody involved, to
 * detect a regressed canary and roll it back through the control plane
 * (goal <= 500), and how often an equal canary is rolled back by mistake.
 * The real ExperimentService, memory stores and ControlPlane run; only the
 * models' outcomes are synthetic (seeded). Run alone: `npx tsx bench/canary-sim.ts`.
 */

import { MemoryAuditLog } from '../lambdas/core/adapters/local/jsonl-audit-log';
import { MemoryBanditStore } from '../lambdas/core/adapters/local/memory-bandit-store';
import {
  MemoryExperimentStore,
  StaticExperimentFlags,
} from '../lambdas/core/adapters/local/memory-experiment-store';
import { MemoryKillSwitchStore } from '../lambdas/core/adapters/local/memory-kill-switches';
import {
  MemoryModelRegistry,
  MemoryRouteSetStore,
} from '../lambdas/core/adapters/local/memory-registry';
import { type GatewayConfig, resolveConfig } from '../lambdas/core/config/load';
import { ControlPlane } from '../lambdas/core/control/control-plane';
import { modelEntryParser } from '../lambdas/core/control/model-entry';
import { ExperimentService } from '../lambdas/core/experiments/service';
import {
  type ExperimentInput,
  resolveExperiment,
} from '../lambdas/core/experiments/types';
import { validateScope } from '../lambdas/core/kill-switches/value';
import type { Log } from '../lambdas/core/ports';
import { seededRng } from '../lambdas/core/routing/bandit';
import type { Rng } from '../lambdas/core/routing/types';

/** One model's synthetic behaviour. */
export interface SimArm {
  /** Share of failed requests. */
  readonly errorRate: number;
  /** Median latency, ms (log-normal, sigma 0.3). */
  readonly latencyMs: number;
  readonly costUsd: number;
}

/** Options of one simulated canary. */
export interface CanaryRunOptions {
  readonly seed: number;
  readonly control: SimArm;
  readonly canary: SimArm;
  /** @default 0.1 */
  readonly canaryShare?: number;
  /** Stop after this many requests if nothing was decided. @default 5000 */
  readonly maxRequests?: number;
  /** Distinct users (sticky bucketing). @default 2000 */
  readonly users?: number;
  /** @default 25 */
  readonly evaluateEvery?: number;
  /** @default 200 */
  readonly minSamples?: number;
}

/** What happened in one simulated canary. */
export interface CanaryRun {
  readonly outcome: 'rolled_back' | 'promoted' | 'undecided';
  /** Requests (all traffic) until the decision. */
  readonly requests: number;
  /** Of which served by the canary. */
  readonly canaryRequests: number;
  /** The model kill switch was engaged by the rollback. */
  readonly killSwitchEngaged: boolean;
  /** Audit actions written, oldest first. */
  readonly audit: readonly string[];
}

const SILENT: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function simConfig(): GatewayConfig {
  return resolveConfig(
    {
      providers: { echo: { type: 'echo' } },
      models: [
        { id: 'stable', provider: 'echo', providerModelId: 'stable' },
        {
          id: 'next',
          provider: 'echo',
          providerModelId: 'next',
          status: 'shadow',
        },
      ],
      tenants: [{ id: 'acme', apiKeys: ['sk-sim-0000000000000'] }],
    },
    {},
    'canary-sim'
  );
}

/** A control plane over memory stores, as the local gateway builds it. */
export function memoryControlPlane(config: GatewayConfig): {
  control: ControlPlane;
  killSwitches: MemoryKillSwitchStore;
  registry: MemoryModelRegistry;
  audit: MemoryAuditLog;
} {
  const registry = new MemoryModelRegistry({ seed: config.models });
  const killSwitches = new MemoryKillSwitchStore();
  const audit = new MemoryAuditLog();
  const control = new ControlPlane({
    registry,
    routeSets: new MemoryRouteSetStore({
      seed: [{ name: 'active-models', models: [], updatedBy: 'config' }],
    }),
    killSwitches,
    audit,
    bandit: new MemoryBanditStore(),
    parseModelEntry: modelEntryParser(config.providers),
    validateScope,
    log: SILENT,
  });
  return { control, killSwitches, registry, audit };
}

function draw(
  arm: SimArm,
  rng: Rng
): { ok: boolean; latencyMs: number; costUsd: number } {
  const u1 = 1 - rng();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
  const ok = rng() >= arm.errorRate;
  return {
    ok,
    latencyMs: arm.latencyMs * Math.exp(0.3 * z),
    costUsd: ok ? arm.costUsd * (0.8 + 0.4 * rng()) : 0,
  };
}

/** Runs one canary until it is rolled back, promoted, or maxRequests pass. */
export async function runCanary(opts: CanaryRunOptions): Promise<CanaryRun> {
  const config = simConfig();
  const { control, killSwitches, audit } = memoryControlPlane(config);
  const rng = seededRng(opts.seed);
  const input: ExperimentInput = {
    id: 'next-rollout',
    kind: 'rollout',
    rollout: {
      model: 'next',
      stage: 'canary',
      canaryShare: opts.canaryShare ?? 0.1,
    },
    minSamples: opts.minSamples ?? 200,
  };
  const store = new MemoryExperimentStore([
    { ...resolveExperiment(input, 'sim', new Date(0)), status: 'running' },
  ]);
  await control.setModelStatus('next', 'canary', {
    who: 'sim',
    reason: 'canary start',
  });
  const service = new ExperimentService({
    store,
    flags: new StaticExperimentFlags(),
    control,
    log: SILENT,
    evaluateEvery: opts.evaluateEvery ?? 25,
    // The simulation has no wall clock: re-read state on every request.
    cacheMs: 0,
    rng,
  });
  const users = opts.users ?? 2000;
  const max = opts.maxRequests ?? 5000;
  let canaryRequests = 0;
  for (let i = 1; i <= max; i++) {
    const user = `user-${Math.floor(rng() * users)}`;
    const route = await service.route({
      tenantId: 'acme',
      user,
      models: config.models,
      routing: config.routing,
    });
    if (route) {
      const isCanary = route.assignment.model === 'next';
      if (isCanary) canaryRequests++;
      await service.observe(
        route.assignment.experimentId,
        route.assignment.bucket,
        draw(isCanary ? opts.canary : opts.control, rng)
      );
    }
    const e = await store.get('next-rollout');
    if (
      e?.status === 'rolled_back' ||
      e?.status === 'completed' ||
      e?.stage === 'active'
    ) {
      const ks = await killSwitches.get('model/next');
      const trail = await audit.list({ limit: 100 });
      return {
        outcome: e.status === 'rolled_back' ? 'rolled_back' : 'promoted',
        requests: i,
        canaryRequests,
        killSwitchEngaged: ks?.state === 'on',
        audit: trail.map((r) => r.what).reverse(),
      };
    }
  }
  return {
    outcome: 'undecided',
    requests: max,
    canaryRequests,
    killSwitchEngaged: false,
    audit: [],
  };
}

/** The baseline model of the figures. */
export const BASELINE: SimArm = {
  errorRate: 0.01,
  latencyMs: 800,
  costUsd: 0.002,
};

/** The regressed canary of the figures: 8% errors instead of 1%, 30% slower. */
export const REGRESSED: SimArm = {
  errorRate: 0.08,
  latencyMs: 1040,
  costUsd: 0.002,
};

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Figures of the canary simulation (bench/run.ts prints them). */
export interface CanaryFigures {
  readonly scenario: string;
  readonly canaryShare: number;
  readonly regressed: {
    readonly runs: number;
    readonly rolledBack: number;
    readonly medianRequests: number;
    readonly maxRequests: number;
    readonly medianCanaryRequests: number;
    /** Runs rolled back within the 500-request goal. */
    readonly withinGoal: number;
  };
  readonly equal: {
    readonly runs: number;
    readonly falseRollbacks: number;
    readonly promoted: number;
    readonly medianRequestsToPromote: number;
  };
}

/** Runs `runs` regressed and `runs` equal canaries (seeded). */
export async function canaryFigures(
  runs = 20,
  seed = 1
): Promise<CanaryFigures> {
  const canaryShare = 0.1;
  const bad: CanaryRun[] = [];
  const same: CanaryRun[] = [];
  for (let r = 0; r < runs; r++) {
    bad.push(
      await runCanary({
        seed: seed + r,
        control: BASELINE,
        canary: REGRESSED,
        canaryShare,
        maxRequests: 3000,
      })
    );
    same.push(
      await runCanary({
        seed: 10_000 + seed + r,
        control: BASELINE,
        canary: BASELINE,
        canaryShare,
        maxRequests: 8000,
      })
    );
  }
  const rolled = bad.filter((x) => x.outcome === 'rolled_back');
  const promoted = same.filter((x) => x.outcome === 'promoted');
  return {
    scenario:
      'canary errors 1% -> 8% and latency +30% vs baseline; 10% canary share',
    canaryShare,
    regressed: {
      runs,
      rolledBack: rolled.length,
      medianRequests: quantile(
        rolled.map((x) => x.requests),
        0.5
      ),
      maxRequests: Math.max(...rolled.map((x) => x.requests)),
      medianCanaryRequests: quantile(
        rolled.map((x) => x.canaryRequests),
        0.5
      ),
      withinGoal: rolled.filter((x) => x.requests <= 500).length,
    },
    equal: {
      runs,
      falseRollbacks: same.filter((x) => x.outcome === 'rolled_back').length,
      promoted: promoted.length,
      medianRequestsToPromote: quantile(
        promoted.map((x) => x.requests),
        0.5
      ),
    },
  };
}

if (require.main === module) {
  void canaryFigures().then((f) => {
    process.stdout.write(`${JSON.stringify(f, null, 2)}\n`);
  });
}
