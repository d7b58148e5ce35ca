import { parseChatRequest } from '../../../lambdas/core/api/chat-request';
import {
  JsonSchemaEngineNotLoadedError,
  validatorFor,
  withJsonSchemaEngine,
} from '../../../lambdas/core/api/json-schema';

// Its own file: the engine is loaded once per module registry, and these
// tests need one where nothing has loaded it yet. Order matters below.
describe('Module: json-schema (ajv as a lazy chunk)', () => {
  const body = {
    model: 'auto',
    messages: [{ role: 'user', content: 'hi' }],
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'x', schema: { type: 'object' }, strict: true },
    },
  };

  it('refuses to compile before the engine is loaded, as a wiring error and not a 400', () => {
    // WHEN / THEN
    expect(() => validatorFor({ type: 'object' })).toThrow(
      JsonSchemaEngineNotLoadedError
    );
    expect(() => parseChatRequest(body)).toThrow(
      JsonSchemaEngineNotLoadedError
    );
  });

  it('does not load the engine for a request without json_schema', async () => {
    // WHEN
    const plain = { model: 'auto', messages: body.messages };
    const returned = await withJsonSchemaEngine(plain);

    // THEN
    expect(returned).toBe(plain);
    expect(() => validatorFor({ type: 'object' })).toThrow(
      JsonSchemaEngineNotLoadedError
    );
  });

  it('loads it for a json_schema request, after which the parser compiles the schema', async () => {
    // WHEN
    const parsed = parseChatRequest(await withJsonSchemaEngine(body));

    // THEN
    expect(parsed.responseFormat).toMatchObject({ type: 'json_schema' });
    expect(validatorFor({ type: 'object' })({})).toBe(true);
  });
});
