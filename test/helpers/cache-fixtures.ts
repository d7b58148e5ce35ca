import { MemoryBanditStore } from '../../lambdas/core/adapters/local/memory-bandit-store';
import { MemoryLatencyTracker } from '../../lambdas/core/adapters/local/memory-latency-tracker';
import { parseChatRequest } from '../../lambdas/core/api/chat-request';
import {
  type GatewayConfig,
  resolveConfig,
} from '../../lambdas/core/config/load';
import { planRoute, type RoutePlan } from '../../lambdas/core/gateway/plan';
import type { ResponseSink } from '../../lambdas/core/gateway/sink';
import type { GatewayMetrics } from '../../lambdas/core/ports';
import { seededRng } from '../../lambdas/core/routing/bandit';
import type { ChatRequest } from '../../lambdas/core/types';
import { echoConfig, TEST_KEY } from './gateway';

/** Two tenants over the echo model, as resolved config. */
export function twoTenantConfig(): GatewayConfig {
  return resolveConfig(
    echoConfig({
      tenants: [
        { id: 'acme', apiKeys: [TEST_KEY] },
        { id: 'globex', apiKeys: ['sk-globex-tenant-key-01'] },
      ],
    }),
    {},
    'test'
  );
}

/** A parsed request and its routing plan for a tenant of `config`. */
export function planned(
  config: GatewayConfig,
  tenantId: string,
  body: Record<string, unknown>
): {
  request: ChatRequest;
  plan: RoutePlan;
  tenant: GatewayConfig['tenants'][number];
} {
  const tenant = config.tenants.find((t) => t.id === tenantId)!;
  const request = parseChatRequest({
    model: 'echo',
    temperature: 0,
    ...body,
  });
  const plan = planRoute(request, tenant, {
    catalog: { list: () => config.models },
    routing: config.routing,
    bandit: new MemoryBanditStore(),
    latency: new MemoryLatencyTracker(),
    rng: seededRng(1),
  });
  return { request, plan, tenant };
}

/** A response sink that records what the core wrote. */
export class RecordingSink implements ResponseSink {
  public status?: number;
  public headers: Record<string, string> = {};
  public body = '';
  public ended = false;
  private readonly controller = new AbortController();
  public readonly signal = this.controller.signal;

  public send(status: number, headers: Record<string, string>, body: string) {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.ended = true;
  }
  public start(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
  }
  public write(chunk: string): undefined {
    this.body += chunk;
    return undefined;
  }
  public end() {
    this.ended = true;
  }
}

/** Metrics that count events by name. */
export class CountingMetrics implements GatewayMetrics {
  public readonly events = new Map<string, number>();
  public readonly requests: { cached?: boolean; costUsd?: number }[] = [];
  public request(o: { cached?: boolean; costUsd?: number }): void {
    this.requests.push(o);
  }
  public attempt(): void {}
  public event(name: string, value = 1): void {
    this.events.set(name, (this.events.get(name) ?? 0) + value);
  }
}
