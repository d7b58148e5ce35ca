import * as z from 'zod/mini';

/**
 * `experiments` section of the gateway config file. Experiment definitions and rollout gates. Owned by the experiments module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 */
export const experimentsSettingsSchema = z.strictObject({});

/** The `experiments` section as written. */
export type ExperimentsSettingsFile = z.infer<typeof experimentsSettingsSchema>;

/** The `experiments` section after defaults. */
export type ExperimentsSettings = Readonly<Record<string, never>>;

/** Resolves defaults of the `experiments` section. */
export function resolveExperimentsSettings(
  _file: ExperimentsSettingsFile | undefined
): ExperimentsSettings {
  return {};
}
