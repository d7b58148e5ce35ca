import { createHash } from 'node:crypto';
import Ajv, { type Options, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { LRUCache } from 'lru-cache';
import { canonicalJson } from '../cache/key';

/*
 * JSON Schema compilation for `response_format.json_schema`: compiled once
 * when the request is parsed (an invalid schema is a 400), reused when a
 * strict answer is validated. Lives in the API layer because both the
 * request parser and the gateway's structured-output check use it.
 */

/** Compiled validators kept; a schema is compiled once, not per request. */
const MAX_VALIDATORS = 256;

// `strict: false`: OpenAI-style schemas carry keywords ajv does not know
// (`title` is fine, but vendors add `x-*`, `propertyOrdering`, ...); they
// are annotations, not constraints. `allErrors: false` stops at the first
// failure: the answer is rejected either way.
const OPTIONS: Options = {
  strict: false,
  allErrors: false,
  validateFormats: false,
};
// One instance per draft: zod 4's toJSONSchema (and so many SDK helpers)
// declares 2020-12; hand-written schemas mostly are draft-07 style. Built on
// first use: constructing all three costs ~5 ms, not worth a cold start
// that may never see a json_schema request.
const instances = new Map<'draft7' | '2019' | '2020', Ajv>();
const makers = {
  draft7: () => new Ajv(OPTIONS),
  '2019': () => new Ajv2019(OPTIONS),
  '2020': () => new Ajv2020(OPTIONS),
} as const;

function ajvFor(schema: Record<string, unknown>): Ajv {
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
