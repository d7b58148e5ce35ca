import {
  MemoryModelRegistry,
  MemoryRouteSetStore,
} from '../../../lambdas/core/adapters/local/memory-registry';
import { resolveConfig } from '../../../lambdas/core/config/load';
import { RegistryValidationError } from '../../../lambdas/core/registry/types';
import {
  describeModelRegistryContract,
  describeRouteSetStoreContract,
} from './contract';
import { modelConfig } from './fixtures';

describe('Class: MemoryModelRegistry', () => {
  describeModelRegistryContract(async () => new MemoryModelRegistry());

  it('is seeded with the resolved config models as version 1', async () => {
    // Prepare
    const config = resolveConfig(
      {
        providers: { bedrock: { region: 'eu-central-1' }, gemini: {} },
        models: [
          {
            id: 'claude',
            provider: 'bedrock',
            providerModelId: 'eu.anthropic.x',
          },
          {
            id: 'flash',
            provider: 'gemini',
            providerModelId: 'gemini-2.5-flash',
          },
        ],
      },
      {}
    );

    // Act
    const registry = new MemoryModelRegistry({
      seed: config.models,
      now: () => new Date('2026-01-01T00:00:00.000Z'),
    });

    // Assess
    const latest = await registry.listLatest();
    expect(latest.map((v) => v.config)).toEqual([...config.models]);
    expect(latest[0]).toMatchObject({
      modelId: 'claude',
      version: 1,
      createdBy: 'config',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('refuses a seed with a duplicate id', () => {
    // Act & Assess
    expect(
      () =>
        new MemoryModelRegistry({ seed: [modelConfig('a'), modelConfig('a')] })
    ).toThrow(RegistryValidationError);
  });

  it('hands out copies callers cannot change', async () => {
    // Prepare
    const registry = new MemoryModelRegistry({ seed: [modelConfig('a')] });
    const [latest] = await registry.listLatest();

    // Act
    const mutate = () => {
      (latest!.config.pricing as { inputPer1M: number }).inputPer1M = 0;
    };

    // Assess
    expect(mutate).toThrow(TypeError);
    expect((await registry.listLatest())[0]!.config.pricing.inputPer1M).toBe(3);
  });
});

describe('Class: MemoryRouteSetStore', () => {
  describeRouteSetStoreContract(async () => new MemoryRouteSetStore());

  it('activates seeded route sets as version 1', async () => {
    // Prepare
    const store = new MemoryRouteSetStore({
      seed: [{ name: 'active-models', models: [{ id: 'claude' }] }],
      now: () => new Date('2026-01-01T00:00:00.000Z'),
    });

    // Act
    const active = await store.active('active-models');

    // Assess
    expect(active).toEqual({
      name: 'active-models',
      version: 1,
      models: [{ id: 'claude' }],
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
  });
});
