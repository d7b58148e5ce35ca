import {
  type DecayedBanditOptions,
  DecayedBanditStore,
} from '../../learning/bandit-state';
import { DEFAULT_LEARNING_SETTINGS } from '../../learning/config';
import { DecayedSums } from '../../learning/decayed-sums';
import type { BetaPosterior } from '../../ports';

/** Options of the in-memory bandit store. */
export interface MemoryBanditStoreOptions extends DecayedBanditOptions {
  /** Prior of arms without evidence. @default Beta(1, 1), uniform */
  readonly prior?: BetaPosterior;
  /** Half-life of a reward's weight, ms. @default learning.success.halfLifeMs (30 min) */
  readonly halfLifeMs?: number;
}

/**
 * Bandit posteriors of one process: context key -> model id -> Beta, over
 * decayed reward sums in memory. The same estimator as the fleet-shared
 * store (DynamoLearningStore), so local runs behave as a one-container fleet.
 */
export class MemoryBanditStore extends DecayedBanditStore {
  public constructor(options: MemoryBanditStoreOptions = {}) {
    super(
      new DecayedSums(
        options.halfLifeMs ?? DEFAULT_LEARNING_SETTINGS.success.halfLifeMs
      ),
      options
    );
  }
}
