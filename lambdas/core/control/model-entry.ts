import type { ResolvedProvider } from '../config/load';
import { resolveModelEntry } from '../registry/model-entry';
import { formatIssues, registryModelSchema } from '../registry/schema';
import { RegistryValidationError } from '../registry/types';
import type { ModelConfig } from '../types';

/** A parsed admin model entry. */
export interface ParsedModelEntry {
  readonly config: ModelConfig;
  readonly guardrailProfile?: string;
  readonly tokenLimit?: number;
}

/**
 * Parses a model entry sent to `POST /v1/admin/models` (the registry file's
 * entry shape) against the providers this gateway knows, with defaults as in
 * the config file. Throws RegistryValidationError naming every bad field.
 */
export function modelEntryParser(
  providers: readonly ResolvedProvider[]
): (raw: unknown) => ParsedModelEntry {
  const byId = new Map(providers.map((p) => [p.id, p]));
  return (raw) => {
    const parsed = registryModelSchema.safeParse(raw);
    if (!parsed.success) {
      throw new RegistryValidationError(
        formatIssues(parsed.error.issues, ['model'])
      );
    }
    const entry = parsed.data;
    const provider = byId.get(entry.provider);
    if (!provider) {
      throw new RegistryValidationError([
        `model.provider: unknown provider ${JSON.stringify(entry.provider)} (known: ${[...byId.keys()].join(', ') || 'none'})`,
      ]);
    }
    if (provider.type === 'echo' && entry.provider !== 'echo') {
      throw new RegistryValidationError([
        'model.provider: the echo provider is local-only',
      ]);
    }
    const config = resolveModelEntry(entry, {
      type: provider.type,
      region:
        provider.type === 'bedrock' ? provider.settings.region : undefined,
    });
    if (
      entry.tokenLimit !== undefined &&
      entry.tokenLimit > config.contextWindow
    ) {
      throw new RegistryValidationError([
        `model.tokenLimit: ${entry.tokenLimit} exceeds contextWindow ${config.contextWindow}`,
      ]);
    }
    return {
      config,
      guardrailProfile: entry.guardrailProfile,
      tokenLimit: entry.tokenLimit,
    };
  };
}
