import { resolveConfig } from '../../../lambdas/core/config/load';
import { echoConfig } from '../../helpers/gateway';

describe('Config: experiments section', () => {
  it('resolves defaults and seeds definitions as running', () => {
    // Act
    const c = resolveConfig(
      {
        ...echoConfig(),
        experiments: {
          flags: { 'experiment-x': false },
          definitions: [
            { id: 'x', kind: 'rollout', rollout: { model: 'echo' } },
          ],
        },
      },
      {},
      'test'
    );
    // Assess
    expect(c.experiments).toMatchObject({
      backend: 'native',
      evaluateEvery: 25,
      maxShadowInFlight: 4,
      shadowTimeoutMs: 30_000,
      flags: { 'experiment-x': false },
    });
    expect(c.experiments.definitions[0]).toMatchObject({
      id: 'x',
      status: 'running',
      stage: 'shadow',
      minSamples: 200,
      threshold: 0.95,
      alpha: 0.01,
      margin: 0.02,
      rollout: { shadowSampleRate: 0.1, canaryShare: 0.1, autoRollback: true },
      variants: [
        { name: 'control', weight: 90 },
        { name: 'candidate', weight: 10, model: 'echo' },
      ],
    });
    expect(
      resolveConfig(echoConfig(), {}, 'test').experiments.definitions
    ).toEqual([]);
  });

  it('fails with the path of a bad definition', () => {
    expect(() =>
      resolveConfig(
        {
          ...echoConfig(),
          experiments: {
            definitions: [
              {
                id: 'ab',
                kind: 'ab',
                variants: [
                  { name: 'a', weight: 50, model: 'echo', policy: { cost: 1 } },
                  { name: 'b', weight: 50 },
                ],
              },
            ],
          },
        },
        {},
        'test'
      )
    ).toThrow(
      /experiments\.definitions\[0\]\.variants\[0\]: a variant sets at most one of model, routeSet, policy/
    );
  });
});
