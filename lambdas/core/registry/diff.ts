import { type ModelDefinition, registryEntryOf } from './schema';
import type { ModelVersion } from './types';

/** One changed field: its path in a registry entry and both values. */
export interface FieldChange {
  readonly path: string;
  /** Value in the table (undefined: absent). */
  readonly from: unknown;
  /** Value in the document (undefined: absent). */
  readonly to: unknown;
}

/** A model in both places whose fields differ. */
export interface ChangedModel {
  readonly id: string;
  /** The table's latest version (the expected version of the next write). */
  readonly latestVersion: number;
  readonly definition: ModelDefinition;
  readonly changes: readonly FieldChange[];
}

/** What writing a document into the registry would change. */
export interface RegistryDiff {
  /** In the document only. */
  readonly added: readonly ModelDefinition[];
  readonly changed: readonly ChangedModel[];
  /** In the table only (seed leaves them alone: deprecate them instead). */
  readonly removed: readonly ModelVersion[];
  /** Identical in both: ids with their table version. */
  readonly unchanged: readonly {
    readonly id: string;
    readonly version: number;
  }[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field-level differences; arrays compare as whole values. */
function fieldChanges(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
  prefix = ''
): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  for (const key of keys) {
    const path = prefix ? `${prefix}.${key}` : key;
    const a = from[key];
    const b = to[key];
    if (isPlainObject(a) && isPlainObject(b)) {
      changes.push(...fieldChanges(a, b, path));
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push({ path, from: a, to: b });
    }
  }
  return changes;
}

/**
 * Compares a registry document's models (resolved, defaults applied) with
 * the table's latest versions, field by field.
 */
export function diffRegistry(
  document: readonly ModelDefinition[],
  latest: readonly ModelVersion[]
): RegistryDiff {
  const byId = new Map(latest.map((v) => [v.modelId, v]));
  const inDocument = new Set(document.map((d) => d.config.id));
  const added: ModelDefinition[] = [];
  const changed: ChangedModel[] = [];
  const unchanged: { id: string; version: number }[] = [];
  for (const definition of document) {
    const current = byId.get(definition.config.id);
    if (!current) {
      added.push(definition);
      continue;
    }
    const changes = fieldChanges(
      registryEntryOf(current) as Record<string, unknown>,
      registryEntryOf(definition) as Record<string, unknown>
    );
    if (changes.length === 0)
      unchanged.push({ id: current.modelId, version: current.version });
    else
      changed.push({
        id: current.modelId,
        latestVersion: current.version,
        definition,
        changes,
      });
  }
  return {
    added,
    changed,
    removed: latest.filter((v) => !inDocument.has(v.modelId)),
    unchanged,
  };
}
