import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../../../lambdas/core/config/load';
import {
  defaultModelRegion,
  resolveModelEntry,
} from '../../../lambdas/core/registry/model-entry';
import {
  validateModelDefinition,
  validateRegistryFile,
  validateRouteSet,
} from '../../../lambdas/core/registry/schema';
import { modelConfig } from './fixtures';

const ROOT = join(__dirname, '../../..');
const readJson = (path: string): unknown =>
  JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

function problemsOf(result: {
  ok: boolean;
  problems?: readonly string[];
}): readonly string[] {
  return result.ok ? [] : result.problems!;
}

describe('Function: validateRegistryFile', () => {
  it('accepts the repo registry and resolves it', () => {
    // Act
    const result = validateRegistryFile(readJson('registry/models.json'));

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const ids = result.value.map((d) => d.config.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'claude-sonnet',
        'nova-lite',
        'gemini-flash',
        'gemini-pro',
        'llama-maverick',
      ])
    );
    expect(
      result.value.find((d) => d.config.id === 'llama-maverick')?.config
        .providerType
    ).toBe('openai-compatible');
  });

  it('applies the config file defaults and the registry-only fields', () => {
    // Act
    const result = validateRegistryFile({
      models: [
        {
          id: 'claude',
          provider: 'bedrock',
          providerModelId: 'eu.anthropic.claude-sonnet-4-v1:0',
          guardrailProfile: 'legal',
          tokenLimit: 1000,
        },
        {
          id: 'maverick',
          provider: 'llama-api',
          providerType: 'openai-compatible',
          providerModelId: 'Llama-4-Maverick',
        },
      ],
    });

    // Assess
    expect(result).toEqual({
      ok: true,
      value: [
        {
          config: expect.objectContaining({
            id: 'claude',
            region: 'eu',
            capabilities: ['streaming'],
            contextWindow: 128_000,
            status: 'active',
          }),
          guardrailProfile: 'legal',
          tokenLimit: 1000,
        },
        {
          config: expect.objectContaining({
            provider: 'llama-api',
            providerType: 'openai-compatible',
            region: 'global',
          }),
          guardrailProfile: undefined,
          tokenLimit: undefined,
        },
      ],
    });
  });

  it('reports every problem with its path', () => {
    // Act
    const problems = problemsOf(
      validateRegistryFile({
        models: [
          {
            id: 'a',
            provider: 'bedrock',
            providerModelId: 'x',
            contextWindow: 100,
            tokenLimit: 200,
          },
          { id: 'b', provider: 'custom', providerModelId: 'y', aliases: ['a'] },
          {
            id: 'a',
            provider: 'gemini',
            providerModelId: 'z',
            pricing: { inputPer1M: 'free' },
          },
          {
            id: 'c',
            provider: 'gemini',
            providerModelId: 'z',
            guardrailProfile: 'no spaces',
            extra: 1,
          },
          {
            id: 'd',
            provider: 'gemini',
            providerModelId: 'z',
            aliases: ['a'],
            providerType: 'gemini',
          },
          { id: 'a', provider: 'gemini', providerModelId: 'w' },
        ],
        comment: 'x',
      })
    );

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^models\[2\]\.pricing\.inputPer1M: /),
      expect.stringMatching(/^models\[2\]\.pricing\.outputPer1M: /),
      expect.stringMatching(
        /^models\[3\]\.guardrailProfile: must be 1-64 letters/
      ),
      'models[3].extra: unrecognized key',
      'comment: unrecognized key',
      'models[0].tokenLimit: 200 exceeds contextWindow 100',
      'models[1].providerType: required when provider "custom" is not one of bedrock, gemini, openai-compatible, echo',
      'models[5].id: duplicate model id "a"',
      'models[1].aliases[0]: alias "a" is another model\'s id',
      'models[4].aliases[0]: alias "a" is another model\'s id',
    ]);
  });

  it('rejects a document without models', () => {
    // Act & Assess
    expect(problemsOf(validateRegistryFile({}))).toEqual([
      expect.stringMatching(/^models: /),
    ]);
    expect(problemsOf(validateRegistryFile([]))).toEqual([
      expect.stringMatching(/^<root>: /),
    ]);
  });
});

describe('Function: validateModelDefinition', () => {
  it('accepts a resolved config and names bad fields', () => {
    // Act & Assess
    expect(validateModelDefinition({ config: modelConfig('a') })).toEqual([]);
    expect(
      validateModelDefinition({
        config: modelConfig('a', { quality: 2, providerType: 'grpc' as never }),
        tokenLimit: 0,
      })
    ).toEqual([
      expect.stringMatching(/^quality: /),
      expect.stringMatching(/^providerType: /),
      expect.stringMatching(/^tokenLimit: /),
    ]);
  });
});

describe('Function: validateRouteSet', () => {
  it('accepts the repo route set', () => {
    // Act & Assess
    expect(
      validateRouteSet(readJson('registry/route-sets/active-models.json')).ok
    ).toBe(true);
  });

  it('accepts the initial document the CDK stack writes', () => {
    // Act & Assess
    expect(
      validateRouteSet(
        { name: 'active-models', version: 1, models: [] },
        { requireVersion: true }
      ).ok
    ).toBe(true);
  });

  it.each([
    ['A', 'name: must match [a-z0-9-]{1,64}'],
    ['a'.repeat(65), 'name: must match [a-z0-9-]{1,64}'],
    ['a_b', 'name: must match [a-z0-9-]{1,64}'],
  ])('rejects the name %j', (name, problem) => {
    // Act & Assess
    expect(problemsOf(validateRouteSet({ name, models: [] }))).toEqual([
      problem,
    ]);
  });

  it('reports every problem with its path', () => {
    // Act
    const problems = problemsOf(
      validateRouteSet(
        {
          name: 'canary',
          models: [
            { id: 'a' },
            { id: 'auto' },
            { id: 'a', version: 1.5 },
            { id: 'b', pin: 1 },
          ],
          updatedAt: 'yesterday',
        },
        { requireVersion: true, name: 'active-models' }
      )
    );

    // Assess
    expect(problems).toEqual([
      'models[1].id: "auto" is reserved',
      expect.stringMatching(/^models\[2\]\.version: /),
      'models[3].pin: unrecognized key',
      expect.stringMatching(/^updatedAt: /),
      'version: required in a stored route set',
      'name: expected "active-models", got "canary"',
      'models[2].id: duplicate model id "a"',
    ]);
  });
});

describe('Function: resolveModelEntry', () => {
  it('gives the same defaults as the config loader', () => {
    // Prepare
    const entries = [
      { id: 'a', provider: 'bedrock', providerModelId: 'anthropic.claude-v2' },
      {
        id: 'b',
        provider: 'gemini',
        providerModelId: 'gemini-2.5-flash',
        status: 'canary' as const,
      },
      {
        id: 'c',
        provider: 'openai-compatible',
        providerModelId: 'llama',
        aliases: ['l'],
        autoRoute: false,
      },
    ];
    const config = resolveConfig(
      {
        providers: {
          bedrock: { region: 'eu-central-1' },
          gemini: {},
          'openai-compatible': {},
        },
        models: entries,
      },
      {}
    );

    // Act
    const resolved = entries.map((e, i) =>
      resolveModelEntry(e, {
        type: config.models[i]!.providerType,
        region: i === 0 ? 'eu-central-1' : undefined,
      })
    );

    // Assess
    expect(resolved).toEqual(config.models);
  });
});

describe('Function: defaultModelRegion', () => {
  it.each([
    [{ type: 'bedrock' as const }, 'eu.anthropic.claude-v1:0', 'eu'],
    [
      { type: 'bedrock' as const, region: 'eu-west-1' },
      'us.meta.llama3-v1:0',
      'us',
    ],
    [
      { type: 'bedrock' as const, region: 'us-east-1' },
      'amazon.nova-lite-v1:0',
      'us',
    ],
    [{ type: 'bedrock' as const }, 'amazon.nova-lite-v1:0', 'global'],
    [{ type: 'echo' as const }, 'echo', 'local'],
    [{ type: 'gemini' as const }, 'eu.gemini', 'global'],
  ])('%j %s -> %s', (provider, modelId, region) => {
    // Act & Assess
    expect(defaultModelRegion(provider, modelId)).toBe(region);
  });
});
