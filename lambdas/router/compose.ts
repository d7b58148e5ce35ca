import { MemoryBanditStore } from '../core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../core/adapters/local/memory-latency-tracker';
import { MemoryLimitCounters } from '../core/adapters/local/memory-limit-counters';
import type { AuditLog } from '../core/audit/types';
import type { GatewayConfig } from '../core/config/load';
import { ControlPlane } from '../core/control/control-plane';
import { modelEntryParser } from '../core/control/model-entry';
import { LimitStage } from '../core/gateway/limit-stage';
import type { ModelCatalog } from '../core/gateway/plan';
import type { KillSwitchStore } from '../core/kill-switches/types';
import { validateScope } from '../core/kill-switches/value';
import type { LimitCounterStore } from '../core/limits/types';
import type {
  BanditStore,
  DecisionLog,
  GatewayMetrics,
  Log,
} from '../core/ports';
import {
  providerTimeouts,
  unavailableProviderExclusions,
} from '../core/providers/registry';
import type { ProviderAdapter } from '../core/providers/types';
import type { ModelRegistryStore, RouteSetStore } from '../core/registry/types';
import {
  CandidateGate,
  CircuitBreakerRegistry,
  ProviderLimits,
  RetryBudget,
} from '../core/resilience';
import { defaultRng } from '../core/routing/bandit';
import type { Rng } from '../core/routing/types';
import type { TenantDirectory } from '../core/tenants/directory';
import type { ApiKeyStore } from '../core/tenants/keys';
import type { AdminAuth } from './admin';
import { createRouterApp, type RouterApp, type RouterDeps } from './app';

/** The host-specific parts (local: memory/JSONL/Prometheus; AWS: DynamoDB/SSM/EMF). */
export interface RouterParts {
  readonly config: GatewayConfig;
  readonly log: Log;
  readonly metrics: GatewayMetrics;
  readonly catalog: ModelCatalog & {
    refresh(options?: { force?: boolean }): Promise<void>;
  };
  readonly registry: ModelRegistryStore;
  readonly routeSets: RouteSetStore;
  readonly routeSetName: string;
  readonly killSwitches: KillSwitchStore;
  readonly killSwitchFailOpen: boolean;
  readonly audit: AuditLog;
  readonly decisions: DecisionLog;
  readonly tenants: TenantDirectory;
  /** Client keys behind `/v1/admin/tenants/{id}/keys` (absent: those routes answer 404). */
  readonly keys?: ApiKeyStore;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly adminAuth: AdminAuth;
  readonly bandit?: BanditStore;
  /** Shared rate/token counters (DynamoDB on AWS). @default per-process memory */
  readonly limitCounters?: LimitCounterStore;
  readonly rng?: Rng;
  readonly now?: () => number;
}

/**
 * Wires the router from its host parts: resilience (breakers, limits, retry
 * budget), the control plane behind the admin API, and the deps the app
 * needs. One composition for both hosts, so they can't drift apart.
 */
export function composeRouter(parts: RouterParts): {
  app: RouterApp;
  deps: RouterDeps;
} {
  const { config, log, metrics } = parts;
  const now = parts.now ?? Date.now;
  const bandit = parts.bandit ?? new MemoryBanditStore();
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
  const control = new ControlPlane({
    registry: parts.registry,
    routeSets: parts.routeSets,
    killSwitches: parts.killSwitches,
    audit: parts.audit,
    bandit,
    parseModelEntry: modelEntryParser(config.providers),
    validateScope,
    log,
    keys: parts.keys,
    onChange: (what) => {
      if (what === 'models' || what === 'route-sets')
        void parts.catalog.refresh({ force: true });
      if (what === 'kill-switches') metrics.event('KillSwitchChanged');
    },
  });
  const deps: RouterDeps = {
    catalog: parts.catalog,
    routing: config.routing,
    bandit,
    latency: new MemoryLatencyTracker({
      alpha: config.routing.latencyEwmaAlpha,
    }),
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
    adminAuth: parts.adminAuth,
    control,
    limits: new LimitStage({
      store: parts.limitCounters ?? new MemoryLimitCounters(now),
      settings: config.limits,
      defaultTier: config.routing.defaultTier,
      log,
      metrics,
      now,
    }),
    now,
  };
  return { app: createRouterApp(deps), deps };
}
