import {
  addObservation,
  EMPTY_COUNTS,
  type Experiment,
  ExperimentError,
  type ExperimentFlags,
  type ExperimentStore,
  type Observation,
  type VariantCounts,
} from '../../experiments/types';

/**
 * Experiments in memory, with the semantics of the DynamoDB store:
 * versioned conditional writes (409 on a lost race) and additive counters.
 */
export class MemoryExperimentStore implements ExperimentStore {
  private readonly experiments = new Map<string, Experiment>();
  private readonly counters = new Map<string, Map<string, VariantCounts>>();

  /** `seed` experiments are stored as version 1. */
  public constructor(seed: readonly Experiment[] = []) {
    for (const e of seed) this.experiments.set(e.id, { ...e, version: 1 });
  }

  public async list(): Promise<readonly Experiment[]> {
    return [...this.experiments.values()].sort((a, b) =>
      a.id.localeCompare(b.id)
    );
  }

  public async get(id: string): Promise<Experiment | undefined> {
    return this.experiments.get(id);
  }

  public async put(
    experiment: Experiment,
    expectedVersion: number
  ): Promise<Experiment> {
    const current = this.experiments.get(experiment.id)?.version ?? 0;
    if (current !== expectedVersion) {
      throw new ExperimentError(
        409,
        'version_conflict',
        `experiment ${experiment.id} is at version ${current}, not ${expectedVersion}`
      );
    }
    const stored = { ...experiment, version: expectedVersion + 1 };
    this.experiments.set(experiment.id, stored);
    return stored;
  }

  public async record(
    id: string,
    bucket: string,
    o: Observation
  ): Promise<void> {
    let buckets = this.counters.get(id);
    if (!buckets) {
      buckets = new Map();
      this.counters.set(id, buckets);
    }
    buckets.set(bucket, addObservation(buckets.get(bucket) ?? EMPTY_COUNTS, o));
  }

  public async counts(
    id: string
  ): Promise<Readonly<Record<string, VariantCounts>>> {
    return Object.fromEntries(this.counters.get(id) ?? []);
  }
}

/**
 * Flags from the config file (`experiments.flags`): `experiments` gates all,
 * `experiment-<id>` one; missing means on.
 */
export class StaticExperimentFlags implements ExperimentFlags {
  public constructor(
    private readonly flags: Readonly<Record<string, boolean>> = {}
  ) {}

  public async enabled(experimentId: string): Promise<boolean> {
    return (
      this.flags.experiments !== false &&
      this.flags[`experiment-${experimentId}`] !== false
    );
  }
}
