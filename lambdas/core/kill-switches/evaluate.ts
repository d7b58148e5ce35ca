import type { ExternalExclusion } from '../routing/types';
import type { ModelConfig } from '../types';
import type {
  KillSwitchScope,
  KillSwitchSnapshot,
  KillSwitchValue,
} from './types';

/** Reason of the fail-safe block when the switches have never been read. */
export const UNKNOWN_STATE_REASON = 'kill-switch state unknown (never read)';

/** What the evaluation needs to know about one request. */
export interface KillSwitchRequest {
  /** Route set the request is served from (`route/<name>` switches). */
  readonly routeSet: string;
  /**
   * Uniform draw in [0, 1) deciding brownouts: a switch with `percent` p
   * stops the request when `sampleKey * 100 < p`. One draw serves every
   * switch, so overlapping brownouts shed nested shares, not independent ones.
   */
  readonly sampleKey: number;
  /** Current time, ms since epoch (for `until`). */
  readonly now: number;
}

/** Options of {@link evaluateKillSwitches}. */
export interface KillSwitchEvaluationOptions {
  /**
   * Serve traffic when the switches have never been read (snapshot
   * `known: false`) instead of failing safe with a global block.
   * @default false
   */
  readonly failOpen?: boolean;
}

/** The outcome for one request. */
export interface KillSwitchEvaluation {
  /** Set when a global or route switch stops the request (the router answers 503). */
  readonly blocked?: {
    readonly scope: KillSwitchScope;
    readonly reason?: string;
  };
  /** Models removed by provider/model switches, by model id (the request fails over). */
  readonly excluded: Map<string, ExternalExclusion>;
}

/** An engaged switch, as /v1/admin and `ops status` list it. */
export interface ActiveKillSwitch {
  readonly scope: KillSwitchScope;
  readonly value: KillSwitchValue;
  /** Share of traffic it stops, 0-100 (100 when the value has no `percent`). */
  readonly percent: number;
}

/** Whether a value is on and not past its `until` (ignores brownout). */
export function isSwitchOn(value: KillSwitchValue, now: number): boolean {
  if (value.state !== 'on') return false;
  if (value.until === undefined) return true;
  const until = Date.parse(value.until);
  // An unreadable `until` can't release the switch: stay engaged.
  return Number.isNaN(until) || until > now;
}

/** Whether a switch stops this particular request (brownout included). */
export function isSwitchEngagedFor(
  value: KillSwitchValue,
  now: number,
  sampleKey: number
): boolean {
  if (!isSwitchOn(value, now)) return false;
  const percent = value.percent ?? 100;
  // A broken sample must not let traffic through a switch: treat it as 0.
  const key = Number.isFinite(sampleKey) ? sampleKey : 0;
  return key * 100 < percent;
}

function describe(scope: KillSwitchScope, value: KillSwitchValue): string {
  const share =
    value.percent !== undefined && value.percent < 100
      ? ` (brownout ${value.percent}%)`
      : '';
  const why = value.reason ? `: ${value.reason}` : '';
  return `kill switch ${scope} is on${share}${why}`;
}

/**
 * Applies the kill switches to one request. `global`, then
 * `route/<routeSet>`, block the request; `model/<id>` and `provider/<id>`
 * (the provider instance id) exclude candidates, the model switch named first
 * when both apply. A snapshot that was never read fails safe (global block)
 * unless `failOpen` is set.
 */
export function evaluateKillSwitches(
  snapshot: KillSwitchSnapshot,
  request: KillSwitchRequest,
  models: readonly ModelConfig[],
  options: KillSwitchEvaluationOptions = {}
): KillSwitchEvaluation {
  const excluded = new Map<string, ExternalExclusion>();
  if (!snapshot.known && !options.failOpen) {
    return {
      blocked: { scope: 'global', reason: UNKNOWN_STATE_REASON },
      excluded,
    };
  }
  const { switches } = snapshot;
  const engaged = (scope: KillSwitchScope): KillSwitchValue | undefined => {
    const value = switches.get(scope);
    return value && isSwitchEngagedFor(value, request.now, request.sampleKey)
      ? value
      : undefined;
  };

  for (const model of models) {
    for (const scope of [`model/${model.id}`, `provider/${model.provider}`]) {
      const value = engaged(scope);
      if (value) {
        excluded.set(model.id, {
          code: 'kill_switch',
          reason: describe(scope, value),
        });
        break;
      }
    }
  }

  for (const scope of ['global', `route/${request.routeSet}`]) {
    const value = engaged(scope);
    if (value) {
      return {
        blocked: {
          scope,
          ...(value.reason !== undefined && { reason: value.reason }),
        },
        excluded,
      };
    }
  }
  return { excluded };
}

/**
 * Switches that are on now (brownouts included, expired `until` excluded),
 * sorted by scope, for /v1/admin and `ops status`.
 */
export function activeSwitches(
  snapshot: KillSwitchSnapshot,
  now: number
): ActiveKillSwitch[] {
  const active: ActiveKillSwitch[] = [];
  for (const [scope, value] of snapshot.switches) {
    if (isSwitchOn(value, now)) {
      active.push({ scope, value, percent: value.percent ?? 100 });
    }
  }
  return active.sort((a, b) =>
    a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0
  );
}
