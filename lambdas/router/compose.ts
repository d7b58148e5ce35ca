import type { AdminRoutes } from '../admin/app';
import { MemoryBanditStore } from '../core/adapters/local/memory-bandit-store';
import { MemoryBudgetAlerts } from '../core/adapters/local/memory-budget-alerts';
import { MemoryBudgetLedger } from '../core/adapters/local/memory-budget-ledger';
import { MemoryLatencyTracker } from '../core/adapters/local/memory-latency-tracker';
import { MemoryLimitCounters } from '../core/adapters/local/memory-limit-counters';
import { CostStats } from '../core/budget/cost-stats';
import { BudgetGuard } from '../core/budget/guard';
import { budgetShadowBudget } from '../core/budget/shadow-budget';
import type { BudgetAlertSink, BudgetLedger } from '../core/budget/types';
import type { ResponseCacheStore } from '../core/cache/types';
import type { GatewayConfig } from '../core/config/load';
import {
  createExperiments,
  type ExperimentParts,
} from '../core/experiments/wiring';
import { createCacheStage } from '../core/gateway/cache-stage';
import { EmbeddingCache } from '../core/gateway/embedding-cache';
import { LimitStage } from '../core/gateway/limit-stage';
import type { ModelCatalog } from '../core/gateway/plan';
import { OutputGuard } from '../core/guardrails/output-filter';
import { GuardrailService } from '../core/guardrails/service';
import type { Guardrail } from '../core/guardrails/types';
import type { KillSwitchStore } from '../core/kill-switches/types';
import { rewardWeightsFor } from '../core/learning/config';
import type { LimitCounterStore } from '../core/limits/types';
import { resolveMediaSettings } from '../core/media/config';
import { createMediaResolver } from '../core/media/resolve';
import type {
  BanditStore,
  DecisionLog,
  GatewayMetrics,
  LatencyTracker,
  Log,
} from '../core/ports';
import {
  providerTimeouts,
  unavailableProviderExclusions,
} from '../core/providers/registry';
import type { ProviderAdapter } from '../core/providers/types';
import {
  CandidateGate,
  CircuitBreakerRegistry,
  ProviderLimits,
  RetryBudget,
} from '../core/resilience';
import { defaultRng } from '../core/routing/bandit';
import type { Rng } from '../core/routing/types';
import type { TenantDirectory } from '../core/tenants/directory';
import { createRouterApp, type RouterApp, type RouterDeps } from './app';

/** The host-specific parts (local: memory/JSONL/Prometheus; AWS: DynamoDB/SSM/EMF). */
export interface RouterParts {
  readonly config: GatewayConfig;
  readonly log: Log;
  readonly metrics: GatewayMetrics;
  readonly catalog: ModelCatalog & {
    refresh(options?: { force?: boolean }): Promise<void>;
  };
  readonly routeSetName: string;
  readonly killSwitches: KillSwitchStore;
  readonly killSwitchFailOpen: boolean;
  readonly decisions: DecisionLog;
  readonly tenants: TenantDirectory;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  /**
   * `/v1/admin/*` served in this process (local host). On AWS the admin
   * Lambda serves them, so the router bundle carries no admin code.
   * @default - admin routes answer 404
   */
  readonly admin?: (deps: RouterDeps) => AdminRoutes;
  readonly bandit?: BanditStore;
  /** Latency estimates (fleet-shared on AWS); memory when absent. */
  readonly latency?: LatencyTracker;
  /** Experiment store and flags. @default - no experiments */
  readonly experiments?: ExperimentParts;
  /** Budget ledger. @default - in memory (one process) */
  readonly budgetLedger?: BudgetLedger;
  /** Budget alert transport. @default - log line + metric */
  readonly budgetAlerts?: BudgetAlertSink;
  /** Shared rate/token counters (DynamoDB on AWS). @default per-process memory */
  readonly limitCounters?: LimitCounterStore;
  readonly rng?: Rng;
  readonly now?: () => number;
  /** Shared response cache behind the LRU (DynamoDB on AWS). @default - LRU only */
  readonly cacheStore?: ResponseCacheStore;
  /** Managed guardrail (Bedrock ApplyGuardrail); local rules only when absent. */
  readonly guardrail?: Guardrail;
}

/** An in-process bandit with the configured prior and decay. */
export function memoryBandit(
  config: GatewayConfig,
  now: () => number
): MemoryBanditStore {
  const { success } = config.learning;
  return new MemoryBanditStore({
    prior: { alpha: success.priorAlpha, beta: success.priorBeta },
    halfLifeMs: success.halfLifeMs,
    now,
  });
}

/**
 * Wires the router from its host parts: resilience (breakers, limits, retry
 * budget) and the deps the app needs; the admin routes when the host
 * asks for them. One composition for both hosts, so they can't drift apart.
 */
export function composeRouter(parts: RouterParts): {
  app: RouterApp;
  deps: RouterDeps;
} {
  const { config, log, metrics } = parts;
  const now = parts.now ?? Date.now;
  const learning = config.learning;
  const bandit = parts.bandit ?? memoryBandit(config, now);
  const breakers = new CircuitBreakerRegistry({
    ...config.resilience.breaker,
    now,
  });
  breakers.onStateChange((change) => {
    log.warn('circuit state changed', { ...change });
    const [provider, model] = change.key.split('#');
    metrics.event('CircuitOpen', change.to === 'open' ? 1 : 0, {
      Provider: provider ?? '',
      Model: model ?? '',
    });
  });
  const gate = new CandidateGate(
    breakers,
    new ProviderLimits(config.resilience.providerLimits, { now })
  );
  const guardrails = new GuardrailService({
    settings: config.guardrails,
    remote: parts.guardrail,
    metrics,
    log,
    now,
  });
  const budget = new BudgetGuard({
    ledger: parts.budgetLedger ?? new MemoryBudgetLedger(),
    settings: config.budgets,
    alerts: parts.budgetAlerts ?? new MemoryBudgetAlerts(),
    metrics,
    log,
    now,
  });
  const experiments = parts.experiments
    ? createExperiments({
        // Shadow copies spend from the same budgets as live traffic.
        parts: { budget: budgetShadowBudget(budget), ...parts.experiments },
        settings: config.experiments,
        adapters: parts.adapters,
        metrics,
        log,
        now,
        ...(parts.rng ? { rng: parts.rng } : {}),
      })
    : undefined;
  const deps: RouterDeps = {
    catalog: parts.catalog,
    routing: config.routing,
    bandit,
    latency:
      parts.latency ?? new MemoryLatencyTracker({ ...learning.latency, now }),
    exploration: learning.exploration,
    rewardWeights: (domain) => rewardWeightsFor(learning, domain),
    rng: parts.rng ?? defaultRng,
    staticExclusions: unavailableProviderExclusions(
      config.providers,
      config.models
    ),
    killSwitches: parts.killSwitches,
    killSwitchFailOpen: parts.killSwitchFailOpen,
    routeSetName: parts.routeSetName,
    gate,
    retryBudget: new RetryBudget({ ratio: config.resilience.retryBudgetRatio }),
    maxRetriesPerCandidate: config.resilience.maxRetriesPerCandidate,
    adapters: parts.adapters,
    metrics,
    decisions: parts.decisions,
    log,
    keepAliveMs: config.server.keepAliveMs,
    attemptTimeoutMs: providerTimeouts(config.providers),
    streamIdleTimeoutMs: config.resilience.streamIdleTimeoutMs,
    hardTimeoutMs: config.resilience.hardTimeoutMs,
    tenants: parts.tenants,
    providers: config.providers,
    maxBodyBytes: config.server.maxBodyBytes,
    startedAt: now(),
    experiments: experiments?.service,
    experimentService: experiments?.service,
    experimentHooks: experiments?.hooks,
    costs: new CostStats(),
    budget,
    limits: new LimitStage({
      store: parts.limitCounters ?? new MemoryLimitCounters(now),
      settings: config.limits,
      defaultTier: config.routing.defaultTier,
      log,
      metrics,
      now,
    }),
    now,
    responseCache: createCacheStage(config.cache, {
      store: parts.cacheStore,
      metrics,
      log,
      now,
    }),
    embeddingCache: config.cache.enabled
      ? new EmbeddingCache(config.cache)
      : undefined,
    guardrails,
    outputGuard: new OutputGuard(guardrails),
    media: createMediaResolver(config.media ?? resolveMediaSettings(undefined)),
  };
  const admin = parts.admin?.(deps);
  const all: RouterDeps = admin ? { ...deps, admin } : deps;
  return { app: createRouterApp(all), deps: all };
}
