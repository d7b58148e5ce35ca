import type { BanditStore, LatencyTracker } from '../core/ports';
import type { ModelConfig } from '../core/types';

/**
 * `GET /v1/admin/stats` in the admin Lambda: latency estimates and bandit
 * posteriors from the state every router container shares, so the answer
 * does not depend on which container serves it. Circuit breakers and
 * provider limits live in each router container and are not shared: they
 * are `null` here (see the `CircuitOpen` metric and `/v1/stats`).
 */
export function sharedStatsJson(
  models: readonly ModelConfig[],
  latency: LatencyTracker,
  bandit: BanditStore
): Record<string, unknown> {
  return {
    object: 'stats',
    source: 'shared',
    circuits: null,
    provider_limits: null,
    models: models.map((m) => {
      const estimate = latency.estimate(m.id);
      return {
        model: m.id,
        provider: m.provider,
        observations: latency.count(m.id),
        latency_ewma_ms: estimate === undefined ? null : Math.round(estimate),
      };
    }),
    bandit: bandit.snapshot(),
  };
}
