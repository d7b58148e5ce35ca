import type { ControlPlane } from '../control/control-plane';
import { ExperimentHooks, type ShadowBudget } from '../gateway/shadow';
import type { GatewayMetrics, Log } from '../ports';
import type { ProviderAdapter } from '../providers/types';
import type { ModelRegistryStore, RouteSetStore } from '../registry/types';
import type { Rng } from '../routing/types';
import type { ExperimentsSettings } from './config';
import { ExperimentService, type VariantAssigner } from './service';
import type { ExperimentFlags, ExperimentStore } from './types';

/** The host parts experiments need (memory locally, DynamoDB/AppConfig on AWS). */
export interface ExperimentParts {
  readonly store: ExperimentStore;
  readonly flags: ExperimentFlags;
  /** @default - native bucketing */
  readonly assigner?: VariantAssigner;
  /** @default - shadow spend metered only */
  readonly budget?: ShadowBudget;
}

/**
 * Builds the experiment service and the chat-service hooks from the
 * router's parts: shadow models are looked up in the registry whatever
 * their status (a shadow model is not in the routable catalog), route-set
 * variants read the route set's models (an empty route set = no
 * restriction).
 */
export function createExperiments(args: {
  readonly parts: ExperimentParts;
  readonly settings: ExperimentsSettings;
  readonly control: ControlPlane;
  readonly registry: ModelRegistryStore;
  readonly routeSets: RouteSetStore;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly metrics: GatewayMetrics;
  readonly log: Log;
  readonly now?: () => number;
  readonly rng?: Rng;
}): { service: ExperimentService; hooks: ExperimentHooks } {
  const service = new ExperimentService({
    store: args.parts.store,
    flags: args.parts.flags,
    control: args.control,
    log: args.log,
    metrics: args.metrics,
    evaluateEvery: args.settings.evaluateEvery,
    modelLookup: async (id) => (await args.registry.history(id))[0]?.config,
    routeSetModels: async (name) => {
      const doc = await args.routeSets.active(name);
      return doc && doc.models.length > 0
        ? doc.models.map((m) => m.id)
        : undefined;
    },
    ...(args.parts.assigner ? { assigner: args.parts.assigner } : {}),
    ...(args.now ? { now: args.now } : {}),
    ...(args.rng ? { rng: args.rng } : {}),
  });
  const hooks = new ExperimentHooks({
    experiments: service,
    adapters: args.adapters,
    metrics: args.metrics,
    log: args.log,
    maxInFlight: args.settings.maxShadowInFlight,
    timeoutMs: args.settings.shadowTimeoutMs,
    ...(args.parts.budget ? { budget: args.parts.budget } : {}),
    ...(args.now ? { now: args.now } : {}),
  });
  return { service, hooks };
}
