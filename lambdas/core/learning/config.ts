import * as z from 'zod/mini';

/**
 * `learning` section of the gateway config file. Learning-loop settings (reward weights per domain, priors, exploration, shared state). Owned by the learning module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 */
export const learningSettingsSchema = z.strictObject({});

/** The `learning` section as written. */
export type LearningSettingsFile = z.infer<typeof learningSettingsSchema>;

/** The `learning` section after defaults. */
export type LearningSettings = Readonly<Record<string, never>>;

/** Resolves defaults of the `learning` section. */
export function resolveLearningSettings(
  _file: LearningSettingsFile | undefined
): LearningSettings {
  return {};
}
