import { Logger } from '@aws-lambda-powertools/logger';
import { MemoryDecisionLog } from '../lambdas/core/adapters/local/decision-log';
import {
  JsonlAuditLog,
  MemoryAuditLog,
} from '../lambdas/core/adapters/local/jsonl-audit-log';
import { MemoryBanditStore } from '../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryKillSwitchStore } from '../lambdas/core/adapters/local/memory-kill-switches';
import { MemoryLatencyTracker } from '../lambdas/core/adapters/local/memory-latency-tracker';
import {
  MemoryModelRegistry,
  MemoryRouteSetStore,
} from '../lambdas/core/adapters/local/memory-registry';
import { PrometheusMetrics } from '../lambdas/core/adapters/local/prometheus-metrics';
import type { AuditLog } from '../lambdas/core/audit/types';
import type { GatewayConfig } from '../lambdas/core/config/load';
import { ControlPlane } from '../lambdas/core/control/control-plane';
import { modelEntryParser } from '../lambdas/core/control/model-entry';
import type { KillSwitchStore } from '../lambdas/core/kill-switches/types';
import { validateScope } from '../lambdas/core/kill-switches/value';
import type { GatewayMetrics, Log } from '../lambdas/core/ports';
import {
  createAdapters,
  envCredentials,
  providerTimeouts,
  unavailableProviderExclusions,
} from '../lambdas/core/providers/registry';
import type { ProviderAdapter } from '../lambdas/core/providers/types';
import { RegistryCatalog } from '../lambdas/core/registry/catalog';
import { DEFAULT_ROUTE_SET } from '../lambdas/core/registry/schema';
import {
  CandidateGate,
  CircuitBreakerRegistry,
  ProviderLimits,
  RetryBudget,
} from '../lambdas/core/resilience';
import { defaultRng } from '../lambdas/core/routing/bandit';
import type { Rng } from '../lambdas/core/routing/types';
import { StaticTenantDirectory } from '../lambdas/core/tenants/directory';
import {
  createRouterApp,
  type RouterApp,
  type RouterDeps,
} from '../lambdas/router/app';

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
}

/**
 * Builds the router deps from a config with local ports: the registry, route
 * sets and kill switches live in memory (seeded from the config file), the
 * audit trail in JSONL or memory, metrics in Prometheus.
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
  const catalog = new RegistryCatalog({
    registry,
    routeSets,
    seed: config.models,
    log,
    now,
  });
  const killSwitches =
    options.killSwitches ??
    new MemoryKillSwitchStore({ initial: config.killSwitches, clock: now });
  const audit: AuditLog = options.auditLogPath
    ? new JsonlAuditLog({ path: options.auditLogPath })
    : new MemoryAuditLog();
  const bandit = new MemoryBanditStore();
  const breakers = new CircuitBreakerRegistry({
    ...config.resilience.breaker,
    now,
  });
  breakers.onStateChange((c) => log.warn('circuit state changed', { ...c }));
  const gate = new CandidateGate(
    breakers,
    new ProviderLimits(config.resilience.providerLimits, { now })
  );
  const control = new ControlPlane({
    registry,
    routeSets,
    killSwitches,
    audit,
    bandit,
    parseModelEntry: modelEntryParser(config.providers),
    validateScope,
    log,
    onChange: (what) => {
      if (what === 'models' || what === 'route-sets')
        void catalog.refresh({ force: true });
    },
  });
  const deps: RouterDeps = {
    catalog,
    routing: config.routing,
    bandit,
    latency: new MemoryLatencyTracker({
      alpha: config.routing.latencyEwmaAlpha,
    }),
    rng: options.rng ?? defaultRng,
    staticExclusions: unavailableProviderExclusions(
      config.providers,
      config.models
    ),
    killSwitches,
    killSwitchFailOpen: false,
    routeSetName: DEFAULT_ROUTE_SET,
    gate,
    retryBudget: new RetryBudget({ ratio: config.resilience.retryBudgetRatio }),
    maxRetriesPerCandidate: config.resilience.maxRetriesPerCandidate,
    adapters:
      options.adapters ??
      createAdapters(config.providers, envCredentials(env), env),
    metrics: options.metrics ?? new PrometheusMetrics(),
    decisions: new MemoryDecisionLog(10_000, options.decisionLogPath),
    log,
    keepAliveMs: config.server.keepAliveMs,
    attemptTimeoutMs: providerTimeouts(config.providers),
    streamIdleTimeoutMs: config.resilience.streamIdleTimeoutMs,
    hardTimeoutMs: config.resilience.hardTimeoutMs,
    tenants: new StaticTenantDirectory(config.tenants),
    providers: config.providers,
    maxBodyBytes: config.server.maxBodyBytes,
    startedAt: now(),
    adminAuth: { mode: 'key', key: env.GATEWAY_ADMIN_KEY || undefined },
    control,
    now,
  };
  return { app: createRouterApp(deps), deps };
}
