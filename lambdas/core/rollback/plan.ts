import type { KillSwitchValue } from '../kill-switches/types';
import type { ActivationRecord } from '../registry/rules';
import type { ModelStatus, RouteSetDocument } from '../registry/types';
import { type AlarmStateChange, MODEL_TAG, ROUTE_SET_TAG } from './alarm-event';

/** Who the rollback acts as (audit `who`, activation `by`, kill-switch `by`). */
export const ROLLBACK_ACTOR = 'rollback-lambda';

/** The route set's state as a rollback would find it. */
export interface RouteSetView {
  readonly name: string;
  /** The active document; undefined when the route set was never activated. */
  readonly active?: RouteSetDocument;
  /** What a rollback would re-activate; undefined when there is no earlier activation. */
  readonly target?: RouteSetDocument;
  /** The newest entry of the activation log. */
  readonly lastActivation?: ActivationRecord;
}

/** What the rollback found about one implicated model. */
export interface ModelFacts {
  readonly id: string;
  /** Latest registry version; undefined when the registry doesn't know the model. */
  readonly latest?: { readonly version: number; readonly status: ModelStatus };
  /** The model's kill switch as stored; undefined when never written. */
  readonly killSwitch?: KillSwitchValue;
  /** The registry could not be read (the caller reports it); `latest` is then unknown. */
  readonly registryUnreadable?: boolean;
}

/** Everything the plan is computed from (read before acting). */
export interface RollbackFacts {
  readonly alarm: AlarmStateChange;
  readonly tags: Readonly<Record<string, string>>;
  readonly models: readonly ModelFacts[];
  readonly routeSet?: RouteSetView;
  /** True when the route set was named by the alarm's tag, not defaulted. */
  readonly routeSetFromTag: boolean;
  /**
   * Running experiments involving each implicated model (model id -> ids);
   * undefined when no experiments backend is wired.
   */
  readonly experiments?: Readonly<Record<string, readonly string[]>>;
}

/** One change the rollback makes. */
export type PlannedAction =
  | {
      readonly kind: 'kill-switch';
      readonly target: string;
      readonly modelId: string;
    }
  | {
      readonly kind: 'stop-canary';
      readonly target: string;
      readonly modelId: string;
      readonly fromVersion: number;
    }
  | {
      readonly kind: 'stop-experiment';
      readonly target: string;
      readonly experimentId: string;
      readonly modelId: string;
    }
  | {
      readonly kind: 'route-set-rollback';
      readonly target: string;
      readonly routeSet: string;
      readonly fromVersion: number;
      readonly toVersion: number;
    };

/** A change considered and not made, with the reason. */
export interface SkippedAction {
  readonly kind: PlannedAction['kind'] | 'experiment';
  readonly target: string;
  readonly why: string;
}

/** What the rollback will do for one alarm. */
export interface RollbackPlan {
  readonly models: readonly string[];
  readonly routeSet?: string;
  /** In execution order: kill switches (fastest way to stop traffic), canaries, experiments, route set. */
  readonly actions: readonly PlannedAction[];
  readonly skipped: readonly SkippedAction[];
}

/**
 * The models an alarm implicates: the `Model` dimension of its metrics,
 * then the `ai-gateway:model` tag (comma-separated ids allowed).
 */
export function implicatedModels(
  alarm: AlarmStateChange,
  tags: Readonly<Record<string, string>>
): string[] {
  const fromTag = (tags[MODEL_TAG] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return [...new Set([...alarm.models, ...fromTag])];
}

/**
 * The route set to consider: the `ai-gateway:route-set` tag, else the
 * default route set when a model is implicated. A gateway-wide alarm with
 * neither names no route set: its cause is unknown, so it is only recorded.
 */
export function implicatedRouteSet(
  models: readonly string[],
  tags: Readonly<Record<string, string>>,
  defaultRouteSet: string
): { readonly name?: string; readonly fromTag: boolean } {
  const tagged = tags[ROUTE_SET_TAG]?.trim();
  if (tagged) return { name: tagged, fromTag: true };
  return models.length > 0
    ? { name: defaultRouteSet, fromTag: false }
    : { fromTag: false };
}

/** How a route set admits a model: `absent`, `latest` (listed, or an empty list = all) or `v<n>` (pinned). */
function admits(doc: RouteSetDocument, modelId: string): string {
  if (doc.models.length === 0) return 'latest';
  const entry = doc.models.find((m) => m.id === modelId);
  if (!entry) return 'absent';
  return entry.version === undefined ? 'latest' : `v${entry.version}`;
}

function fullyEngaged(
  value: KillSwitchValue | undefined,
  nowMs: number
): boolean {
  return (
    value?.state === 'on' &&
    (value.percent === undefined || value.percent >= 100) &&
    (value.until === undefined || Date.parse(value.until) > nowMs)
  );
}

/**
 * Decides what to do about an alarm (pure). For each implicated model:
 * engage its kill switch unless it is already fully on; stop a canary
 * (status canary -> shadow: registered, not routed). For the route set:
 * roll back when the alarm's tag names it, or when the last activation
 * changed how the route set admits an implicated model (added it, or moved
 * its pin); never when there is no earlier activation, and never twice for
 * the same alarm (an activation by the rollback at or after the alarm's
 * timestamp means it already acted).
 */
export function planRollback(
  facts: RollbackFacts,
  nowMs: number
): RollbackPlan {
  const actions: PlannedAction[] = [];
  const later: PlannedAction[] = [];
  const experiments: PlannedAction[] = [];
  const skipped: SkippedAction[] = [];

  for (const m of facts.models) {
    const target = `model/${m.id}`;
    if (fullyEngaged(m.killSwitch, nowMs))
      skipped.push({ kind: 'kill-switch', target, why: 'already engaged' });
    else actions.push({ kind: 'kill-switch', target, modelId: m.id });
    // An unreadable registry is reported by the caller, with the error.
    if (!m.latest && !m.registryUnreadable)
      skipped.push({ kind: 'stop-canary', target, why: 'not in the registry' });
    else if (m.latest?.status === 'canary')
      later.push({
        kind: 'stop-canary',
        target,
        modelId: m.id,
        fromVersion: m.latest.version,
      });
    const running = facts.experiments?.[m.id];
    if (!facts.experiments)
      skipped.push({
        kind: 'experiment',
        target,
        why: 'no experiments backend configured: nothing to stop',
      });
    else if (!running || running.length === 0)
      skipped.push({
        kind: 'experiment',
        target,
        why: 'no running experiment involves the model',
      });
    else
      for (const id of running)
        experiments.push({
          kind: 'stop-experiment',
          target: `experiment/${id}`,
          experimentId: id,
          modelId: m.id,
        });
  }
  actions.push(...later, ...experiments);

  const rs = facts.routeSet;
  if (!rs) {
    if (facts.models.length === 0)
      skipped.push({
        kind: 'route-set-rollback',
        target: 'route-set',
        why: `gateway-wide alarm: no Model dimension and no ${MODEL_TAG} or ${ROUTE_SET_TAG} tag; recorded only`,
      });
  } else {
    const target = `route-set/${rs.name}`;
    const skip = (why: string): void => {
      skipped.push({ kind: 'route-set-rollback', target, why });
    };
    const last = rs.lastActivation;
    if (!rs.active) skip('never activated: nothing to roll back');
    else if (!rs.target)
      skip(`no earlier activation than v${rs.active.version} to roll back to`);
    else if (
      last?.action === 'rollback' &&
      last.by === ROLLBACK_ACTOR &&
      Date.parse(last.at) >= Date.parse(facts.alarm.stateTimestamp)
    )
      skip(`already rolled back to v${rs.active.version} for this alarm`);
    else {
      const active = rs.active;
      const previous = rs.target;
      const ids = facts.models.map((m) => m.id);
      const changed = ids.filter(
        (id) => admits(active, id) !== admits(previous, id)
      );
      if (facts.routeSetFromTag || changed.length > 0)
        actions.push({
          kind: 'route-set-rollback',
          target,
          routeSet: rs.name,
          fromVersion: active.version,
          toVersion: previous.version,
        });
      else
        skip(
          `v${active.version} admits ${ids.join(', ')} as v${previous.version} did: a rollback would not help; the kill switch stops the model`
        );
    }
  }

  return {
    models: facts.models.map((m) => m.id),
    ...(rs ? { routeSet: rs.name } : {}),
    actions,
    skipped,
  };
}
