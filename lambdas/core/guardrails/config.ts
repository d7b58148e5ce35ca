import * as z from 'zod/mini';

/**
 * `guardrails` section of the gateway config file. Guardrail profiles per domain and fail modes. Owned by the guardrails module.
 * Fields are only ever added, never renamed (public contract, README "Configuration").
 */
export const guardrailSettingsSchema = z.strictObject({});

/** The `guardrails` section as written. */
export type GuardrailSettingsFile = z.infer<typeof guardrailSettingsSchema>;

/** The `guardrails` section after defaults. */
export type GuardrailSettings = Readonly<Record<string, never>>;

/** Resolves defaults of the `guardrails` section. */
export function resolveGuardrailSettings(
  _file: GuardrailSettingsFile | undefined
): GuardrailSettings {
  return {};
}
