import { createHash } from 'node:crypto';
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import { canonicalJson } from '../cache/key';
import type { ajvMakers, Draft } from './ajv-drafts';

/*
 * JSON Schema compilation for `response_format.json_schema`: compiled once
 * when the request is parsed (an invalid schema is a 400), reused when a
 * strict answer is validated. Lives in the API layer because both the
 * request parser and the gateway's structured-output check use it.
 */

/** Compiled validators kept; a schema is compiled once, not per request. */
const MAX_VALIDATORS = 256;

// One instance per draft: zod 4's toJSONSchema (and so many SDK helpers)
// declares 2020-12; hand-written schemas mostly are draft-07 style. Built on
// first use: constructing all three costs ~5 ms, not worth a cold start
// that may never see a json_schema request.
const instances = new Map<Draft, Ajv>();
let makers: typeof ajvMakers | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads ajv (a lazy chunk of the Lambda bundle: most cold starts never see a
 * json_schema request). {@link validatorFor} needs it loaded; the router
 * awaits {@link jsonSchemaEngineFor} before it parses a request.
 */
export function loadJsonSchemaEngine(): Promise<void> {
  loading ??= import('./ajv-drafts.js').then((m) => {
    makers = m.ajvMakers;
  });
  return loading;
}

/** True when `body` asks for `response_format: { type: "json_schema" }`. */
function wantsJsonSchema(body: unknown): boolean {
  const format = (body as { response_format?: { type?: unknown } } | null)
    ?.response_format;
  return (
    typeof format === 'object' &&
    format !== null &&
    format.type === 'json_schema'
  );
}

/**
 * Returns `body` once the JSON Schema engine is loaded if the request needs
 * it (at once otherwise), so the synchronous request parser can compile its
 * schema.
 */
export async function withJsonSchemaEngine<T>(body: T): Promise<T> {
  if (wantsJsonSchema(body)) await loadJsonSchemaEngine();
  return body;
}

/**
 * What to await before parsing `body`: the engine's loading when the request
 * needs it and it is not loaded yet; undefined otherwise, so the common
 * request (no json_schema, or the engine already loaded) parses without
 * waiting a microtask.
 */
export function jsonSchemaEngineFor(body: unknown): Promise<void> | undefined {
  if (makers || !wantsJsonSchema(body)) return undefined;
  return loadJsonSchemaEngine();
}

/** Thrown by {@link validatorFor} before {@link loadJsonSchemaEngine} resolved: a wiring bug, not a bad schema. */
export class JsonSchemaEngineNotLoadedError extends Error {
  public constructor() {
    super('the JSON Schema engine is not loaded (await loadJsonSchemaEngine)');
    this.name = 'JsonSchemaEngineNotLoadedError';
  }
}

function ajvFor(schema: Record<string, unknown>): Ajv {
  if (!makers) throw new JsonSchemaEngineNotLoadedError();
  const declared = schema.$schema;
  const draft =
    typeof declared === 'string' && declared.includes('2020-12')
      ? '2020'
      : typeof declared === 'string' && declared.includes('2019-09')
        ? '2019'
        : 'draft7';
  let ajv = instances.get(draft);
  if (!ajv) {
    ajv = makers[draft]();
    instances.set(draft, ajv);
  }
  return ajv;
}

const validators = new LRUCache<string, ValidateFunction>({
  max: MAX_VALIDATORS,
});

/** SHA-256 of a schema's canonical JSON: key-order independent. */
export function schemaHash(schema: unknown): string {
  return createHash('sha256').update(canonicalJson(schema)).digest('hex');
}

/**
 * The compiled validator of a schema, from the bounded LRU (by schema hash).
 * Throws ajv's error when the schema does not compile; the request parser
 * turns that into a 400 naming `response_format.json_schema.schema`.
 */
export function validatorFor(
  schema: Record<string, unknown>
): ValidateFunction {
  const key = schemaHash(schema);
  const cached = validators.get(key);
  if (cached) return cached;
  // ajv caches by schema object identity; every request brings a new object,
  // so our own hash-keyed LRU is what bounds memory and compile time.
  const ajv = ajvFor(schema);
  let compiled: ValidateFunction;
  try {
    compiled = ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
  validators.set(key, compiled);
  return compiled;
}

/** Number of compiled validators currently cached (tests, metrics). */
export function cachedValidatorCount(): number {
  return validators.size;
}
