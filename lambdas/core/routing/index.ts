/** The pure routing core: candidate filter, policy, bandit, decision, reward. */
export {
  BETA_PLAN_SIZE,
  BetaSampler,
  defaultRng,
  sampleBeta,
  seededRng,
  writeBetaPlan,
} from './bandit';
export {
  type CandidateSet,
  estimateContextPromptTokens,
  filterCandidates,
} from './candidates';
export { contextKey } from './context-key';
export { type DecideDeps, decide } from './decide';
export {
  DEFAULT_EXPECTED_OUTPUT_TOKENS,
  DEFAULT_ROUTING_SETTINGS,
  DEFAULT_TIER_SLA_MS,
  SLA_PENALTY,
} from './defaults';
export {
  DOMAIN_MATCH_SCORE,
  DOMAIN_MISMATCH_SCORE,
  DOMAIN_NEUTRAL_SCORE,
  domainScore,
  estimateRequestCostUsd,
  normaliseWeights,
  type PolicyScore,
  scorePolicy,
} from './policy';
export {
  computeReward,
  DEFAULT_REWARD_WEIGHTS,
  type RewardOutcome,
  type RewardWeights,
} from './reward';
export type * from './types';
