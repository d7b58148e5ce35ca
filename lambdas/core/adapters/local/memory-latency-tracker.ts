import { DEFAULT_LEARNING_SETTINGS } from '../../learning/config';
import { DecayedSums } from '../../learning/decayed-sums';
import {
  type ShrunkLatencyOptions,
  ShrunkLatencyTracker,
} from '../../learning/latency-state';

/** Options of the in-memory latency tracker (defaults: learning.latency). */
export type MemoryLatencyTrackerOptions = ShrunkLatencyOptions;

/**
 * Latency estimates of one process (see ShrunkLatencyTracker): the model's
 * prior shrunk toward decayed, cold-discounted observations, in memory.
 */
export class MemoryLatencyTracker extends ShrunkLatencyTracker {
  public constructor(options: MemoryLatencyTrackerOptions = {}) {
    const sums = new DecayedSums(
      options.halfLifeMs ?? DEFAULT_LEARNING_SETTINGS.latency.halfLifeMs
    );
    super(sums, { ...options, halfLifeMs: sums.halfLifeMs });
  }
}
