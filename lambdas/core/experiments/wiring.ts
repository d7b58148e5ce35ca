import { ExperimentHooks, type ShadowBudget } from '../gateway/shadow';
import type { GatewayMetrics, Log } from '../ports';
import type { ProviderAdapter } from '../providers/types';
import type { ModelRegistryStore, RouteSetStore } from '../registry/types';
import type { Rng } from '../routing/types';
import type { ExperimentsSettings } from './config';
import type { RolloutStep } from './rollout';
import {
  ExperimentService,
  type RolloutControl,
  type VariantAssigner,
} from './service';
import type { ExperimentFlags, ExperimentStore } from './types';

/** The host parts experiments need (memory locally, DynamoDB/AppConfig on AWS). */
export interface ExperimentParts {
  readonly store: ExperimentStore;
  readonly flags: ExperimentFlags;
  /** @default - native bucketing */
  readonly assigner?: VariantAssigner;
  /** @default - shadow spend metered only */
  readonly budget?: ShadowBudget;
  /** Shadow models are looked up here whatever their status. */
  readonly registry: Pick<ModelRegistryStore, 'history'>;
  /** Route-set variants read their models here. */
  readonly routeSets: Pick<RouteSetStore, 'active'>;
  /** Acts on verdicts (local host, admin function). */
  readonly control: RolloutControl;
  /** Set where this process may not act (the AWS router): verdicts go here. */
  readonly delegate?: (
    experimentId: string,
    step: RolloutStep
  ) => Promise<void>;
}

/**
 * The experiment service alone (no shadow hooks): what the admin function
 * runs to serve the experiments routes and act on rollout verdicts.
 */
export function createExperimentService(args: {
  readonly parts: ExperimentParts;
  readonly settings: ExperimentsSettings;
  readonly metrics: GatewayMetrics;
  readonly log: Log;
  readonly now?: () => number;
  readonly rng?: Rng;
}): ExperimentService {
  return new ExperimentService({
    store: args.parts.store,
    flags: args.parts.flags,
    control: args.parts.control,
    ...(args.parts.delegate ? { delegate: args.parts.delegate } : {}),
    log: args.log,
    metrics: args.metrics,
    evaluateEvery: args.settings.evaluateEvery,
    modelLookup: async (id) =>
      (await args.parts.registry.history(id))[0]?.config,
    routeSetModels: async (name) => {
      const doc = await args.parts.routeSets.active(name);
      return doc && doc.models.length > 0
        ? doc.models.map((m) => m.id)
        : undefined;
    },
    ...(args.parts.assigner ? { assigner: args.parts.assigner } : {}),
    ...(args.now ? { now: args.now } : {}),
    ...(args.rng ? { rng: args.rng } : {}),
  });
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
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly metrics: GatewayMetrics;
  readonly log: Log;
  readonly now?: () => number;
  readonly rng?: Rng;
}): { service: ExperimentService; hooks: ExperimentHooks } {
  const service = createExperimentService(args);
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
