import fc from 'fast-check';
import { z } from 'zod';
import {
  toGeminiParameters,
  toGeminiSchema,
} from '../../../../lambdas/core/providers/gemini/schema';
import { geminiParametersProblem } from '../../../helpers/fakes/gemini-fake';
import { loadFixture } from './helpers';

const GEMINI_KEYS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

/** Every key anywhere in a converted schema (property names excluded). */
function schemaKeys(schema: unknown, out = new Set<string>()): Set<string> {
  if (typeof schema !== 'object' || schema === null) return out;
  for (const [key, value] of Object.entries(schema)) {
    out.add(key);
    if (key === 'properties') {
      for (const sub of Object.values(value as object)) schemaKeys(sub, out);
    } else if (key === 'items') schemaKeys(value, out);
    else if (key === 'anyOf')
      for (const sub of value as unknown[]) schemaKeys(sub, out);
  }
  return out;
}

describe('Function: toGeminiSchema', () => {
  it('drops every JSON-Schema-only keyword of an MCP tool schema', () => {
    // Prepare
    const schema = loadFixture<Record<string, unknown>>('schema-mcp-tool');

    // Act
    const result = toGeminiParameters(schema);

    // Assess
    const keys = schemaKeys(result);
    for (const key of keys) expect(GEMINI_KEYS).toContain(key);
    expect(geminiParametersProblem(result)).toBeUndefined();
    expect(result?.required).toEqual(['repo', 'title']);
    expect(result?.properties?.repo).toEqual({
      type: 'STRING',
      pattern: '^[\\w.-]+/[\\w.-]+$',
      example: 'octo/hello-world',
    });
    expect(result?.properties?.labels).toEqual({
      type: 'ARRAY',
      items: { type: 'STRING' },
      minItems: 0,
      maxItems: 10,
    });
    // A map type keeps its type; its value schema has no Gemini form.
    expect(result?.properties?.metadata).toEqual({ type: 'OBJECT' });
  });

  it('turns a ["string", "null"] type into a nullable string', () => {
    // Act
    const result = toGeminiSchema({ type: ['string', 'null'], title: 'Nick' });

    // Assess
    expect(result).toEqual({ type: 'STRING', nullable: true, title: 'Nick' });
  });

  it('turns a multi-type list into anyOf, keeping the words on top', () => {
    // Act
    const result = toGeminiSchema({
      type: ['string', 'number', 'null'],
      description: 'id or code',
      minLength: 2,
      minimum: 1,
    });

    // Assess
    expect(result).toEqual({
      description: 'id or code',
      nullable: true,
      anyOf: [
        { type: 'STRING', minLength: 2 },
        { type: 'NUMBER', minimum: 1 },
      ],
    });
  });

  it('maps oneOf to anyOf', () => {
    // Prepare
    const schema = loadFixture<Record<string, unknown>>('schema-mcp-tool');

    // Act
    const result = toGeminiParameters(schema);

    // Assess
    expect(result?.properties?.body).toEqual({
      anyOf: [
        { type: 'STRING' },
        {
          type: 'OBJECT',
          properties: { markdown: { type: 'STRING' } },
          required: ['markdown'],
        },
      ],
    });
  });

  it('merges allOf object parts into one object', () => {
    // Prepare
    const schema = loadFixture<Record<string, unknown>>('schema-mcp-tool');

    // Act
    const result = toGeminiParameters(schema);

    // Assess
    expect(result?.properties?.extra).toEqual({
      type: 'OBJECT',
      properties: { a: { type: 'STRING' }, b: { type: 'BOOLEAN' } },
      required: ['a', 'b'],
    });
  });

  it('inlines $defs references from a Pydantic model, siblings winning', () => {
    // Prepare
    const schema = loadFixture<Record<string, unknown>>(
      'schema-pydantic-person'
    );

    // Act
    const result = toGeminiParameters(schema);

    // Assess
    const address = {
      type: 'OBJECT',
      title: 'Address',
      properties: {
        street: { type: 'STRING', title: 'Street' },
        city: { type: 'STRING', title: 'City' },
        country: {
          type: 'STRING',
          title: 'Country',
          enum: ['FR', 'DE'],
          default: 'FR',
        },
      },
      required: ['street', 'city'],
    };
    expect(result?.properties?.address).toEqual(address);
    expect(result?.properties?.previous).toEqual({
      ...address,
      description: 'Where they lived before',
      nullable: true,
    });
    expect(geminiParametersProblem(result)).toBeUndefined();
  });

  it('reads Pydantic Optional[int] as a nullable integer without a null default', () => {
    // Prepare
    const schema = loadFixture<Record<string, unknown>>(
      'schema-pydantic-person'
    );

    // Act
    const result = toGeminiParameters(schema);

    // Assess
    expect(result?.properties?.age).toEqual({
      type: 'INTEGER',
      title: 'Age',
      nullable: true,
      minimum: 0,
    });
    expect(result?.properties?.tags).toEqual({
      type: 'ARRAY',
      title: 'Tags',
      items: { type: 'STRING' },
      default: [],
    });
  });

  it('turns a string const into a one-value enum', () => {
    // Prepare
    const schema = loadFixture<Record<string, unknown>>(
      'schema-pydantic-person'
    );

    // Act
    const result = toGeminiParameters(schema);

    // Assess
    expect(result?.properties?.version).toEqual({
      type: 'STRING',
      title: 'Version',
      enum: ['v1'],
      default: 'v1',
    });
  });

  it('keeps numeric enums and consts numeric, listing the values in prose', () => {
    // Act
    const priority = toGeminiSchema({ type: 'integer', enum: [1, 2, 3] });
    const five = toGeminiSchema({
      type: 'number',
      const: 5,
      description: 'Always five',
    });

    // Assess
    expect(priority).toEqual({
      type: 'INTEGER',
      description: 'allowed values: 1, 2, 3',
    });
    expect(five).toEqual({
      type: 'NUMBER',
      description: 'Always five (allowed values: 5)',
    });
  });

  it('reads a nullable enum as a nullable string enum', () => {
    // Act
    const result = toGeminiSchema({
      type: ['string', 'null'],
      enum: ['open', 'closed', null],
    });

    // Assess
    expect(result).toEqual({
      type: 'STRING',
      enum: ['open', 'closed'],
      nullable: true,
    });
  });

  it('cuts a recursive Pydantic model after a bounded depth', () => {
    // Prepare
    const schema = loadFixture<Record<string, unknown>>('schema-pydantic-tree');

    // Act
    const result = toGeminiParameters(schema);

    // Assess
    expect(result?.type).toBe('OBJECT');
    expect(result?.properties?.value).toEqual({
      type: 'STRING',
      title: 'Value',
    });
    expect(result?.properties?.children?.items?.type).toBe('OBJECT');
    expect(geminiParametersProblem(result)).toBeUndefined();
    // Cycle cut: the node is expanded once, its children are bare objects.
    expect(result?.properties?.children?.items).toEqual({
      type: 'OBJECT',
    });
  });

  it('bounds the depth of distinct nested references', () => {
    // Prepare
    const defs: Record<string, unknown> = {};
    for (let i = 0; i < 20; i += 1) {
      defs[`L${i}`] = {
        type: 'object',
        properties: { next: { $ref: `#/definitions/L${i + 1}` } },
      };
    }
    defs.L20 = { type: 'string' };

    // Act
    const result = toGeminiSchema(
      { $ref: '#/definitions/L0', definitions: defs },
      { maxRefDepth: 3 }
    );

    // Assess
    expect(result.properties?.next?.properties?.next?.properties?.next).toEqual(
      {
        type: 'OBJECT',
      }
    );
  });

  it('follows non-$defs local pointers zod-to-json-schema emits', () => {
    // Act
    const result = toGeminiSchema({
      type: 'object',
      properties: {
        home: { type: 'object', properties: { zip: { type: 'string' } } },
        work: { $ref: '#/properties/home', description: 'Office' },
      },
    });

    // Assess
    expect(result.properties?.work).toEqual({
      type: 'OBJECT',
      description: 'Office',
      properties: { zip: { type: 'STRING' } },
    });
  });

  it('leaves an unresolvable $ref as its siblings', () => {
    // Act
    const result = toGeminiSchema({
      $ref: 'https://example.com/remote.json',
      description: 'Remote thing',
    });

    // Assess
    expect(result).toEqual({ description: 'Remote thing' });
  });

  it('omits an empty nested properties object and filters required', () => {
    // Act
    const result = toGeminiSchema({
      type: 'object',
      properties: {
        options: { type: 'object', properties: {}, required: ['x'] },
        name: { type: 'string' },
      },
      required: ['name', 'ghost'],
    });

    // Assess
    expect(result).toEqual({
      type: 'OBJECT',
      properties: { options: { type: 'OBJECT' }, name: { type: 'STRING' } },
      required: ['name'],
    });
  });

  it('keeps supported formats and moves the rest into the description', () => {
    // Act
    const result = toGeminiSchema({
      type: 'object',
      properties: {
        when: { type: 'string', format: 'date-time' },
        mail: { type: 'string', format: 'email', description: 'Contact' },
        big: { type: 'integer', format: 'int64' },
        ratio: { type: 'number', format: 'percent' },
      },
    });

    // Assess
    expect(result.properties).toEqual({
      when: { type: 'STRING', format: 'date-time' },
      mail: { type: 'STRING', description: 'Contact (format: email)' },
      big: { type: 'INTEGER', format: 'int64' },
      ratio: { type: 'NUMBER', description: 'format: percent' },
    });
  });

  it('maps exclusive bounds to inclusive ones', () => {
    // Act
    const count = toGeminiSchema({
      type: 'integer',
      exclusiveMinimum: 0,
      exclusiveMaximum: 10,
    });
    const price = toGeminiSchema({ type: 'number', exclusiveMinimum: 0 });

    // Assess
    expect(count).toEqual({ type: 'INTEGER', minimum: 1, maximum: 9 });
    expect(price).toEqual({ type: 'NUMBER', minimum: 0 });
  });

  it('keeps the documented keywords as they are', () => {
    // Prepare
    const schema = {
      type: 'object',
      title: 'Order',
      description: 'An order',
      properties: {
        sku: {
          type: 'string',
          minLength: 3,
          maxLength: 12,
          pattern: '^[A-Z]+',
        },
        qty: { type: 'integer', minimum: 1, maximum: 99, default: 1 },
        notes: {
          type: 'array',
          items: { type: 'string' },
          minItems: 1,
          maxItems: 3,
        },
      },
      required: ['sku'],
      propertyOrdering: ['sku', 'qty', 'notes'],
      minProperties: 1,
    };

    // Act
    const result = toGeminiSchema(schema);

    // Assess
    expect(result).toEqual({
      type: 'OBJECT',
      title: 'Order',
      description: 'An order',
      properties: {
        sku: {
          type: 'STRING',
          minLength: 3,
          maxLength: 12,
          pattern: '^[A-Z]+',
        },
        qty: { type: 'INTEGER', minimum: 1, maximum: 99, default: 1 },
        notes: {
          type: 'ARRAY',
          items: { type: 'STRING' },
          minItems: 1,
          maxItems: 3,
        },
      },
      required: ['sku'],
      propertyOrdering: ['sku', 'qty', 'notes'],
      minProperties: 1,
    });
  });

  it('infers missing types from the shape', () => {
    // Act
    const result = toGeminiSchema({
      properties: {
        list: { items: { enum: ['a', 'b'] } },
        anything: {},
      },
    });

    // Assess
    expect(result).toEqual({
      type: 'OBJECT',
      properties: {
        list: { type: 'ARRAY', items: { type: 'STRING', enum: ['a', 'b'] } },
        anything: {},
      },
    });
  });

  it('converts what zod 4 emits, tuples and records included', () => {
    // Prepare
    const Node: z.ZodType = z.object({
      value: z.string(),
      get children() {
        return z.array(Node).optional();
      },
    });
    const schema = z.toJSONSchema(
      z.object({
        email: z.string().email().nullable(),
        count: z.number().int().positive().default(3),
        mode: z.enum(['fast', 'slow']),
        tree: Node,
        either: z.union([z.string(), z.number()]),
        scores: z.record(z.string(), z.number()),
        pair: z.tuple([z.string(), z.number()]),
      })
    ) as Record<string, unknown>;

    // Act
    const result = toGeminiParameters(schema);

    // Assess
    expect(geminiParametersProblem(result)).toBeUndefined();
    expect(result?.properties?.email).toMatchObject({
      type: 'STRING',
      nullable: true,
      description: 'format: email',
    });
    expect(result?.properties?.count).toMatchObject({
      type: 'INTEGER',
      minimum: 1,
      default: 3,
    });
    expect(result?.properties?.either).toEqual({
      anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }],
    });
    expect(result?.properties?.pair).toEqual({
      type: 'ARRAY',
      items: { anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }] },
      minItems: 2,
      maxItems: 2,
    });
    expect(result?.required).toEqual([
      'email',
      'count',
      'mode',
      'tree',
      'either',
      'scores',
      'pair',
    ]);
  });

  it('always yields a schema Gemini accepts, whatever JSON Schema comes in', () => {
    // Prepare
    const { schema } = fc.letrec((tie) => ({
      schema: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record(
          {
            type: fc.oneof(
              fc.constantFrom(
                'string',
                'number',
                'integer',
                'boolean',
                'null',
                'object',
                'array'
              ),
              fc.subarray(['string', 'number', 'null', 'object'], {
                minLength: 1,
              })
            ),
            description: fc.string(),
            format: fc.constantFrom('email', 'date-time', 'int32', 'uuid'),
            enum: fc.array(
              fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
              {
                maxLength: 3,
              }
            ),
            const: fc.oneof(fc.string(), fc.integer()),
            additionalProperties: fc.boolean(),
            minimum: fc.integer(),
            exclusiveMinimum: fc.integer(),
            minLength: fc.nat(5),
            required: fc.array(fc.constantFrom('a', 'b', 'z')),
            $comment: fc.string(),
          },
          { requiredKeys: [] }
        ),
        fc.record(
          {
            type: fc.constant('object'),
            properties: fc.dictionary(
              fc.constantFrom('a', 'b', 'c'),
              tie('schema'),
              {
                maxKeys: 3,
              }
            ),
            required: fc.array(fc.constantFrom('a', 'b', 'z')),
            additionalProperties: fc.oneof(fc.boolean(), tie('schema')),
          },
          { requiredKeys: ['properties'] }
        ),
        fc.record({ type: fc.constant('array'), items: tie('schema') }),
        fc.record({
          anyOf: fc.array(tie('schema'), { minLength: 1, maxLength: 3 }),
        }),
        fc.record({
          oneOf: fc.array(tie('schema'), { minLength: 1, maxLength: 3 }),
        }),
        fc.record({
          allOf: fc.array(tie('schema'), { minLength: 1, maxLength: 3 }),
        }),
        fc.record({
          $ref: fc.constantFrom('#', '#/$defs/A', '#/definitions/missing'),
        })
      ),
    }));
    const root = fc.record({
      type: fc.constant('object'),
      properties: fc.dictionary(fc.constantFrom('a', 'b', 'c'), schema, {
        maxKeys: 3,
      }),
      $defs: fc.record({ A: schema }),
      $schema: fc.constant('http://json-schema.org/draft-07/schema#'),
    });

    // Act & Assess
    fc.assert(
      fc.property(root, (input) => {
        const result = toGeminiParameters(input as Record<string, unknown>);
        return (
          result === undefined || geminiParametersProblem(result) === undefined
        );
      }),
      { numRuns: 300 }
    );
  });
});

describe('Function: toGeminiParameters', () => {
  it.each([
    ['no schema', undefined],
    ['an empty schema', {}],
    ['an object without properties', { type: 'object', properties: {} }],
    [
      'what zod emits for z.object({})',
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: {},
        additionalProperties: false,
      },
    ],
  ])('yields no parameters for %s', (_label, schema) => {
    // Act
    const result = toGeminiParameters(schema);

    // Assess
    expect(result).toBeUndefined();
  });

  it('makes the root an OBJECT even when the input omitted the type', () => {
    // Act
    const result = toGeminiParameters({
      properties: { q: { type: 'string' } },
    });

    // Assess
    expect(result).toEqual({
      type: 'OBJECT',
      properties: { q: { type: 'STRING' } },
    });
  });

  it('flattens a root union of objects into one object', () => {
    // Act
    const result = toGeminiParameters({
      oneOf: [
        {
          type: 'object',
          properties: { kind: { const: 'a' }, a: { type: 'string' } },
          required: ['kind', 'a'],
        },
        {
          type: 'object',
          properties: { kind: { const: 'b' }, b: { type: 'number' } },
          required: ['kind', 'b'],
        },
      ],
    });

    // Assess
    expect(result).toEqual({
      type: 'OBJECT',
      properties: {
        kind: { type: 'STRING', enum: ['b'] },
        a: { type: 'STRING' },
        b: { type: 'NUMBER' },
      },
      required: ['kind'],
    });
    expect(geminiParametersProblem(result)).toBeUndefined();
  });
});
