import type { ResolvedRouting } from '../config/load';
import type { ExperimentRouter } from '../experiments/service';
import type { ExternalExclusion } from '../routing/types';
import type { ModelConfig } from '../types';
import type { RoutePlan } from './plan';

/**
 * Plans a request under the experiment that applies to it (if any): the
 * variant's exclusions and routing settings go into the plan, and a forcing
 * variant's model becomes the choice. When the variant can't be honoured
 * (its model is not eligible for this request, or its exclusions leave no
 * candidate) the request is planned as if there were no experiment and is
 * left out of it, so an experiment never fails a request.
 */
export async function planWithExperiment(
  router: ExperimentRouter | undefined,
  input: {
    readonly tenantId: string;
    readonly user?: string;
    readonly models: readonly ModelConfig[];
    readonly routing: ResolvedRouting;
  },
  external: Map<string, ExternalExclusion>,
  plan: (
    external: ReadonlyMap<string, ExternalExclusion>,
    routing: ResolvedRouting
  ) => RoutePlan
): Promise<RoutePlan> {
  const route = router
    ? await router.route(input).catch(() => undefined)
    : undefined;
  if (!route) return plan(external, input.routing);
  const merged = new Map(external);
  for (const [id, ex] of route.exclusions)
    if (!merged.has(id)) merged.set(id, ex);
  const planned = plan(merged, route.routing);
  const decision = route.finish(planned.decision);
  if (!decision) return plan(external, input.routing);
  // Object.assign, not a spread that adds a key (V8's slow path, ~0.6 µs).
  return Object.assign({}, planned, {
    decision,
    experiment: route.assignment,
  });
}
