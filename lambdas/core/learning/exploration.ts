import type { ExplorationSettings } from './config';

/*
 * Bounded exploration mixed into the Thompson policy: with probability
 * `rate` a decision picks uniformly among the explorable arms instead of the
 * Thompson argmax. Every eligible, affordable, in-SLA arm is thus
 * re-measured at least at rate / |explorable|, whatever its posterior says,
 * and the chosen arm's probability stays exact:
 *
 *   P(i) = (1 − rate) · P_thompson(i) + rate · [i explorable] / |explorable|.
 */

/** What exploration needs to know about one eligible arm. */
export interface ArmFacts {
  readonly estimatedCostUsd: number;
  /** Latency estimate (decayed window) above the request's SLA. */
  readonly overSla: boolean;
}

/**
 * Indices of the arms exploration may pick: within the request's latency SLA
 * by their current (decayed-window) estimate, and, when a ceiling is set,
 * estimated to cost at most `maxCostUsd`. Deterministic given the state, so
 * the mixed propensity above is exact.
 */
export function explorableArms(
  arms: readonly ArmFacts[],
  settings: ExplorationSettings
): number[] {
  const out: number[] = [];
  if (!(settings.rate > 0) || arms.length < 2) return out;
  const ceiling = settings.maxCostUsd ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < arms.length; i++) {
    const a = arms[i];
    if (a.overSla) continue;
    if (a.estimatedCostUsd > ceiling) continue;
    out.push(i);
  }
  return out;
}

/** The exploration share actually applied: rate clamped to [0, 1], 0 without arms. */
export function explorationShare(
  settings: ExplorationSettings | undefined,
  explorable: readonly number[]
): number {
  if (!settings || explorable.length === 0) return 0;
  const r = settings.rate;
  return r > 0 ? Math.min(r, 1) : 0;
}
