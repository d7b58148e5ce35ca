import * as z from 'zod/mini';
import '../api/zod-locale';
import { formatParam } from '../api/chat-request';
import { modelSchema } from '../config/schema';
import type { ModelConfig, ProviderType } from '../types';
import { PROVIDER_FAMILIES, resolveModelEntry } from './model-entry';
import type { ModelVersion, RouteSetDocument } from './types';

/**
 * Schemas of the registry's documents: a registry file (model entries, the
 * config file's `models[]` plus registry-only fields) and a route set. Both
 * are public contracts (CI validates the repo's copies with
 * `npm run registry -- validate`): fields are only ever added.
 */

/** Route set names: what follows `/ai/routing/{env}/` in SSM. */
export const ROUTE_SET_NAME_PATTERN = /^[a-z0-9-]{1,64}$/;

/** The route set routers read unless told otherwise. */
export const DEFAULT_ROUTE_SET = 'active-models';

const posInt = z.int().check(z.gt(0));

/** Protocol family of a provider instance. */
export const providerTypeSchema = z.enum([
  'bedrock',
  'gemini',
  'openai-compatible',
  'echo',
]);

/** One model entry of a registry file. */
export const registryModelSchema = z.extend(modelSchema, {
  /** Protocol family; required when `provider` isn't itself a family name. */
  providerType: z.optional(providerTypeSchema),
  /** Guardrail profile (domain) applied to this model's traffic. */
  guardrailProfile: z.optional(
    z
      .string()
      .check(
        z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
      )
  ),
  /** Per-request token ceiling (input + output). */
  tokenLimit: z.optional(posInt),
});

/** A registry file: `registry/models.json`, input of `registry seed`. */
export const registryFileSchema = z.strictObject({
  $schema: z.optional(z.string()),
  description: z.optional(z.string()),
  models: z.array(registryModelSchema),
});

/** A route set name. */
export const routeSetNameSchema = z
  .string()
  .check(z.regex(ROUTE_SET_NAME_PATTERN, 'must match [a-z0-9-]{1,64}'));

/** A route set document (file, stored version or the SSM parameter's value). */
export const routeSetSchema = z.strictObject({
  $schema: z.optional(z.string()),
  name: routeSetNameSchema,
  /** Absent in files; stored and active documents always carry it. */
  version: z.optional(posInt),
  models: z.array(
    z.strictObject({
      id: modelSchema.shape.id,
      /** Pins a registry version; absent = the model's latest. */
      version: z.optional(posInt),
    })
  ),
  updatedBy: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  updatedAt: z.optional(z.iso.datetime()),
  description: z.optional(z.string().check(z.maxLength(1024))),
});

/** A registry model entry as written. */
export type RegistryModelEntry = z.infer<typeof registryModelSchema>;
/** A registry file as written. */
export type RegistryFile = z.infer<typeof registryFileSchema>;
/** A route set document as written (version optional). */
export type RouteSetFile = z.infer<typeof routeSetSchema>;

/** A model as the registry stores it, minus the bookkeeping of a version. */
export type ModelDefinition = Pick<
  ModelVersion,
  'config' | 'guardrailProfile' | 'tokenLimit'
>;

/** Outcome of a validation: the value, or every problem with its path. */
export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Formats zod issues as `path: message` lines (the config loader's style);
 * an unknown key gets its own path (`models[0].foo: unrecognized key`).
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = []
): string[] {
  return issues.flatMap((i) => {
    const path = [...prefix, ...i.path];
    if (i.code === 'unrecognized_keys')
      return i.keys.map(
        (k) => `${formatParam([...path, k])}: unrecognized key`
      );
    return [`${formatParam(path) ?? '<root>'}: ${i.message}`];
  });
}

function familyOf(entry: RegistryModelEntry): ProviderType | undefined {
  if (entry.providerType) return entry.providerType;
  return PROVIDER_FAMILIES.find((f) => f === entry.provider);
}

function definitionProblems(
  entry: RegistryModelEntry,
  config: ModelConfig,
  at: string
): string[] {
  const problems: string[] = [];
  if (entry.tokenLimit !== undefined && entry.tokenLimit > config.contextWindow)
    problems.push(
      `${at}tokenLimit: ${entry.tokenLimit} exceeds contextWindow ${config.contextWindow}`
    );
  return problems;
}

/**
 * Validates a registry file and resolves its entries (defaults as in the
 * config file). Collects every problem, each with its path
 * (`models[2].pricing.inputPer1M: ...`).
 */
export function validateRegistryFile(
  raw: unknown
): ValidationResult<ModelDefinition[]> {
  const parsed = registryFileSchema.safeParse(raw);
  const problems = parsed.success ? [] : formatIssues(parsed.error.issues);
  // Entries that are well-formed on their own still get the cross-field and
  // cross-entry checks, so one run reports every problem in the file.
  const rawModels =
    typeof raw === 'object' &&
    raw !== null &&
    Array.isArray((raw as { models?: unknown }).models)
      ? ((raw as { models: unknown[] }).models as unknown[])
      : [];
  const entries: { entry: RegistryModelEntry; index: number }[] = [];
  rawModels.forEach((m, index) => {
    const one = registryModelSchema.safeParse(m);
    if (one.success) entries.push({ entry: one.data, index });
  });
  const definitions: ModelDefinition[] = [];
  const seen = new Set<string>();
  for (const { entry, index } of entries) {
    const at = `models[${index}].`;
    if (seen.has(entry.id))
      problems.push(`${at}id: duplicate model id ${JSON.stringify(entry.id)}`);
    seen.add(entry.id);
    const type = familyOf(entry);
    if (!type) {
      problems.push(
        `${at}providerType: required when provider ${JSON.stringify(entry.provider)} is not one of ${PROVIDER_FAMILIES.join(', ')}`
      );
      continue;
    }
    const config = resolveModelEntry(entry, { type });
    problems.push(...definitionProblems(entry, config, at));
    definitions.push({
      config,
      guardrailProfile: entry.guardrailProfile,
      tokenLimit: entry.tokenLimit,
    });
  }
  // Aliases may be shared (a model group) but must not shadow another id.
  for (const { entry, index } of entries) {
    (entry.aliases ?? []).forEach((alias, j) => {
      if (seen.has(alias) && alias !== entry.id)
        problems.push(
          `models[${index}].aliases[${j}]: alias ${JSON.stringify(alias)} is another model's id`
        );
    });
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, value: definitions };
}

/** The registry entry of a stored definition (inverse of resolution). */
export function registryEntryOf(def: ModelDefinition): RegistryModelEntry {
  const { config } = def;
  return {
    id: config.id,
    provider: config.provider,
    providerType: config.providerType,
    providerModelId: config.providerModelId,
    aliases: [...config.aliases],
    region: config.region,
    capabilities: [...config.capabilities],
    contextWindow: config.contextWindow,
    maxOutputTokens: config.maxOutputTokens,
    pricing: { ...config.pricing },
    domains: [...config.domains],
    quality: config.quality,
    ...(config.expectedLatencyMs === undefined
      ? {}
      : { expectedLatencyMs: config.expectedLatencyMs }),
    status: config.status,
    ...(config.autoRoute === undefined ? {} : { autoRoute: config.autoRoute }),
    ...(config.structuredOutput === undefined
      ? {}
      : { structuredOutput: config.structuredOutput }),
    ...(def.guardrailProfile === undefined
      ? {}
      : { guardrailProfile: def.guardrailProfile }),
    ...(def.tokenLimit === undefined ? {} : { tokenLimit: def.tokenLimit }),
  };
}

/**
 * Validates a fully resolved definition before it is stored (what
 * `putVersion` writes): the same field rules as a registry file entry.
 */
export function validateModelDefinition(def: ModelDefinition): string[] {
  const entry = registryEntryOf(def);
  const parsed = registryModelSchema.safeParse(entry);
  if (!parsed.success) return formatIssues(parsed.error.issues);
  return definitionProblems(entry, def.config, '');
}

/** Options of a route set validation. */
export interface RouteSetValidationOptions {
  /** Stored and active documents must carry their version. */
  readonly requireVersion?: boolean;
  /** The name the document must have (e.g. its SSM parameter's). */
  readonly name?: string;
}

/**
 * Validates a route set document: schema, no duplicate ids and, as asked,
 * a version and the expected name.
 */
export function validateRouteSet(
  raw: unknown,
  options: RouteSetValidationOptions = {}
): ValidationResult<RouteSetFile> {
  const parsed = routeSetSchema.safeParse(raw);
  const problems = parsed.success ? [] : formatIssues(parsed.error.issues);
  const doc = (typeof raw === 'object' && raw !== null ? raw : {}) as {
    name?: unknown;
    version?: unknown;
    models?: unknown;
  };
  if (options.requireVersion && doc.version === undefined)
    problems.push('version: required in a stored route set');
  if (
    options.name !== undefined &&
    typeof doc.name === 'string' &&
    doc.name !== options.name
  )
    problems.push(
      `name: expected ${JSON.stringify(options.name)}, got ${JSON.stringify(doc.name)}`
    );
  const seen = new Set<string>();
  (Array.isArray(doc.models) ? doc.models : []).forEach((m: unknown, i) => {
    const id = (m as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    if (seen.has(id))
      problems.push(
        `models[${i}].id: duplicate model id ${JSON.stringify(id)}`
      );
    seen.add(id);
  });
  return problems.length > 0 || !parsed.success
    ? { ok: false, problems }
    : { ok: true, value: parsed.data };
}

/** Problems for route set entries naming models outside `known`. */
export function unknownRouteSetModels(
  doc: Pick<RouteSetDocument, 'models'>,
  known: ReadonlySet<string>
): string[] {
  const problems: string[] = [];
  doc.models.forEach((m, i) => {
    if (!known.has(m.id))
      problems.push(
        `models[${i}].id: unknown model ${JSON.stringify(m.id)} (not in the registry)`
      );
  });
  return problems;
}

/** A validated route set as the stores hand it out (no `$schema`). */
export function toRouteSetDocument(
  doc: RouteSetFile,
  version: number
): RouteSetDocument {
  return {
    name: doc.name,
    version,
    models: doc.models.map((m) =>
      m.version === undefined ? { id: m.id } : { id: m.id, version: m.version }
    ),
    ...(doc.updatedBy === undefined ? {} : { updatedBy: doc.updatedBy }),
    ...(doc.updatedAt === undefined ? {} : { updatedAt: doc.updatedAt }),
    ...(doc.description === undefined ? {} : { description: doc.description }),
  };
}
