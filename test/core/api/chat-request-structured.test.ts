import { parseChatRequest } from '../../../lambdas/core/api/chat-request';
import { GatewayError } from '../../../lambdas/core/api/errors';
import { loadJsonSchemaEngine } from '../../../lambdas/core/api/json-schema';

const base = {
  model: 'auto',
  messages: [{ role: 'user', content: 'hi' }],
};

const schema = {
  type: 'object',
  properties: { n: { type: 'integer' } },
  required: ['n'],
  additionalProperties: false,
};

function badParam(body: unknown): GatewayError {
  try {
    parseChatRequest(body);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('Function: parseChatRequest (response_format and reasoning_effort)', () => {
  // ajv is a lazy chunk; the router loads it before it parses (json-schema.ts).
  beforeAll(() => loadJsonSchemaEngine());

  it('normalises a json_schema response format as the openai SDK sends it', () => {
    // Act
    const req = parseChatRequest({
      ...base,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'count',
          description: 'A count',
          schema,
          strict: true,
        },
      },
    });

    // Assess
    expect(req.responseFormat).toEqual({
      type: 'json_schema',
      jsonSchema: {
        name: 'count',
        description: 'A count',
        schema,
        strict: true,
      },
    });
  });

  it('defaults strict to false and a missing schema to any object', () => {
    // Act
    const req = parseChatRequest({
      ...base,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'x', strict: null },
      },
    });

    // Assess
    expect(req.responseFormat).toEqual({
      type: 'json_schema',
      jsonSchema: { name: 'x', schema: { type: 'object' }, strict: false },
    });
  });

  it.each(['text', 'json_object'] as const)(
    'accepts response_format %s',
    (type) => {
      // Act & Assess
      expect(
        parseChatRequest({ ...base, response_format: { type } }).responseFormat
      ).toEqual({ type });
    }
  );

  it.each([
    [
      'a schema that does not compile',
      {
        name: 'x',
        schema: { type: 'object', properties: { n: { type: 'intger' } } },
      },
      'response_format.json_schema.schema',
      'invalid_value',
    ],
    [
      'a schema that is not an object',
      { name: 'x', schema: [1, 2] },
      'response_format.json_schema.schema',
      'invalid_type',
    ],
    [
      'a name with a space',
      { name: 'my schema', schema },
      'response_format.json_schema.name',
      'invalid_value',
    ],
    [
      'a name longer than 64 characters',
      { name: 'n'.repeat(65), schema },
      'response_format.json_schema.name',
      'invalid_value',
    ],
    [
      'an unknown json_schema field',
      { name: 'x', schema, strcit: true },
      'response_format.json_schema.strcit',
      'unknown_parameter',
    ],
  ])(
    'rejects %s with a 400 naming the field',
    (_name, jsonSchema, param, code) => {
      // Act
      const e = badParam({
        ...base,
        response_format: { type: 'json_schema', json_schema: jsonSchema },
      });

      // Assess
      expect(e.status).toBe(400);
      expect(e.param).toBe(param);
      expect(e.code).toBe(code);
      expect(e.message).toContain(param);
    }
  );

  it.each([
    'none',
    'minimal',
    'low',
    'medium',
    'high',
    'xhigh',
    'max',
  ] as const)('accepts reasoning_effort %s', (effort) => {
    // Act & Assess
    expect(
      parseChatRequest({ ...base, reasoning_effort: effort }).reasoningEffort
    ).toBe(effort);
  });

  it('rejects an unknown reasoning_effort naming the field', () => {
    // Act
    const e = badParam({ ...base, reasoning_effort: 'extreme' });

    // Assess
    expect(e.status).toBe(400);
    expect(e.param).toBe('reasoning_effort');
  });

  it('treats a null reasoning_effort as unset', () => {
    // Act & Assess
    expect(
      parseChatRequest({ ...base, reasoning_effort: null }).reasoningEffort
    ).toBeUndefined();
  });
});
