import { Logger } from '@aws-lambda-powertools/logger';
import { MemoryDecisionLog } from '../lambdas/core/adapters/local/decision-log';
import { MemoryBanditStore } from '../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../lambdas/core/adapters/local/memory-latency-tracker';
import { PrometheusMetrics } from '../lambdas/core/adapters/local/prometheus-metrics';
import type { GatewayConfig } from '../lambdas/core/config/load';
import { staticCatalog } from '../lambdas/core/gateway/plan';
import type { GatewayMetrics, Log } from '../lambdas/core/ports';
import {
  createAdapters,
  envCredentials,
  providerTimeouts,
  unavailableProviderExclusions,
} from '../lambdas/core/providers/registry';
import type { ProviderAdapter } from '../lambdas/core/providers/types';
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
  readonly rng?: Rng;
  /** Replace adapters (tests). */
  readonly adapters?: Map<string, ProviderAdapter>;
  /** Longest silence tolerated mid-stream, ms. */
  readonly streamIdleTimeoutMs?: number;
}

/** Builds the router deps from a config with local (in-memory) ports. */
export function composeLocal(
  config: GatewayConfig,
  options: LocalComposeOptions = {}
): { app: RouterApp; deps: RouterDeps } {
  const env = options.env ?? process.env;
  const log =
    options.log ??
    new Logger({
      serviceName: 'ai-gateway',
      logLevel: (env.LOG_LEVEL as 'INFO') ?? 'INFO',
    });
  const unavailable = unavailableProviderExclusions(
    config.providers,
    config.models
  );
  const deps: RouterDeps = {
    catalog: staticCatalog(config.models),
    routing: config.routing,
    bandit: new MemoryBanditStore(),
    latency: new MemoryLatencyTracker({
      alpha: config.routing.latencyEwmaAlpha,
    }),
    rng: options.rng ?? defaultRng,
    externalExclusions: () => unavailable,
    adapters:
      options.adapters ??
      createAdapters(config.providers, envCredentials(env), env),
    metrics: options.metrics ?? new PrometheusMetrics(),
    decisions: new MemoryDecisionLog(10_000, options.decisionLogPath),
    log,
    keepAliveMs: config.server.keepAliveMs,
    attemptTimeoutMs: providerTimeouts(config.providers),
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? 60_000,
    tenants: new StaticTenantDirectory(config.tenants),
    providers: config.providers,
    maxBodyBytes: config.server.maxBodyBytes,
    startedAt: Date.now(),
  };
  return { app: createRouterApp(deps), deps };
}
