import { type GateVerdict, judgeCandidate } from './tracker';
import {
  bucketKey,
  EMPTY_COUNTS,
  type Experiment,
  type Stage,
  type VariantCounts,
} from './types';

/** What the controller should do with a rollout now. */
export interface RolloutStep {
  readonly action: 'promote' | 'rollback' | 'none';
  readonly from?: Stage;
  /** Stage after a promotion (`active` completes the rollout). */
  readonly to?: Stage;
  readonly verdict?: GateVerdict;
  readonly reason: string;
}

const NEXT: Readonly<Record<Stage, Stage | undefined>> = {
  shadow: 'canary',
  canary: 'active',
  active: undefined,
};

/**
 * The rollout gate for the current stage (pure): the candidate against the
 * control of the same stage (shadow: the served answers of the sampled
 * requests; canary: the rest of the traffic). A significant regression
 * rolls back; a passed gate promotes to the next stage; either only when
 * the definition allows it to happen automatically.
 */
export function rolloutStep(
  e: Experiment,
  counts: Readonly<Record<string, VariantCounts>>
): RolloutStep {
  if (e.kind !== 'rollout' || !e.rollout || !e.stage) {
    return { action: 'none', reason: 'not a rollout' };
  }
  if (e.status !== 'running') {
    return { action: 'none', reason: `status ${e.status}` };
  }
  const stage = e.stage;
  const next = NEXT[stage];
  if (!next) return { action: 'none', reason: 'already active' };
  const control = counts[bucketKey(stage, 'control')] ?? EMPTY_COUNTS;
  const candidate = counts[bucketKey(stage, 'candidate')] ?? EMPTY_COUNTS;
  const verdict = judgeCandidate(control, candidate, e);
  if (verdict.verdict === 'regressed') {
    return e.rollout.autoRollback
      ? { action: 'rollback', from: stage, verdict, reason: verdict.reason }
      : {
          action: 'none',
          from: stage,
          verdict,
          reason: `${verdict.reason}; autoRollback is off: roll back by hand`,
        };
  }
  if (verdict.verdict === 'pass') {
    return e.rollout.autoPromote
      ? {
          action: 'promote',
          from: stage,
          to: next,
          verdict,
          reason: `${stage} gate passed: ${verdict.reason}`,
        }
      : {
          action: 'none',
          from: stage,
          verdict,
          reason: `${verdict.reason}; autoPromote is off: promote by hand`,
        };
  }
  return { action: 'none', from: stage, verdict, reason: verdict.reason };
}
