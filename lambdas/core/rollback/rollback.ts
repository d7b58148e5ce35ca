import type { Actor, ControlPlane } from '../control/control-plane';
import type { Log } from '../ports';
import { type AlarmStateChange, parseAlarmEvent } from './alarm-event';
import { RollbackIncompleteError } from './errors';
import {
  implicatedModels,
  implicatedRouteSet,
  type ModelFacts,
  type PlannedAction,
  planRollback,
  ROLLBACK_ACTOR,
  type RouteSetView,
  type SkippedAction,
} from './plan';

/** Reads a route set's active version, rollback target and last activation. */
export interface RouteSetInspector {
  inspect(name: string): Promise<RouteSetView>;
}

/** The experiments the rollback stops (the ExperimentService satisfies it). */
export interface RollbackExperiments {
  /** Ids of the running experiments involving a model. */
  involving(modelId: string): Promise<readonly string[]>;
  /** Marks one rolled back (audited); its model's traffic is the caller's job. */
  stop(
    id: string,
    actor: Actor,
    status: 'rolled_back'
  ): Promise<{ readonly status: string }>;
}

/** Where the summary goes (SNS on AWS). */
export interface RollbackNotifier {
  publish(subject: string, message: string): Promise<void>;
}

/** The key Powertools idempotency hashes: one alarm transition, one mode. */
export interface RollbackIdempotencyKey {
  readonly alarmArn: string;
  readonly stateTimestamp: string;
  readonly dryRun: boolean;
}

/**
 * Runs `run` at most once per key (a replay returns the stored result);
 * `lambdaContext` bounds how long an in-progress record blocks a retry.
 */
export type IdempotencyGuard = (
  key: RollbackIdempotencyKey,
  run: () => Promise<RollbackResult>,
  lambdaContext?: unknown
) => Promise<RollbackResult>;

/** Dependencies of {@link AlarmRollback}. */
export interface AlarmRollbackDeps {
  /** Every change goes through it, so every change is audited. */
  readonly control: ControlPlane;
  readonly routeSets: RouteSetInspector;
  /** The alarm's tags; {} when they can't be read. */
  readonly alarmTags: (alarmArn: string) => Promise<Record<string, string>>;
  /** @default - no notification (logged) */
  readonly notifier?: RollbackNotifier;
  /** @default - no experiments backend: nothing to stop (recorded as skipped) */
  readonly experiments?: RollbackExperiments;
  /** @default - every invocation acts (no replay protection) */
  readonly idempotency?: IdempotencyGuard;
  /** Route set used when a model is implicated and no tag names one. */
  readonly defaultRouteSet: string;
  /** Plan and notify only (ROLLBACK_DRY_RUN). */
  readonly dryRun: boolean;
  /** Deployment environment, for the notification subject. */
  readonly environment?: string;
  readonly log: Log;
  /** Clock, ms since epoch. @default Date.now */
  readonly now?: () => number;
}

/** One planned action and what became of it. */
export type ActionOutcome = PlannedAction & {
  /** `planned` in a dry run. */
  readonly outcome: 'done' | 'planned' | 'failed';
  /** What changed (`v5 -> v4`), or the error. */
  readonly detail: string;
};

/** What one invocation did (returned, stored for replays, published). */
export interface RollbackResult {
  /**
   * `ignored`: not an ALARM transition; `dry-run`: planned only;
   * `applied`: every action done; `recorded`: nothing to do, recorded;
   * `partial`: something failed (the invocation then fails and is retried).
   */
  readonly status: 'ignored' | 'dry-run' | 'applied' | 'recorded' | 'partial';
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly state: string;
  readonly stateTimestamp: string;
  readonly dryRun: boolean;
  readonly models: readonly string[];
  readonly routeSet?: string;
  readonly actions: readonly ActionOutcome[];
  readonly skipped: readonly SkippedAction[];
  readonly notified: boolean;
}

/** Per-invocation details (from the Lambda context). */
export interface InvocationInfo {
  readonly requestId?: string;
  /** The Lambda context, for the idempotency guard's in-progress expiry. */
  readonly lambdaContext?: unknown;
}

/**
 * Automatic rollback on an SLO alarm. For an alarm entering ALARM it finds
 * the implicated model(s) (Model dimension, `ai-gateway:model` tag) and
 * route set (`ai-gateway:route-set` tag, else the default one when a model
 * is implicated), plans (see planRollback), then, unless in dry run:
 * engages the model kill switches, stops canaries, rolls the route set back,
 * each through the ControlPlane (audited as `rollback-lambda` with reason
 * `alarm <name> in ALARM`), writes a summary audit record, and publishes a
 * summary. A dry run changes nothing: it logs and publishes the plan.
 * Other transitions (OK, INSUFFICIENT_DATA) are ignored.
 */
export class AlarmRollback {
  private readonly now: () => number;

  public constructor(private readonly deps: AlarmRollbackDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Handles one raw EventBridge event. */
  public async handle(
    raw: unknown,
    invocation: InvocationInfo = {}
  ): Promise<RollbackResult> {
    const alarm = parseAlarmEvent(raw);
    const dryRun = this.deps.dryRun || alarm.dryRun;
    if (alarm.state !== 'ALARM') {
      this.deps.log.info('alarm transition ignored', {
        alarm: alarm.alarmName,
        state: alarm.state,
      });
      return {
        status: 'ignored',
        alarmName: alarm.alarmName,
        alarmArn: alarm.alarmArn,
        state: alarm.state,
        stateTimestamp: alarm.stateTimestamp,
        dryRun,
        models: [],
        actions: [],
        skipped: [],
        notified: false,
      };
    }
    const run = (): Promise<RollbackResult> =>
      this.run(alarm, dryRun, invocation.requestId);
    const guard = this.deps.idempotency;
    if (!guard) return run();
    return guard(
      {
        alarmArn: alarm.alarmArn,
        stateTimestamp: alarm.stateTimestamp,
        dryRun,
      },
      run,
      invocation.lambdaContext
    );
  }

  private async run(
    alarm: AlarmStateChange,
    dryRun: boolean,
    requestId: string | undefined
  ): Promise<RollbackResult> {
    const { control, log } = this.deps;
    const actor: Actor = {
      who: ROLLBACK_ACTOR,
      reason: `alarm ${alarm.alarmName} in ALARM`,
      ...(requestId ? { requestId } : {}),
    };
    const problems: SkippedAction[] = [];
    const tags = await this.deps.alarmTags(alarm.alarmArn);
    const modelIds = implicatedModels(alarm, tags);
    const rsChoice = implicatedRouteSet(
      modelIds,
      tags,
      this.deps.defaultRouteSet
    );
    const models = await Promise.all(
      modelIds.map((id) => this.modelFacts(id, problems))
    );
    let routeSet: RouteSetView | undefined;
    if (rsChoice.name !== undefined) {
      try {
        routeSet = await this.deps.routeSets.inspect(rsChoice.name);
      } catch (err) {
        problems.push({
          kind: 'route-set-rollback',
          target: `route-set/${rsChoice.name}`,
          why: `could not read the route set: ${message(err)}`,
        });
      }
    }
    const experiments = await this.runningExperiments(modelIds, problems);
    const plan = planRollback(
      {
        alarm,
        tags,
        models,
        routeSet,
        routeSetFromTag: rsChoice.fromTag,
        ...(experiments ? { experiments } : {}),
      },
      this.now()
    );

    const outcomes: ActionOutcome[] = [];
    for (const action of plan.actions) {
      if (dryRun) {
        outcomes.push({
          ...action,
          outcome: 'planned',
          detail: describe(action),
        });
        continue;
      }
      try {
        outcomes.push({
          ...action,
          outcome: 'done',
          detail: await this.apply(action, actor),
        });
      } catch (err) {
        log.error('rollback action failed', {
          kind: action.kind,
          target: action.target,
          error: message(err),
        });
        outcomes.push({ ...action, outcome: 'failed', detail: message(err) });
      }
    }

    const failed =
      outcomes.some((o) => o.outcome === 'failed') || problems.length > 0;
    const skipped = [...plan.skipped, ...problems];
    const status: RollbackResult['status'] = dryRun
      ? 'dry-run'
      : failed
        ? 'partial'
        : outcomes.length > 0
          ? 'applied'
          : 'recorded';
    let auditFailed = false;
    if (!dryRun) {
      try {
        await control.recordChange(
          actor,
          'rollback.alarm',
          `alarm/${alarm.alarmName}`,
          null,
          {
            stateTimestamp: alarm.stateTimestamp,
            status,
            actions: outcomes.map((o) => ({
              kind: o.kind,
              target: o.target,
              outcome: o.outcome,
              detail: o.detail,
            })),
            skipped,
          }
        );
      } catch (err) {
        auditFailed = true;
        log.error('rollback summary could not be audited', {
          error: message(err),
        });
      }
    }
    const result: RollbackResult = {
      status: auditFailed ? 'partial' : status,
      alarmName: alarm.alarmName,
      alarmArn: alarm.alarmArn,
      state: alarm.state,
      stateTimestamp: alarm.stateTimestamp,
      dryRun,
      models: plan.models,
      ...(plan.routeSet ? { routeSet: plan.routeSet } : {}),
      actions: outcomes,
      skipped,
      notified: false,
    };
    const notified = await this.notify(result);
    const final = { ...result, notified };
    log.info('rollback finished', { ...final });
    if (final.status === 'partial')
      throw new RollbackIncompleteError(
        `rollback for alarm ${alarm.alarmName} is incomplete: ${[
          ...outcomes
            .filter((o) => o.outcome === 'failed')
            .map((o) => `${o.kind} ${o.target}: ${o.detail}`),
          ...problems.map((p) => `${p.target}: ${p.why}`),
          ...(auditFailed ? ['summary audit record not written'] : []),
        ].join('; ')}`
      );
    return final;
  }

  private async modelFacts(
    id: string,
    problems: SkippedAction[]
  ): Promise<ModelFacts> {
    const { control } = this.deps;
    const target = `model/${id}`;
    let registryUnreadable = false;
    const [killSwitch, latest] = await Promise.all([
      control.getKillSwitch(target).catch((err: unknown) => {
        // Unknown state: the plan engages the switch, which is safe either way.
        this.deps.log.warn('could not read kill switch', {
          target,
          error: message(err),
        });
        return undefined;
      }),
      control.modelHistory(id).then(
        (h) => h[0],
        (err: unknown) => {
          if ((err as { status?: unknown }).status === 404) return undefined;
          registryUnreadable = true;
          problems.push({
            kind: 'stop-canary',
            target,
            why: `could not read the registry: ${message(err)}`,
          });
          return undefined;
        }
      ),
    ]);
    return {
      id,
      ...(killSwitch ? { killSwitch } : {}),
      ...(latest
        ? { latest: { version: latest.version, status: latest.config.status } }
        : {}),
      ...(registryUnreadable ? { registryUnreadable } : {}),
    };
  }

  /** Running experiments per model; undefined without a backend. */
  private async runningExperiments(
    modelIds: readonly string[],
    problems: SkippedAction[]
  ): Promise<Record<string, readonly string[]> | undefined> {
    const backend = this.deps.experiments;
    if (!backend) return undefined;
    const out: Record<string, readonly string[]> = {};
    for (const id of modelIds) {
      try {
        out[id] = await backend.involving(id);
      } catch (err) {
        problems.push({
          kind: 'experiment',
          target: `model/${id}`,
          why: `could not read experiments: ${message(err)}`,
        });
      }
    }
    return out;
  }

  private async apply(action: PlannedAction, actor: Actor): Promise<string> {
    const { control } = this.deps;
    switch (action.kind) {
      case 'kill-switch': {
        await control.setKillSwitch(
          action.target,
          { state: 'on', reason: actor.reason },
          actor
        );
        return 'engaged';
      }
      case 'stop-canary': {
        const written = await control.setModelStatus(
          action.modelId,
          'shadow',
          actor
        );
        return `v${action.fromVersion} canary -> v${written.version} shadow`;
      }
      case 'stop-experiment': {
        const after = await this.deps.experiments!.stop(
          action.experimentId,
          actor,
          'rolled_back'
        );
        return after.status;
      }
      case 'route-set-rollback': {
        const after = await control.rollbackRouteSet(action.routeSet, actor);
        return `v${action.fromVersion} -> v${after.version}`;
      }
    }
  }

  private async notify(result: RollbackResult): Promise<boolean> {
    const { notifier, log } = this.deps;
    if (!notifier) {
      log.warn('no notification topic configured; summary only logged', {
        alarm: result.alarmName,
      });
      return false;
    }
    const { subject, message: body } = formatRollbackSummary(
      result,
      this.deps.environment
    );
    try {
      await notifier.publish(subject, body);
      return true;
    } catch (err) {
      // The actions stand; the alarm itself also notified its topic.
      log.error('rollback summary could not be published', {
        error: message(err),
      });
      return false;
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function describe(action: PlannedAction): string {
  switch (action.kind) {
    case 'kill-switch':
      return 'would engage';
    case 'stop-canary':
      return `would move v${action.fromVersion} from canary to shadow`;
    case 'stop-experiment':
      return 'would mark rolled back';
    case 'route-set-rollback':
      return `would roll back v${action.fromVersion} -> v${action.toVersion}`;
  }
}

/** SNS subjects must be at most 100 characters. */
const MAX_SUBJECT = 100;

/**
 * The notification: a subject line and a plain-text body listing what was
 * done, skipped and why, and where the undo steps are. No secrets: ids,
 * versions and reasons only.
 */
export function formatRollbackSummary(
  result: RollbackResult,
  environment?: string
): { readonly subject: string; readonly message: string } {
  const env = environment ? ` ${environment}` : '';
  const verb =
    result.status === 'dry-run'
      ? 'DRY RUN'
      : result.status === 'partial'
        ? 'INCOMPLETE'
        : result.status;
  const subject =
    `[ai-gateway${env}] rollback ${verb}: ${result.alarmName}`.slice(
      0,
      MAX_SUBJECT
    );
  const lines = [
    `Automatic rollback for alarm ${result.alarmName} (ALARM since ${result.stateTimestamp})${env ? ` in${env}` : ''}: ${result.status}.`,
    ...(result.dryRun
      ? ['DRY RUN: nothing was changed; this is what would have been done.']
      : []),
    `Models: ${result.models.length > 0 ? result.models.join(', ') : 'none implicated'}`,
    `Route set: ${result.routeSet ?? 'none'}`,
    'Actions:',
    ...(result.actions.length > 0
      ? result.actions.map(
          (a) => `  - [${a.outcome}] ${a.kind} ${a.target}: ${a.detail}`
        )
      : ['  - none']),
    'Skipped:',
    ...(result.skipped.length > 0
      ? result.skipped.map((s) => `  - ${s.kind} ${s.target}: ${s.why}`)
      : ['  - none']),
    `Alarm: ${result.alarmArn}`,
    'Undo and follow-up: docs/runbooks/automatic-rollback.md',
  ];
  return { subject, message: lines.join('\n') };
}
