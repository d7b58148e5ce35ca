import * as z from 'zod/mini';
import {
  type Experiment,
  type ExperimentInput,
  experimentInputSchema,
  resolveExperiment,
} from './types';

/**
 * `experiments` section of the gateway config file. Experiment definitions and rollout gates. Owned by the experiments module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 */
export const experimentsSettingsSchema = z.strictObject({
  /**
   * Assignment and tracking backend: `native` (hash bucketing + own tracker;
   * memory locally, DynamoDB on AWS) or `evidently` (legacy, AWS shut the
   * service down). @default native
   */
  backend: z.optional(z.enum(['native', 'evidently'])),
  /** Evidently project name (backend `evidently` only). */
  evidentlyProject: z.optional(z.string().check(z.minLength(1))),
  /**
   * Local feature flags: `experiments` (all) and `experiment-<id>` -> on/off.
   * On AWS the AppConfig feature-flag profile takes their place.
   */
  flags: z.optional(z.record(z.string(), z.boolean())),
  /** Re-evaluate an experiment's gate every N observations. @default 25 */
  evaluateEvery: z.optional(z.int().check(z.gte(1), z.lte(10_000))),
  /** Most shadow calls in flight per process (extra samples are dropped). @default 4 */
  maxShadowInFlight: z.optional(z.int().check(z.gte(0), z.lte(256))),
  /** Timeout of one shadow call, ms. @default 30000 */
  shadowTimeoutMs: z.optional(z.int().check(z.gte(100))),
  /** Experiments seeded at start (locally they start `running`). */
  definitions: z.optional(
    z
      .array(experimentInputSchema)
      .check(
        z.refine(
          (ds) => new Set(ds.map((d) => d.id)).size === ds.length,
          'experiment ids must be unique'
        )
      )
  ),
});

/** The `experiments` section as written. */
export type ExperimentsSettingsFile = z.infer<typeof experimentsSettingsSchema>;

/** The `experiments` section after defaults. */
export interface ExperimentsSettings {
  readonly backend: 'native' | 'evidently';
  readonly evidentlyProject?: string;
  readonly flags: Readonly<Record<string, boolean>>;
  readonly evaluateEvery: number;
  readonly maxShadowInFlight: number;
  readonly shadowTimeoutMs: number;
  /** Seed definitions, resolved (status `running`, version 0: not stored yet). */
  readonly definitions: readonly Experiment[];
}

/** Resolves defaults of the `experiments` section. */
export function resolveExperimentsSettings(
  file: ExperimentsSettingsFile | undefined
): ExperimentsSettings {
  const f = file ?? {};
  const definitions: Experiment[] = [];
  for (const d of (f.definitions ?? []) as ExperimentInput[]) {
    definitions.push({
      ...resolveExperiment(d, 'config', new Date(0)),
      status: 'running',
    });
  }
  return {
    backend: f.backend ?? 'native',
    ...(f.evidentlyProject ? { evidentlyProject: f.evidentlyProject } : {}),
    flags: f.flags ?? {},
    evaluateEvery: f.evaluateEvery ?? 25,
    maxShadowInFlight: f.maxShadowInFlight ?? 4,
    shadowTimeoutMs: f.shadowTimeoutMs ?? 30_000,
    definitions,
  };
}
