import { Logger } from '@aws-lambda-powertools/logger';
import { MemoryDecisionLog } from '../lambdas/core/adapters/local/decision-log';
import {
  JsonlAuditLog,
  MemoryAuditLog,
} from '../lambdas/core/adapters/local/jsonl-audit-log';
import { MemoryKillSwitchStore } from '../lambdas/core/adapters/local/memory-kill-switches';
import {
  MemoryModelRegistry,
  MemoryRouteSetStore,
} from '../lambdas/core/adapters/local/memory-registry';
import { MemoryTenantDirectory } from '../lambdas/core/adapters/local/memory-tenants';
import { PrometheusMetrics } from '../lambdas/core/adapters/local/prometheus-metrics';
import type { GatewayConfig } from '../lambdas/core/config/load';
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
import { composeRouter } from '../lambdas/router/compose';

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
  /** Replace the rate/token counters (tests sharing one store between routers). */
  readonly limitCounters?: LimitCounterStore;
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
  const tenants = new MemoryTenantDirectory(config.tenants);
  return composeRouter({
    config,
    log,
    metrics,
    catalog: new RegistryCatalog({
      registry,
      routeSets,
      seed: config.models,
      log,
      now,
      onError: (kind) => metrics.event('RegistryError', 1, { Kind: kind }),
    }),
    registry,
    routeSets,
    routeSetName: DEFAULT_ROUTE_SET,
    killSwitches:
      options.killSwitches ??
      new MemoryKillSwitchStore({ initial: config.killSwitches, clock: now }),
    killSwitchFailOpen: false,
    audit: options.auditLogPath
      ? new JsonlAuditLog({ path: options.auditLogPath })
      : new MemoryAuditLog(),
    decisions: new MemoryDecisionLog(10_000, options.decisionLogPath),
    tenants,
    keys: tenants,
    adapters:
      options.adapters ??
      createAdapters(config.providers, envCredentials(env), env),
    adminAuth: { mode: 'key', key: env.GATEWAY_ADMIN_KEY || undefined },
    rng: options.rng,
    limitCounters: options.limitCounters,
    now,
  });
}
