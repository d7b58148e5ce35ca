import {
  ConfigError,
  DEFAULT_LOCAL_API_KEY,
  defaultConfigFile,
  hashApiKey,
  resolveConfig,
} from '../../../lambdas/core/config/load';

const tenant = { id: 't', apiKeys: ['sk-a-long-enough-key-1'] };

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    resolveConfig(raw, env, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('test.json');
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('Function: resolveConfig', () => {
  it('resolves the ARCHITECTURE.md example with defaults', () => {
    // Prepare
    const raw = {
      providers: {
        bedrock: { region: 'eu-central-1', endpoint: 'http://127.0.0.1:9001' },
        gemini: {
          baseUrl: 'http://127.0.0.1:9002',
          apiKeyEnv: 'GEMINI_API_KEY',
        },
        'openai-compatible': {
          baseUrl: 'http://127.0.0.1:9003/v1',
          apiKeyEnv: 'LLAMA_API_KEY',
        },
      },
      models: [
        {
          id: 'claude-sonnet',
          provider: 'bedrock',
          providerModelId: 'eu.anthropic.claude-sonnet-4-v1:0',
          region: 'eu',
          capabilities: ['tools', 'streaming'],
          contextWindow: 200000,
          pricing: { inputPer1M: 3, outputPer1M: 15 },
          domains: ['legal', 'medical'],
        },
        {
          id: 'gemini-flash',
          provider: 'gemini',
          providerModelId: 'gemini-2.5-flash',
        },
      ],
      tenants: [
        {
          id: 'acme',
          apiKeys: ['sk-acme-0123456789abcdef'],
          tier: 'premium',
          budgets: { dailyUsd: 25, monthlyUsd: 500 },
          limits: { requestsPerMinute: 600, tokensPerDay: 1000000 },
        },
      ],
    };
    // Act
    const config = resolveConfig(raw, { GEMINI_API_KEY: 'g' });
    // Assess
    expect(config.models[0]).toEqual(
      expect.objectContaining({
        id: 'claude-sonnet',
        providerType: 'bedrock',
        region: 'eu',
        status: 'active',
      })
    );
    expect(config.models[1]).toEqual(
      expect.objectContaining({
        region: 'global',
        capabilities: ['streaming'],
        contextWindow: 128000,
        maxOutputTokens: 4096,
        quality: 0.5,
      })
    );
    expect(config.providers.find((p) => p.id === 'gemini')?.live).toBe(true);
    const llama = config.providers.find((p) => p.id === 'openai-compatible')!;
    expect(llama.live).toBe(false);
    expect(llama.reason).toBe('credential env LLAMA_API_KEY is not set');
    expect(config.tenants[0]!.keyHashes).toEqual([
      hashApiKey('sk-acme-0123456789abcdef'),
    ]);
    expect(config.routing.defaultTier).toBe('standard');
    expect(config.server.maxBodyBytes).toBe(1048576);
  });

  it('supports several instances of a family via `type`', () => {
    const config = resolveConfig(
      {
        providers: {
          ollama: {
            type: 'openai-compatible',
            baseUrl: 'http://127.0.0.1:11434/v1',
          },
        },
        models: [
          { id: 'llama3', provider: 'ollama', providerModelId: 'llama3.2' },
        ],
        tenants: [tenant],
      },
      {}
    );
    expect(config.providers[0]).toEqual(
      expect.objectContaining({
        id: 'ollama',
        type: 'openai-compatible',
        live: true,
      })
    );
    expect(config.models[0]!.providerType).toBe('openai-compatible');
  });

  it('fails listing every bad field with its path', () => {
    const found = problems({
      providers: {
        bedrock: { region: 'eu-west-1', endpoint: 'not a url' },
        weird: { foo: 1 },
      },
      models: [
        { id: 'a', provider: 'nope', providerModelId: 'x' },
        {
          id: 'b',
          provider: 'bedrock',
          providerModelId: 'x',
          pricing: { inputPer1M: -1, outputPer1M: 0 },
        },
      ],
      tenants: [{ id: 't', apiKeys: ['short'] }],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('models[1].pricing.inputPer1M'),
        expect.stringContaining('tenants[0].apiKeys[0]'),
      ])
    );
  });

  it('fails on provider-level problems with the provider path', () => {
    const found = problems({
      providers: {
        bedrock: { endpoint: 'ftp://x' },
        weird: { foo: 1 },
        gemini: { apiKeyEnv: 'has space', mystery: 1 },
      },
      models: [{ id: 'a', provider: 'nope', providerModelId: 'x' }],
      tenants: [tenant],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('providers.bedrock.endpoint'),
        expect.stringContaining('providers.weird.type'),
        expect.stringContaining('providers.gemini.apiKeyEnv'),
        expect.stringContaining('providers.gemini'),
        expect.stringContaining('models[0].provider: unknown provider "nope"'),
      ])
    );
  });

  it('fails on duplicate ids, alias shadowing, duplicate tenants and unknown allowlist models', () => {
    const found = problems({
      providers: { echo: { type: 'echo' } },
      models: [
        { id: 'a', provider: 'echo', providerModelId: 'e' },
        { id: 'a', provider: 'echo', providerModelId: 'e' },
        { id: 'b', provider: 'echo', providerModelId: 'e', aliases: ['a'] },
      ],
      tenants: [tenant, { ...tenant, allowedModels: ['zzz'] }],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'models[1].id: duplicate model id "a"',
        'models[2].aliases[0]: alias "a" is another model\'s id',
        'tenants[1].id: duplicate tenant id "t"',
        'tenants[1].allowedModels[0]: unknown model "zzz"',
      ])
    );
  });

  it('rejects unknown top-level keys and a tenant without keys', () => {
    const found = problems({ tenats: [], tenants: [{ id: 'x' }] });
    expect(found.join('\n')).toMatch(/tenats/);
    expect(found.join('\n')).toMatch(
      /tenants\[0\]\.apiKeys: needs apiKeys or apiKeyHashes/
    );
  });
});

describe('Function: defaultConfigFile', () => {
  it('holds only the echo model and the local dev key without credentials', () => {
    const config = resolveConfig(defaultConfigFile({}), {});
    expect(config.models.map((m) => m.id)).toEqual(['echo']);
    expect(config.models[0]!.autoRoute).toBe(true);
    expect(config.tenants[0]!.keyHashes).toEqual([
      hashApiKey(DEFAULT_LOCAL_API_KEY),
    ]);
  });

  it('adds providers whose credentials are present and hides echo from auto routing', () => {
    const env = {
      GEMINI_API_KEY: 'g',
      LLAMA_API_KEY: 'l',
      AWS_ACCESS_KEY_ID: 'a',
      AWS_REGION: 'eu-central-1',
      GATEWAY_API_KEY: 'sk-my-own-key-000000',
    };
    const config = resolveConfig(defaultConfigFile(env), env);
    expect(config.providers.map((p) => [p.id, p.live])).toEqual([
      ['bedrock', true],
      ['gemini', true],
      ['openai-compatible', true],
      ['echo', true],
    ]);
    expect(
      config.models.find((m) => m.id === 'claude-sonnet')?.providerModelId
    ).toMatch(/^eu\./);
    expect(config.models.find((m) => m.id === 'claude-sonnet')?.region).toBe(
      'eu'
    );
    expect(config.models.find((m) => m.id === 'echo')?.autoRoute).toBe(false);
    expect(config.tenants[0]!.keyHashes).toEqual([
      hashApiKey('sk-my-own-key-000000'),
    ]);
  });
});
