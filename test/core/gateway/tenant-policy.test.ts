import type { ResolvedTenant } from '../../../lambdas/core/config/load';
import { resolveConfig } from '../../../lambdas/core/config/load';
import {
  noCandidateError,
  routingContext,
} from '../../../lambdas/core/gateway/plan';
import { filterCandidates } from '../../../lambdas/core/routing/candidates';
import type { ChatRequest } from '../../../lambdas/core/types';
import { echoConfig } from '../../helpers/gateway';
import { makeContext, makeModel } from '../routing/fixtures';

const routing = resolveConfig(echoConfig(), {}, 'test').routing;
const request = (hints: ChatRequest['routing'] = {}): ChatRequest => ({
  model: 'auto',
  messages: [{ role: 'user', content: 'hi' }],
  stream: false,
  includeUsage: false,
  routing: hints,
});
const tenant = (extra: Partial<ResolvedTenant> = {}): ResolvedTenant => ({
  id: 'acme',
  keyHashes: [],
  budgets: {},
  limits: {},
  ...extra,
});

describe('Tenant policy in the routing context', () => {
  it('makes the tenant region a floor the request cannot lower', () => {
    const ctx = routingContext(
      request({ region: 'any' }),
      tenant({ region: 'eu' }),
      { kind: 'auto' },
      routing
    );
    expect(ctx.region).toBe('eu');
  });

  it('leaves the region to the request when the tenant sets none or any', () => {
    expect(
      routingContext(
        request({ region: 'eu' }),
        tenant({ region: 'any' }),
        { kind: 'auto' },
        routing
      ).region
    ).toBe('eu');
    expect(
      routingContext(request(), tenant(), { kind: 'auto' }, routing).region
    ).toBe('any');
  });

  it('uses the tenant default domain when the request names none, the request domain otherwise', () => {
    const t = tenant({ defaultDomain: 'legal' });
    expect(routingContext(request(), t, { kind: 'auto' }, routing).domain).toBe(
      'legal'
    );
    expect(
      routingContext(request({ domain: 'code' }), t, { kind: 'auto' }, routing)
        .domain
    ).toBe('code');
    expect(
      routingContext(request(), tenant(), { kind: 'auto' }, routing).domain
    ).toBe(routing.defaultDomain);
  });

  it('excludes models of providers outside the tenant allowlist, by instance or family', () => {
    // Prepare
    const models = [
      makeModel('claude'),
      makeModel('gem', { provider: 'gemini', providerType: 'gemini' }),
      makeModel('llama', {
        provider: 'llama-api',
        providerType: 'openai-compatible',
      }),
    ];
    // Act
    const set = filterCandidates(
      models,
      makeContext({ allowedProviders: ['bedrock', 'llama-api'] })
    );
    // Assess
    expect(set.eligible.map((m) => m.id)).toEqual(['claude', 'llama']);
    expect(set.excluded).toEqual([
      {
        modelId: 'gem',
        code: 'tenant_provider_not_allowed',
        reason: "provider gemini is not in the tenant's allowed providers",
      },
    ]);
  });

  it('answers 403 model_not_allowed when only the tenant provider allowlist excludes', () => {
    const err = noCandidateError({
      excluded: [
        { modelId: 'gem', code: 'tenant_provider_not_allowed', reason: 'x' },
      ],
    } as never);
    expect(err.status).toBe(403);
    expect(err.code).toBe('model_not_allowed');
  });
});

describe('Tenant fields in the config file', () => {
  it('resolves allowedProviders, region and defaultDomain', () => {
    const config = resolveConfig(
      echoConfig({
        tenants: [
          {
            id: 't',
            apiKeys: ['sk-0123456789abcdef'],
            allowedProviders: ['echo'],
            region: 'eu',
            defaultDomain: 'legal',
          },
        ],
      }),
      {},
      'test'
    );
    expect(config.tenants[0]).toMatchObject({
      allowedProviders: ['echo'],
      region: 'eu',
      defaultDomain: 'legal',
    });
    expect(config.limits).toEqual({ maxTokensPerRequest: {}, failOpen: true });
  });

  it('names an unknown provider in allowedProviders', () => {
    expect(() =>
      resolveConfig(
        echoConfig({
          tenants: [
            {
              id: 't',
              apiKeys: ['sk-0123456789abcdef'],
              allowedProviders: ['nope'],
            },
          ],
        }),
        {},
        'test'
      )
    ).toThrow(/tenants\[0\]\.allowedProviders\[0\]: unknown provider "nope"/);
  });

  it('refuses a region other than eu or any', () => {
    expect(() =>
      resolveConfig(
        echoConfig({
          tenants: [
            {
              id: 't',
              apiKeys: ['sk-0123456789abcdef'],
              region: 'mars' as 'eu',
            },
          ],
        }),
        {},
        'test'
      )
    ).toThrow(/tenants\[0\]\.region/);
  });
});
