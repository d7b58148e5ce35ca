import type { ResolvedRouting } from '../config/load';
import type { Actor, ControlPlane } from '../control/control-plane';
import type { GatewayMetrics, Log } from '../ports';
import { defaultRng } from '../routing/bandit';
import type { ExternalExclusion, Rng, RoutingDecision } from '../routing/types';
import type { BudgetTier, ModelConfig } from '../types';
import {
  type Assignment,
  appliesTo,
  assign,
  bucketPosition,
  forceModel,
  variantExclusions,
} from './assignment';
import { type RolloutStep, rolloutStep } from './rollout';
import {
  type AbVerdict,
  type GateVerdict,
  judgeAb,
  judgeCandidate,
  summarize,
  type VariantSummary,
} from './tracker';
import {
  bucketKey,
  EMPTY_COUNTS,
  type Experiment,
  ExperimentError,
  type ExperimentFlags,
  type ExperimentInput,
  type ExperimentStore,
  experimentInputSchema,
  isLive,
  type Observation,
  resolveExperiment,
  type Stage,
} from './types';

/** The control-plane actions a rollout uses (each audited by the control plane). */
export type RolloutControl = Pick<
  ControlPlane,
  'setModelStatus' | 'setKillSwitch' | 'rollbackRouteSet' | 'recordChange'
>;

/** Who automatic transitions are attributed to in the audit trail. */
export const CONTROLLER_ACTOR = 'experiment-controller';

/** Dependencies of {@link ExperimentService}. */
export interface ExperimentServiceDeps {
  readonly store: ExperimentStore;
  readonly flags: ExperimentFlags;
  readonly control: RolloutControl;
  readonly log: Log;
  readonly metrics?: GatewayMetrics;
  /**
   * Where a verdict goes when this process may not act on it itself (the
   * router on AWS holds no registry, kill-switch or route-set writes): the
   * controller then only asks the admin function to evaluate the rollout
   * (which re-judges it from the shared counters and acts).
   * @default - the verdict is acted on here, through `control`
   */
  readonly delegate?: (
    experimentId: string,
    step: RolloutStep
  ) => Promise<void>;
  /** Evaluate an experiment's gate every N observations. @default 25 */
  readonly evaluateEvery?: number;
  /** How long the live-experiment view is reused, ms. @default 5000 */
  readonly cacheMs?: number;
  /** The models of a route set (route-set variants). @default - route-set variants do nothing */
  readonly routeSetModels?: (
    name: string
  ) => Promise<readonly string[] | undefined>;
  /** A model's config by id, whatever its status (shadow targets). */
  readonly modelLookup?: (id: string) => Promise<ModelConfig | undefined>;
  readonly now?: () => number;
  /** Shadow sampling and the bucket of requests without a user. */
  readonly rng?: Rng;
  /**
   * Who decides a request's variant. @default - native sticky hash bucketing;
   * the Evidently adapter (legacy) asks EvaluateFeature instead
   */
  readonly assigner?: VariantAssigner;
}

/**
 * Variant assignment backend (the Experiments port's assignment half): the
 * variant name for a unit, or undefined to fall back to native bucketing.
 */
export interface VariantAssigner {
  variant(
    e: Experiment,
    tenantId: string,
    unit: string
  ): Promise<string | undefined>;
}

/** What an experiment does to one request's routing. */
export interface ExperimentRoute {
  readonly assignment: Assignment;
  /** Models the variant keeps out. */
  readonly exclusions: ReadonlyMap<string, ExternalExclusion>;
  /** Routing settings of the variant (policy-weight variants). */
  readonly routing: ResolvedRouting;
  /** Applies the variant to the decision; undefined = route without the experiment. */
  finish(decision: RoutingDecision): RoutingDecision | undefined;
}

/** Hot-path face of the service the planner uses. */
export interface ExperimentRouter {
  route(input: {
    readonly tenantId: string;
    readonly user?: string;
    readonly models: readonly ModelConfig[];
    readonly routing: ResolvedRouting;
  }): Promise<ExperimentRoute | undefined>;
}

/** An experiment with its tracker results (admin API). */
export interface ExperimentResults {
  readonly experiment: Experiment;
  /** Per tracker bucket: n, success rate, latency and cost with 95% intervals. */
  readonly variants: Readonly<Record<string, VariantSummary>>;
  /** Rollouts: the gate of the current stage. */
  readonly gate?: GateVerdict;
  /** A/B: the winner rule. */
  readonly ab?: AbVerdict;
}

/** A shadow call to make for a sampled request. */
export interface ShadowTarget {
  readonly experimentId: string;
  readonly model: ModelConfig;
}

/**
 * Experiments: the admin operations (put, start, stop, promote, roll back,
 * results), the hot path (variant assignment, tracker observations, shadow
 * targets) and the rollout controller, which re-evaluates a rollout's gate
 * every `evaluateEvery` observations and promotes or rolls back through the
 * control plane with nobody involved. State changes claim the experiment's
 * next version first (a conditional write), so when several containers
 * reach the same verdict exactly one of them acts.
 */
export class ExperimentService implements ExperimentRouter {
  private readonly now: () => number;
  private readonly rng: Rng;
  private readonly evaluateEvery: number;
  private readonly cacheMs: number;
  private cache: { at: number; live: readonly Experiment[] } | undefined;
  private loading: Promise<readonly Experiment[]> | undefined;
  private readonly sinceEvaluation = new Map<string, number>();
  private readonly evaluating = new Map<string, Promise<RolloutStep>>();
  private readonly models = new Map<
    string,
    { at: number; model?: ModelConfig }
  >();
  private readonly routeSets = new Map<
    string,
    { at: number; ids?: readonly string[] }
  >();

  public constructor(private readonly deps: ExperimentServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.rng = deps.rng ?? defaultRng;
    this.evaluateEvery = deps.evaluateEvery ?? 25;
    this.cacheMs = deps.cacheMs ?? 5000;
  }

  // ---- admin ---------------------------------------------------------------

  /** Every experiment. */
  public list(): Promise<readonly Experiment[]> {
    return this.deps.store.list();
  }

  /** One experiment; 404 when unknown. */
  public async get(id: string): Promise<Experiment> {
    const e = await this.deps.store.get(id);
    if (!e) {
      throw new ExperimentError(
        404,
        'not_found',
        `experiment ${id} does not exist`
      );
    }
    return e;
  }

  /**
   * Creates or replaces a definition. A new experiment starts as `draft`; a
   * replaced one keeps its status and stage (unless the input names a
   * stage), except a finished one (completed, rolled back), which becomes a
   * `draft` again to be re-run. `expectedVersion` guards against lost updates.
   */
  public async put(
    raw: unknown,
    actor: Actor,
    expectedVersion?: number
  ): Promise<Experiment> {
    requireReason(actor);
    const parsed = experimentInputSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ExperimentError(
        400,
        'invalid_experiment',
        `${issue?.path.join('.') || 'experiment'}: ${issue?.message ?? 'invalid'}`
      );
    }
    const input: ExperimentInput = parsed.data;
    const before = await this.deps.store.get(input.id);
    const fresh = resolveExperiment(input, actor.who, new Date(this.now()));
    const finished =
      before?.status === 'completed' || before?.status === 'rolled_back';
    const next: Experiment =
      before && !finished
        ? {
            ...fresh,
            status: before.status,
            ...(fresh.kind === 'rollout'
              ? { stage: input.rollout?.stage ?? before.stage ?? 'shadow' }
              : {}),
            ...(before.winner ? { winner: before.winner } : {}),
          }
        : fresh;
    const stored = await this.deps.store.put(
      next,
      expectedVersion ?? before?.version ?? 0
    );
    await this.audit(actor, 'experiment.put', stored, before, stored);
    this.invalidate();
    return stored;
  }

  /** Starts (or resumes) an experiment; a rollout's model takes its stage's status. */
  public async start(id: string, actor: Actor): Promise<Experiment> {
    requireReason(actor);
    const e = await this.get(id);
    if (e.status === 'running') return e;
    if (e.status === 'completed' || e.status === 'rolled_back') {
      throw new ExperimentError(
        409,
        'experiment_finished',
        `experiment ${id} is ${e.status}; put a new definition to run again`
      );
    }
    const after = await this.transition(e, actor, 'experiment.start', {
      status: 'running',
      statusReason: actor.reason,
    });
    if (after.rollout && after.stage) {
      await this.deps.control.setModelStatus(
        after.rollout.model,
        after.stage === 'active' ? 'active' : after.stage,
        actor
      );
    }
    return after;
  }

  /**
   * Stops an experiment. A rollout's model goes back to `shadow`
   * (registered, not routed): a `canary` model left behind would otherwise
   * be routed to everyone without the experiment's split.
   */
  public async stop(
    id: string,
    actor: Actor,
    status: 'stopped' | 'rolled_back' = 'stopped'
  ): Promise<Experiment> {
    requireReason(actor);
    const e = await this.get(id);
    if (e.status !== 'running' && e.status !== 'draft') return e;
    const after = await this.transition(e, actor, 'experiment.stop', {
      status,
      statusReason: actor.reason,
    });
    if (after.rollout && after.stage === 'canary') {
      await this.deps.control.setModelStatus(
        after.rollout.model,
        'shadow',
        actor
      );
    }
    return after;
  }

  /** Moves a rollout to its next stage (by hand, or by the controller). */
  public async promote(id: string, actor: Actor): Promise<Experiment> {
    requireReason(actor);
    const e = await this.get(id);
    if (!e.rollout || !e.stage) {
      throw new ExperimentError(
        400,
        'not_a_rollout',
        `experiment ${id} is not a rollout`
      );
    }
    if (e.status !== 'running') {
      throw new ExperimentError(
        409,
        'not_running',
        `experiment ${id} is ${e.status}, not running`
      );
    }
    const to: Stage = e.stage === 'shadow' ? 'canary' : 'active';
    const after = await this.transition(e, actor, 'experiment.promote', {
      stage: to,
      statusReason: actor.reason,
      ...(to === 'active'
        ? { status: 'completed' as const, winner: 'candidate' }
        : {}),
    });
    await this.deps.control.setModelStatus(e.rollout.model, to, actor);
    this.deps.metrics?.event('ExperimentPromoted', 1, { Stage: to });
    return after;
  }

  /**
   * Rolls a rollout back through the control plane: the model's kill
   * switch on (traffic stops at once, on every container), its status back
   * to `shadow`, and the route set it was added to reverted. The
   * experiment's state is claimed first, so only one caller acts.
   */
  public async rollback(id: string, actor: Actor): Promise<Experiment> {
    requireReason(actor);
    const e = await this.get(id);
    if (!e.rollout) {
      throw new ExperimentError(
        400,
        'not_a_rollout',
        `experiment ${id} is not a rollout`
      );
    }
    if (e.status === 'rolled_back') return e;
    const after = await this.transition(e, actor, 'experiment.rollback', {
      status: 'rolled_back',
      statusReason: actor.reason,
    });
    const model = e.rollout.model;
    const problems: string[] = [];
    const step = async (what: string, run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
      }
    };
    await step('kill switch', () =>
      this.deps.control.setKillSwitch(
        `model/${model}`,
        { state: 'on', reason: actor.reason },
        actor
      )
    );
    await step('model status', () =>
      this.deps.control.setModelStatus(model, 'shadow', actor)
    );
    const routeSet = e.rollout.routeSet;
    if (routeSet) {
      await step(`route set ${routeSet}`, () =>
        this.deps.control.rollbackRouteSet(routeSet, actor)
      );
    }
    this.deps.metrics?.event('ExperimentRolledBack', 1, {
      Stage: e.stage ?? '',
    });
    if (problems.length > 0) {
      this.deps.log.error('experiment rollback incomplete', {
        experiment: id,
        problems,
      });
      throw new ExperimentError(
        409,
        'rollback_incomplete',
        `experiment ${id} marked rolled back, but: ${problems.join('; ')}`
      );
    }
    return after;
  }

  /** An experiment with its tracker results and current verdict. */
  public async results(id: string): Promise<ExperimentResults> {
    const e = await this.get(id);
    const counts = await this.deps.store.counts(id);
    const variants = Object.fromEntries(
      Object.entries(counts).map(([k, c]) => [k, summarize(c)])
    );
    if (e.kind === 'rollout') {
      const stage = e.stage ?? 'shadow';
      const gate =
        stage === 'active'
          ? undefined
          : judgeCandidate(
              counts[bucketKey(stage, 'control')] ?? EMPTY_COUNTS,
              counts[bucketKey(stage, 'candidate')] ?? EMPTY_COUNTS,
              e
            );
      return { experiment: e, variants, ...(gate ? { gate } : {}) };
    }
    const abCounts = Object.fromEntries(
      e.variants.map((v) => [v.name, counts[v.name] ?? EMPTY_COUNTS])
    );
    return { experiment: e, variants, ab: judgeAb(abCounts, e) };
  }

  /**
   * Stops every running experiment that involves a model (the rollback
   * Lambda, on an SLO alarm): rollouts of it and A/B tests with a variant
   * on it. Marks them `rolled_back`; the caller does the kill switch and
   * route set itself. Returns the ids stopped.
   */
  public async stopForModel(modelId: string, actor: Actor): Promise<string[]> {
    requireReason(actor);
    const stopped: string[] = [];
    for (const e of await this.deps.store.list()) {
      if (e.status !== 'running') continue;
      const involved =
        e.rollout?.model === modelId ||
        e.variants.some((v) => v.model === modelId);
      if (!involved) continue;
      await this.transition(e, actor, 'experiment.stop', {
        status: 'rolled_back',
        statusReason: actor.reason,
      });
      stopped.push(e.id);
    }
    return stopped;
  }

  /** Ids of the running experiments involving a model (rollout or variant). */
  public async involving(modelId: string): Promise<string[]> {
    return (await this.deps.store.list())
      .filter(
        (e) =>
          e.status === 'running' &&
          (e.rollout?.model === modelId ||
            e.variants.some((v) => v.model === modelId))
      )
      .map((e) => e.id);
  }

  // ---- hot path --------------------------------------------------------------

  /**
   * False only when the fresh cached view holds no rollout in its shadow
   * stage, so no request can be shadowed: the hooks then skip sampling
   * altogether. A stale or missing view answers true (the sampling path
   * reloads it).
   */
  public mayShadow(): boolean {
    const cache = this.cache;
    if (!cache || this.now() - cache.at >= this.cacheMs) return true;
    for (const e of cache.live)
      if (e.kind === 'rollout' && e.stage === 'shadow') return true;
    return false;
  }

  /** Live experiments, refreshed at most every cacheMs (flags applied). */
  public async live(): Promise<readonly Experiment[]> {
    const now = this.now();
    if (this.cache && now - this.cache.at < this.cacheMs) {
      return this.cache.live;
    }
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<readonly Experiment[]> {
    try {
      const now = this.now();
      const all = await this.deps.store.list();
      const live: Experiment[] = [];
      for (const e of all) {
        if (isLive(e, now) && (await this.deps.flags.enabled(e.id))) {
          live.push(e);
        }
      }
      this.cache = { at: now, live };
      return live;
    } catch (err) {
      // Experiments never fail a request: keep the last view (or none).
      this.deps.log.warn('experiments could not be read', {
        error: (err as Error).message,
      });
      this.deps.metrics?.event('ExperimentReadError');
      this.cache = { at: this.now(), live: this.cache?.live ?? [] };
      return this.cache.live;
    }
  }

  private invalidate(): void {
    this.cache = undefined;
  }

  /**
   * The experiment (at most one: the first live one by id that applies)
   * that shapes this request's routing, with the request's variant.
   */
  public async route(input: {
    readonly tenantId: string;
    readonly user?: string;
    readonly models: readonly ModelConfig[];
    readonly routing: ResolvedRouting;
  }): Promise<ExperimentRoute | undefined> {
    const now = this.now();
    const e = (await this.live()).find((x) =>
      appliesTo(x, input.tenantId, now)
    );
    if (!e) return undefined;
    const position =
      input.user === undefined
        ? this.rng()
        : bucketPosition(e.id, input.tenantId, input.user);
    let assignment = assign(e, position);
    if (this.deps.assigner) {
      const unit = input.user ?? `request-${position}`;
      const name = await this.deps.assigner
        .variant(e, input.tenantId, unit)
        .catch(() => undefined);
      const chosen = e.variants.find((v) => v.name === name);
      if (chosen) {
        assignment = {
          ...assignment,
          variant: chosen.name,
          bucket: bucketKey(assignment.stage, chosen.name),
          ...(chosen.model ? { model: chosen.model } : { model: undefined }),
        };
      }
    }
    const variant = e.variants.find((v) => v.name === assignment.variant)!;
    const routeSetModels = variant.routeSet
      ? await this.routeSetIds(variant.routeSet)
      : undefined;
    const exclusions = variantExclusions(
      e,
      assignment,
      input.models,
      routeSetModels
    );
    const routing = variant.policy
      ? withPolicy(input.routing, variant.policy)
      : input.routing;
    const maxFallbacks = routing.settings.maxFallbacks;
    return {
      assignment,
      exclusions,
      routing,
      finish: (decision) => {
        if (!decision.chosen) return undefined;
        return assignment.model
          ? forceModel(decision, assignment.model, maxFallbacks)
          : decision;
      },
    };
  }

  /**
   * The shadow calls to make for a request: every live rollout in `shadow`
   * that targets the tenant, each sampled at its shadow rate.
   */
  public async shadowTargets(
    tenantId: string,
    servingModel: string
  ): Promise<ShadowTarget[]> {
    const now = this.now();
    const out: ShadowTarget[] = [];
    for (const e of await this.live()) {
      if (
        e.kind !== 'rollout' ||
        e.stage !== 'shadow' ||
        !e.rollout ||
        e.rollout.model === servingModel ||
        !isLive(e, now) ||
        (e.tenants && !e.tenants.includes(tenantId)) ||
        this.rng() >= e.rollout.shadowSampleRate
      ) {
        continue;
      }
      const model = await this.model(e.rollout.model);
      if (model) out.push({ experimentId: e.id, model });
    }
    return out;
  }

  /**
   * Counts one observation and re-evaluates the experiment's gate every
   * evaluateEvery. Never rejects; the request path does not await it (the
   * returned promise settles after a triggered evaluation, for tests and
   * simulations).
   */
  public observe(
    experimentId: string,
    bucket: string,
    o: Observation
  ): Promise<void> {
    return this.deps.store.record(experimentId, bucket, o).then(
      async () => {
        const n = (this.sinceEvaluation.get(experimentId) ?? 0) + 1;
        if (n >= this.evaluateEvery) {
          this.sinceEvaluation.set(experimentId, 0);
          // Failures are logged by evaluate; the request never sees them.
          await this.evaluate(experimentId).catch(() => undefined);
        } else this.sinceEvaluation.set(experimentId, n);
      },
      (err: unknown) => {
        this.deps.log.warn('experiment observation lost', {
          experiment: experimentId,
          error: (err as Error).message,
        });
        this.deps.metrics?.event('ExperimentRecordError');
      }
    );
  }

  /**
   * The rollout controller: judges the current stage and promotes or rolls
   * back on its own (audited as `experiment-controller`). One evaluation
   * per experiment at a time in this process; a lost race with another
   * container (409) means it already acted.
   */
  public evaluate(id: string): Promise<RolloutStep> {
    const running = this.evaluating.get(id);
    if (running) return running;
    const p = this.evaluateOnce(id).finally(() => this.evaluating.delete(id));
    this.evaluating.set(id, p);
    return p;
  }

  private async evaluateOnce(id: string): Promise<RolloutStep> {
    const e = await this.deps.store.get(id);
    if (!e) return { action: 'none', reason: 'unknown experiment' };
    if (e.kind === 'ab') return this.declareWinner(e);
    const step = rolloutStep(e, await this.deps.store.counts(id));
    if (step.action === 'none') return step;
    if (this.deps.delegate) {
      await this.deps.delegate(id, step);
      this.deps.log.info('experiment transition requested', {
        experiment: id,
        action: step.action,
        reason: step.reason,
      });
      return step;
    }
    const actor: Actor = { who: CONTROLLER_ACTOR, reason: step.reason };
    try {
      if (step.action === 'rollback') await this.rollback(id, actor);
      else await this.promote(id, actor);
      this.deps.log.info('experiment transition', {
        experiment: id,
        action: step.action,
        from: step.from,
        to: step.to,
        reason: step.reason,
      });
    } catch (err) {
      if (err instanceof ExperimentError && err.code === 'version_conflict') {
        return { action: 'none', reason: 'another router acted first' };
      }
      this.deps.log.error('experiment transition failed', {
        experiment: id,
        action: step.action,
        error: (err as Error).message,
      });
      throw err;
    } finally {
      this.invalidate();
    }
    return step;
  }

  /**
   * A/B: once the decision rule names a winner, the experiment completes
   * with it (audited as `experiment.winner`); applying the winning variant
   * (a route set, a model status, policy weights) stays an operator's call.
   */
  private async declareWinner(e: Experiment): Promise<RolloutStep> {
    if (e.status !== 'running') {
      return { action: 'none', reason: `status ${e.status}` };
    }
    const counts = await this.deps.store.counts(e.id);
    const verdict = judgeAb(
      Object.fromEntries(
        e.variants.map((v) => [v.name, counts[v.name] ?? EMPTY_COUNTS])
      ),
      e
    );
    if (!verdict.winner) return { action: 'none', reason: verdict.reason };
    if (this.deps.delegate) {
      await this.deps.delegate(e.id, {
        action: 'none',
        reason: verdict.reason,
      });
      return { action: 'none', reason: verdict.reason };
    }
    try {
      await this.transition(
        e,
        { who: CONTROLLER_ACTOR, reason: verdict.reason },
        'experiment.winner',
        {
          status: 'completed',
          winner: verdict.winner,
          statusReason: verdict.reason,
        }
      );
    } catch (err) {
      if (err instanceof ExperimentError && err.code === 'version_conflict') {
        return { action: 'none', reason: 'another router acted first' };
      }
      throw err;
    }
    return { action: 'none', reason: verdict.reason };
  }

  // ---- internals -------------------------------------------------------------

  private async transition(
    e: Experiment,
    actor: Actor,
    what: string,
    change: Partial<Experiment>
  ): Promise<Experiment> {
    const next: Experiment = {
      ...e,
      ...change,
      updatedAt: new Date(this.now()).toISOString(),
      updatedBy: actor.who,
    };
    const stored = await this.deps.store.put(next, e.version);
    await this.audit(actor, what, stored, e, stored);
    this.invalidate();
    return stored;
  }

  private audit(
    actor: Actor,
    what: string,
    e: Experiment,
    before: Experiment | undefined,
    after: Experiment
  ): Promise<void> {
    const view = (x: Experiment | undefined) =>
      x
        ? {
            version: x.version,
            status: x.status,
            ...(x.stage ? { stage: x.stage } : {}),
            ...(x.winner ? { winner: x.winner } : {}),
          }
        : null;
    return this.deps.control.recordChange(
      actor,
      what,
      `experiment/${e.id}`,
      view(before),
      view(after)
    );
  }

  private async model(id: string): Promise<ModelConfig | undefined> {
    if (!this.deps.modelLookup) return undefined;
    const hit = this.models.get(id);
    if (hit && this.now() - hit.at < this.cacheMs) return hit.model;
    let model: ModelConfig | undefined;
    try {
      model = await this.deps.modelLookup(id);
    } catch {
      model = hit?.model;
    }
    this.models.set(id, { at: this.now(), model });
    return model;
  }

  private async routeSetIds(
    name: string
  ): Promise<readonly string[] | undefined> {
    if (!this.deps.routeSetModels) return undefined;
    const hit = this.routeSets.get(name);
    if (hit && this.now() - hit.at < this.cacheMs) return hit.ids;
    let ids: readonly string[] | undefined;
    try {
      ids = await this.deps.routeSetModels(name);
    } catch {
      ids = hit?.ids;
    }
    this.routeSets.set(name, { at: this.now(), ids });
    return ids;
  }
}

/** Routing settings with a variant's policy weights (every tier) and bandit share. */
function withPolicy(
  routing: ResolvedRouting,
  policy: NonNullable<Experiment['variants'][number]['policy']>
): ResolvedRouting {
  const weights = { ...routing.settings.weights };
  for (const tier of Object.keys(weights) as BudgetTier[]) {
    const w = weights[tier];
    weights[tier] = {
      latency: policy.latency ?? w.latency,
      cost: policy.cost ?? w.cost,
      quality: policy.quality ?? w.quality,
      domain: policy.domain ?? w.domain,
    };
  }
  return {
    ...routing,
    settings: {
      ...routing.settings,
      weights,
      ...(policy.bandit === undefined ? {} : { banditWeight: policy.bandit }),
    },
  };
}

function requireReason(actor: Actor): void {
  if (!actor.reason || actor.reason.trim().length === 0) {
    throw new ExperimentError(
      400,
      'reason_required',
      'every change needs a reason (field "reason")'
    );
  }
}
