import {
  cachedValidatorCount,
  loadJsonSchemaEngine,
  schemaHash,
  validatorFor,
} from '../../../lambdas/core/api/json-schema';
import {
  checkStructuredResult,
  StreamSchemaCheck,
  schemaViolation,
} from '../../../lambdas/core/gateway/structured-output';
import { ProviderInvalidOutputError } from '../../../lambdas/core/providers/errors';
import { countsAgainstCircuit } from '../../../lambdas/core/resilience/circuit-breaker';
import type {
  ChatRequest,
  ChatResult,
  JsonSchemaFormat,
} from '../../../lambdas/core/types';
import { makeModel } from '../routing/fixtures';

const schema = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    temperature: { type: 'number' },
  },
  required: ['city', 'temperature'],
  additionalProperties: false,
};

function request(
  strict: boolean,
  s: Record<string, unknown> = schema
): ChatRequest {
  return {
    model: 'auto',
    messages: [{ role: 'user', content: 'weather?' }],
    stream: false,
    includeUsage: false,
    routing: {},
    responseFormat: {
      type: 'json_schema',
      jsonSchema: { name: 'weather', schema: s, strict },
    },
  };
}

function result(
  content: string | null,
  patch: Partial<ChatResult> = {}
): ChatResult {
  return {
    content,
    toolCalls: [],
    finishReason: 'stop',
    usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    ...patch,
  };
}

const model = makeModel('m');

describe('Module: structured-output', () => {
  // ajv is a lazy chunk; the router loads it before it parses (json-schema.ts).
  beforeAll(() => loadJsonSchemaEngine());

  describe('Function: validatorFor', () => {
    it('compiles a schema once, whatever the key order', () => {
      // Prepare
      const reordered = {
        additionalProperties: false,
        required: ['city', 'temperature'],
        properties: {
          temperature: { type: 'number' },
          city: { type: 'string' },
        },
        type: 'object',
      };

      // Act
      const a = validatorFor(schema);
      const before = cachedValidatorCount();
      const b = validatorFor(reordered);

      // Assess
      expect(b).toBe(a);
      expect(cachedValidatorCount()).toBe(before);
      expect(schemaHash(reordered)).toBe(schemaHash(schema));
    });

    it('compiles 2020-12 schemas (zod 4 emits them) and the same $id twice', () => {
      // Prepare
      const s = {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://example.com/weather',
        type: 'object',
        properties: { a: { type: 'string' } },
        // A 2020-12/2019-09 keyword the draft-07 instance would ignore.
        unevaluatedProperties: false,
      };

      // Act & Assess
      expect(validatorFor(s)({ a: 'x' })).toBe(true);
      expect(validatorFor(s)({ b: 1 })).toBe(false);
      expect(() => validatorFor({ ...s, title: 'other' })).not.toThrow();
    });

    it('resolves recursive $refs after the schema left the ajv registry', () => {
      // Prepare
      const tree = {
        $defs: {
          node: {
            type: 'object',
            properties: {
              label: { type: 'string' },
              parent: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] },
            },
            required: ['label', 'parent'],
            additionalProperties: false,
          },
        },
        $ref: '#/$defs/node',
      };

      // Act
      const validate = validatorFor(tree);

      // Assess
      expect(
        validate({ label: 'a', parent: { label: 'b', parent: null } })
      ).toBe(true);
      expect(validate({ label: 'a', parent: { label: 3, parent: null } })).toBe(
        false
      );
    });

    it('throws on a schema that does not compile', () => {
      // Act & Assess
      expect(() => validatorFor({ type: 'strnig' })).toThrow();
    });

    it('keeps at most 256 compiled validators', () => {
      // Act
      for (let i = 0; i < 300; i++)
        validatorFor({ type: 'object', title: `t${i}` });

      // Assess
      expect(cachedValidatorCount()).toBe(256);
    });
  });

  describe('Function: schemaViolation', () => {
    const format: JsonSchemaFormat = { name: 'weather', schema, strict: true };

    it.each([
      ['{"city":"Berlin","temperature":3}', undefined],
      ['{"city":"Berlin"}', '/ required'],
      ['{"city":"Berlin","temperature":"warm"}', '/temperature type'],
      ['{"city":"Berlin", ', 'the answer is not valid JSON'],
      ['', 'the answer is empty'],
    ])('judges %s', (content, expected) => {
      // Act & Assess
      expect(schemaViolation(format, content)).toBe(expected);
    });

    it('never quotes the content in its message', () => {
      // Act
      const why = schemaViolation(
        format,
        '{"city":"SECRET","temperature":"SECRET"}'
      );

      // Assess
      expect(why).not.toContain('SECRET');
    });
  });

  describe('Function: checkStructuredResult', () => {
    it('throws a retryable invalid_output error that does not count against the circuit', () => {
      // Act
      let caught: unknown;
      try {
        checkStructuredResult(
          request(true),
          result('{"city":"Berlin"}'),
          model
        );
      } catch (err) {
        caught = err;
      }

      // Assess
      expect(caught).toBeInstanceOf(ProviderInvalidOutputError);
      const err = caught as ProviderInvalidOutputError;
      expect(err.kind).toBe('invalid_output');
      expect(err.retryable).toBe(true);
      expect(countsAgainstCircuit(err)).toBe(false);
    });

    it.each<[string, ChatRequest, ChatResult]>([
      ['non-strict schemas', request(false), result('not json')],
      [
        'conforming answers',
        request(true),
        result('{"city":"B","temperature":1}'),
      ],
      [
        'truncated answers (finish length)',
        request(true),
        result('{"ci', { finishReason: 'length' }),
      ],
      [
        'answers that call a client tool',
        request(true),
        result(null, {
          toolCalls: [
            {
              id: 'c',
              type: 'function',
              function: { name: 't', arguments: '{}' },
            },
          ],
          finishReason: 'tool_calls',
        }),
      ],
    ])('lets %s through', (_name, req, res) => {
      // Act & Assess
      expect(() => checkStructuredResult(req, res, model)).not.toThrow();
    });
  });

  describe('Class: StreamSchemaCheck', () => {
    it('validates the concatenated deltas at the end', () => {
      // Prepare
      const good = new StreamSchemaCheck(request(true));
      const bad = new StreamSchemaCheck(request(true));
      for (const t of ['{"city":', '"Oslo","temp', 'erature":-2}'])
        good.observe({ type: 'text', text: t });
      for (const t of ['{"city":', '"Oslo"}'])
        bad.observe({ type: 'text', text: t });

      // Act & Assess
      expect(() => good.verify(model)).not.toThrow();
      expect(() => bad.verify(model)).toThrow(ProviderInvalidOutputError);
    });

    it('buffers nothing for requests without a strict schema', () => {
      // Prepare
      const check = new StreamSchemaCheck(request(false));
      check.observe({ type: 'text', text: 'free text' });

      // Act & Assess
      expect(() => check.verify(model)).not.toThrow();
    });
  });
});
