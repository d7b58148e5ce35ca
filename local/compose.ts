import { Logger } from '@aws-lambda-powertools/logger';
import { createAdminRoutes, createControlPlane } from '../lambdas/admin/app';
import { MemoryDecisionLog } from '../lambdas/core/adapters/local/decision-log';
import {
  JsonlAuditLog,
  MemoryAuditLog,
} from '../lambdas/core/adapters/local/jsonl-audit-log';
import {
  MemoryExperimentStore,
  StaticExperimentFlags,
} from '../lambdas/core/adapters/local/memory-experiment-store';
import { MemoryKillSwitchStore } from '../lambdas/core/adapters/local/memory-kill-switches';
import {
  MemoryModelRegistry,
  MemoryRouteSetStore,
} from '../lambdas/core/adapters/local/memory-registry';
import { MemoryTenantDirectory } from '../lambdas/core/adapters/local/memory-tenants';
import { PrometheusMetrics } from '../lambdas/core/adapters/local/prometheus-metrics';
import type { BudgetLedger } from '../lambdas/core/budget/types';
import type { EmbeddingCacheStore } from '../lambdas/core/cache/embedding-cache';
import type { GatewayConfig } from '../lambdas/core/config/load';
import { statsJson } from '../lambdas/core/gateway/endpoints';
import type { Guardrail } from '../lambdas/core/guardrails/types';
import type { KillSwitchStore } from '../lambdas/core/kill-switches/types';
import type { LimitCounterStore } from '../lambdas/core/limits/types';
import type { GatewayMetrics, Log } from '../lambdas/core/ports';
import {
  createAdapters,
  envCredentials,
} from '../lambdas/core/providers/registry';
import type { ProviderAdapter } from '../lambdas/core/providers/types';
import { RegistryCatalog } from '../lambdas/core/registry/catalog';
import { DEFAULT_ROUTE_SET } from '../lambdas/core/registry/schema';
import type { Rng } from '../lambdas/core/routing/types';
import type { RouterApp, RouterDeps } from '../lambdas/router/app';
import { composeRouter, memoryBandit } from '../lambdas/router/compose';

/** Options of the local composition. */
export interface LocalComposeOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: Log;
  readonly metrics?: GatewayMetrics;
  /** Append decisions to this JSONL file (`GATEWAY_DECISION_LOG`). */
  readonly decisionLogPath?: string;
  /** Append audit records to this JSONL file (`GATEWAY_AUDIT_LOG`); memory when absent. */
  readonly auditLogPath?: string;
  readonly rng?: Rng;
  /** Replace adapters (tests). */
  readonly adapters?: Map<string, ProviderAdapter>;
  /** Replace the kill-switch store (tests sharing one store between routers). */
  readonly killSwitches?: KillSwitchStore;
  /** Clock (tests). */
  readonly now?: () => number;
  /** A managed guardrail behind the local rules (tests: a failing one). */
  readonly guardrail?: Guardrail;
  /** Replace the budget ledger (tests sharing one ledger between routers). @default - memory */
  readonly budgetLedger?: BudgetLedger;
  /** Replace the rate/token counters (tests sharing one store between routers). */
  readonly limitCounters?: LimitCounterStore;
  /** Shared embedding cache tier (tests: DynamoDB Local; default: per process). */
  readonly embeddingCacheStore?: EmbeddingCacheStore;
}

/**
 * Builds the router with local ports: the registry, route sets and kill
 * switches live in memory (seeded from the config file), the audit trail in
 * JSONL or memory, metrics in Prometheus, tenants from the config file.
 */
export function composeLocal(
  config: GatewayConfig,
  options: LocalComposeOptions = {}
): { app: RouterApp; deps: RouterDeps } {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const log =
    options.log ??
    new Logger({
      serviceName: 'ai-gateway',
      logLevel: (env.LOG_LEVEL?.toUpperCase() as 'INFO') ?? 'INFO',
    });
  const registry = new MemoryModelRegistry({ seed: config.models });
  const routeSets = new MemoryRouteSetStore({
    seed: [
      {
        name: DEFAULT_ROUTE_SET,
        models: [],
        updatedBy: 'config',
        description: 'every active model',
      },
    ],
  });
  const metrics = options.metrics ?? new PrometheusMetrics();
  const catalog = new RegistryCatalog({
    registry,
    routeSets,
    seed: config.models,
    log,
    now,
    onError: (kind) => metrics.event('RegistryError', 1, { Kind: kind }),
  });
  const killSwitches =
    options.killSwitches ??
    new MemoryKillSwitchStore({ initial: config.killSwitches, clock: now });
  const audit = options.auditLogPath
    ? new JsonlAuditLog({ path: options.auditLogPath })
    : new MemoryAuditLog();
  const tenants = new MemoryTenantDirectory(config.tenants);
  const bandit = memoryBandit(config, now);
  const control = createControlPlane({
    config,
    registry,
    routeSets,
    killSwitches,
    audit,
    bandit,
    log,
    metrics,
    keys: tenants,
    onChange: (what) => {
      if (what === 'models' || what === 'route-sets')
        void catalog.refresh({ force: true });
    },
  });
  return composeRouter({
    config,
    log,
    metrics,
    catalog,
    routeSetName: DEFAULT_ROUTE_SET,
    killSwitches,
    killSwitchFailOpen: false,
    decisions: new MemoryDecisionLog(10_000, options.decisionLogPath),
    tenants,
    adapters:
      options.adapters ??
      createAdapters(config.providers, envCredentials(env), env),
    bandit,
    // Same process as the router locally: stats see this process's state.
    admin: (deps) =>
      createAdminRoutes({
        config,
        registry,
        routeSets,
        killSwitches,
        audit,
        bandit,
        decisions: deps.decisions,
        tenants: deps.tenants,
        auth: { mode: 'key', key: env.GATEWAY_ADMIN_KEY || undefined },
        log,
        metrics,
        control,
        experiments: deps.experimentService,
        budgets: deps.budget?.ledger,
        stats: () =>
          statsJson(
            deps.catalog.list(),
            deps.latency,
            deps.bandit,
            deps.gate,
            deps.responseCache
          ),
      }),
    // Locally the experiment controller acts in process, through the same
    // audited control plane as the admin routes.
    experiments: {
      store: new MemoryExperimentStore(config.experiments.definitions),
      flags: new StaticExperimentFlags(config.experiments.flags),
      registry,
      routeSets,
      control,
    },
    rng: options.rng,
    budgetLedger: options.budgetLedger,
    limitCounters: options.limitCounters,
    embeddingCacheStore: options.embeddingCacheStore,
    now,
    guardrail: options.guardrail,
  });
}
