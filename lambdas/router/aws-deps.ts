import { Logger } from '@aws-lambda-powertools/logger';
import { EmfMetrics } from '../core/adapters/aws/emf-metrics';
import { MemoryDecisionLog } from '../core/adapters/local/decision-log';
import { MemoryBanditStore } from '../core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../core/adapters/local/memory-latency-tracker';
import { type GatewayConfig, resolveConfig } from '../core/config/load';
import { staticCatalog } from '../core/gateway/plan';
import {
  createAdapters,
  envCredentials,
  providerTimeouts,
  unavailableProviderExclusions,
} from '../core/providers/registry';
import { defaultRng } from '../core/routing/bandit';
import { StaticTenantDirectory } from '../core/tenants/directory';
import type { RouterDeps } from './app';

/**
 * Reads the deployment's gateway config. The local-only `echo` provider is
 * refused here: it must never be reachable in an AWS deployment.
 */
export function loadAwsConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const raw: unknown = env.GATEWAY_CONFIG_JSON
    ? JSON.parse(env.GATEWAY_CONFIG_JSON)
    : {};
  const config = resolveConfig(raw, env, 'GATEWAY_CONFIG_JSON');
  const echo = config.providers.find((p) => p.type === 'echo');
  if (echo)
    throw new Error(`provider ${echo.id}: the echo provider is local-only`);
  return config;
}

/** Builds the router deps for the Lambda (one per container). */
export function composeAws(env: NodeJS.ProcessEnv = process.env): RouterDeps {
  const config = loadAwsConfig(env);
  const log = new Logger({ serviceName: 'ai-gateway-router' });
  const unavailable = unavailableProviderExclusions(
    config.providers,
    config.models
  );
  return {
    catalog: staticCatalog(config.models),
    routing: config.routing,
    bandit: new MemoryBanditStore(),
    latency: new MemoryLatencyTracker({
      alpha: config.routing.latencyEwmaAlpha,
    }),
    rng: defaultRng,
    externalExclusions: () => unavailable,
    adapters: createAdapters(config.providers, envCredentials(env), env),
    metrics: new EmfMetrics(),
    decisions: new MemoryDecisionLog(1000),
    log,
    keepAliveMs: config.server.keepAliveMs,
    attemptTimeoutMs: providerTimeouts(config.providers),
    streamIdleTimeoutMs: 60_000,
    tenants: new StaticTenantDirectory(config.tenants),
    providers: config.providers,
    maxBodyBytes: config.server.maxBodyBytes,
    startedAt: Date.now(),
    adminAuth: { mode: 'iam' },
  };
}
