import { GatewayError } from '../api/errors';
import type { ResolvedTenant } from '../config/load';
import type { ExperimentRouter } from '../experiments/service';
import { evaluateKillSwitches } from '../kill-switches/evaluate';
import type { KillSwitchStore } from '../kill-switches/types';
import type { CandidateGate } from '../resilience';
import type { ExternalExclusion } from '../routing/types';
import type { ChatRequest } from '../types';
import { planWithExperiment } from './experiment-plan';
import { type PlanDeps, planRoute, type RoutePlan } from './plan';

/** Dependencies of the request planner. */
export interface PlannerDeps extends PlanDeps {
  readonly killSwitches: KillSwitchStore;
  /** A never-read kill-switch store serves traffic instead of failing safe. */
  readonly killSwitchFailOpen: boolean;
  readonly gate: CandidateGate;
  /** Exclusions known at start-up (providers that aren't live). */
  readonly staticExclusions: ReadonlyMap<string, ExternalExclusion>;
  /** Route set the router serves (`route/<name>` kill switches). */
  readonly routeSetName: string;
  readonly now?: () => number;
  /** Experiment assignment (canary share, A/B variants). @default - none */
  readonly experiments?: ExperimentRouter;
}

/** A plan plus the kill switch that blocks the request, if any. */
export interface PlannedRequest {
  readonly plan: RoutePlan;
  readonly blocked?: { readonly scope: string; readonly reason?: string };
}

/**
 * Everything that happens before the routing core: refreshes the model
 * catalog and the kill switches within their staleness bounds, then merges
 * the exclusions the pure core can't know (dead providers, engaged
 * provider/model switches, open circuits) and plans the route.
 */
export class RequestPlanner {
  public constructor(private readonly deps: PlannerDeps) {}

  /** Plans a request; `blocked` is set when a global or route switch stops it. */
  public async plan(
    request: ChatRequest,
    tenant: ResolvedTenant
  ): Promise<PlannedRequest> {
    const { deps } = this;
    const [, snapshot] = await Promise.all([
      deps.catalog.refresh?.(),
      deps.killSwitches.snapshot(),
    ]);
    const models = deps.catalog.list();
    const verdict = evaluateKillSwitches(
      snapshot,
      {
        routeSet: deps.routeSetName,
        sampleKey: deps.rng(),
        now: (deps.now ?? Date.now)(),
      },
      models,
      { failOpen: deps.killSwitchFailOpen }
    );
    const external = new Map(deps.staticExclusions);
    for (const [id, ex] of verdict.excluded)
      if (!external.has(id)) external.set(id, ex);
    for (const m of models) {
      if (!external.has(m.id) && deps.gate.isOpen(m)) {
        external.set(m.id, {
          code: 'circuit_open',
          reason: `circuit ${m.provider}#${m.id} is open`,
        });
      }
    }
    const plan = await planWithExperiment(
      deps.experiments,
      {
        tenantId: tenant.id,
        user: request.user,
        models,
        routing: deps.routing,
      },
      external,
      (ext, routing) =>
        planRoute(
          request,
          tenant,
          routing === deps.routing ? deps : { ...deps, routing },
          ext
        )
    );
    return { plan, blocked: verdict.blocked };
  }
}

/** The 503 a global or route kill switch answers with, naming the switch. */
export function killSwitchError(blocked: {
  scope: string;
  reason?: string;
}): GatewayError {
  return new GatewayError(
    503,
    'service_unavailable',
    'kill_switch_engaged',
    `kill switch ${blocked.scope} is engaged${blocked.reason ? `: ${blocked.reason}` : ''}`,
    { headers: { 'retry-after': '30' }, param: null }
  );
}
