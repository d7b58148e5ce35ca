import type { GeminiSchema, GeminiSchemaType } from './wire';

/**
 * JSON Schema -> the OpenAPI 3.0 subset Gemini's `FunctionDeclaration.parameters`
 * accepts. Clients send whatever zod-to-json-schema, Pydantic or MCP servers
 * emit; the REST API rejects the whole request (400 INVALID_ARGUMENT) on a
 * single unknown key, a `type` array or an empty `properties`, so this works
 * as a whitelist: only keys Gemini knows are ever emitted.
 */

/** Tuning knobs of the conversion. */
export interface GeminiSchemaOptions {
  /**
   * How many `$ref`s may be expanded inside each other before the rest is
   * cut to a bare type. Recursive schemas (trees, linked lists) have no
   * finite inline form, and Gemini has no `$ref`.
   * @default 8
   */
  readonly maxRefDepth?: number;
  /**
   * Nesting depth after which sub-schemas are emptied, so a pathological
   * schema cannot blow the stack.
   * @default 32
   */
  readonly maxDepth?: number;
}

type JsonObject = Record<string, unknown>;

interface Ctx {
  readonly root: JsonObject;
  readonly refs: readonly string[];
  readonly depth: number;
  readonly maxRefDepth: number;
  readonly maxDepth: number;
}

const TYPES: Readonly<Record<string, GeminiSchemaType>> = {
  string: 'STRING',
  number: 'NUMBER',
  integer: 'INTEGER',
  boolean: 'BOOLEAN',
  array: 'ARRAY',
  object: 'OBJECT',
};

// The only `format`s the API accepts; anything else (email, uri, uuid...) is
// a 400, so it moves into the description where it still guides the model.
const FORMATS: Readonly<Partial<Record<GeminiSchemaType, readonly string[]>>> =
  {
    STRING: ['enum', 'date-time'],
    NUMBER: ['float', 'double'],
    INTEGER: ['int32', 'int64'],
  };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNonNegativeInt(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

/** Resolves a local JSON pointer (`#/$defs/Foo`, `#/properties/a`, `#`). */
function resolvePointer(root: JsonObject, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function mapType(value: unknown): GeminiSchemaType | undefined {
  return typeof value === 'string' ? TYPES[value.toLowerCase()] : undefined;
}

function appendDescription(
  schema: GeminiSchema,
  note: string
): GeminiSchema['description'] {
  return schema.description ? `${schema.description} (${note})` : note;
}

function describeValues(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

const KEYWORDS_OF: Readonly<Record<GeminiSchemaType, readonly string[]>> = {
  STRING: ['enum', 'format', 'minLength', 'maxLength', 'pattern'],
  NUMBER: ['format', 'minimum', 'maximum'],
  INTEGER: ['format', 'minimum', 'maximum'],
  BOOLEAN: [],
  ARRAY: ['items', 'minItems', 'maxItems'],
  OBJECT: [
    'properties',
    'required',
    'propertyOrdering',
    'minProperties',
    'maxProperties',
  ],
};

const TYPED_KEYWORDS = new Set(Object.values(KEYWORDS_OF).flat());

/**
 * Drops keywords that do not apply to the schema's type. Only merges can
 * produce such mixes (`allOf` of an object and a string enum), and Gemini
 * rejects some of them outright ("enum: only allowed for STRING type").
 */
function fitToType(schema: GeminiSchema): GeminiSchema {
  if (!schema.type) return schema;
  const allowed = KEYWORDS_OF[schema.type];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!TYPED_KEYWORDS.has(key) || allowed.includes(key)) out[key] = value;
  }
  const fitted = out as GeminiSchema;
  if (fitted.format && !FORMATS[schema.type]?.includes(fitted.format))
    delete fitted.format;
  return fitted;
}

/** Merges `b` into `a`: `a`'s scalars win, object members and `required` unite. */
function mergeSchemas(a: GeminiSchema, b: GeminiSchema): GeminiSchema {
  const out: GeminiSchema = { ...b, ...a };
  if (a.properties || b.properties) {
    out.properties = { ...b.properties, ...a.properties };
  }
  if (a.required || b.required) {
    out.required = [...new Set([...(a.required ?? []), ...(b.required ?? [])])];
  }
  if (a.nullable !== undefined || b.nullable !== undefined) {
    // allOf means "all of": the value may be null only if every part says so.
    out.nullable = (a.nullable ?? true) && (b.nullable ?? true);
    if (!out.nullable) delete out.nullable;
  }
  // "All of: a STRING, and STRING or NUMBER" is a STRING: the concrete
  // type narrows the union (Gemini rejects type and anyOf together).
  if (out.anyOf && out.type) delete out.anyOf;
  return fitToType(out);
}

function withoutKeys(node: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function convertRef(node: JsonObject, ref: string, ctx: Ctx): GeminiSchema {
  const siblings = withoutKeys(node, ['$ref']);
  const target = resolvePointer(ctx.root, ref);
  if (!isObject(target)) return convert(siblings, ctx);
  if (ctx.refs.includes(ref) || ctx.refs.length >= ctx.maxRefDepth) {
    // Cycle or too deep: keep the type and the words, drop the structure.
    const cut: GeminiSchema = {};
    const type =
      mapType(target.type) ?? (target.properties ? 'OBJECT' : undefined);
    if (type) cut.type = type;
    const description = siblings.description ?? target.description;
    if (typeof description === 'string') cut.description = description;
    return cut;
  }
  // Siblings of `$ref` (description, title, nullable) refine the target.
  return convert(
    { ...target, ...siblings },
    { ...ctx, refs: [...ctx.refs, ref] }
  );
}

function convertUnion(
  node: JsonObject,
  branches: readonly unknown[],
  ctx: Ctx
): GeminiSchema {
  const own = convert(withoutKeys(node, ['anyOf', 'oneOf', 'type']), ctx);
  const nullBranch = branches.some((b) => isObject(b) && b.type === 'null');
  const converted = branches
    .filter((b) => !(isObject(b) && b.type === 'null'))
    .map((b) => convert(b, ctx));
  if (nullBranch) own.nullable = true;
  if (converted.length === 0) return own;
  // Pydantic's Optional[X] is anyOf [X, null]: one branch left is just X.
  if (converted.length === 1) return mergeSchemas(own, converted[0]!);
  // Type-bound keywords next to a union have no type to bind to.
  const shared: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(own)) {
    if (key !== 'type' && !TYPED_KEYWORDS.has(key)) shared[key] = value;
  }
  return { ...(shared as GeminiSchema), anyOf: converted };
}

function convertTypeList(
  node: JsonObject,
  types: readonly unknown[],
  ctx: Ctx
): GeminiSchema {
  const nullable = types.includes('null');
  const rest = types.filter((t) => t !== 'null');
  if (rest.length <= 1) {
    const out = convert({ ...node, type: rest[0] }, ctx);
    if (nullable) out.nullable = true;
    return out;
  }
  // `type` is a scalar proto field: a list is a 400 ("cannot start list").
  const shared: GeminiSchema = {};
  if (typeof node.title === 'string') shared.title = node.title;
  if (typeof node.description === 'string')
    shared.description = node.description;
  if (nullable) shared.nullable = true;
  const branchNode = withoutKeys(node, ['title', 'description', 'default']);
  return {
    ...shared,
    anyOf: rest.map((t) => convert({ ...branchNode, type: t }, ctx)),
  };
}

function inferType(node: JsonObject): GeminiSchemaType | undefined {
  const explicit = mapType(node.type);
  if (explicit) return explicit;
  if (isObject(node.properties)) return 'OBJECT';
  if (node.items !== undefined || node.prefixItems !== undefined)
    return 'ARRAY';
  const values = Array.isArray(node.enum)
    ? node.enum
    : 'const' in node
      ? [node.const]
      : undefined;
  if (values?.every((v) => typeof v === 'string' || v === null))
    return 'STRING';
  return undefined;
}

function applyEnum(
  out: GeminiSchema,
  node: JsonObject,
  type: GeminiSchemaType | undefined
): void {
  const values = Array.isArray(node.enum)
    ? node.enum
    : 'const' in node
      ? [node.const]
      : undefined;
  if (!values) return;
  const nonNull = values.filter((v) => v !== null);
  if (nonNull.length < values.length) out.nullable = true;
  if (nonNull.length === 0) return;
  // Gemini's enum is STRING-only; numbers would come back as strings and
  // break the caller's validation, so they stay numbers and the allowed
  // values become prose.
  if (
    (type === undefined || type === 'STRING') &&
    nonNull.every((v) => typeof v === 'string')
  ) {
    out.type = 'STRING';
    out.enum = nonNull as string[];
    return;
  }
  out.description = appendDescription(
    out,
    `allowed values: ${describeValues(nonNull)}`
  );
}

function applyObject(out: GeminiSchema, node: JsonObject, ctx: Ctx): void {
  if (isObject(node.properties)) {
    const properties: Record<string, GeminiSchema> = {};
    for (const [name, sub] of Object.entries(node.properties))
      properties[name] = convert(sub, ctx);
    // An empty `properties` on an OBJECT is a 400 ("should be non-empty").
    if (Object.keys(properties).length > 0) {
      out.properties = properties;
      if (Array.isArray(node.required)) {
        const required = node.required.filter(
          (r): r is string => typeof r === 'string' && r in properties
        );
        if (required.length > 0) out.required = [...new Set(required)];
      }
      if (Array.isArray(node.propertyOrdering)) {
        const ordering = node.propertyOrdering.filter(
          (p): p is string => typeof p === 'string' && p in properties
        );
        if (ordering.length > 0) out.propertyOrdering = ordering;
      }
    }
  }
  if (isNonNegativeInt(node.minProperties))
    out.minProperties = node.minProperties;
  if (isNonNegativeInt(node.maxProperties))
    out.maxProperties = node.maxProperties;
}

function applyArray(out: GeminiSchema, node: JsonObject, ctx: Ctx): void {
  // Tuples (`items: [...]` in draft 4-7, `prefixItems` in 2020-12) have no
  // OpenAPI 3.0 form: the closest is "each item is one of these".
  const tuple = Array.isArray(node.prefixItems)
    ? node.prefixItems
    : Array.isArray(node.items)
      ? node.items
      : undefined;
  if (tuple && tuple.length > 0) {
    out.items =
      tuple.length === 1
        ? convert(tuple[0], ctx)
        : convertUnion({}, tuple, ctx);
  } else if (isObject(node.items)) {
    out.items = convert(node.items, ctx);
  }
  if (isNonNegativeInt(node.minItems)) out.minItems = node.minItems;
  if (isNonNegativeInt(node.maxItems)) out.maxItems = node.maxItems;
}

function applyString(out: GeminiSchema, node: JsonObject): void {
  if (isNonNegativeInt(node.minLength)) out.minLength = node.minLength;
  if (isNonNegativeInt(node.maxLength)) out.maxLength = node.maxLength;
  if (typeof node.pattern === 'string') out.pattern = node.pattern;
}

function applyNumber(
  out: GeminiSchema,
  node: JsonObject,
  type: GeminiSchemaType
): void {
  const step = type === 'INTEGER' ? 1 : 0;
  if (isFiniteNumber(node.minimum)) out.minimum = node.minimum;
  else if (isFiniteNumber(node.exclusiveMinimum))
    out.minimum = node.exclusiveMinimum + step;
  if (isFiniteNumber(node.maximum)) out.maximum = node.maximum;
  else if (isFiniteNumber(node.exclusiveMaximum))
    out.maximum = node.exclusiveMaximum - step;
}

function applyFormat(
  out: GeminiSchema,
  node: JsonObject,
  type: GeminiSchemaType | undefined
): void {
  if (typeof node.format !== 'string') return;
  if (type && FORMATS[type]?.includes(node.format)) {
    out.format = node.format;
    return;
  }
  out.description = appendDescription(out, `format: ${node.format}`);
}

function convert(input: unknown, ctx: Ctx): GeminiSchema {
  // `true` / `{}` mean "anything": Gemini's nearest is an untyped schema.
  if (!isObject(input) || ctx.depth > ctx.maxDepth) return {};
  const node = input;
  const next: Ctx = { ...ctx, depth: ctx.depth + 1 };

  if (typeof node.$ref === 'string') return convertRef(node, node.$ref, next);

  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    let merged = convert(withoutKeys(node, ['allOf']), next);
    for (const part of node.allOf)
      merged = mergeSchemas(merged, convert(part, next));
    return merged;
  }

  const union = Array.isArray(node.anyOf)
    ? node.anyOf
    : Array.isArray(node.oneOf)
      ? node.oneOf
      : undefined;
  if (union && union.length > 0) return convertUnion(node, union, next);

  if (Array.isArray(node.type)) return convertTypeList(node, node.type, next);

  const out: GeminiSchema = {};
  if (node.type === 'null') out.nullable = true;
  const type = inferType(node);
  if (type) out.type = type;
  if (typeof node.title === 'string') out.title = node.title;
  if (typeof node.description === 'string') out.description = node.description;
  if (node.nullable === true) out.nullable = true;

  applyEnum(out, node, type);
  const finalType = out.type;
  applyFormat(out, node, finalType);
  if (finalType === 'OBJECT') applyObject(out, node, next);
  if (finalType === 'ARRAY') applyArray(out, node, next);
  if (finalType === 'STRING') applyString(out, node);
  if (finalType === 'NUMBER' || finalType === 'INTEGER')
    applyNumber(out, node, finalType);

  // A null default is Pydantic's marker for Optional, not a useful value.
  if (node.default !== undefined && node.default !== null)
    out.default = node.default;
  if (Array.isArray(node.examples) && node.examples.length > 0)
    out.example = node.examples[0];
  else if (node.example !== undefined) out.example = node.example;
  return out;
}

/**
 * Converts any JSON Schema into Gemini's OpenAPI subset. `$ref`s into
 * `$defs`/`definitions` (or any local pointer) are inlined, cycles cut,
 * `type: [X, 'null']` becomes `nullable`, `oneOf` becomes `anyOf`, `allOf`
 * is merged, and every keyword Gemini does not know is dropped.
 */
export function toGeminiSchema(
  schema: unknown,
  options: GeminiSchemaOptions = {}
): GeminiSchema {
  const root = isObject(schema) ? schema : {};
  return convert(root, {
    root,
    refs: [],
    depth: 0,
    maxRefDepth: options.maxRefDepth ?? 8,
    maxDepth: options.maxDepth ?? 32,
  });
}

/**
 * Converts a tool's `parameters` schema. The root of a declaration must be
 * an OBJECT with at least one property, so a parameterless tool (no schema,
 * `{}`, or `{type: 'object', properties: {}}`) yields undefined: the
 * declaration is then sent without `parameters`, which the API accepts.
 * A root union of objects (discriminated arguments) is flattened into one
 * object whose required keys are those every branch requires.
 */
export function toGeminiParameters(
  schema: Record<string, unknown> | undefined,
  options: GeminiSchemaOptions = {}
): GeminiSchema | undefined {
  if (!schema) return undefined;
  let converted = toGeminiSchema(schema, options);
  if (converted.anyOf) converted = flattenObjectUnion(converted);
  if (!converted.properties || Object.keys(converted.properties).length === 0)
    return undefined;
  const { nullable: _nullable, anyOf: _anyOf, ...rest } = converted;
  return { ...rest, type: 'OBJECT' };
}

function flattenObjectUnion(schema: GeminiSchema): GeminiSchema {
  const branches = schema.anyOf ?? [];
  const properties: Record<string, GeminiSchema> = {};
  let required: string[] | undefined;
  for (const branch of branches) {
    Object.assign(properties, branch.properties);
    const mine = branch.required ?? [];
    required = required ? required.filter((r) => mine.includes(r)) : mine;
  }
  const out: GeminiSchema = { ...schema, type: 'OBJECT', properties };
  delete out.anyOf;
  if (required && required.length > 0) out.required = required;
  return out;
}
