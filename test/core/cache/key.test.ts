import { cacheKey, canonicalJson } from '../../../lambdas/core/cache/key';
import { planned, twoTenantConfig } from '../../helpers/cache-fixtures';

const config = twoTenantConfig();

function keyOf(tenant: string, body: Record<string, unknown>): string {
  const p = planned(config, tenant, body);
  return cacheKey(p.tenant.id, p.plan.context, p.request);
}

const tool = (params: Record<string, unknown>) => ({
  type: 'function',
  function: { name: 'lookup', parameters: params },
});

describe('Function: canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(
      canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })
    ).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });
});

describe('Function: cacheKey', () => {
  const base = { messages: [{ role: 'user', content: 'q' }] };

  it('is the same for tool schemas that differ only in key order', () => {
    // Act
    const a = keyOf('acme', {
      ...base,
      tools: [tool({ type: 'object', properties: { q: { type: 'string' } } })],
    });
    const b = keyOf('acme', {
      ...base,
      tools: [tool({ properties: { q: { type: 'string' } }, type: 'object' })],
    });

    // Assess
    expect(a).toBe(b);
  });

  it('differs per tenant and names the tenant in its prefix', () => {
    // Act
    const a = keyOf('acme', base);
    const g = keyOf('globex', base);

    // Assess
    expect(a).not.toBe(g);
    expect(a).toMatch(/^acme#[0-9a-f]{64}$/);
    expect(g).toMatch(/^globex#[0-9a-f]{64}$/);
  });

  it('differs for the message text, tool choice and every generation parameter', () => {
    // Act
    const keys = [
      base,
      { messages: [{ role: 'user', content: 'q ' }] },
      { ...base, tools: [tool({})], tool_choice: 'required' },
      { ...base, tools: [tool({})] },
      { ...base, max_tokens: 5 },
      { ...base, temperature: 0.5 },
      { ...base, top_p: 0.9 },
      { ...base, stop: 'x' },
      { ...base, response_format: { type: 'json_object' } },
      { ...base, seed: 1 },
      { ...base, model: 'auto' },
      { ...base, model: 'auto', routing: { domain: 'legal' } },
    ].map((b) => keyOf('acme', b));

    // Assess
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('ignores stream and stream_options (a stream may replay a JSON answer)', () => {
    expect(
      keyOf('acme', {
        ...base,
        stream: true,
        stream_options: { include_usage: true },
      })
    ).toBe(keyOf('acme', base));
  });
});
