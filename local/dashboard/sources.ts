import type { ExperimentService } from '../../lambdas/core/experiments/service';
import type { CacheStage } from '../../lambdas/core/gateway/cache-stage';
import type { DashboardExperiment, DashboardSources } from './data';

/**
 * The dashboard's cache and experiment panels from the router's own
 * modules: the response cache's counters, and every live experiment's
 * tracker buckets with their success rate and 95% interval.
 */
export function routerDashboardSources(deps: {
  readonly responseCache?: CacheStage;
  readonly experimentService?: ExperimentService;
}): DashboardSources {
  return {
    cache: () => {
      const s = deps.responseCache?.stats();
      return s ? { hits: s.hits ?? 0, misses: s.misses ?? 0 } : undefined;
    },
    experiments: async () => {
      const service = deps.experimentService;
      if (!service) return [];
      const out: DashboardExperiment[] = [];
      for (const e of await service.list()) {
        const r = await service.results(e.id);
        out.push({
          id: e.id,
          status: e.stage ? `${e.status} (${e.stage})` : e.status,
          variants: Object.entries(r.variants).map(([name, v]) => ({
            name,
            n: v.n,
            rate: v.success.value,
            ci95: v.success.ci95,
          })),
        });
      }
      return out;
    },
  };
}
